"""Score a StructRAG answer against its gold: exact match and F1, by answer type.

Both sides are normalised first (lowercase; an ``answer:`` prefix, backticks,
surrounding quotes and end punctuation, and the articles a/an/the removed):

* ``entity`` -- em when the prediction, or its first line, equals the gold; f1 is the
  token F1 of the whole prediction against the gold.
* ``list`` -- the prediction is split on commas, semicolons, newlines, " and " and
  bullets; f1 is the set F1 of its items against the gold items, em is set equality.
  (A gold item that itself holds a separator is matched as a phrase first.)
* ``number`` -- the first number in the prediction (``1,234`` and ``12 KiB`` read as
  1234 and 12); em = f1 = 1 within a relative tolerance of 1e-6, else 0.
* ``text`` -- f1 is the token F1, em is normalised equality.

An empty prediction scores zero.

Example:
    >>> score_answer("Answer: `libc6`.", "libc6", "entity")
    {'em': 1.0, 'f1': 1.0}
    >>> score_answer("b, a and c", ["a", "b"], "list")["f1"]
    0.8
    >>> score_answer("It is 1,234 KiB", 1234.0, "number")
    {'em': 1.0, 'f1': 1.0}
    >>> mean_scores([{"em": 1.0, "f1": 1.0}, {"em": 0.0, "f1": 0.5}])
    {'em': 0.5, 'f1': 0.75, 'n': 2}
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from steergraph.errors import InputError

__all__ = ["extract_number", "mean_scores", "normalize_answer", "score_answer"]

_PREFIX = re.compile(r"^\s*(?:final\s+)?answer\s*(?:is)?\s*[:\-]\s*", re.I)
_EDGE = "\"'`“”‘’«».,;:!?()[]{}*_ \t\n"
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_NUMBER = re.compile(r"(?<![\w.-])-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?")
_LIST_SPLIT = re.compile(r"[,;\n]|\band\b|(?:^|\s)[-*•]\s|\s\d+[.)]\s")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def normalize_answer(text: str) -> str:
    """Lowercase, drop an ``answer:`` prefix, edge quotes/punctuation and articles."""
    text = _PREFIX.sub("", str(text).strip()).lower().replace("`", "").strip(_EDGE)
    bare = " ".join(_ARTICLES.sub(" ", text).split()).strip(_EDGE)
    return bare or " ".join(text.split())  # an answer that is only "a" stays "a"


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", normalize_answer(text))


def _token_f1(prediction: str, gold: str) -> float:
    pred, ref = _tokens(prediction), _tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def extract_number(text: str) -> float | None:
    """The first number in a text (thousands commas allowed), or None."""
    match = _NUMBER.search(str(text))
    return float(match.group().replace(",", "")) if match else None


def _list_items(prediction: str, gold: Sequence[str]) -> set[str]:
    text = "\n".join(_BULLET.sub("", line) for line in _PREFIX.sub("", prediction).splitlines())
    text = text.lower()
    items: set[str] = set()
    for g in sorted({normalize_answer(g) for g in gold}, key=len, reverse=True):
        if _LIST_SPLIT.search(g) and g in text:  # gold items holding a separator
            items.add(g)
            text = text.replace(g, "\n")
    for part in _LIST_SPLIT.split(text):
        item = normalize_answer(_BULLET.sub("", part))
        if item:
            items.add(item)
    return items


def score_answer(
    prediction: str, gold: str | Sequence[str] | float, answer_type: str
) -> dict[str, float]:
    """``{"em": 0 or 1, "f1": 0..1}`` of a prediction against the gold answer."""
    if answer_type not in ("entity", "list", "number", "text"):
        raise InputError(
            f"unknown answer type {answer_type!r}", fix="use entity, list, number or text"
        )
    prediction = "" if prediction is None else str(prediction)
    if not normalize_answer(prediction):
        return {"em": 0.0, "f1": 0.0}
    if answer_type == "number":
        got = extract_number(prediction)
        ok = got is not None and math.isclose(got, float(gold), rel_tol=1e-6, abs_tol=1e-9)
        return {"em": float(ok), "f1": float(ok)}
    if answer_type == "list":
        ref = {normalize_answer(g) for g in ([gold] if isinstance(gold, str) else gold)}
        got_items = _list_items(prediction, sorted(ref))
        common = len(got_items & ref)
        f1 = 2 * common / (len(got_items) + len(ref)) if common else 0.0
        return {"em": float(got_items == ref), "f1": f1}
    gold_text = normalize_answer(str(gold))
    em = normalize_answer(prediction) == gold_text
    if answer_type == "entity" and not em:
        em = normalize_answer(prediction.strip().splitlines()[0]) == gold_text
    return {"em": float(em), "f1": _token_f1(prediction, str(gold))}


def mean_scores(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Mean em and f1 over score rows, with their count ``n`` (zeros when empty)."""
    rows = list(rows)
    if not rows:
        return {"em": 0.0, "f1": 0.0, "n": 0}
    return {
        "em": sum(r["em"] for r in rows) / len(rows),
        "f1": sum(r["f1"] for r in rows) / len(rows),
        "n": len(rows),
    }
