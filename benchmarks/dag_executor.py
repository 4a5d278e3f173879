"""DAG executor benchmark: makespan vs critical path, overhead, speedup, LangGraph Send.

Random DAGs of 10, 100 and 1000 steps (each step reads 0-3 earlier steps), every
step a tool of known duration. Measured in one process:
  * makespan / critical-path length with 50 ms async tools (goal <= 1.05 at 100);
  * the same with 50 ms *sync* tools (threads) at 100 steps;
  * executor overhead per step: makespan of the 1000-step DAG with 0 ms tools / 1000;
  * speedup over sequential execution (the same executor, one step at a time);
  * the same DAGs run by plain LangGraph: a scheduler node ``Send``s every ready step,
    steps run in supersteps; also on a DAG with mixed 10-90 ms durations, where
    superstep barriers cost the most.

Run: ``python benchmarks/dag_executor.py [--quick]``. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import random
import sys
import time
from typing import Annotated, Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

from steergraph.bench.results import results_folder, run_recorded
from steergraph.tools.executor import ExecutorConfig, PlanExecutor
from steergraph.tools.plan import Plan, Step
from steergraph.tools.registry import ToolRegistry
from steergraph.tools.tool import Tool


def random_dag(n: int, seed: int) -> dict[str, list[str]]:
    """Step name -> parent step names (each step reads 0-3 earlier steps)."""
    rng = random.Random(seed)
    parents: dict[str, list[str]] = {}
    for i in range(n):
        k = min(i, rng.choice([0, 1, 1, 2, 2, 3]))
        parents[f"s{i}"] = [f"s{j}" for j in sorted(rng.sample(range(i), k))]
    return parents


def build(parents: dict[str, list[str]], durations: dict[str, float], sync: bool = False):
    """A registry with one tool per step (its own duration) and the plan over them."""
    reg = ToolRegistry()
    steps = {}
    for name, ups in parents.items():
        delay = durations[name]
        arity = max(len(ups), 1)

        if sync:

            def fn(*args: str, _d: float = delay) -> str:
                time.sleep(_d)
                return "x"

        else:

            async def fn(*args: str, _d: float = delay) -> str:
                if _d:
                    await asyncio.sleep(_d)
                return "x"

        reg.register(Tool(f"t_{name}", fn, ("text",) * arity, "text", kind="io", version="b"))
        steps[name] = Step(name, f"t_{name}", tuple(ups) if ups else ("input",))
    sinks = [n for n in parents if not any(n in ups for ups in parents.values())]
    return reg, Plan(steps, tuple(sinks), {"input": "text"})


def run_ours(reg: ToolRegistry, plan: Plan, concurrency: int = 100_000) -> float:
    executor = PlanExecutor(reg, ExecutorConfig(max_concurrency=concurrency, retries=0))
    result = executor.run_sync(plan, {"input": "x"})
    assert result.ok, result.summary()
    return result.makespan_s


class State(TypedDict):
    done: Annotated[list[str], operator.add]
    started: Annotated[list[str], operator.add]


class Task(TypedDict):
    name: str


def run_langgraph(parents: dict[str, list[str]], durations: dict[str, float]) -> float:
    """The DAG as plain LangGraph: a scheduler fans ready steps out with Send."""

    def schedule(state: State) -> dict[str, Any]:
        return {}

    def fan_out(state: State) -> list[Send] | str:
        done, started = set(state["done"]), set(state["started"])
        if len(done) == len(parents):
            return END
        ready = [
            n for n, ups in parents.items() if n not in started and all(u in done for u in ups)
        ]
        return [Send("run", {"name": n}) for n in ready]

    async def run(task: Task) -> dict[str, Any]:
        if durations[task["name"]]:
            await asyncio.sleep(durations[task["name"]])
        return {"done": [task["name"]], "started": [task["name"]]}

    graph = StateGraph(State)
    graph.add_node("schedule", schedule)
    graph.add_node("run", run)
    graph.add_edge(START, "schedule")
    graph.add_conditional_edges("schedule", fan_out, ["run", END])
    graph.add_edge("run", "schedule")
    app = graph.compile()
    start = time.perf_counter()
    asyncio.run(
        app.ainvoke({"done": [], "started": []}, {"recursion_limit": 4 * len(parents) + 10})
    )
    return time.perf_counter() - start


def critical_path(parents: dict[str, list[str]], durations: dict[str, float]) -> float:
    finish: dict[str, float] = {}
    for name, ups in parents.items():  # names are in topological order
        finish[name] = max((finish[u] for u in ups), default=0.0) + durations[name]
    return max(finish.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    figures: dict[str, Any] = {}
    print(
        f"{'steps':>6} {'critical path':>14} {'ours':>9} {'ours/CP':>8} {'LangGraph':>10} "
        f"{'LG/CP':>7} {'sequential':>11} {'speedup':>8}"
    )
    for n in (10, 100, 1000):
        parents = random_dag(n, seed=n)
        uniform = {name: 0.05 for name in parents}
        reg, plan = build(parents, uniform)
        cp = critical_path(parents, uniform)
        ours = min(run_ours(reg, plan) for _ in range(repeats))
        lg = min(run_langgraph(parents, uniform) for _ in range(repeats))
        seq = run_ours(reg, plan, concurrency=1) if n <= 100 else n * 0.05
        print(
            f"{n:>6} {cp:>13.3f}s {ours:>8.3f}s {ours / cp:>8.3f} {lg:>9.3f}s {lg / cp:>7.3f} "
            f"{seq:>10.3f}s {seq / ours:>8.1f}x"
        )
        figures[f"makespan_over_critical_path_{n}"] = round(ours / cp, 4)
        figures[f"langgraph_send_makespan_over_critical_path_{n}"] = round(lg / cp, 4)
        if n <= 100:
            figures[f"speedup_vs_sequential_{n}"] = round(seq / ours, 2)
    parents = random_dag(100, seed=100)
    uniform = {name: 0.05 for name in parents}
    reg, plan = build(parents, uniform, sync=True)
    threads = min(run_ours(reg, plan) for _ in range(repeats))
    figures["threads_makespan_over_critical_path_100"] = round(
        threads / critical_path(parents, uniform), 4
    )
    rng = random.Random(7)
    mixed = {name: rng.uniform(0.01, 0.09) for name in parents}
    reg, plan = build(parents, mixed)
    cp_mixed = critical_path(parents, mixed)
    ours_mixed = min(run_ours(reg, plan) for _ in range(repeats))
    lg_mixed = min(run_langgraph(parents, mixed) for _ in range(repeats))
    figures["mixed_makespan_over_critical_path_100"] = round(ours_mixed / cp_mixed, 4)
    figures["langgraph_send_mixed_makespan_over_critical_path_100"] = round(lg_mixed / cp_mixed, 4)
    parents = random_dag(1000, seed=1000)
    zero = {name: 0.0 for name in parents}
    reg, plan = build(parents, zero)
    overhead = min(run_ours(reg, plan) for _ in range(repeats)) / 1000
    lg_overhead = min(run_langgraph(parents, zero) for _ in range(repeats)) / 1000
    figures["overhead_ms_per_node_1000"] = round(overhead * 1000, 4)
    figures["langgraph_send_overhead_ms_per_node_1000"] = round(lg_overhead * 1000, 4)
    print(
        f"50 ms sync tools in threads, 100 steps: makespan/CP "
        f"{figures['threads_makespan_over_critical_path_100']:.3f}"
    )
    print(
        f"mixed 10-90 ms, 100 steps: ours/CP {ours_mixed / cp_mixed:.3f}, "
        f"LangGraph Send/CP {lg_mixed / cp_mixed:.3f}"
    )
    print(
        f"overhead per step (1000 steps, 0 ms tools): ours {overhead * 1000:.3f} ms, "
        f"LangGraph Send {lg_overhead * 1000:.3f} ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    run_recorded("dag_executor", main, sys.argv[1:], results_folder(__file__), default_model="none")
