"""How well quality scores agree with SummEval's human ratings, and the baselines' scores.

* :func:`summary_level` -- SummEval's summary-level correlation: per article, Spearman
  (and Kendall) between predicted and human scores over its systems' summaries, averaged
  over articles (an article whose predictions or ratings are all equal is skipped and
  counted), per facet;
* :func:`rouge_l` -- ROUGE-L F1 against the references (Google's ``rouge-score``), the
  reference-based baseline, one score used for every facet;
* :func:`llm_judge` -- a chat model asked per facet for a 1-5 rating (constrained on local
  models), the prompted-judge baseline.

Example:
    >>> from steergraph.data.mole import SummaryRow
    >>> rows = [SummaryRow("d", f"s{i}", "src", "t", ("r",), {"fluency": float(i)})
    ...         for i in range(1, 5)]
    >>> summary_level(rows, [{"fluency": v} for v in (1, 2, 4, 3)], ["fluency"])["fluency"]
    {'spearman': 0.8, 'kendall': 0.6667, 'articles': 1, 'skipped': 0}
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from steergraph.data.mole.summeval import SummaryRow

__all__ = ["FacetRating", "llm_judge", "mean_spearman", "rouge_l", "summary_level"]


def summary_level(
    rows: Sequence[SummaryRow], predictions: Sequence[dict[str, float]], facets: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per facet: mean per-article Spearman and Kendall, articles used and skipped."""
    from scipy.stats import kendalltau, spearmanr

    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_doc[row.doc_id].append(i)
    out = {}
    for facet in facets:
        rhos, taus, skipped = [], [], 0
        for idx in by_doc.values():
            human = [rows[i].scores[facet] for i in idx]
            pred = [predictions[i][facet] for i in idx]
            if len(set(human)) < 2 or len(set(pred)) < 2:
                skipped += 1
                continue
            rhos.append(float(spearmanr(pred, human).statistic))
            taus.append(float(kendalltau(pred, human).statistic))
        out[facet] = {
            "spearman": round(sum(rhos) / len(rhos), 4) if rhos else math.nan,
            "kendall": round(sum(taus) / len(taus), 4) if taus else math.nan,
            "articles": len(rhos),
            "skipped": skipped,
        }
    return out


def mean_spearman(table: dict[str, dict[str, float]]) -> float:
    """The mean Spearman over facets of a :func:`summary_level` table."""
    values = [v["spearman"] for v in table.values() if not math.isnan(v["spearman"])]
    return round(sum(values) / len(values), 4) if values else math.nan


def rouge_l(rows: Sequence[SummaryRow], facets: Sequence[str]) -> list[dict[str, float]]:
    """ROUGE-L F1 of each summary against its best-matching reference, for every facet."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    out = []
    for row in rows:
        best = max(scorer.score(ref, row.text)["rougeL"].fmeasure for ref in row.refs)
        out.append(dict.fromkeys(facets, best))
    return out


class FacetRating(BaseModel):
    """A judge's rating of one facet."""

    rating: Literal[1, 2, 3, 4, 5] = Field(description="1 (very poor) to 5 (excellent)")


_DEFINITIONS = {
    "coherence": "the summary is well organised, its sentences follow one another logically",
    "consistency": "every fact in the summary is supported by the article",
    "fluency": "each sentence is grammatical and reads naturally",
    "relevance": "the summary keeps the article's important content and nothing minor",
}


def llm_judge(
    llm: Any,
    rows: Sequence[SummaryRow],
    facets: Sequence[str],
    *,
    source_tokens: int = 400,
    progress: bool = False,
) -> tuple[list[dict[str, float]], int]:
    """Per-facet 1-5 ratings from a chat model, and how many replies were unusable
    (scored 3, the scale's middle, so every summary keeps a prediction)."""
    from langchain_core.messages import HumanMessage, SystemMessage
    from tqdm.auto import tqdm

    from steergraph.agents.calls import ask_structured, truncate_tokens

    failed = 0
    out = []
    for row in tqdm(rows, desc="LLM judge", disable=not progress):
        article = truncate_tokens(llm, row.source, source_tokens)
        scores = {}
        for facet in facets:
            messages = [
                SystemMessage(f"Rate a summary's {facet} from 1 to 5: {_DEFINITIONS[facet]}."),
                HumanMessage(f"Article:\n{article}\n\nSummary:\n{row.text}"),
            ]
            reply, _ = ask_structured(llm, FacetRating, messages, max_new_tokens=16)
            failed += reply is None
            scores[facet] = float(reply.rating) if reply is not None else 3.0
        out.append(scores)
    return out, failed
