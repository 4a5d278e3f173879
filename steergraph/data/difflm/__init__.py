"""Data of the ``difflm`` method: real mixed-type tables from installed wheels
(:mod:`~steergraph.data.difflm.tables`)."""

from steergraph.data.difflm.tables import TABLES, TableSource, load_table, split_table

__all__ = ["TABLES", "TableSource", "load_table", "split_table"]
