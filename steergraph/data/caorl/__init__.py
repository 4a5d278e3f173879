"""Data of the ``caorl`` method: the CATP plan pool read as offline RL data, plans grouped
by task, parsed and checked against the suite and the tool registry (:mod:`.pool`).

Example:
    >>> from steergraph.data.caorl import POOL_COLUMNS
    >>> "score" in POOL_COLUMNS
    True
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.data.caorl.pool import POOL_COLUMNS, PoolPlan, PoolTask, load_pool

_EXPORTS = {
    "POOL_COLUMNS": "steergraph.data.caorl.pool",
    "PoolPlan": "steergraph.data.caorl.pool",
    "PoolTask": "steergraph.data.caorl.pool",
    "load_pool": "steergraph.data.caorl.pool",
}
__all__ = ["POOL_COLUMNS", "PoolPlan", "PoolTask", "load_pool"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
