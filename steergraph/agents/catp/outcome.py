"""Run a plan on a CATP task for real and score it: :class:`Outcome`, :func:`execute_plan`,
:func:`plan_and_run`, and OpenCATP's cost and quality-of-plan formulas.

Shared by the CATP benchmark, CAORL's graph and its ``plan`` command: one planner on one
task is asked for a plan, the plan runs on the task's real input through
:class:`~steergraph.tools.executor.PlanExecutor`, and its outputs are matched to the
task's output types and scored against the gold output.

Example:
    >>> from steergraph.agents.catp.plan_search import RandomPlanner
    >>> from steergraph.data.catp.tasks import build_tasks
    >>> from steergraph.tools.registry import default_registry
    >>> task = build_tasks(levels=(1,), families=("word-count",))[0]
    >>> reg = default_registry()
    >>> out = plan_and_run("random", RandomPlanner(reg, seed=0), task, reg, None)
    >>> out.task_id == task.id, 0.0 <= out.score <= 1.0
    (True, True)
    >>> qop(1.0, normalized_cost(1.0, 2.0, {"max_price": 2.0, "max_latency": 4.0}), 0.5)
    0.25
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from steergraph.agents.catp.planner import PlanTask, plan_price
from steergraph.data.catp.tasks import CATPTask, score_outputs
from steergraph.errors import PlanError
from steergraph.tools.executor import ExecutorConfig, PlanExecutor
from steergraph.tools.plan import Plan
from steergraph.tools.plan_mask import BudgetError

__all__ = ["Outcome", "execute_plan", "normalized_cost", "plan_and_run", "qop"]


def qop(score: float, cost: float, a: float) -> float:
    """OpenCATP's quality of plan: ``a * score - (1 - a) * normalized cost``."""
    return a * score - (1.0 - a) * cost


def normalized_cost(price: float, latency_s: float, norm: dict[str, float]) -> float:
    """OpenCATP's cost: half price, half latency, each over the task's largest."""
    return 0.5 * price / norm["max_price"] + 0.5 * latency_s / norm["max_latency"]


@dataclass
class Outcome:
    """One planner on one task: the plan, and what running it gave."""

    task_id: str
    planner: str
    valid: bool
    plan: str = ""
    error: str = ""
    score: float = 0.0
    price: float = 0.0
    latency_s: float = 0.0
    makespan_s: float = 0.0
    plan_s: float = 0.0
    llm_calls: int = 0
    node_tools: list[str] = field(default_factory=list)
    node_wall_s: list[float] = field(default_factory=list)
    node_price: list[float] = field(default_factory=list)
    est_price: float = 0.0
    est_latency_s: float = 0.0

    def cost(self, norm: dict[str, float]) -> float:
        """OpenCATP's normalised cost from the profile estimates (2 for an invalid plan)."""
        if not self.valid:
            return 2.0
        return normalized_cost(self.est_price, self.est_latency_s, norm)

    def qop(self, norm: dict[str, float], a: float) -> float:
        return qop(self.score if self.valid else -2.0, self.cost(norm), a)


def _ordered_values(plan: Plan, task: CATPTask, values: dict[str, Any], registry: Any) -> list:
    """Returned values matched to the task's output types, in the task's order."""
    kinds = {
        r: (registry.get(plan.steps[r].tool).output if r in plan.steps else task.inputs.get(r))
        for r in plan.returns
    }
    out, used = [], set()
    for kind in task.outputs:
        name = next((r for r in plan.returns if kinds[r] == kind and r not in used), None)
        used.add(name)
        out.append(values.get(name) if name else None)
    return out


def execute_plan(
    name: str, plan: Plan, task: CATPTask, registry: Any, plan_s: float = 0.0, calls: int = 0
) -> Outcome:
    """Run ``plan`` on the task's real input and score it."""
    with PlanExecutor(registry, ExecutorConfig(timeout_s=60.0, retries=0)) as ex:
        result = ex.run_sync(plan, task.values)
    recs = [result.records[n] for n in plan.order()]
    base = Outcome(
        task.id,
        name,
        result.ok,
        plan.to_text(),
        plan_s=plan_s,
        llm_calls=calls,
        node_tools=[r.tool for r in recs],
        node_wall_s=[r.wall_s or 0.0 for r in recs],
        node_price=[r.price for r in recs],
    )
    if not result.ok:
        base.error = "; ".join(f"{r.name}: {r.error}" for r in recs if r.error)
        return base
    base.est_price = plan_price(plan, registry, task.size)
    walls = {n: registry.get(st.tool).wall_at(task.size) for n, st in plan.steps.items()}
    base.est_latency_s = plan.critical_path(walls)[0]
    base.score = score_outputs(task, _ordered_values(plan, task, result.values, registry))
    base.price, base.latency_s, base.makespan_s = (
        result.price,
        result.critical_path_s(),
        result.makespan_s,
    )
    return base


def plan_and_run(
    name: str, planner: Any, task: CATPTask, registry: Any, budget: float | None
) -> Outcome:
    """Ask ``planner`` for a plan, then execute it; a planning failure is an invalid plan."""
    spec = PlanTask(task.description, dict(task.inputs), list(task.outputs), task.size, budget)
    t0 = time.perf_counter()
    try:
        result = planner.plan(spec)
    except (PlanError, BudgetError) as err:
        return Outcome(task.id, name, False, error=str(err), plan_s=time.perf_counter() - t0)
    plan_s = time.perf_counter() - t0
    if result.plan is None:
        error = result.errors[-1] if result.errors else "no plan"
        return Outcome(task.id, name, False, result.text, error, plan_s=plan_s)
    return execute_plan(name, result.plan, task, registry, plan_s, result.llm_calls)
