"""The CATP benchmark's fault run: the CATP graph under injected raises and hangs.

Each task runs through :func:`~steergraph.graphs.catp.build_catp_graph` with the
cost-aware LLM planner (no budget, so a replan that avoids a failed tool can still
pick a pricier one), an executor that retries each call twice with backoff, a
per-tool timeout of ``0.2 s + 4 x`` the tool's profiled wall time at the task's size,
and a :class:`~steergraph.tools.faults.FaultInjector` seeded per task. Injected
faults are counted exactly by replaying the injector's decisions for every attempt
the executor recorded.

Example:
    >>> stable_seed("summary-L1") == stable_seed("summary-L1")
    True
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from tqdm.auto import tqdm

from steergraph.data.catp.tasks import CATPTask
from steergraph.graphs.catp import CATPContext, build_catp_graph
from steergraph.tools.executor import ExecutorConfig
from steergraph.tools.faults import FaultInjector
from steergraph.tools.types import encode_value

__all__ = ["run_with_faults", "stable_seed"]


def stable_seed(text: str) -> int:
    """A 31-bit seed from ``text`` that does not change between processes."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") >> 1


def _context(task: CATPTask, llm: Any, registry: Any, cfg: Any, planner: Any) -> CATPContext:
    timeouts = {t.name: 0.2 + 4.0 * t.wall_at(task.size, default=1.0) for t in registry}
    faults = FaultInjector(cfg.raise_rate, cfg.hang_rate, seed=stable_seed(task.id) ^ cfg.seed)
    executor = ExecutorConfig(
        timeout_s=30.0, retries=2, backoff_s=0.01, faults=faults, timeouts=timeouts
    )
    return CATPContext(
        model=llm,
        registry=registry,
        cost_aware=True,
        executor=executor,
        max_replans=2,
        planner=planner,
    )


def run_with_faults(
    tasks: list[CATPTask],
    llm: Any,
    registry: Any,
    cfg: Any,
    *,
    planner: Any = None,
) -> dict[str, Any]:
    """Run every task through the graph with faults; completion rate and failure counts."""
    graph = build_catp_graph()
    totals = {"raises": 0, "hangs": 0, "calls": 0, "failed_steps": 0, "replans": 0}
    completed, per_task = 0, []
    t0 = time.perf_counter()
    for task in tqdm(tasks, desc="faults: graph with retries and replanning", unit="task"):
        ctx = _context(task, llm, registry, cfg, planner)
        faults = ctx.executor.faults
        assert faults is not None
        start = {
            "task": {
                "description": task.description,
                "inputs": dict(task.inputs),
                "outputs": list(task.outputs),
                "input_size": task.size,
            },
            "inputs": {k: encode_value(v) for k, v in task.values.items()},
        }
        status, replans = "failed", 0
        for update in graph.stream(start, context=ctx, stream_mode="updates"):
            for node, change in update.items():
                if node == "execute":
                    for rec in change.get("records", []):
                        totals["calls"] += rec["attempts"]
                        fates = [
                            faults.decide(f"{rec['name']}:{rec['tool']}", k)
                            for k in range(rec["attempts"])
                        ]
                        totals["raises"] += fates.count("raise")
                        totals["hangs"] += fates.count("hang")
                        totals["failed_steps"] += rec["status"] in ("failed", "timeout")
                if node in ("plan", "validate", "execute") and change.get("replans"):
                    replans = change["replans"]
                if node == "answer":
                    status = change["status"]
        totals["replans"] += replans
        completed += status == "done"
        per_task.append({"task_id": task.id, "status": status, "replans": replans})
    return {
        "tasks": len(tasks),
        "completed": completed,
        "completed_with_faults": completed / len(tasks) if tasks else float("nan"),
        "injected_raises": totals["raises"],
        "injected_hangs": totals["hangs"],
        "tool_calls": totals["calls"],
        "steps_failed_after_retries": totals["failed_steps"],
        "replans": totals["replans"],
        "seconds": time.perf_counter() - t0,
        "per_task": per_task,
    }
