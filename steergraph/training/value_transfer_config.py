"""Settings of the value-network trainer (:mod:`.value_transfer_trainer`), TRL-style.

``ValueTransferConfig`` is TRL's ``SFTConfig`` (data handling, completion-only loss,
``max_length``...) plus what inverse value learning adds:

=====================  =============  ====================================================
field                  default        meaning
=====================  =============  ====================================================
``connection``         ``residual``   ``residual``: final logits = base + value;
                                      ``cascade``: the value network also reads the
                                      base's next-token distribution at each position,
                                      embedded through its own token embeddings
``norm_weight``        0.0            weight of the logit-norm penalty: the mean absolute
                                      value logit over the vocabulary (keeps the value
                                      network from fitting one base too closely)
``value_layers``       2              a value network initialised from the base cut to
                                      its first ``value_layers`` layers (when no model
                                      is given)
``zero_head``          True           the value network's output layer starts at zero, so
                                      base + value starts as the base alone
``learning_rate``      1e-4           the value network is small and starts at zero
=====================  =============  ====================================================

Example:
    >>> cfg = ValueTransferConfig(output_dir="/tmp/v", connection="cascade", use_cpu=True)
    >>> cfg.connection, cfg.norm_weight, cfg.learning_rate
    ('cascade', 0.0, 0.0001)
    >>> ValueTransferConfig(output_dir="/tmp/v", connection="sum")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.InputError: unknown connection 'sum' -- fix: use residual or cascade
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import SFTConfig

from steergraph.errors import InputError

__all__ = ["CONNECTIONS", "ValueTransferConfig"]

CONNECTIONS = ("residual", "cascade")


@dataclass
class ValueTransferConfig(SFTConfig):
    """``SFTConfig`` plus the value network's connection, penalty and size."""

    connection: str = field(default="residual", metadata={"help": "residual or cascade"})
    norm_weight: float = field(default=0.0, metadata={"help": "logit-norm penalty weight"})
    value_layers: int = field(default=2, metadata={"help": "layers of a base-cut value net"})
    zero_head: bool = field(default=True, metadata={"help": "start the value output at zero"})
    learning_rate: float = field(default=1e-4, metadata={"help": "AdamW learning rate"})

    def __post_init__(self) -> None:
        if self.connection not in CONNECTIONS:
            raise InputError(
                f"unknown connection {self.connection!r}", fix="use residual or cascade"
            )
        if self.norm_weight < 0 or self.value_layers < 1:
            raise InputError(
                f"norm_weight={self.norm_weight}, value_layers={self.value_layers}",
                fix="use norm_weight >= 0 and value_layers >= 1",
            )
        super().__post_init__()
