"""Configuration of the SSO trainer (:class:`~steergraph.training.sso_trainer.SSOTrainer`).

Defaults that differ from ``trl.DPOConfig`` or that SSO adds (Xiang et al. 2024,
arXiv 2410.17131; the reference repository's ``train.sh``):

=========================  ===========  ==================================================
field                      default      meaning
=========================  ===========  ==================================================
``beta``                   0.2          DPO temperature of every pair (TRL: 0.1)
``sso_variant``            ``"sso"``    ``"sso"``: the policy's loss
                                        ``L(plain) + W*G*[L(good) + L(bad)]``;
                                        ``"generator"``: a data generator's loss
                                        ``L(good) + L(bad) - nll*[m(y+|good) + m(y0|bad)]``
``sso_alpha``              0.66         ``W = sigmoid(-(a*m(y+) + (1-a)*m(y-)))`` with ``m``
                                        the policy's mean token log-prob under the plain
                                        prompt
``sso_gamma``              0.1          ``G``, the weight of the two steered pairs
``sso_use_weight``         True         multiply the steered pairs by ``W``
``sso_detach_weight``      False        stop gradients through ``W`` (the reference lets
                                        them flow)
``generator_nll_coef``     0.1          the generator variant's log-likelihood bonus
=========================  ===========  ==================================================

The three pairs of one row: plain prompt ``y+ > y-``; good-principle prompt
``y+ > y-``; bad-principle prompt ``y0 > y+``. ``loss_type`` may be ``sigmoid`` (DPO,
default) or ``ipo``; every other DPOConfig field keeps its meaning.

Example:
    >>> cfg = SSOConfig(output_dir="/tmp/sso", use_cpu=True, bf16=False)
    >>> cfg.beta, cfg.sso_alpha, cfg.sso_gamma, cfg.sso_variant
    (0.2, 0.66, 0.1, 'sso')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import DPOConfig

from steergraph.errors import InputError

__all__ = ["SSO_LOSS_TYPES", "SSOConfig"]

#: Pair losses the SSO trainer implements.
SSO_LOSS_TYPES = ("sigmoid", "ipo")


@dataclass
class SSOConfig(DPOConfig):
    """``DPOConfig`` plus SSO's fields (table in the module docstring)."""

    beta: float = field(default=0.2, metadata={"help": "DPO temperature of every pair."})
    sso_variant: str = field(default="sso", metadata={"help": "'sso' (policy) or 'generator'."})
    sso_alpha: float = field(default=0.66, metadata={"help": "Mix of y+ and y- in the weight W."})
    sso_gamma: float = field(default=0.1, metadata={"help": "G: weight of the steered pairs."})
    sso_use_weight: bool = field(default=True, metadata={"help": "Apply W to the steered pairs."})
    sso_detach_weight: bool = field(default=False, metadata={"help": "No gradient through W."})
    generator_nll_coef: float = field(
        default=0.1, metadata={"help": "Generator variant: weight of the log-likelihood bonus."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.sso_variant not in ("sso", "generator"):
            raise InputError(f"sso_variant={self.sso_variant!r}", fix="use 'sso' or 'generator'")
        if not 0.0 <= self.sso_alpha <= 1.0:
            raise InputError(f"sso_alpha={self.sso_alpha} is outside [0, 1]", fix="use e.g. 0.66")
        if self.sso_gamma < 0 or self.generator_nll_coef < 0 or self.beta <= 0:
            raise InputError(
                "beta must be > 0 and sso_gamma, generator_nll_coef >= 0",
                fix="use the defaults (beta 0.2, sso_gamma 0.1, generator_nll_coef 0.1)",
            )
        unknown = [t for t in self.loss_type if t not in SSO_LOSS_TYPES]
        if unknown:
            raise InputError(
                f"loss_type {unknown} is not implemented by the SSO trainer",
                fix=f"use one of {', '.join(SSO_LOSS_TYPES)}",
            )
        if self.precompute_ref_log_probs:
            raise InputError(
                "precompute_ref_log_probs is not supported by the SSO trainer (six reference "
                "log-probs per row)",
                fix="leave precompute_ref_log_probs=False",
            )
