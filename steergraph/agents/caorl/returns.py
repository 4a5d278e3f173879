"""CAORL's rewards and returns-to-go over plan lines (OpenCATP-LLM's offline RL signal).

A plan is an episode of lines: one step per tool call, then the ``return`` line. The
reward of a step is the price it adds, ``-(1 - a) * 0.5 * price / max_price``; the
return line's reward is ``a * score - (1 - a) * 0.5 * latency / max_latency``, so with
``gamma = 1`` the return-to-go of the first line is the plan's quality of plan, ``a *
score - (1 - a) * cost`` with OpenCATP's cost (half price, half latency). An invalid
plan's return is -2 (OpenCATP's score -2 at cost 2, for every ``a``).
``cost_terms=False`` (the ablation) drops the prices and latency: the return is the
score alone (-1 when invalid).

The scale is known before any plan runs: ``max_price`` and ``max_latency`` are the sums
of the ``max_steps`` largest tool prices and wall times at the task's input size
(:func:`cost_scale`), so the planner can update its return-to-go while it writes, with
exactly the numbers its training rows were built from. (The benchmark's QoP normalises
by the task's plan space instead, which needs the plan space searched; the two differ
by a positive factor per task.)

Written by hand: TRL and decision-transformer code in transformers work on token or
state sequences, not on tool plans with a price per line.

Example:
    >>> from steergraph.tools.registry import default_registry
    >>> reg = default_registry()
    >>> spec = ReturnSpec(a=0.5)
    >>> r = step_rewards(["count_words"], 1.0, True, reg, 2000, spec)
    >>> len(r), round(sum(r), 6) == round(plan_return(["count_words"], 1.0, True, reg, 2000,
    ...                                                    spec), 6)
    (2, True)
    >>> returns_to_go([0.1, 0.2, 0.3], gamma=1.0)
    [0.6, 0.5, 0.3]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steergraph.errors import InputError

__all__ = [
    "INVALID_RETURN",
    "ReturnSpec",
    "cost_scale",
    "plan_return",
    "returns_to_go",
    "step_rewards",
]

#: OpenCATP's quality of an invalid plan: score -2 at cost 2, whatever ``a`` is
INVALID_RETURN = -2.0


@dataclass(frozen=True)
class ReturnSpec:
    """How returns are computed: score weight ``a``, discount ``gamma``, cost terms on/off,
    and the number of steps the cost scale allows for."""

    a: float = 0.5
    gamma: float = 1.0
    cost_terms: bool = True
    max_steps: int = 6

    def __post_init__(self) -> None:
        if not 0.0 <= self.a <= 1.0:
            raise InputError(f"a={self.a} is outside [0, 1]", fix="pass a score weight in [0, 1]")
        if not 0.0 < self.gamma <= 1.0:
            raise InputError(f"gamma={self.gamma} is outside (0, 1]", fix="use e.g. 1.0 or 0.9")
        if self.max_steps < 1:
            raise InputError(f"max_steps={self.max_steps}", fix="allow at least one step")


def cost_scale(registry: Any, size: int, max_steps: int) -> tuple[float, float]:
    """(max price, max latency): the ``max_steps`` largest prices and walls at ``size``."""
    prices = sorted((t.price_at(size) for t in registry), reverse=True)[:max_steps]
    walls = sorted((t.wall_at(size) for t in registry), reverse=True)[:max_steps]
    return sum(prices) or 1.0, sum(walls) or 1.0


def _latency(
    tools: Sequence[str], registry: Any, size: int, deps: Sequence[Sequence[int]]
) -> float:
    finish: list[float] = []
    for i, tool in enumerate(tools):
        start = max((finish[j] for j in deps[i]), default=0.0)
        finish.append(start + registry.get(tool).wall_at(size))
    return max(finish, default=0.0)


def step_rewards(
    tools: Sequence[str],
    score: float,
    valid: bool,
    registry: Any,
    size: int,
    spec: ReturnSpec,
    deps: Sequence[Sequence[int]] | None = None,
) -> list[float]:
    """One reward per step (``tools`` in plan order) and one for the return line.

    ``deps[i]``: indices of the earlier steps step ``i`` reads (for the latency's
    critical path); None treats the steps as one chain.
    """
    n = len(tools)
    if not spec.cost_terms:
        return [0.0] * n + [score if valid else -1.0]
    max_price, max_latency = cost_scale(registry, size, spec.max_steps)
    rewards = [-(1 - spec.a) * 0.5 * registry.get(t).price_at(size) / max_price for t in tools]
    if not valid:
        return [*rewards, INVALID_RETURN - sum(rewards)]
    chain = deps if deps is not None else [[i - 1] if i else [] for i in range(n)]
    latency = _latency(tools, registry, size, chain)
    return [*rewards, spec.a * score - (1 - spec.a) * 0.5 * latency / max_latency]


def returns_to_go(rewards: Sequence[float], gamma: float = 1.0) -> list[float]:
    """``R_t = r_t + gamma * R_{t+1}`` for every line."""
    out: list[float] = []
    acc = 0.0
    for r in reversed(rewards):
        acc = r + gamma * acc
        out.append(acc)
    return [round(x, 10) for x in reversed(out)]


def plan_return(
    tools: Sequence[str],
    score: float,
    valid: bool,
    registry: Any,
    size: int,
    spec: ReturnSpec,
    deps: Sequence[Sequence[int]] | None = None,
) -> float:
    """The return-to-go of a plan's first line."""
    rewards = step_rewards(tools, score, valid, registry, size, spec, deps)
    return returns_to_go(rewards, spec.gamma)[0]
