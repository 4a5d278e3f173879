"""The CATP benchmark runner with scripted and seeded planners (fast)."""

from __future__ import annotations

import json

import pytest
from datasets import load_from_disk

from steergraph.agents.catp.plan_search import RandomPlanner
from steergraph.bench.catp import BenchConfig, final_line, run_catp_bench, summarize
from steergraph.bench.catp_faults import run_with_faults
from steergraph.data.catp.tasks import build_tasks
from steergraph.testing import ScriptedChatModel
from steergraph.tools.registry import default_registry

TASKS = ("word-count", "table-mean")


@pytest.fixture(scope="module")
def reg():
    r = default_registry()
    r.profile(progress=False)
    return r


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("catp-bench")
    # the scripted planner writes a word count for every task: valid for word-count,
    # rejected (unknown input 'doc') for the table task, even after repair attempts
    llm = ScriptedChatModel(responses=["n = count_words(doc)\nreturn n"], cycle=True)
    cfg = BenchConfig(levels=(1,), families=TASKS, oracle_size=3, workers=1, faults=False, out=out)
    return run_catp_bench(cfg, model=llm, log=lambda _: None)


def test_report_compares_four_planners_with_invalid_plans_counted(report):
    table = report["planners"]
    assert set(table) == {"random", "cost_unaware", "cost_aware", "oracle"}
    assert table["cost_aware"]["invalid_plan_rate"] == 0.5
    assert table["cost_unaware"]["invalid_plan_rate"] == 0.5
    assert table["oracle"]["invalid_plan_rate"] == 0.0
    assert table["oracle"]["score"] > 0.9  # best QoP within 3 calls: near-exact answers
    # an invalid plan has QoP a * -2 - (1 - a) * 2 = -2 whatever a
    aware = table["cost_aware"]
    assert aware["qop_0.5"] < table["oracle"]["qop_0.5"]
    assert aware["score"] == pytest.approx(0.5)  # word count exact, table task invalid
    line = final_line(report)
    for key in ("score", "price", "invalid_plan_rate"):
        assert set(line[key]) == set(table)
    assert line["completed_with_faults"] is None
    json.dumps(line)
    with open(report["files"]["outcomes"]) as fh:
        outcomes = [json.loads(x) for x in fh]
    for o in outcomes:
        if o["valid"]:  # QoP's costs: profile estimates, known before running
            assert o["est_price"] > 0 and o["est_latency_s"] > 0 and o["price"] > 0


def test_plan_pool_holds_every_enumerated_and_executed_plan(report):
    pool = load_from_disk(report["files"]["plan_pool"])
    measured = pool.filter(lambda r: r["measured"])
    assert len(measured) == 4 * len(TASKS)
    enumerated = pool.filter(lambda r: not r["measured"])
    assert len(enumerated) > 100
    row = enumerated[0]
    assert len(row["node_tools"]) == len(row["node_price"]) == len(row["node_wall_s"])
    opencatp = json.loads(row["opencatp"])  # [tool, [deps], tool, [deps], ...]
    assert opencatp[::2] == row["node_tools"] and all(isinstance(d, list) for d in opencatp[1::2])
    bad = measured.filter(lambda r: not r["valid"])
    assert len(bad) == 2 and set(bad["score"]) == {-2.0}
    saved = json.loads(open(report["files"]["report"]).read())
    assert saved["pool_rows"] == len(pool)


def test_faults_run_ends_and_counts_injected_failures(reg):
    tasks = build_tasks(levels=(1,), families=("summary", "table-top", "report"))
    cfg = BenchConfig(raise_rate=0.3, hang_rate=0.1, seed=5)
    res = run_with_faults(tasks, None, reg, cfg, planner=RandomPlanner(reg, seed=2))
    assert res["tasks"] == 3 and res["injected_raises"] + res["injected_hangs"] > 0
    assert res["tool_calls"] >= res["injected_raises"] + res["injected_hangs"]
    assert {t["status"] for t in res["per_task"]} <= {"done", "failed"}
    assert res["completed_with_faults"] == res["completed"] / 3


def test_every_call_failing_fails_every_task_without_hanging(reg):
    tasks = build_tasks(levels=(1,), families=("summary", "word-count"))
    cfg = BenchConfig(raise_rate=0.5, hang_rate=0.5)
    res = run_with_faults(tasks, None, reg, cfg, planner=RandomPlanner(reg, seed=0))
    assert res["completed"] == 0 and res["steps_failed_after_retries"] >= 2
    assert all(t["replans"] >= 1 for t in res["per_task"])
    assert res["seconds"] < 60


def test_summarize_treats_missing_planners_and_invalid_plans():
    from steergraph.agents.catp.outcome import Outcome

    norms = {"t": {"max_price": 2.0, "max_latency": 1.0}}
    outs = [
        Outcome("t", "oracle", True, score=1.0, est_price=1.0, est_latency_s=0.5, price=9.0),
        Outcome("t", "random", False),
    ]
    table = summarize(outs, norms)
    assert set(table) == {"oracle", "random"}
    assert table["oracle"]["qop_0.5"] == pytest.approx(0.5 * 1.0 - 0.5 * 0.5)
    assert table["random"]["qop_0.3"] == pytest.approx(0.3 * -2 - 0.7 * 2)
    assert table["random"]["score"] == 0.0 and table["random"]["invalid_plan_rate"] == 1.0
