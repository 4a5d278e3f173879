"""Settings of the CAORL trainer (:mod:`.caorl_trainer`), TRL-style.

``CAORLConfig`` is TRL's ``SFTConfig`` (data handling, completion-only loss,
``max_length``, LoRA through ``peft_config``...) plus what cost-aware offline RL adds:

=====================  =============  ====================================================
field                  default        meaning
=====================  =============  ====================================================
``variant``            ``caorl``      ``caorl``: return = a x score - (1 - a) x cost in
                                      the prompt; ``no_cost``: the score alone;
                                      ``sft_best``: no return, the best plans only
``qop_a``              0.5            OpenCATP's score weight ``a``
``gamma``              1.0            discount over plan lines (OpenCATP: 1.0 for
                                      non-sequential tasks, 0.9 for sequential ones)
``plans_per_bucket``   4              plans per task from each bucket: good (best
                                      return), cheap, bad (low score), invalid
``pool_seed``          0              seed of the sampling within buckets
``max_plan_steps``     6              steps a plan may have (also the cost scale)
``learning_rate``      1e-4           few steps on a small model (TRL's SFT: 2e-5)
``train_layers``       6              only the top 6 decoder layers train (embeddings,
                                      output layer and the rest frozen): the backward
                                      pass stops there, about half the cost of a step;
                                      0 trains everything (ignored with ``peft_config``)
``completion_only_loss`` True          the loss covers the plan lines only, not the
                                      prompt or the return-to-go lines
=====================  =============  ====================================================

Example:
    >>> cfg = CAORLConfig(output_dir="/tmp/c", variant="no_cost", use_cpu=True)
    >>> cfg.variant, cfg.qop_a, cfg.learning_rate
    ('no_cost', 0.5, 0.0001)
    >>> CAORLConfig(output_dir="/tmp/c", variant="dt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.InputError: unknown CAORL variant 'dt' -- fix: use one of ('caorl', ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import SFTConfig

from steergraph.agents.caorl.planner import VARIANTS
from steergraph.agents.caorl.returns import ReturnSpec
from steergraph.errors import InputError

__all__ = ["CAORLConfig"]


@dataclass
class CAORLConfig(SFTConfig):
    """``SFTConfig`` plus the return definition and the pool sampling."""

    variant: str = field(default="caorl", metadata={"help": "caorl, no_cost or sft_best"})
    qop_a: float = field(default=0.5, metadata={"help": "score weight a of the QoP"})
    gamma: float = field(default=1.0, metadata={"help": "discount over plan lines"})
    plans_per_bucket: int = field(default=4, metadata={"help": "plans per task and bucket"})
    pool_seed: int = field(default=0, metadata={"help": "sampling seed"})
    max_plan_steps: int = field(default=6, metadata={"help": "steps a plan may have"})
    learning_rate: float = field(default=1e-4, metadata={"help": "AdamW learning rate"})
    max_length: int | None = field(default=1024, metadata={"help": "tokens per row"})
    train_layers: int = field(default=6, metadata={"help": "top decoder layers trained"})
    completion_only_loss: bool | None = field(
        default=True, metadata={"help": "loss on the plan lines only (the rows' mask)"}
    )

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise InputError(
                f"unknown CAORL variant {self.variant!r}", fix=f"use one of {VARIANTS}"
            )
        if self.plans_per_bucket < 1:
            raise InputError(f"plans_per_bucket={self.plans_per_bucket}", fix="use 1 or more")
        if self.train_layers < 0:
            raise InputError(f"train_layers={self.train_layers}", fix="use 0 (all) or more")
        self.return_spec()  # checks a, gamma and max_plan_steps
        super().__post_init__()

    def return_spec(self) -> ReturnSpec:
        """The returns this configuration trains on."""
        return ReturnSpec(
            a=self.qop_a,
            gamma=self.gamma,
            cost_terms=self.variant != "no_cost",
            max_steps=self.max_plan_steps,
        )
