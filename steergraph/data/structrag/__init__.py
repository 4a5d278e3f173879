"""Data of the ``structrag`` method: the committed document corpus (Debian package
records, Python's docs, installed READMEs; :mod:`.corpus`), Loong-style tasks with
program-computed gold answers (:mod:`.tasks`) and their scoring (:mod:`.scoring`).

Example:
    >>> from steergraph.data.structrag import score_answer
    >>> score_answer("It is 1,234 KiB", 1234.0, "number")
    {'em': 1.0, 'f1': 1.0}
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.data.structrag.corpus import build_corpus, load_corpus
    from steergraph.data.structrag.scoring import mean_scores, score_answer
    from steergraph.data.structrag.tasks import FAMILIES, StructTask, split_tasks, structrag_tasks

_EXPORTS = {
    "build_corpus": "steergraph.data.structrag.corpus",
    "load_corpus": "steergraph.data.structrag.corpus",
    "FAMILIES": "steergraph.data.structrag.tasks",
    "StructTask": "steergraph.data.structrag.tasks",
    "split_tasks": "steergraph.data.structrag.tasks",
    "structrag_tasks": "steergraph.data.structrag.tasks",
    "mean_scores": "steergraph.data.structrag.scoring",
    "score_answer": "steergraph.data.structrag.scoring",
}
__all__ = [
    "FAMILIES",
    "StructTask",
    "build_corpus",
    "load_corpus",
    "mean_scores",
    "score_answer",
    "split_tasks",
    "structrag_tasks",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
