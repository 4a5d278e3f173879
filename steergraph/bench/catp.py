"""The offline OpenCATP benchmark: four planners side by side on the CATP task suite.

For every task of :mod:`steergraph.data.catp.tasks` (14 families x 4 input sizes,
real text and tables) the benchmark

1. searches the plan space exhaustively (:class:`~steergraph.bench.catp_oracle.PlanSpace`,
   in worker processes): every candidate's real score, estimated price and latency;
   the best by QoP (a = 0.5) is the **oracle** plan; the plan space also fixes the
   task's cost normalisation (its largest price and latency) and the budget given to
   the cost-aware planner (1.25 x the price of the cheapest best-scoring plan);
2. asks the **random** planner, the **cost-unaware** LLM planner and the
   **cost-aware** LLM planner for a plan, and executes each plan (oracle included)
   for real with the concurrent executor: score against the gold output, measured
   price (wall time x memory tier + fee per call), latency (critical path of the
   measured walls) and makespan;
3. runs the cost-aware planner through the CATP graph with injected faults (20% of
   calls raise, 5% hang past their timeout, seeded per task): retries and replanning
   must still complete the tasks; every failure is counted;
4. writes the **plan pool** (every enumerated and every executed plan with its score
   and per-node costs) as a ``datasets`` dataset for offline RL, a JSON report and a
   score-vs-price plot.

QoP follows OpenCATP: ``a * score - (1 - a) * cost`` with ``cost = 0.5 * price /
max_price + 0.5 * latency / max_latency``; an invalid plan (none produced, or it
failed when run) scores -2 at cost 2. Price and latency in the QoP are the ones a
planner can know before running, from the tools' measured cost profiles at the task's
input size (price summed over steps, latency along the critical path), normalised by
the largest in the task's plan space: the same yardstick for every planner and the
oracle, unmoved by machine noise. The measured price (wall time x memory tier + fee
per call), latency (critical path of measured walls) and makespan of each run are
reported beside it.

Example:
    >>> cfg = BenchConfig.quick_config()
    >>> cfg.levels, cfg.oracle_size
    ((2,), 4)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from steergraph.agents.catp.outcome import Outcome, execute_plan, plan_and_run
from steergraph.agents.catp.plan_search import RandomPlanner
from steergraph.agents.catp.planner import Planner
from steergraph.bench.catp_faults import run_with_faults, stable_seed
from steergraph.bench.catp_oracle import PlanSpace, normalized_cost, qop
from steergraph.data.catp.tasks import CATPTask, build_tasks
from steergraph.tools.plan_parser import parse_plan
from steergraph.tools.registry import ToolRegistry, default_registry

__all__ = [
    "PLANNERS",
    "BenchConfig",
    "Outcome",
    "execute_plan",
    "plan_and_run",
    "price_reduction",
    "run_catp_bench",
    "summarize",
]

PLANNERS = ("random", "cost_unaware", "cost_aware", "oracle")
QOP_A = (0.3, 0.5, 0.7)


@dataclass(frozen=True)
class BenchConfig:
    """What to run; :meth:`quick_config` is the few-minutes variant."""

    model: str = "local"
    levels: tuple[int, ...] = (1, 2, 3, 4)
    families: tuple[str, ...] = ()
    oracle_size: int = 5
    workers: int = 2
    faults: bool = True
    raise_rate: float = 0.2
    hang_rate: float = 0.05
    seed: int = 0
    out: Path = Path("catp-bench")

    @classmethod
    def quick_config(cls, **overrides: Any) -> BenchConfig:
        return replace(cls(levels=(2,), oracle_size=4), **overrides)


# ------------------------------------------------------------------ the oracle
_WORKER_REGISTRY: ToolRegistry | None = None


def _worker_registry() -> ToolRegistry:
    global _WORKER_REGISTRY
    if _WORKER_REGISTRY is None:
        _WORKER_REGISTRY = default_registry()
        _WORKER_REGISTRY.profile(progress=False)
    return _WORKER_REGISTRY


def oracle_job(task_id: str, oracle_size: int) -> dict[str, Any]:
    """Search one task's plan space (run in a worker): oracle plan, norms, budget, pool rows."""
    family, level = task_id.rsplit("-L", 1)
    task = build_tasks(levels=(int(level),), families=(family,))[0]
    registry = _worker_registry()
    t0 = time.perf_counter()
    space = PlanSpace(task, registry, max_size=oracle_size)
    cands = list(space.candidates())
    norm = space.cost_bounds()
    best = max(
        cands,
        key=lambda c: (qop(c.score, normalized_cost(c.price, c.latency_s, norm), 0.5), -c.price),
    )
    top = max(c.score for c in cands)
    reference = min((c for c in cands if c.score >= top - 0.01), key=lambda c: c.price)
    rows = []
    for c in cands:
        plan = c.plan(task.inputs)
        steps = [plan.steps[n] for n in plan.order()]
        rows.append(
            {
                "planner": "enumeration",
                "plan": plan.to_text(),
                "opencatp": json.dumps(plan.to_opencatp()),
                "valid": True,
                "measured": False,
                "score": c.score,
                "price": c.price,
                "latency_s": c.latency_s,
                "node_tools": [s.tool for s in steps],
                "node_wall_s": [space.wall[s.tool] for s in steps],
                "node_price": [space.price[s.tool] for s in steps],
            }
        )
    return {
        "task_id": task_id,
        "norm": norm,
        "oracle_plan": best.plan(task.inputs).to_text(),
        "oracle_estimate": {"score": best.score, "price": best.price, "latency": best.latency_s},
        "budget": 1.25 * reference.price,
        "candidates": len(cands),
        "tool_calls": space.tool_calls,
        "seconds": time.perf_counter() - t0,
        "rows": rows,
    }


def _search_all(tasks: list[CATPTask], cfg: BenchConfig) -> dict[str, dict[str, Any]]:
    ids = [t.id for t in tasks]
    results: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(ids), desc="oracle: plan spaces", unit="task")
    if cfg.workers <= 1:
        for task_id in ids:
            results[task_id] = oracle_job(task_id, cfg.oracle_size)
            bar.update()
    else:
        with ProcessPoolExecutor(cfg.workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(oracle_job, i, cfg.oracle_size) for i in ids]
            for fut in futures:
                res = fut.result()
                results[res["task_id"]] = res
                bar.update()
    bar.close()
    return results


# ------------------------------------------------------------------- summary
def summarize(
    outcomes: list[Outcome],
    norms: dict[str, dict[str, float]],
    planners: tuple[str, ...] = PLANNERS,
) -> dict[str, Any]:
    """Per planner: mean score (invalid = 0), price and latency of valid plans, QoP, rates."""
    table: dict[str, Any] = {}
    for name in planners:
        mine = [o for o in outcomes if o.planner == name]
        if not mine:
            continue
        valid = [o for o in mine if o.valid]

        def mean(xs: list[float]) -> float:
            return sum(xs) / len(xs) if xs else float("nan")

        table[name] = {
            "tasks": len(mine),
            "score": mean([o.score if o.valid else 0.0 for o in mine]),
            "price": mean([o.price for o in valid]),
            "est_price": mean([o.est_price for o in valid]),
            "latency_s": mean([o.latency_s for o in valid]),
            "makespan_s": mean([o.makespan_s for o in valid]),
            "plan_s": mean([o.plan_s for o in mine]),
            "invalid_plan_rate": 1.0 - len(valid) / len(mine),
            **{f"qop_{a}": mean([o.qop(norms[o.task_id], a) for o in mine]) for a in QOP_A},
        }
    return table


def price_reduction(
    outcomes: list[Outcome],
    attr: str = "price",
    planner: str = "cost_aware",
    baseline: str = "cost_unaware",
) -> float:
    """1 - price(planner) / price(baseline) over tasks where both plans were valid."""
    by = {(o.planner, o.task_id): o for o in outcomes}
    pairs = [
        (getattr(by[(planner, t)], attr), getattr(by[(baseline, t)], attr))
        for (p, t) in by
        if p == planner
        and (baseline, t) in by
        and by[(planner, t)].valid
        and by[(baseline, t)].valid
    ]
    if not pairs:
        return float("nan")
    return 1.0 - sum(a for a, _ in pairs) / sum(b for _, b in pairs)


def run_catp_bench(
    cfg: BenchConfig,
    *,
    log: Callable[[str], None] = print,
    model: Any = None,
    extra_planners: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the whole benchmark (see module docstring); returns the report.

    ``extra_planners`` (name -> planner, e.g. a trained CAORL planner) plan every task
    too, without a budget, and get their own rows."""
    from steergraph.bench.catp_report import write_outputs
    from steergraph.llm.loading import load_chat_model

    t_start = time.perf_counter()
    tasks = build_tasks(levels=cfg.levels, families=cfg.families)
    registry = default_registry()
    registry.profile(progress=False)
    log(f"{len(tasks)} tasks ({sum(t.split == 'test' for t in tasks)} test), {len(registry)} tools")
    spaces = _search_all(tasks, cfg)
    norms = {k: v["norm"] for k, v in spaces.items()}
    llm = model if model is not None else load_chat_model(cfg.model)
    planners = {
        "cost_unaware": Planner(llm, registry, cost_aware=False),
        "cost_aware": Planner(llm, registry, cost_aware=True),
    }
    outcomes: list[Outcome] = []
    for task in tqdm(tasks, desc="planners: plan and run", unit="task"):
        space = spaces[task.id]
        rand = RandomPlanner(registry, seed=stable_seed(task.id) ^ cfg.seed)
        for name, planner, budget in (
            ("random", rand, None),
            ("cost_unaware", planners["cost_unaware"], None),
            ("cost_aware", planners["cost_aware"], space["budget"]),
        ):
            outcomes.append(plan_and_run(name, planner, task, registry, budget))
        for name, extra in (extra_planners or {}).items():
            outcomes.append(plan_and_run(name, extra, task, registry, None))
        oracle = parse_plan(space["oracle_plan"], registry, task.inputs, outputs=task.outputs)
        outcomes.append(execute_plan("oracle", oracle, task, registry))
    faults = run_with_faults(tasks, llm, registry, cfg) if cfg.faults else {}
    table = summarize(outcomes, norms, (*PLANNERS[:-1], *(extra_planners or {}), PLANNERS[-1]))
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "tasks": len(tasks),
        "planners": table,
        "oracle_search": {
            "candidates_per_task": sum(s["candidates"] for s in spaces.values()) / len(spaces),
            "real_tool_calls_per_task": sum(s["tool_calls"] for s in spaces.values()) / len(spaces),
        },
        "price_reduction_cost_aware_vs_unaware": price_reduction(outcomes),
        "estimated_price_reduction_cost_aware_vs_unaware": price_reduction(outcomes, "est_price"),
        "norms": norms,
        "faults": faults,
        "seconds": time.perf_counter() - t_start,
    }
    report["files"] = write_outputs(cfg.out, tasks, spaces, outcomes, report, registry)
    return report


def final_line(report: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON summary the benchmark ends with."""
    table = report["planners"]
    return {
        "score": {k: round(v["score"], 4) for k, v in table.items()},
        "price": {k: v["price"] for k, v in table.items()},
        "latency_s": {k: round(v["latency_s"], 4) for k, v in table.items()},
        "qop_0.5": {k: round(v["qop_0.5"], 4) for k, v in table.items()},
        "invalid_plan_rate": {k: round(v["invalid_plan_rate"], 4) for k, v in table.items()},
        "est_price": {k: v["est_price"] for k, v in table.items()},
        "price_reduction_cost_aware_vs_unaware": round(
            report["price_reduction_cost_aware_vs_unaware"], 4
        ),
        "estimated_price_reduction_cost_aware_vs_unaware": round(
            report["estimated_price_reduction_cost_aware_vs_unaware"], 4
        ),
        "completed_with_faults": report["faults"].get("completed_with_faults"),
        "tasks": report["tasks"],
        "seconds": round(report["seconds"], 1),
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=float)
