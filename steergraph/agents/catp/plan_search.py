"""Planners without an LLM: random valid plans, exhaustive enumeration, fixed plan lists.

* :class:`RandomPlanner` draws a valid plan by following OpenCATP's mask with random
  choices (the benchmark's floor).
* :func:`enumerate_expressions` lists every distinct way to compute each data type
  from the task inputs with at most ``max_size`` tool calls and no tool repeated
  (bottom-up, shared sub-expressions counted once); :func:`plan_from_expressions`
  turns one expression per required output into a plan. The benchmark's oracle
  evaluates all of them (memoized) and keeps the best.
* :class:`FixedPlanner` replays given plans, skipping those that use avoided tools.

All three return :class:`~steergraph.agents.catp.planner.PlannerResult`, so the CATP graph
takes any of them as ``CATPContext.planner``.

Example:
    >>> from steergraph.tools.registry import default_registry
    >>> exprs = enumerate_expressions(default_registry(), {"doc": "text"}, max_size=1)
    >>> sorted(e.text() for e in exprs["number"])
    ['count_words(doc)', 'estimate_words(doc)']
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from steergraph.agents.catp.planner import PlannerResult, PlanTask, plan_price
from steergraph.tools.plan import Plan, Step
from steergraph.tools.plan_mask import MaskState

__all__ = [
    "Expr",
    "FixedPlanner",
    "RandomPlanner",
    "enumerate_expressions",
    "plan_from_expressions",
]


@dataclass(frozen=True, eq=False)
class Expr:
    """``tool(args...)`` where each arg is a task input name or another expression.

    Expressions are interned by :func:`enumerate_expressions` (one object per distinct
    expression), so identity equality is exact and hashing stays O(1).
    """

    tool: str
    args: tuple[Any, ...]
    output: str

    @cached_property
    def calls(self) -> frozenset[Expr]:
        """The distinct sub-expressions (tool calls) this one needs, itself included."""
        out = {self}
        for arg in self.args:
            if isinstance(arg, Expr):
                out |= arg.calls
        return frozenset(out)

    @property
    def size(self) -> int:
        return len(self.calls)

    def tools(self) -> list[str]:
        return [e.tool for e in self.calls]

    def text(self) -> str:
        inner = ", ".join(a.text() if isinstance(a, Expr) else a for a in self.args)
        return f"{self.tool}({inner})"


def _no_repeats(calls: frozenset[Expr]) -> bool:
    tools = [e.tool for e in calls]
    return len(tools) == len(set(tools))


def _call(tool: Any, args: tuple[Any, ...], max_size: int) -> Expr | None:
    """``tool`` applied to ``args``, or None when that would exceed ``max_size`` calls or
    repeat a tool."""
    calls: set[Expr] = set()
    for arg in args:
        if isinstance(arg, Expr):
            calls |= arg.calls
    if len(calls) >= max_size or tool.name in {c.tool for c in calls}:
        return None
    if not _no_repeats(frozenset(calls)):
        return None
    return Expr(tool.name, tuple(args), tool.output)


def enumerate_expressions(
    registry: Any, inputs: Mapping[str, str], *, max_size: int = 4
) -> dict[str, list[Expr]]:
    """Every expression per output type with at most ``max_size`` distinct, non-repeated calls.

    Semi-naive bottom-up: each round combines only argument tuples holding at least one
    value that is new since the previous round, so no tuple is examined twice.
    """
    old: dict[str, list[Any]] = {}
    new: dict[str, list[Any]] = {}
    done: dict[str, list[Any]] = {}
    for name, kind in inputs.items():
        new.setdefault(kind, []).append(name)
    interned: dict[tuple[Any, ...], Expr] = {}
    tools = list(registry)
    while any(new.values()):
        fresh: dict[str, list[Any]] = {}
        for tool in tools:
            for i in range(len(tool.inputs)):
                pools = [
                    old.get(k, [])
                    if j < i
                    else (new.get(k, []) if j == i else old.get(k, []) + new.get(k, []))
                    for j, k in enumerate(tool.inputs)
                ]
                for args in itertools.product(*pools):
                    key = (tool.name, *map(id, args))
                    if key not in interned and (expr := _call(tool, args, max_size)):
                        interned[key] = expr
                        fresh.setdefault(tool.output, []).append(expr)
        for kind, vals in new.items():
            old.setdefault(kind, []).extend(vals)
            done.setdefault(kind, []).extend(vals)
        # a value already of max_size calls can never be an argument: keep it out of pools
        new = {k: [e for e in v if e.size < max_size] for k, v in fresh.items()}
        for kind, vals in fresh.items():
            done.setdefault(kind, []).extend(e for e in vals if e.size >= max_size)
    return {kind: [v for v in vals if isinstance(v, Expr)] for kind, vals in done.items()}


def plan_from_expressions(exprs: Sequence[Expr], inputs: Mapping[str, str]) -> Plan | None:
    """A plan returning ``exprs`` (shared calls become one step); None if a tool repeats."""
    calls: frozenset[Expr] = frozenset().union(*(e.calls for e in exprs))
    if not _no_repeats(calls):
        return None
    order = sorted(calls, key=lambda e: (e.size, e.text()))
    names = {expr: f"s{i + 1}" for i, expr in enumerate(order)}
    steps = {
        names[e]: Step(
            names[e], e.tool, tuple(names[a] if isinstance(a, Expr) else a for a in e.args)
        )
        for e in order
    }
    return Plan(steps, tuple(names[e] for e in exprs), dict(inputs))


class RandomPlanner:
    """Valid plans drawn at random under OpenCATP's mask (seeded)."""

    def __init__(self, registry: Any, *, seed: int = 0, max_steps: int = 6, p_stop: float = 0.5):
        self.registry = registry
        self.rng = random.Random(seed)
        self.max_steps = max_steps
        self.p_stop = p_stop

    def plan(
        self, task: PlanTask, *, observations: Sequence[str] = (), avoid_tools: Sequence[str] = ()
    ) -> PlannerResult:
        registry = self.registry
        if avoid_tools:
            registry = registry.subset([n for n in registry.names() if n not in avoid_tools])
        state = MaskState(
            registry, task.inputs, task.outputs, task.input_size, None, self.max_steps
        )
        state.check_feasible()
        steps: dict[str, Step] = {}
        while not (
            state.can_return() and (self.rng.random() < self.p_stop or not state.allowed_tools())
        ):
            tool = registry.get(self.rng.choice(state.allowed_tools()))
            args = tuple(
                self.rng.choice([n for n, k in state.values.items() if k == kind])
                for kind in tool.inputs
            )
            name = f"s{len(steps) + 1}"
            steps[name] = Step(name, tool.name, args)
            state.add(name, tool.name)
        produced = [n for n in steps]
        returns = []
        for kind in task.outputs:
            options = [n for n in produced if state.values[n] == kind and n not in returns]
            returns.append(self.rng.choice(options))
        plan = Plan(steps, tuple(returns), dict(task.inputs))
        dead = plan.unused_steps()
        plan = plan.pruned()
        return PlannerResult(
            plan, plan.to_text(), "random", 0, [], plan_price(plan, registry, task.input_size), dead
        )


class FixedPlanner:
    """Replays ``plans`` in order, skipping any that uses an avoided tool."""

    def __init__(self, plans: Sequence[Plan], registry: Any) -> None:
        self.plans = list(plans)
        self.registry = registry

    def plan(
        self, task: PlanTask, *, observations: Sequence[str] = (), avoid_tools: Sequence[str] = ()
    ) -> PlannerResult:
        for plan in self.plans:
            if not set(plan.tools()) & set(avoid_tools):
                cost = plan_price(plan, self.registry, task.input_size)
                return PlannerResult(plan, plan.to_text(), "fixed", 0, [], cost)
        return PlannerResult(None, "", "fixed", 0, ["every candidate plan uses an avoided tool"])
