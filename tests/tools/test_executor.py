"""The DAG executor: concurrency, timeouts, retries, failure policies, resume, processes."""

from __future__ import annotations

import time

import pytest

from steergraph.errors import InputError
from steergraph.tools.executor import ExecutorConfig, PlanExecutor
from steergraph.tools.faults import FaultInjector
from steergraph.tools.plan_parser import parse_plan
from steergraph.tools.registry import ToolRegistry
from tests.tools import helpers


@pytest.fixture
def reg():
    helpers.CALLS.clear()
    registry = ToolRegistry()
    for fn in (
        helpers.sleep_text,
        helpers.async_upper,
        helpers.boom,
        helpers.hang,
        helpers.wrong_type,
        helpers.flaky,
        helpers.counted,
        helpers.join2,
    ):
        registry.register(fn, kind="io")
    registry.register(helpers.sleep_words, kind="io")
    registry.register(helpers.spin, kind="cpu")
    return registry


def plan(text, reg):
    return parse_plan(text, reg, {"doc": "text"}, allow_repeats=True)


def test_independent_branches_run_at_once(reg):
    p = plan(
        "a = sleep_text(doc)\nb = sleep_text(doc)\nc = async_upper(doc)\nd = sleep_words(doc)\n"
        "j = join2(a, c)\nreturn j, b, d",
        reg,
    )
    result = PlanExecutor(reg).run_sync(p, {"doc": "x y"})
    assert result.ok and result.returns == {"j": "x y|X Y", "b": "x y", "d": ["x", "y"]}
    assert result.makespan_s < 0.45  # four 0.2 s steps overlap; run one by one: 0.8 s
    recs = result.records
    assert {recs[n].where for n in "abd"} == {"thread"} and recs["c"].where == "async"
    assert recs["j"].start >= max(recs["a"].end, recs["c"].end) - 1e-6
    assert all(r.wall_s >= 0.19 for n, r in recs.items() if n != "j")


def test_a_failure_cancels_dependents_and_independent_branches_go_on(reg):
    p = plan("a = boom(doc)\nb = join2(a, doc)\nc = sleep_text(doc)\nreturn b, c", reg)
    cfg = ExecutorConfig(retries=2, backoff_s=0.01)
    result = PlanExecutor(reg, cfg).run_sync(p, {"doc": "x"})
    recs = result.records
    assert recs["a"].status == "failed" and recs["a"].attempts == 3
    assert "ValueError: boom" in recs["a"].error
    assert recs["b"].status == "cancelled" and "'a'" in recs["b"].error
    assert recs["c"].status == "ok" and result.returns == {"c": "x"}
    assert not result.ok and result.failed == ["a"]


def test_stop_policy_cancels_running_steps(reg):
    p = plan("a = boom(doc)\nb = hang(doc)\nreturn a, b", reg)
    cfg = ExecutorConfig(retries=0, policy="stop", timeout_s=30)
    start = time.perf_counter()
    result = PlanExecutor(reg, cfg).run_sync(p, {"doc": "x"})
    assert time.perf_counter() - start < 2
    assert result.records["a"].status == "failed"
    assert result.records["b"].status == "cancelled"


def test_a_hanging_tool_times_out_and_the_run_ends(reg):
    p = plan("a = hang(doc)\nb = counted(doc)\nreturn a, b", reg)
    cfg = ExecutorConfig(timeout_s=0.2, retries=1, backoff_s=0.01)
    start = time.perf_counter()
    result = PlanExecutor(reg, cfg).run_sync(p, {"doc": "x"})
    assert time.perf_counter() - start < 1.5
    assert result.records["a"].status == "timeout" and result.records["a"].attempts == 2
    assert "timed out after 0.2s" in result.records["a"].error
    assert result.returns == {"b": "x!"}


def test_wrong_output_type_is_a_recorded_failure(reg):
    p = plan("a = wrong_type(doc)\nreturn a", reg)
    result = PlanExecutor(reg, ExecutorConfig(retries=0)).run_sync(p, {"doc": "x"})
    assert result.records["a"].status == "failed"
    assert "returned int, not text" in result.records["a"].error


def test_retries_with_backoff_recover_a_flaky_tool(reg):
    p = plan("a = flaky(doc)\nreturn a", reg)
    start = time.perf_counter()
    result = PlanExecutor(reg, ExecutorConfig(retries=2, backoff_s=0.05)).run_sync(p, {"doc": "x"})
    assert result.ok and result.records["a"].attempts == 3
    assert time.perf_counter() - start >= 0.05 + 0.1  # backoff 0.05 then 0.1


def test_resume_does_not_rerun_completed_steps(reg):
    p = plan("a = counted(doc)\nb = join2(a, doc)\nreturn b", reg)
    result = PlanExecutor(reg).run_sync(p, {"doc": "x"}, completed={"a": "saved!"})
    assert helpers.CALLS.get("counted", 0) == 0
    assert result.records["a"].status == "reused" and result.returns == {"b": "saved!|x"}


def test_injected_faults_are_seeded_and_recorded(reg):
    p = plan("\n".join(f"s{i} = counted(doc)" for i in range(30)) + "\nreturn s0", reg)
    cfg = ExecutorConfig(
        timeout_s=0.1, retries=0, faults=FaultInjector(raise_rate=0.2, hang_rate=0.05, seed=1)
    )
    first = PlanExecutor(reg, cfg).run_sync(p, {"doc": "x"})
    again = PlanExecutor(reg, cfg).run_sync(p, {"doc": "x"})
    statuses = {n: r.status for n, r in first.records.items()}
    assert statuses == {n: r.status for n, r in again.records.items()}
    assert "failed" in statuses.values() and "ok" in statuses.values()
    for rec in first.records.values():
        if rec.status == "failed":
            assert "injected failure" in rec.error
        if rec.status == "timeout":
            assert rec.wall_s < 0.5


def test_cpu_tools_can_run_in_processes(reg):
    p = plan("a = spin(doc)\nb = spin(doc)\nreturn a, b", reg)
    with PlanExecutor(reg, ExecutorConfig(processes=True)) as executor:
        result = executor.run_sync(p, {"doc": "x"})
    assert result.ok and {r.where for r in result.records.values()} == {"process"}
    assert all(r.cpu_s > 0 for r in result.records.values())


def test_missing_task_input_is_an_input_error(reg):
    p = plan("a = counted(doc)\nreturn a", reg)
    with pytest.raises(InputError, match="doc"):
        PlanExecutor(reg).run_sync(p, {})
