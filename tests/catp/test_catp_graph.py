"""The CATP graph with scripted and tiny models: replanning, approval, budgets, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore
from langgraph.types import Command

from steergraph.graphs.catp import CATPContext, build_catp_graph
from steergraph.testing import ScriptedChatModel
from steergraph.tools.executor import ExecutorConfig
from steergraph.tools.registry import ToolRegistry, default_registry
from tests.tools import helpers

TASK = {"description": "Summarize the text.", "inputs": {"doc": "text"}, "outputs": ["text"]}
DOC = "First sentence here. Second one follows. Third is last. Fourth is extra."


def run(llm, *, registry=None, approval=False, thread="t", graph=None, **ctx):
    graph = graph or build_catp_graph(checkpointer=InMemorySaver(), store=InMemoryStore())
    context = CATPContext(
        model=llm,
        registry=registry or default_registry(),
        constrained=False,
        require_approval=approval,
        **ctx,
    )
    config = {"configurable": {"thread_id": thread}}
    out = graph.invoke({"task": TASK, "inputs": {"doc": DOC}}, config, context=context)
    return graph, config, context, out


def test_an_invalid_plan_is_replanned_with_the_error_as_observation():
    llm = ScriptedChatModel(
        responses=["s = summarize_rank(nope)\nreturn s"] * 3 + ["s = summarize_lead(doc)\nreturn s"]
    )
    _, _, _, out = run(llm, max_replans=2)
    assert out["status"] == "done"
    assert out["outputs"] == {"s": "First sentence here. Second one follows. Third is last."}
    assert any("'nope' is not a task input" in o for o in out["observations"])
    assert out["planner_calls"] == 4  # 3 repairs inside the planner fail, the replan succeeds
    assert out["execution"]["ok"] and out["records"][0]["status"] == "ok"


def test_malformed_plans_end_the_run_cleanly():
    llm = ScriptedChatModel(responses=["I think you should summarize it."], cycle=True)
    _, _, _, out = run(llm, max_replans=1)
    assert out["status"] == "failed" and out["answer"].startswith("Failed:")


def test_execution_failure_replans_without_the_failed_tool():
    reg = ToolRegistry()
    reg.register(helpers.boom)
    reg.register(helpers.counted)
    llm = ScriptedChatModel(responses=["a = boom(doc)\nreturn a", "b = counted(doc)\nreturn b"])
    _, _, _, out = run(llm, registry=reg, executor=ExecutorConfig(retries=1, backoff_s=0.0))
    assert out["status"] == "done" and out["outputs"] == {"b": DOC + "!"}
    assert out["avoid_tools"] == ["boom"]
    assert "boom" not in llm.prompts[-1][0].content  # the failed tool left the catalogue
    assert any("step a (boom) failed" in o for o in out["observations"])


def test_human_approval_accept_edit_and_reject():
    llm = ScriptedChatModel(responses=["s = summarize_rank(doc)\nreturn s"], cycle=True)
    graph, config, context, out = run(llm, approval=True, thread="accept")
    assert "__interrupt__" in out and "summarize_rank" in out["__interrupt__"][0].value["plan"]
    done = graph.invoke(Command(resume=True), config, context=context)
    assert done["status"] == "done"

    graph, config, context, _ = run(llm, approval=True, thread="edit")
    edited = graph.invoke(
        Command(resume={"plan": "s = summarize_lead(doc)\nreturn s"}), config, context=context
    )
    assert "__interrupt__" in edited  # an edited plan is validated and shown again
    done = graph.invoke(Command(resume=True), config, context=context)
    assert done["outputs"]["s"].startswith("First sentence here.")

    graph, config, context, _ = run(llm, approval=True, thread="reject")
    rejected = graph.invoke(Command(resume=False), config, context=context)
    assert rejected["status"] == "rejected" and "records" not in rejected


@pytest.mark.parametrize("answer", [{"plan": ""}, {"plan": "  "}, {"edit": "x"}, "yes", 1])
def test_an_unclear_approval_answer_is_asked_again_with_the_reason(answer):
    llm = ScriptedChatModel(responses=["s = summarize_rank(doc)\nreturn s"], cycle=True)
    graph, config, context, _ = run(llm, approval=True, thread=f"unclear-{answer!r}")
    again = graph.invoke(Command(resume=answer), config, context=context)
    (ask,) = again["__interrupt__"]
    assert "is neither True/False" in ask.value["error"] and repr(answer) in ask.value["error"]
    assert "summarize_rank" in ask.value["plan"]
    done = graph.invoke(Command(resume=True), config, context=context)
    assert done["status"] == "done"


def test_a_budget_no_plan_meets_is_a_recorded_failure():
    from steergraph.testing import tiny_chat_model

    reg = default_registry()
    reg.profile(progress=False, repeats=1)
    graph = build_catp_graph()
    context = CATPContext(model=tiny_chat_model(), registry=reg, constrained=True)
    task = {**TASK, "budget": 1e-12}
    out = graph.invoke({"task": task, "inputs": {"doc": DOC}}, context=context)
    assert out["status"] == "failed" and "no plan meets the budget" in out["answer"]


def test_constrained_planning_on_a_tiny_model_always_yields_a_valid_plan():
    from steergraph.testing import tiny_chat_model

    reg = default_registry()
    graph = build_catp_graph()
    for seed in range(3):
        llm = tiny_chat_model(temperature=1.0, seed=seed, max_new_tokens=40)
        context = CATPContext(model=llm, registry=reg, constrained=True, max_steps=4)
        task = {"description": "Keywords.", "inputs": {"doc": "text"}, "outputs": ["words"]}
        out = graph.invoke({"task": task, "inputs": {"doc": DOC}}, context=context)
        assert out["status"] == "done", out.get("observations")
        assert isinstance(next(iter(out["outputs"].values())), list)


SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from steergraph.graphs.catp import CATPContext, build_catp_graph
    from steergraph.graphs.persistence import persistence
    from steergraph.testing import ScriptedChatModel
    from steergraph.tools.registry import ToolRegistry

    LOG = sys.argv[2]

    def log(word):
        with open(LOG, "a") as f:
            f.write(word + "\\n")

    def step_a(text: str) -> str:
        log("a")
        return text + "a"

    def step_b(text: str) -> str:
        log("b")
        return text + "b"

    def step_c(left: str, right: str) -> str:
        log("c-start")
        if os.environ.get("FIRST") == "1":
            time.sleep(120)  # killed here
        log("c-done")
        return left + right

    reg = ToolRegistry([step_a, step_b, step_c])
    plan = "a = step_a(doc)\\nb = step_b(doc)\\nc = step_c(a, b)\\nreturn c"
    llm = ScriptedChatModel(responses=[plan])
    ctx = CATPContext(model=llm, registry=reg, constrained=False)
    config = {"configurable": {"thread_id": "job-1"}}
    task = {"description": "x", "inputs": {"doc": "text"}, "outputs": ["text"]}
    first = os.environ.get("FIRST") == "1"
    start = {"task": task, "inputs": {"doc": "d"}} if first else None
    with persistence(sys.argv[1]) as (saver, store):
        graph = build_catp_graph(checkpointer=saver, store=store)
        out = graph.invoke(start, config, context=ctx)
    print(out["status"], out["outputs"], [r["status"] for r in out["records"]])
    """
)


@pytest.mark.slow
def test_a_killed_run_resumes_without_rerunning_finished_steps(tmp_path):
    killed_run_resumes(str(tmp_path / "catp.sqlite"), tmp_path)


@pytest.mark.slow
def test_a_killed_run_resumes_from_postgresql(tmp_path, postgres_url):
    """The same with LangGraph's PostgresSaver and PostgresStore on a real server."""
    killed_run_resumes(postgres_url, tmp_path)


def killed_run_resumes(db: str, tmp_path: Path) -> None:
    """SIGKILL a CATP run (checkpoints in ``db``) mid-plan, resume it: no step runs twice."""
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    log = tmp_path / "calls.log"
    env = {**os.environ, "FIRST": "1", "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(log)], env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        if log.exists() and "c-start" in log.read_text():
            break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert log.read_text().split() == ["a", "b", "c-start"] or sorted(
        log.read_text().split()[:2]
    ) == ["a", "b"]
    env["FIRST"] = "0"
    done = subprocess.run(
        [sys.executable, str(script), str(db), str(log)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("done {'c': 'dadb'}")
    assert "'reused', 'reused', 'ok'" in done.stdout
    calls = log.read_text().split()
    assert calls.count("a") == 1 and calls.count("b") == 1
    assert calls.count("c-start") == 2 and calls.count("c-done") == 1
