"""Data of the ``mole`` method: SummEval's human ratings of summaries per quality facet,
split by article (:mod:`~steergraph.data.mole.summeval`)."""

from steergraph.data.mole.summeval import (
    FACETS,
    SummaryRow,
    best_rated,
    check_facet,
    load_summeval,
    split_by_article,
    summeval_path,
)

__all__ = [
    "FACETS",
    "SummaryRow",
    "best_rated",
    "check_facet",
    "load_summeval",
    "split_by_article",
    "summeval_path",
]
