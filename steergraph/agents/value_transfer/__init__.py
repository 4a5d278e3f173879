"""Agents of the ``value_transfer`` method (inverse value learning, in progress): decoding
any local model with a trained value network or by proxy-tuning
(:mod:`~steergraph.agents.value_transfer.decoding`), across vocabularies through a token
alignment (:mod:`~steergraph.agents.value_transfer.alignment`); any local chat model
decoding through a value network (:func:`with_value_network`)."""

from steergraph.agents.value_transfer.alignment import TokenAlignment
from steergraph.agents.value_transfer.chat import with_value_network
from steergraph.agents.value_transfer.decoding import (
    ProxyTuningProcessor,
    RowLogits,
    ValueLogitsProcessor,
    value_logits,
)

__all__ = [
    "ProxyTuningProcessor",
    "RowLogits",
    "TokenAlignment",
    "ValueLogitsProcessor",
    "value_logits",
    "with_value_network",
]
