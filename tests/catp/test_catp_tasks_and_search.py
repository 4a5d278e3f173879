"""The CATP task suite, plan-space enumeration, and the planners without an LLM."""

from __future__ import annotations

import itertools

import pytest

from steergraph.agents.catp.plan_search import (
    FixedPlanner,
    RandomPlanner,
    enumerate_expressions,
    plan_from_expressions,
)
from steergraph.agents.catp.planner import PlanTask
from steergraph.bench.catp_oracle import PlanSpace
from steergraph.data.catp.tasks import FAMILIES, build_tasks, score_outputs, score_value
from steergraph.tools.executor import PlanExecutor
from steergraph.tools.plan_parser import parse_plan
from steergraph.tools.registry import default_registry
from steergraph.tools.types import Table


@pytest.fixture(scope="module")
def reg():
    r = default_registry()
    r.profile(progress=False)
    return r


def test_suite_has_56_tasks_with_both_splits_branches_and_real_gold():
    tasks = build_tasks()
    assert len(tasks) == 56 == len(FAMILIES) * 4
    assert len({t.id for t in tasks}) == 56
    splits = [t.split for t in tasks]
    assert 10 <= splits.count("test") <= 25
    assert any(t.branches for t in tasks) and any(not t.branches for t in tasks)
    sizes = {lv: [t.size for t in tasks if t.level == lv] for lv in (1, 2, 3, 4)}
    assert max(sizes[1]) < min(sizes[2]) and max(sizes[3]) < min(sizes[4])
    for task in tasks:
        assert len(task.gold) == len(task.outputs)
        assert score_outputs(task, task.gold) == 1.0
    assert build_tasks(levels=(1,))[0].values == build_tasks(levels=(1,))[0].values


def test_scores_grade_each_output_type():
    assert score_value("number", 100.0, 100.0) == 1.0
    assert score_value("number", 95.0, 100.0) == pytest.approx(0.75)
    assert score_value("number", 70.0, 100.0) == 0.0
    assert score_value("number", "100", 100.0) == 0.0
    assert score_value("words", ["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)
    table = Table(["name", "kb"], [["x", 1.0], ["y", 2.0]])
    assert score_value("table", Table(["name", "kb"], [["x", 5.0]]), table) == 0.5
    assert score_value("text", "the cat sat", "the cat sat") == 1.0
    assert 0.0 < score_value("text", "the cat sat", "a cat stood") < 1.0
    task = build_tasks(levels=(1,), families=("summary-keywords",))[0]
    assert score_outputs(task, [task.gold[0]]) == 0.5  # a missing output scores 0


def _naive(reg, inputs, max_size):
    """Reference enumeration: fixed point over every argument tuple, every round."""
    values = {
        k: [n for n, kk in inputs.items() if kk == k] for k in ("text", "words", "number", "table")
    }
    found = {}
    changed = True
    while changed:
        changed = False
        for tool in reg:
            for args in itertools.product(*(values[k] for k in tool.inputs)):
                calls = set()
                for a in args:
                    if not isinstance(a, str):
                        calls |= a[1]
                tools = [c[0] for c in calls] + [tool.name]
                if len(calls) + 1 > max_size or len(tools) != len(set(tools)):
                    continue
                text = (
                    f"{tool.name}({', '.join(a if isinstance(a, str) else a[0][1] for a in args)})"
                )
                if text in found:
                    continue
                node = ((tool.name, text), frozenset(calls | {(tool.name, text)}))
                found[text] = tool.output
                values[tool.output].append(node)
                changed = True
    return found


@pytest.mark.parametrize("max_size", [1, 2, 3])
def test_semi_naive_enumeration_matches_a_naive_fixed_point(reg, max_size):
    small = reg.subset(
        [
            "clean_text",
            "summarize_lead",
            "keywords_freq",
            "words_to_text",
            "join_texts",
            "count_words",
            "extract_numbers",
            "mean_exact",
        ]
    )
    exprs = enumerate_expressions(small, {"doc": "text"}, max_size=max_size)
    ours = {e.text(): kind for kind, es in exprs.items() for e in es}
    assert ours == _naive(small, {"doc": "text"}, max_size)
    for es in exprs.values():
        for e in es:
            assert e.size <= max_size and len(set(e.tools())) == len(e.tools())


def test_expressions_become_valid_plans_with_shared_steps(reg):
    exprs = enumerate_expressions(reg, {"doc": "text"}, max_size=2)
    summary = next(e for e in exprs["text"] if e.text() == "summarize_rank(clean_text(doc))")
    words = next(e for e in exprs["words"] if e.text() == "keywords_tfidf(clean_text(doc))")
    plan = plan_from_expressions([summary, words], {"doc": "text"})
    assert plan is not None and len(plan) == 3  # clean_text is shared
    parse_plan(plan.to_text(), reg, {"doc": "text"}, outputs=["text", "words"])
    other = next(e for e in exprs["words"] if e.text() == "keywords_freq(summarize_rank(doc))")
    assert plan_from_expressions([summary, other], {"doc": "text"}) is None  # repeats a tool


def test_random_planner_plans_are_valid_runnable_and_seeded(reg):
    for task in build_tasks(levels=(1,)):
        spec = PlanTask(task.description, task.inputs, task.outputs, task.size)
        a = RandomPlanner(reg, seed=3).plan(spec)
        assert a.plan == RandomPlanner(reg, seed=3).plan(spec).plan
        parse_plan(a.text, reg, task.inputs, outputs=task.outputs)
        assert not a.plan.unused_steps()
    spec = PlanTask("x", {"doc": "text"}, ["number"], 100)
    plans = {RandomPlanner(reg, seed=s).plan(spec).text for s in range(20)}
    assert len(plans) > 5
    avoided = RandomPlanner(reg, seed=1).plan(spec, avoid_tools=["count_words"])
    assert "count_words" not in avoided.plan.tools()


def test_fixed_planner_skips_plans_using_avoided_tools(reg):
    one = parse_plan("n = count_words(doc)\nreturn n", reg, {"doc": "text"})
    two = parse_plan("n = estimate_words(doc)\nreturn n", reg, {"doc": "text"})
    planner = FixedPlanner([one, two], reg)
    spec = PlanTask("x", {"doc": "text"}, ["number"], 100)
    assert planner.plan(spec).plan == one
    assert planner.plan(spec, avoid_tools=["count_words"]).plan == two
    none = planner.plan(spec, avoid_tools=["count_words", "estimate_words"])
    assert none.plan is None and "avoided" in none.errors[0]


def test_plan_space_scores_for_real_and_memoizes_by_value(reg):
    task = build_tasks(levels=(1,), families=("table-mean",))[0]
    space = PlanSpace(task, reg, max_size=4)
    cands = list(space.candidates())
    # every number expression but those that raise on this input (e.g. a mean of no rows)
    assert 100 < len(cands) <= len(space.exprs["number"])
    assert space.tool_calls < sum(len(v) for v in space.exprs.values())
    best = max(cands, key=lambda c: (c.score, -c.price))
    assert best.score == 1.0
    plan = best.plan(task.inputs)
    run = PlanExecutor(reg).run_sync(plan, task.values)
    assert score_outputs(task, list(run.returns.values())) == 1.0
    sampled = [c for c in cands if c.exprs[0].tool == "mean_sampled"]
    assert sampled and max(c.score for c in sampled) < 1.0
    assert all(c.price > 0 and c.latency_s > 0 for c in cands)


def test_plan_space_pairs_share_calls_for_two_outputs(reg):
    task = build_tasks(levels=(1,), families=("summary-keywords",))[0]
    space = PlanSpace(task, reg, max_size=3, pair_width=10)
    cands = list(space.candidates())
    assert 0 < len(cands) <= 100
    for c in cands:
        tools = [e.tool for e in c.calls]
        assert len(tools) == len(set(tools))
        assert c.price == pytest.approx(sum(space.price[t] for t in tools))


def test_cost_bounds_cover_every_plan_of_a_two_output_task(reg):
    task = build_tasks(levels=(1,), families=("summary-keywords",))[0]
    space = PlanSpace(task, reg, max_size=3, pair_width=5)
    bounds = space.cost_bounds()
    max_price, max_latency = bounds["max_price"], bounds["max_latency"]
    cands = list(space.candidates())
    assert max(c.price for c in cands) <= max_price
    assert max(c.latency_s for c in cands) <= max_latency
    # the pairs kept are the cheap ones; the bounds reach the slow lookup_docs paths
    slow = [e for e in space.exprs["text"] if "lookup_docs" in e.tools()]
    assert max_latency >= max(space.latency(e) for e in slow) > max(c.latency_s for c in cands)
