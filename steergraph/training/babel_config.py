"""Settings of a Babel Tower pre-training stage (:mod:`.babel_trainer`), in TRL's pairing.

``BabelConfig`` is transformers' ``TrainingArguments`` (TRL has no pre-training
trainer) plus the stage's data mixture, the tiny model's shape and how often the
per-language held-out loss and a probe checkpoint are taken:

=======================  ==========  ==================================================
field                    default     meaning
=======================  ==========  ==================================================
``mixture``              python: 1   share of training blocks drawn from each language
``seq_len``              128         tokens per training block
``eval_every``           50          steps between held-out evaluations + checkpoints
``eval_blocks``          16          held-out blocks per language per evaluation
``early_evals``          ()          extra early steps to evaluate at (a continued stage
                                     changes fastest at its start)
``hidden_size``          128         the tiny Llama's width (``vocab_size`` from the
``num_layers``           4           tokenizer); 4 layers of 128 with a 2,048-token
``num_heads``            4           vocabulary is about 1.6 M parameters
``intermediate_size``    384
``learning_rate``        2e-3        from scratch; a continued stage keeps it
=======================  ==========  ==================================================

Example:
    >>> cfg = BabelConfig(output_dir="/tmp/b", mixture={"python": 3, "go": 1}, use_cpu=True)
    >>> cfg.normalised_mixture()
    {'python': 0.75, 'go': 0.25}
    >>> BabelConfig(output_dir="/tmp/b", mixture={"python": 0})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.InputError: the mixture {'python': 0} has no positive share -- fix: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import TrainingArguments

from steergraph.errors import InputError

__all__ = ["BabelConfig"]


@dataclass
class BabelConfig(TrainingArguments):
    """``TrainingArguments`` plus a stage's mixture, block size, evaluations and shape."""

    mixture: dict[str, float] = field(default_factory=lambda: {"python": 1.0})
    seq_len: int = 128
    eval_every: int = 50
    eval_blocks: int = 16
    early_evals: tuple[int, ...] = ()
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 384
    learning_rate: float = 2e-3
    warmup_steps: float = 20
    lr_scheduler_type: str = "cosine"
    weight_decay: float = 0.01
    per_device_train_batch_size: int = 16
    report_to: list[str] | str | None = field(default_factory=list)
    save_strategy: str = "no"
    logging_steps: int = 10
    #: keep the Trainer's latest checkpoint (weights, optimizer, scheduler, RNG) at every
    #: evaluation, so a stopped stage goes on from there (train_stage); removed at the end
    resumable: bool = True

    def __post_init__(self) -> None:
        if (
            not self.mixture
            or any(v < 0 for v in self.mixture.values())
            or sum(self.mixture.values()) <= 0
        ):
            raise InputError(
                f"the mixture {self.mixture} has no positive share",
                fix="give each language a share >= 0, at least one > 0",
            )
        if self.seq_len < 8 or self.eval_every < 1 or self.eval_blocks < 1:
            raise InputError(
                "seq_len >= 8, eval_every >= 1 and eval_blocks >= 1 are needed",
                fix="use the defaults (128, 50, 16)",
            )
        if self.resumable and self.save_strategy == "no":
            self.save_strategy, self.save_steps = "steps", self.eval_every
            self.save_total_limit = self.save_total_limit or 1
        super().__post_init__()

    def normalised_mixture(self) -> dict[str, float]:
        """The mixture's shares, summing to 1 (languages with share 0 dropped)."""
        total = sum(self.mixture.values())
        return {k: round(v / total, 6) for k, v in self.mixture.items() if v > 0}
