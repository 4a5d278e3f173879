"""SSO's filters: keep pairs whose gap is real, consistent and on-policy.

In the order the reference applies them (Xiang et al. 2024):

1. **duplicates** -- drop a triplet when ``y+ == y-``, ``y+ == y0`` or ``y- == y0``
   (after whitespace normalisation), or when a reply is empty: the principles did not
   steer that sample.
2. **log-prob order** -- with ``s(y|x)`` the policy's mean token log-prob of reply ``y``
   under prompt ``x``, keep when
   ``s(y+|good) > s(y+|plain) > s(y+|bad)`` and ``s(y-|bad) > s(y-|plain) > s(y-|good)``:
   each reply is more likely under the principle that produced it. ``order="gap"``
   drops the middle term (``s(y+|good) > s(y+|bad)`` and ``s(y-|bad) > s(y-|good)``):
   for models whose plain prompt is far from both steered ones (e.g. a chat template
   that inserts its own default system message), where the strict chain keeps nothing.
3. **on-policy** -- keep when ``s(y+|plain)`` and ``s(y-|plain)`` are each at or above
   their mean over the pairs still in (the policy would plausibly say both).
4. **consistent gap** -- keep when ``s(y+|good) - s(y+|bad)`` and
   ``s(y-|bad) - s(y-|good)`` are each above their mean over the pairs still in.

Scores come from the model layer's scoring call (:meth:`LocalChatModel.score`): one
call per prompt scores ``y+`` and ``y-`` together. Models without token log-probs (API
models) raise :class:`~steergraph.errors.CapabilityError` at once; ``logprob=False``
keeps the duplicate filter alone. Every drop is counted by stage and reason
(:class:`FilterReport`), so nothing disappears silently.

Example:
    >>> from steergraph.agents.sso.sampling import Triplet
    >>> t = Triplet(query="q", features=["brevity"], good_system="g", bad_system="b",
    ...             y_plus="short", y_minus="short", y0="other")
    >>> kept, reasons = drop_duplicates([t])
    >>> len(kept), reasons
    (0, {'y+ == y-': 1})
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from steergraph.agents.sso.sampling import Triplet
from steergraph.errors import CapabilityError, InputError

__all__ = [
    "FilterReport",
    "Order",
    "ScoredTriplet",
    "drop_duplicates",
    "filter_triplets",
    "logprob_filters",
    "require_logprobs",
    "score_triplets",
]

_SPACE = re.compile(r"\s+")
#: How stage 2 compares the log-probs (see the module docstring).
Order = Literal["strict", "gap"]


class ScoredTriplet(Triplet):
    """A triplet with the policy's mean token log-probs of y+ and y- under each prompt."""

    plus_good: float
    plus_plain: float
    plus_bad: float
    minus_good: float
    minus_plain: float
    minus_bad: float

    @property
    def plus_gap(self) -> float:
        """How much more likely y+ is under the good principles than under the bad ones."""
        return self.plus_good - self.plus_bad

    @property
    def minus_gap(self) -> float:
        """How much more likely y- is under the bad principles than under the good ones."""
        return self.minus_bad - self.minus_good


@dataclass
class FilterReport:
    """What each stage kept and dropped (and why)."""

    generated: int
    kept: list[Any]
    stages: list[dict[str, Any]] = field(default_factory=list)  # {stage, in, out, dropped: {...}}
    scored: list[ScoredTriplet] = field(default_factory=list)  # every deduplicated triplet

    @property
    def kept_per_100(self) -> float:
        """Pairs kept per 100 generated triplets."""
        return round(100 * len(self.kept) / self.generated, 2) if self.generated else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Counts only (no triplets), for logs and the graph's state."""
        return {
            "generated": self.generated,
            "kept": len(self.kept),
            "kept_per_100": self.kept_per_100,
            "stages": self.stages,
        }


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def drop_duplicates(triplets: Sequence[Triplet]) -> tuple[list[Triplet], dict[str, int]]:
    """Stage 1: triplets whose three replies differ and are non-empty; drop reasons counted."""
    kept: list[Triplet] = []
    reasons: Counter[str] = Counter()
    for t in triplets:
        plus, minus, zero = _norm(t.y_plus), _norm(t.y_minus), _norm(t.y0)
        if not plus or not minus or not zero:
            reasons["empty reply"] += 1
        elif plus == minus:
            reasons["y+ == y-"] += 1
        elif plus == zero:
            reasons["y+ == y0"] += 1
        elif minus == zero:
            reasons["y- == y0"] += 1
        else:
            kept.append(t)
    return kept, dict(reasons)


def require_logprobs(llm: Any) -> None:
    """Raise :class:`CapabilityError` unless ``llm`` scores given text with token log-probs."""
    if not callable(getattr(llm, "score", None)):
        raise CapabilityError(
            f"SSO's log-prob filter needs token log-probs; {type(llm).__name__} does not give them",
            fix="use a local model (load_chat_model('local' or 'local:<path>')), or filter with "
            "logprob=False / --filters duplicates (duplicates only)",
        )


def score_triplets(
    llm: Any, triplets: Sequence[Triplet], *, progress: bool = False
) -> list[ScoredTriplet]:
    """Mean token log-probs of y+ and y- under the good, plain and bad prompts."""
    require_logprobs(llm)
    items: Sequence[Triplet] = triplets
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(triplets, desc="scoring pairs", unit="pair")
    out: list[ScoredTriplet] = []
    for t in items:
        values: dict[str, float] = {}
        for side, prompt in (("good", t.good()), ("plain", t.plain()), ("bad", t.bad())):
            plus, minus = llm.score(prompt, [t.y_plus, t.y_minus])
            values[f"plus_{side}"] = plus.mean
            values[f"minus_{side}"] = minus.mean
        out.append(ScoredTriplet(**t.model_dump(), **values))
    return out


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def logprob_filters(
    scored: Sequence[ScoredTriplet], *, order: Order = "strict"
) -> tuple[list[ScoredTriplet], list[dict]]:
    """Stages 2-4 on scored triplets: (kept, one stage record per stage)."""
    stages: list[dict[str, Any]] = []

    def record(name: str, before: Sequence[Any], after: list[Any], **dropped: int) -> None:
        stages.append(
            {
                "stage": name,
                "in": len(before),
                "out": len(after),
                "dropped": {k: v for k, v in dropped.items() if v},
            }
        )

    if order not in ("strict", "gap"):
        raise InputError(f"unknown log-prob order '{order}'", fix="use strict or gap")
    if order == "strict":
        plus_ok = [s.plus_good > s.plus_plain > s.plus_bad for s in scored]
        minus_ok = [s.minus_bad > s.minus_plain > s.minus_good for s in scored]
    else:
        plus_ok = [s.plus_good > s.plus_bad for s in scored]
        minus_ok = [s.minus_bad > s.minus_good for s in scored]
    ordered = [s for s, p, m in zip(scored, plus_ok, minus_ok) if p and m]
    record(
        "logprob order",
        scored,
        ordered,
        **{
            "y+ out of order": plus_ok.count(False),
            "y- out of order (y+ in order)": sum(p and not m for p, m in zip(plus_ok, minus_ok)),
        },
    )

    mp, mm = _mean([s.plus_plain for s in ordered]), _mean([s.minus_plain for s in ordered])
    on_policy = [s for s in ordered if s.plus_plain >= mp and s.minus_plain >= mm]
    record(
        "on-policy",
        ordered,
        on_policy,
        **{"below mean plain log-prob": len(ordered) - len(on_policy)},
    )

    gp, gm = _mean([s.plus_gap for s in on_policy]), _mean([s.minus_gap for s in on_policy])
    gapped = [s for s in on_policy if s.plus_gap > gp and s.minus_gap > gm]
    record(
        "consistent gap", on_policy, gapped, **{"gap not above mean": len(on_policy) - len(gapped)}
    )
    return gapped, stages


def filter_triplets(
    llm: Any,
    triplets: Sequence[Triplet],
    *,
    logprob: bool = True,
    order: Order = "strict",
    progress: bool = False,
) -> FilterReport:
    """All four stages (or only duplicates with ``logprob=False``); see the module docstring."""
    deduped, reasons = drop_duplicates(triplets)
    stages = [{"stage": "duplicates", "in": len(triplets), "out": len(deduped), "dropped": reasons}]
    if not logprob:
        return FilterReport(len(triplets), list(deduped), stages)
    scored = score_triplets(llm, deduped, progress=progress)
    kept, more = logprob_filters(scored, order=order)
    return FilterReport(len(triplets), list(kept), stages + more, scored)
