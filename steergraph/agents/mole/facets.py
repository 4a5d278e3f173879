"""Per-facet checks that a counterfactual really differs in its facet, and programmatic
perturbations that make one when an LLM does not.

MOLE trains an evaluator on (original, counterfactual) pairs where exactly one quality
facet got worse. A rewrite only counts when a check, computed from the texts alone,
sees the change it claims:

* **consistency** -- a fact changed: a number or a name of the source (a word the source
  capitalises mid-sentence) left the text and another came in;
* **coherence** -- the same content in another order: most words kept, and the
  sentences (or, for one sentence, its clauses) no longer follow the original order;
* **fluency** -- the same content, damaged locally: most words kept, but many of the
  original's word pairs broken (dropped function words, swapped or repeated words);
* **relevance** -- the text now carries fewer of the source's salient words (its most
  frequent content words) while keeping its length.

A counterfactual equal to the original (after whitespace and case) never passes. The
perturbations (:func:`perturb`) make exactly these changes with a seeded RNG; callers
count how many counterfactuals came from them. Written here because no library scores
summary facets this way (SummEval's metrics need references or models).

Example:
    >>> src = "Officials in Paris said 12 people were hurt. The Mayor of Paris spoke."
    >>> check("consistency", src, "Paris said 12 were hurt.", "Paris said 40 were hurt.")
    Check(passed=True, reason='facts changed: 12 -> 40')
    >>> check("coherence", src, "A fell. B rose.", "A fell. B rose.").reason
    'unchanged'
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from steergraph.data.mole.summeval import check_facet

__all__ = ["Check", "check", "facts", "perturb", "salient_words", "sentences"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*\d|\d")
_NUMBER = re.compile(r"^\d[\d,.]*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_STOP = frozenset(
    "a an the of to in on at for and or but is are was were be been has have had it its "
    "this that with as by from he she they his her their them who which said says will "
    "would could not no than then so also after before over into about up out more".split()
)
_FUNCTION = ("the", "a", "an", "of", "to", "in", "on", "and", "was", "is", "for", "by")


@dataclass(frozen=True)
class Check:
    """Whether a counterfactual differs in its facet, and what was seen."""

    passed: bool
    reason: str


def sentences(text: str) -> list[str]:
    """The text's sentences (split after . ! ? and whitespace)."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _names(source: str) -> set[str]:
    """Words the source capitalises somewhere other than a sentence start."""
    names = set()
    for sent in sentences(source):
        for word in _WORD.findall(sent)[1:]:
            if word[0].isupper() and word.lower() not in _STOP:
                names.add(word.lower())
    return names


def facts(text: str, source: str) -> set[str]:
    """Numbers and source names in ``text`` (lower-cased)."""
    return set(_fact_counts(text, source))


def salient_words(source: str, k: int = 20) -> set[str]:
    """The source's ``k`` most frequent content words."""
    counts = Counter(w for w in _words(source) if w not in _STOP and len(w) > 2)
    return {w for w, _ in counts.most_common(k)}


def _overlap(a: list[str], b: list[str]) -> float:
    """Share of ``a``'s words (with multiplicity) found in ``b``."""
    if not a:
        return 0.0
    left = Counter(b)
    kept = 0
    for w in a:
        if left[w] > 0:
            left[w] -= 1
            kept += 1
    return kept / len(a)


def _pairs(words: list[str]) -> set[tuple[str, str]]:
    return set(pairwise(words))


def _order_changed(original: str, cf: str) -> bool:
    orig = sentences(original)
    if len(orig) >= 2:
        sets = [set(_words(s)) for s in orig]
        picks = []
        for sent in sentences(cf):
            mine = set(_words(sent))
            scores = [len(mine & s) / max(len(mine | s), 1) for s in sets]
            picks.append(max(range(len(sets)), key=scores.__getitem__))
        return picks != sorted(picks)
    a, b = _words(original), _words(cf)
    half = len(a) // 2
    return len(a) >= 4 and a[:half] != b[:half] and sorted(a) == sorted(b)


def _fact_counts(text: str, source: str) -> Counter[str]:
    names = _names(source)
    return Counter(w for w in _words(text) if _NUMBER.match(w) or w in names)


def _check_consistency(source: str, original: str, cf: str) -> Check:
    before, after = _fact_counts(original, source), _fact_counts(cf, source)
    gone, new = sorted(before - after), sorted(after - before)  # occurrences, not just words
    if new and (gone or any(w not in facts(source, source) for w in new)):
        return Check(True, f"facts changed: {', '.join(gone) or '-'} -> {', '.join(new)}")
    return Check(False, "no number or name of the source was replaced")


def _check_coherence(source: str, original: str, cf: str) -> Check:
    a, b = _words(original), _words(cf)
    if _overlap(a, b) < 0.8:
        return Check(False, f"content changed ({_overlap(a, b):.0%} of the words kept)")
    if not _order_changed(original, cf):
        return Check(False, "sentences and clauses are in the original order")
    return Check(True, "same content, order changed")


def _check_fluency(source: str, original: str, cf: str) -> Check:
    a, b = _words(original), _words(cf)
    kept = _overlap(a, b)
    if kept < 0.6:
        return Check(False, f"content changed ({kept:.0%} of the words kept)")
    pairs = _pairs(a)
    broken = 1 - len(pairs & _pairs(b)) / max(len(pairs), 1)
    if broken < 0.15:
        return Check(False, f"only {broken:.0%} of the word pairs broken")
    return Check(True, f"{broken:.0%} of the word pairs broken, {kept:.0%} of the words kept")


def _check_relevance(source: str, original: str, cf: str) -> Check:
    salient = salient_words(source)
    before = len(salient & set(_words(original)))
    after = len(salient & set(_words(cf)))
    if len(_words(cf)) < 0.5 * len(_words(original)):
        return Check(False, "the text was cut by more than half")
    if after >= before:
        return Check(False, f"salient words {before} -> {after}")
    return Check(True, f"salient words {before} -> {after}")


_CHECKS: dict[str, Callable[[str, str, str], Check]] = {
    "consistency": _check_consistency,
    "coherence": _check_coherence,
    "fluency": _check_fluency,
    "relevance": _check_relevance,
}


def check(facet: str, source: str, original: str, counterfactual: str) -> Check:
    """Whether ``counterfactual`` differs from ``original`` in ``facet`` (module docstring)."""
    check_facet(facet)
    if " ".join(counterfactual.lower().split()) == " ".join(original.lower().split()):
        return Check(False, "unchanged")
    return _CHECKS[facet](source, original, counterfactual)


# ------------------------------------------------------------------ perturbations
def _perturb_consistency(source: str, original: str, rng: random.Random) -> str | None:
    words = _WORD.findall(original)
    numbers = [w for w in words if _NUMBER.match(w)]
    if numbers:
        old = rng.choice(numbers)
        digits = old.replace(",", "").replace(".", "")
        new = str(int(digits) + rng.randint(2, 9) if digits.isdigit() else 7)
        return re.sub(rf"(?<![\d,.]){re.escape(old)}(?![\d,.]*\d)", new, original, count=1)
    names = _names(source)
    mine = [w for w in words if w.lower() in names]
    others = sorted(names - {w.lower() for w in mine})
    if mine and others:
        old = rng.choice(mine)
        return re.sub(rf"\b{re.escape(old)}\b", rng.choice(others).title(), original, count=1)
    return None


def _perturb_coherence(source: str, original: str, rng: random.Random) -> str | None:
    sents = sentences(original)
    if len(sents) >= 2:
        order = list(range(len(sents)))
        while order == sorted(order):
            rng.shuffle(order)
        return " ".join(sents[i] for i in order)
    words = original.split()
    if len(words) < 4:
        return None
    half = len(words) // 2
    return " ".join(words[half:] + words[:half])


def _perturb_fluency(source: str, original: str, rng: random.Random) -> str | None:
    out = []
    for word in original.split():
        if word.lower() in _FUNCTION and rng.random() < 0.7:
            continue
        out.append(word)
        if rng.random() < 0.08:
            out.append(word)
    for _ in range(max(1, len(out) // 8)):
        i = rng.randrange(len(out) - 1) if len(out) > 1 else 0
        out[i : i + 2] = out[i : i + 2][::-1]
    return " ".join(out) if out else None


def _perturb_relevance(source: str, original: str, rng: random.Random) -> str | None:
    salient = salient_words(source)
    mine = sentences(original)
    theirs = [s for s in sentences(source)[len(sentences(source)) // 2 :] if len(s.split()) > 5]
    if not mine or not theirs:
        return None
    best = max(range(len(mine)), key=lambda i: len(salient & set(_words(mine[i]))))
    filler = min(theirs, key=lambda s: (len(salient & set(_words(s))), rng.random()))
    mine[best] = filler
    return " ".join(mine)


_PERTURB: dict[str, Callable[[str, str, random.Random], str | None]] = {
    "consistency": _perturb_consistency,
    "coherence": _perturb_coherence,
    "fluency": _perturb_fluency,
    "relevance": _perturb_relevance,
}


def perturb(facet: str, source: str, original: str, *, seed: int = 0) -> str | None:
    """A programmatic counterfactual worse in ``facet``, or None when the text allows none."""
    check_facet(facet)
    return _PERTURB[facet](source, original, random.Random(f"{facet}:{seed}:{original}"))
