"""The Babel Tower experiment as data: which stages run, and the figures they give.

A run is a queue of stages. :func:`initial_plan` pre-trains on the primary language,
continues on each other language from that model (probed at every checkpoint) and
trains the second language from scratch on the same budget (the control);
:func:`mixture_plan` then trains three models from scratch at one equal budget on the
optimised, the uniform and the corpus's own mixture. :func:`figures` turns the stages'
curves and the probes into the benchmark's final keys.

Example:
    >>> plan = initial_plan(["python", "go", "javascript"], primary_steps=100,
    ...                     continued_steps=50)
    >>> [(s["name"], s["init"]) for s in plan]  # doctest: +NORMALIZE_WHITESPACE
    [('python', None), ('python>go', 'python'), ('python>javascript', 'python'),
     ('go-scratch', None)]
    >>> [s["name"] for s in mixture_plan({"python": 1, "go": 3}, {"python": 9, "go": 1}, 80)]
    ['mix-optimised', 'mix-uniform', 'mix-original']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from steergraph.agents.babel.stages import (
    optimised_mixture,
    original_mixture,
    stabilisation_tokens,
    stage_labels,
    uniform_mixture,
)
from steergraph.errors import InputError

__all__ = ["figures", "initial_plan", "middle_share", "mixture_plan", "token_needs"]

MIXES = ("optimised", "uniform", "original")


def initial_plan(languages: Sequence[str], *, primary_steps: int,
                 continued_steps: int) -> list[dict[str, Any]]:  # fmt: skip
    """Primary pre-training, one continued stage per other language, the scratch control."""
    if len(languages) < 2 or len(set(languages)) != len(languages):
        raise InputError(
            f"Babel Tower needs two or more distinct languages, got {list(languages)}",
            fix="give the primary language first, e.g. python,go,javascript",
        )
    if min(primary_steps, continued_steps) < 1:
        raise InputError("every stage needs at least one step", fix="pass positive step counts")
    primary, second = languages[0], languages[1]
    plan = [{"name": primary, "mixture": {primary: 1.0}, "steps": primary_steps, "init": None,
             "probe": False}]  # fmt: skip
    plan += [{"name": f"{primary}>{lang}", "mixture": {lang: 1.0}, "steps": continued_steps,
              "init": primary, "probe": True, "language": lang}
             for lang in languages[1:]]  # fmt: skip
    plan.append({"name": f"{second}-scratch", "mixture": {second: 1.0},
                 "steps": continued_steps, "init": None, "probe": False})  # fmt: skip
    return plan


def token_needs(stages: Mapping[str, Mapping[str, Any]], languages: Sequence[str], *,
                stable_fraction: float = 0.1) -> dict[str, int]:  # fmt: skip
    """Each language's token need: the primary's from its own stage, the others' from
    their continued stage (:func:`~steergraph.agents.babel.stages.stabilisation_tokens`)."""
    primary = languages[0]
    needs = {primary: stabilisation_tokens(stages[primary]["curve"], primary,
                                           stable_fraction=stable_fraction)}  # fmt: skip
    for lang in languages[1:]:
        needs[lang] = stabilisation_tokens(stages[f"{primary}>{lang}"]["curve"], lang,
                                           stable_fraction=stable_fraction)  # fmt: skip
    return needs


def mixture_plan(needs: Mapping[str, int], train_tokens: Mapping[str, int],
                 steps: int) -> list[dict[str, Any]]:  # fmt: skip
    """Three from-scratch stages at one budget: optimised, uniform, original mixture."""
    mixtures = {"optimised": optimised_mixture(needs), "uniform": uniform_mixture(list(needs)),
                "original": original_mixture({k: train_tokens[k] for k in needs})}  # fmt: skip
    return [{"name": f"mix-{kind}", "mixture": mixtures[kind], "steps": steps, "init": None,
             "probe": False} for kind in MIXES]  # fmt: skip


def middle_share(shares: Sequence[float]) -> float:
    """Mean share over the middle third of the layers (embeddings and output excluded)."""
    inner = list(shares[1:-1]) or list(shares)
    lo, hi = len(inner) // 3, max(len(inner) // 3 + 1, 2 * len(inner) // 3)
    part = inner[lo:hi] or inner
    return round(sum(part) / len(part), 5)


def _mean_loss(stage: Mapping[str, Any]) -> float:
    loss = stage["curve"][-1]["loss"]
    return round(sum(loss.values()) / len(loss), 5)


def figures(stages: Mapping[str, Mapping[str, Any]], probes: Sequence[Mapping[str, Any]],
            languages: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    """The final JSON keys (and the per-checkpoint series behind them)."""
    primary, second = languages[0], languages[1]
    cont = stages[f"{primary}>{second}"]
    series = [p for p in probes if p["stage"] == f"{primary}>{second}"]
    series.sort(key=lambda p: p["tokens"])
    py = [p["middle"][primary] for p in series]
    l2 = [p["middle"][second] for p in series]
    out: dict[str, Any] = {
        "l2": second,
        "l2_loss_after_python": cont["curve"][-1]["loss"][second],
        "l2_loss_from_scratch": stages[f"{second}-scratch"]["curve"][-1]["loss"][second],
        "working_language_shift": round(py[0] - py[-1], 5) if py else None,
        "l2_working_share_start": l2[0] if l2 else None,
        "l2_working_share_end": l2[-1] if l2 else None,
        "l2_neurons_start": series[0]["neurons"][second] if series else None,
        "l2_neurons_end": series[-1]["neurons"][second] if series else None,
        "transferring_neurons_start": series[0]["transferring"][second] if series else None,
        "transferring_neurons_end": series[-1]["transferring"][second] if series else None,
        "stages_l2": stage_labels(py, l2, cont["curve"], second) if series else [],
    }
    for kind in MIXES:
        stage = stages.get(f"mix-{kind}")
        out[f"mixture_loss_{kind}"] = _mean_loss(stage) if stage else None
        out[f"mixture_{kind}"] = stage["mixture"] if stage else None
    if out["mixture_loss_optimised"] is not None:
        out["mixture_loss_ratio_vs_uniform"] = round(
            out["mixture_loss_optimised"] / out["mixture_loss_uniform"], 4)  # fmt: skip
    out["l2_loss_ratio_vs_scratch"] = round(out["l2_loss_after_python"]
                                            / out["l2_loss_from_scratch"], 4)  # fmt: skip
    return out
