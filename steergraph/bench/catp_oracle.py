"""The exhaustive oracle of the CATP benchmark: every plan up to a size, scored for real.

For a task, :class:`PlanSpace` enumerates every expression computing each required
output with at most ``max_size`` tool calls (no tool repeated,
:func:`~steergraph.agents.catp.plan_search.enumerate_expressions`), runs each one on the
task's real input and scores it against the gold output. Evaluation is memoized by
*value*: a tool applied to arguments equal to ones already seen is not run again, so
the thousands of expressions of a text task cost a few hundred real tool calls.
Price and latency of a candidate come from the tools' measured cost profiles at the
task's input size (price: sum over calls; latency: the longest path), exactly as a
planner estimates them, so the oracle is the best plan a planner could have chosen.

Single-output tasks are searched exhaustively. For two-output tasks the pairs of the
``pair_width`` best candidates per output (by standalone QoP) are combined, shared
calls counted once; this keeps the search quadratic in a small number, and is stated
in the benchmark's report.

Example:
    >>> from steergraph.data.catp.tasks import build_tasks
    >>> from steergraph.tools.registry import default_registry
    >>> task = build_tasks(levels=(1,), families=("word-count",))[0]
    >>> space = PlanSpace(task, default_registry(), max_size=2)
    >>> best = max(space.candidates(), key=lambda c: c.score)
    >>> best.score
    1.0
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from steergraph.agents.catp.outcome import normalized_cost, qop
from steergraph.agents.catp.plan_search import Expr, enumerate_expressions, plan_from_expressions
from steergraph.data.catp.tasks import CATPTask, score_value
from steergraph.tools.plan import Plan
from steergraph.tools.types import Table

__all__ = ["Candidate", "PlanSpace", "normalized_cost", "qop"]

_FAILED = object()


@dataclass
class Candidate:
    """One plan of the space with its real score and estimated price and latency."""

    exprs: tuple[Expr, ...]
    score: float
    price: float
    latency_s: float

    @property
    def calls(self) -> frozenset[Expr]:
        return frozenset().union(*(e.calls for e in self.exprs))

    def plan(self, inputs: dict[str, str]) -> Plan:
        plan = plan_from_expressions(self.exprs, inputs)
        assert plan is not None  # candidates never repeat a tool
        return plan


def _value_key(value: Any) -> Any:
    if isinstance(value, Table):
        return ("table", tuple(value.columns), tuple(tuple(r) for r in value.rows))
    if isinstance(value, list):
        return ("list", tuple(value))
    return (type(value).__name__, value)


class PlanSpace:
    """Every plan of ``task`` up to ``max_size`` calls, evaluated (see module docstring)."""

    def __init__(
        self, task: CATPTask, registry: Any, *, max_size: int = 5, pair_width: int = 40
    ) -> None:
        self.task = task
        self.registry = registry
        self.max_size = max_size
        self.pair_width = pair_width
        self.exprs = enumerate_expressions(registry, task.inputs, max_size=max_size)
        self._values: dict[int, Any] = {}  # id(expr) -> value
        self._keys: dict[int, Any] = {}  # id(value) -> canonical key
        self._memo: dict[tuple[Any, ...], Any] = {}  # (tool, arg keys) -> value
        self._lat: dict[int, float] = {}
        self._single_cache: dict[int, list[tuple[Expr, float]]] = {}
        self.tool_calls = 0
        self.wall = {t.name: t.wall_at(task.size) for t in registry}
        self.price = {t.name: t.price_at(task.size) for t in registry}

    # ------------------------------------------------------------ evaluation
    def _key(self, value: Any) -> Any:
        key = self._keys.get(id(value))
        if key is None:
            key = self._keys[id(value)] = _value_key(value)
        return key

    def value(self, expr: Expr) -> Any:
        """The value ``expr`` computes on the task input (memoized by argument values)."""
        if id(expr) in self._values:
            return self._values[id(expr)]
        args = [self.value(a) if isinstance(a, Expr) else self.task.values[a] for a in expr.args]
        if any(a is _FAILED for a in args):
            result = _FAILED
        else:
            memo_key = (expr.tool, *(self._key(a) for a in args))
            result = self._memo.get(memo_key, None)
            if memo_key not in self._memo:
                try:
                    result = self.registry.get(expr.tool).call(*args)
                except Exception:  # an ill-typed composition: not a plan the oracle keeps
                    result = _FAILED
                self.tool_calls += 1
                self._memo[memo_key] = result
        self._values[id(expr)] = result
        return result

    def latency(self, expr: Expr) -> float:
        """Estimated critical path of ``expr`` (profile wall times at the task size)."""
        if id(expr) not in self._lat:
            upstream = [self.latency(a) for a in expr.args if isinstance(a, Expr)]
            self._lat[id(expr)] = self.wall[expr.tool] + max(upstream, default=0.0)
        return self._lat[id(expr)]

    def _candidate(self, exprs: tuple[Expr, ...], scores: list[float]) -> Candidate:
        calls = frozenset().union(*(e.calls for e in exprs))
        return Candidate(
            exprs,
            sum(scores) / len(scores),
            sum(self.price[c.tool] for c in calls),
            max(self.latency(e) for e in exprs),
        )

    def _singles(self, i: int, kind: str) -> list[tuple[Expr, float]]:
        if i in self._single_cache:
            return self._single_cache[i]
        gold = self.task.gold[i]
        out = []
        for expr in self.exprs.get(kind, []):
            value = self.value(expr)
            if value is not _FAILED:
                out.append((expr, score_value(kind, value, gold)))
        self._single_cache[i] = out
        return out

    def cost_bounds(self) -> dict[str, float]:
        """(largest price, largest latency) of any plan in the space, for QoP normalisation.

        Over every expression of each output, not only the pairs :meth:`candidates`
        keeps: prices add up across outputs (an upper bound for a pair), latency is the
        longest single path.
        """
        prices, latency = 0.0, 0.0
        for i, kind in enumerate(self.task.outputs):
            singles = self._singles(i, kind)
            prices += max(self.expr_price(e) for e, _ in singles)
            latency = max(latency, max(self.latency(e) for e, _ in singles))
        return {"max_price": prices, "max_latency": latency}

    def expr_price(self, expr: Expr) -> float:
        """Estimated price of the calls ``expr`` needs."""
        return sum(self.price[c.tool] for c in expr.calls)

    def candidates(self) -> Iterator[Candidate]:
        """Every candidate plan (exhaustive for one output, best pairs for two)."""
        per_output = [self._singles(i, kind) for i, kind in enumerate(self.task.outputs)]
        if len(per_output) == 1:
            for expr, score in per_output[0]:
                yield self._candidate((expr,), [score])
            return
        norm = self.cost_bounds()

        def single_qop(es: tuple[Expr, float]) -> float:
            cost = normalized_cost(self.expr_price(es[0]), self.latency(es[0]), norm)
            return qop(es[1], cost, 0.5)

        pools = []
        for singles in per_output:
            ranked = sorted(singles, key=single_qop, reverse=True)
            pools.append(ranked[: self.pair_width])
        for e1, s1 in pools[0]:
            for e2, s2 in pools[1]:
                calls = e1.calls | e2.calls
                if len({c.tool for c in calls}) == len(calls) and len(calls) <= self.max_size + 1:
                    yield self._candidate((e1, e2), [s1, s2])
