"""Babel Tower's stages read off a run, and the corpus optimiser.

The paper names three stages of a new language learned after Python: **translation**
(the new language runs on the Python system: the middle layers' working language is
still Python), **transition** (its own system forms: the Python share falls) and
**stabilisation** (its loss stops moving). Its corpus rule (Algorithm 1, Eq. 3) is not
published in a form we can reproduce, so the rule here is stated and measured:

* a language's **token need** is the number of training tokens its held-out loss took
  to reach ``1 - stable_fraction`` of the whole gain of its stage (the start of its
  stabilisation): more tokens than that buy little;
* the optimised mixture gives each language a share proportional to its need, so a
  language that rides on the primary language's system (a short translation stage,
  early stabilisation) is down-sampled, as the paper down-samples PHP and C#, and one
  that keeps learning gets more; it is compared at an equal token budget with the
  uniform mixture and the corpus's own proportions.

Example:
    >>> curve = [{"tokens": t, "loss": {"go": l}} for t, l in
    ...          [(0, 8.0), (100, 5.0), (200, 4.6), (300, 4.1), (400, 4.0)]]
    >>> stabilisation_tokens(curve, "go")
    300
    >>> stage_labels([0.9, 0.7, 0.4, 0.3, 0.3], [0.1, 0.2, 0.5, 0.6, 0.6], curve, "go")
    ['translation', 'translation', 'transition', 'stabilisation', 'stabilisation']
    >>> optimised_mixture({"python": 300, "go": 100})
    {'python': 0.75, 'go': 0.25}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from steergraph.errors import InputError

__all__ = [
    "optimised_mixture",
    "original_mixture",
    "stabilisation_tokens",
    "stage_labels",
    "uniform_mixture",
]


def stabilisation_tokens(
    curve: Sequence[Mapping[str, Any]], language: str, *, stable_fraction: float = 0.1
) -> int:
    """Tokens at which ``language``'s held-out loss has made ``1 - stable_fraction`` of
    the stage's gain (tokens counted from the stage's first point)."""
    if len(curve) < 2:
        raise InputError(
            "a stage curve needs at least two points",
            fix="evaluate more often (lower eval_every) or train longer",
        )
    losses = [float(p["loss"][language]) for p in curve]
    start, best = losses[0], min(losses)
    t0 = int(curve[0]["tokens"])
    if start - best <= 0:
        return int(curve[-1]["tokens"]) - t0
    for p, loss in zip(curve, losses, strict=True):
        if start - loss >= (1 - stable_fraction) * (start - best):
            return int(p["tokens"]) - t0
    return int(curve[-1]["tokens"]) - t0  # pragma: no cover - the minimum always qualifies


def stage_labels(
    primary_share: Sequence[float],
    new_share: Sequence[float],
    curve: Sequence[Mapping[str, Any]],
    language: str,
    *,
    stable_fraction: float = 0.1,
) -> list[str]:
    """One label per checkpoint of a continued stage: translation while the middle
    layers' working language is still the primary one, stabilisation from the point
    :func:`stabilisation_tokens` finds, transition between."""
    if not len(primary_share) == len(new_share) == len(curve):
        raise InputError(
            "one working-language share per checkpoint is needed",
            fix="probe every checkpoint of the stage",
        )
    t0 = int(curve[0]["tokens"])
    stable_at = t0 + stabilisation_tokens(curve, language, stable_fraction=stable_fraction)
    labels = []
    for p, s in zip(primary_share, new_share, strict=True):
        labels.append("translation" if p >= s else "transition")
    for i, point in enumerate(curve):
        if int(point["tokens"]) >= stable_at and labels[i] == "transition":
            labels[i] = "stabilisation"
    return labels


def _normalise(weights: Mapping[str, float]) -> dict[str, float]:
    total = float(sum(weights.values()))
    if total <= 0:
        raise InputError(f"no positive weight in {dict(weights)}", fix="give positive weights")
    return {k: round(float(v) / total, 4) for k, v in weights.items()}


def optimised_mixture(needs: Mapping[str, int], *, floor: float = 0.05) -> dict[str, float]:
    """Shares proportional to each language's token need, none below ``floor``."""
    if len(needs) < 2:
        raise InputError(
            f"a mixture needs two or more languages, got {list(needs)}",
            fix="measure a need for each language of the corpus",
        )
    shares = _normalise({k: max(v, 1) for k, v in needs.items()})
    return _normalise({k: max(v, floor) for k, v in shares.items()})


def uniform_mixture(languages: Sequence[str]) -> dict[str, float]:
    """Every language the same share."""
    return _normalise({lang: 1.0 for lang in languages})


def original_mixture(train_tokens: Mapping[str, int]) -> dict[str, float]:
    """The corpus's own proportions: shares by training tokens."""
    return _normalise(train_tokens)
