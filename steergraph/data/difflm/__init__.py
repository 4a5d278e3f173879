"""Data of the ``difflm`` method: real mixed-type tables from installed wheels
(:mod:`~steergraph.data.difflm.tables`) and short Python functions
(:mod:`~steergraph.data.difflm.code`)."""

from steergraph.data.difflm.code import CODE_TABLE, code_table
from steergraph.data.difflm.tables import TABLES, TableSource, load_table, split_table

__all__ = ["CODE_TABLE", "TABLES", "TableSource", "code_table", "load_table", "split_table"]
