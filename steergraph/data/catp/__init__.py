"""Data of the ``catp`` method: OpenCATP-style benchmark tasks over real text and tables,
with gold outputs from reference pipelines (:mod:`.tasks`).

Example:
    >>> from steergraph.data.catp import FAMILIES
    >>> len(FAMILIES)
    14
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.data.catp.tasks import FAMILIES, CATPTask, build_tasks, score_outputs

_EXPORTS = {
    "CATPTask": "steergraph.data.catp.tasks",
    "FAMILIES": "steergraph.data.catp.tasks",
    "build_tasks": "steergraph.data.catp.tasks",
    "score_outputs": "steergraph.data.catp.tasks",
}
__all__ = [
    "FAMILIES",
    "CATPTask",
    "build_tasks",
    "score_outputs",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
