"""Data of the ``value_transfer`` method: demonstrations and held-out rows
(:mod:`~steergraph.data.value_transfer.demonstrations`)."""

from steergraph.data.value_transfer.demonstrations import (
    KINDS,
    alignment_texts,
    arithmetic_rows,
    demonstrations,
)

__all__ = ["KINDS", "alignment_texts", "arithmetic_rows", "demonstrations"]
