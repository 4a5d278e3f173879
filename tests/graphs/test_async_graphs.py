"""``ainvoke`` of a graph never blocks the caller's event loop; two runs overlap on one loop.

LangGraph runs a sync node in a worker thread under ``ainvoke``; this holds the project's
graphs to it with a real CATP run whose execute node takes about 0.4 s (two chained
tools that sleep), measured by a heartbeat on the loop.
"""

from __future__ import annotations

import asyncio
import time

from langgraph.checkpoint.memory import InMemorySaver

from steergraph.graphs.catp import CATPContext, build_catp_graph
from steergraph.testing import ScriptedChatModel
from steergraph.tools.registry import ToolRegistry
from tests.tools import helpers

TASK = {"description": "Pass the text on.", "inputs": {"doc": "text"}, "outputs": ["text"]}
PLAN = "a = sleep_text(doc)\nb = sleep_again(a)\nreturn b"


async def _run(thread: str) -> dict:
    registry = ToolRegistry()
    registry.register(helpers.sleep_text)
    registry.register(helpers.sleep_text, name="sleep_again")
    context = CATPContext(
        model=ScriptedChatModel(responses=[PLAN], cycle=True), registry=registry, constrained=False
    )
    graph = build_catp_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": thread}}
    return await graph.ainvoke({"task": TASK, "inputs": {"doc": "x"}}, config, context=context)


async def _with_heartbeat(work) -> tuple[list, float, float]:
    gaps: list[float] = []
    done = asyncio.Event()

    async def beat() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(beat())
    start = time.perf_counter()
    results = await work
    wall = time.perf_counter() - start
    done.set()
    await ticker
    return results, wall, max(gaps)


def test_two_graph_runs_overlap_and_the_loop_keeps_running():
    async def main():
        (alone,), wall_alone, _ = await _with_heartbeat(asyncio.gather(_run("warm")))
        outs, wall_both, gap = await _with_heartbeat(asyncio.gather(_run("a"), _run("b")))
        return alone, wall_alone, outs, wall_both, gap

    alone, wall_alone, outs, wall_both, gap = asyncio.run(main())
    assert alone["status"] == "done" and all(o["outputs"] == {"b": "x"} for o in outs)
    assert wall_alone >= 0.4  # the two sleeping tools ran
    assert wall_both < 1.5 * wall_alone  # serialised runs would take twice as long
    assert gap < 0.2  # the loop never waited for a 0.4 s node
