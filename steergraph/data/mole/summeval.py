"""SummEval's human quality ratings, read where the project keeps them, split by article.

``summeval.json`` (72 CNN/DailyMail articles, 16 systems' summaries each rated by experts
on coherence, consistency, fluency and relevance, 1-5, plus 11 references) is read from
``$STEERGRAPH_SUMMEVAL`` or ``../shared/data/summeval/summeval.json`` next to the
repository; it is never copied into the project. Splits are by article (every summary of
one article lands in one split), drawn with a seeded shuffle of the sorted article ids,
so train, dev and test never share a source.

Example:
    >>> rows = [SummaryRow(f"d{i}", "s", "src", "text", ("ref",), {"coherence": 3.0})
    ...         for i in range(10)]
    >>> parts = split_by_article(rows, dev=0.2, test=0.3)
    >>> {k: len(v) for k, v in parts.items()}
    {'train': 5, 'dev': 2, 'test': 3}
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from steergraph.errors import InputError, InputFileError

__all__ = [
    "FACETS",
    "SummaryRow",
    "best_rated",
    "check_facet",
    "load_summeval",
    "split_by_article",
    "summeval_path",
]

FACETS = ("coherence", "consistency", "fluency", "relevance")
_ENV = "STEERGRAPH_SUMMEVAL"


@dataclass(frozen=True)
class SummaryRow:
    """One rated summary: its article, system, text, references and facet scores (1-5)."""

    doc_id: str
    system: str
    source: str
    text: str
    refs: tuple[str, ...]
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def mean_score(self) -> float:
        """The mean of the facet scores (the single-score baseline's target)."""
        return sum(self.scores.values()) / max(len(self.scores), 1)


def check_facet(name: str) -> str:
    """``name`` if it is a SummEval facet, else an :class:`InputError` naming the four."""
    if name not in FACETS:
        raise InputError(f"unknown facet {name!r}", fix=f"use one of: {', '.join(FACETS)}")
    return name


def summeval_path() -> Path:
    """Where ``summeval.json`` is read from (see the module docstring)."""
    if os.environ.get(_ENV):
        return Path(os.environ[_ENV])
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "data" / "summeval" / "summeval.json"


def load_summeval(path: str | Path | None = None) -> list[SummaryRow]:
    """Every rated summary, in article then system order."""
    p = Path(path) if path is not None else summeval_path()
    if not p.is_file():
        raise InputFileError(
            f"SummEval ratings not found at {p}",
            fix=f"put summeval.json there or set {_ENV}=/path/to/summeval.json",
        )
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{p} is not SummEval JSON ({exc})", fix="use summeval.json") from None
    rows: list[SummaryRow] = []
    for doc_id in sorted(raw):
        doc = raw[doc_id]
        try:
            for system in sorted(doc["hypos"]):
                hypo = doc["hypos"][system]
                scores = {f: float(hypo["scores"][f]) for f in FACETS}
                rows.append(
                    SummaryRow(doc_id, system, doc["src"], hypo["hypo"], tuple(doc["refs"]), scores)
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(
                f"{p}: article {doc_id} lacks {exc} (src, refs, hypos with four facet scores)",
                fix="use SummEval's summeval.json",
            ) from None
    return rows


def best_rated(rows: Sequence[SummaryRow], per_article: int) -> list[SummaryRow]:
    """The ``per_article`` summaries with the highest mean rating of each article (ties by
    system name), in article order: the originals counterfactuals are made from."""
    by_doc: dict[str, list[SummaryRow]] = {}
    for row in rows:
        by_doc.setdefault(row.doc_id, []).append(row)
    best: list[SummaryRow] = []
    for doc in sorted(by_doc):
        best += sorted(by_doc[doc], key=lambda r: (-r.mean_score, r.system))[:per_article]
    return best


def split_by_article(
    rows: Sequence[SummaryRow], *, dev: float = 0.15, test: float = 0.3, seed: int = 0
) -> dict[str, list[SummaryRow]]:
    """``{"train", "dev", "test"}``: disjoint sets of articles, shares by article count."""
    if not (0 <= dev < 1 and 0 < test < 1 and dev + test < 1):
        raise InputError(f"dev={dev}, test={test}", fix="use shares in [0, 1) summing below 1")
    docs = sorted({r.doc_id for r in rows})
    random.Random(seed).shuffle(docs)
    n_test = max(1, round(test * len(docs)))
    n_dev = round(dev * len(docs))
    if n_test + n_dev >= len(docs):
        raise InputError(
            f"{len(docs)} articles cannot fill a test and dev split and leave training data",
            fix="give more articles or smaller shares",
        )
    where = {d: "test" for d in docs[:n_test]}
    where.update({d: "dev" for d in docs[n_test : n_test + n_dev]})
    out: dict[str, list[SummaryRow]] = {"train": [], "dev": [], "test": []}
    for row in rows:
        out[where.get(row.doc_id, "train")].append(row)
    return out
