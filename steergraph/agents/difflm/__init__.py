"""Agents of the ``difflm`` method (in progress): a table's rows as text, parsed back, and
the grammar every decoded row follows (:mod:`~steergraph.agents.difflm.schema`)."""

from steergraph.agents.difflm.schema import Column, TableSchema

__all__ = ["Column", "TableSchema"]
