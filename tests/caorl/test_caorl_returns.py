"""CAORL's rewards, returns-to-go and the return-conditioned planner's prompt (fast)."""

from __future__ import annotations

import pytest

from steergraph.agents.caorl import (
    INVALID_RETURN,
    CAORLPlanner,
    ReturnSpec,
    cost_scale,
    plan_lines,
    plan_return,
    returns_to_go,
    step_rewards,
)
from steergraph.agents.catp.planner import PlanTask
from steergraph.errors import CapabilityError, InputError
from steergraph.testing import ScriptedChatModel
from steergraph.tools.plan_parser import parse_plan
from steergraph.tools.registry import default_registry

SIZE = 8000


@pytest.fixture(scope="module")
def reg():
    r = default_registry()
    r.profile(progress=False)
    return r


def test_first_return_to_go_is_the_quality_of_plan(reg):
    spec = ReturnSpec(a=0.3)
    tools = ["clean_text", "summarize_rank"]
    max_price, max_latency = cost_scale(reg, SIZE, spec.max_steps)
    price = sum(reg.get(t).price_at(SIZE) for t in tools)
    latency = sum(reg.get(t).wall_at(SIZE) for t in tools)  # a chain
    cost = 0.5 * price / max_price + 0.5 * latency / max_latency
    assert plan_return(tools, 0.8, True, reg, SIZE, spec) == pytest.approx(0.3 * 0.8 - 0.7 * cost)
    # each step's reward is the price it adds, negative; the last holds score and latency
    rewards = step_rewards(tools, 0.8, True, reg, SIZE, spec)
    assert all(r < 0 for r in rewards[:-1]) and len(rewards) == 3


def test_parallel_steps_cost_less_latency_than_a_chain(reg):
    spec = ReturnSpec()
    tools = ["lookup_docs", "summarize_rank"]
    chain = plan_return(tools, 1.0, True, reg, SIZE, spec, deps=[[], [0]])
    parallel = plan_return(tools, 1.0, True, reg, SIZE, spec, deps=[[], []])
    assert parallel > chain


def test_invalid_plans_return_minus_two_and_cheaper_plans_return_more(reg):
    spec = ReturnSpec()
    assert plan_return(["count_words"], 1.0, False, reg, SIZE, spec) == pytest.approx(
        INVALID_RETURN
    )
    cheap = plan_return(["estimate_words"], 1.0, True, reg, SIZE, spec)
    dear = plan_return(["clean_text", "lookup_docs", "count_words"], 1.0, True, reg, SIZE, spec)
    assert cheap > dear


def test_without_cost_terms_the_return_is_the_score(reg):
    spec = ReturnSpec(cost_terms=False)
    assert plan_return(["lookup_docs", "count_words"], 0.7, True, reg, SIZE, spec) == 0.7
    assert plan_return(["count_words"], 0.7, False, reg, SIZE, spec) == -1.0


def test_discounted_returns_to_go():
    assert returns_to_go([1.0, 1.0, 1.0], gamma=0.5) == [1.75, 1.5, 1.0]


@pytest.mark.parametrize(
    "kwargs", [{"a": 1.5}, {"a": -0.1}, {"gamma": 0.0}, {"gamma": 1.2}, {"max_steps": 0}]
)
def test_bad_return_settings_are_refused(kwargs):
    with pytest.raises(InputError):
        ReturnSpec(**kwargs)


def test_plan_lines_rename_steps_in_execution_order():
    plan = parse_plan(
        "t = clean_text(doc)\nw = keywords_freq(t)\nsm = summarize_rank(t)\nreturn sm, w",
        inputs={"doc": "text"},
    )
    assert plan_lines(plan) == [
        "s1 = clean_text(doc)",
        "s2 = keywords_freq(s1)",
        "s3 = summarize_rank(s1)",
        "return s3, s2",
    ]


def test_return_to_go_drops_by_each_step_reward(reg):
    task = PlanTask("Summarize.", {"doc": "text"}, ["text"], SIZE)
    p = CAORLPlanner(None, reg, target_return=0.4, check_model=False)
    r = step_rewards(["clean_text"], 0.0, True, reg, SIZE, p.spec)[0]
    assert p.return_to_go(["s1 = clean_text(doc)"], task) == pytest.approx(0.4 - r)
    assert p.note([], task) == "Return to go: +0.40"
    g = CAORLPlanner(None, reg, target_return=0.4, spec=ReturnSpec(gamma=0.9), check_model=False)
    assert g.return_to_go(["s1 = clean_text(doc)"], task) == pytest.approx((0.4 - r) / 0.9)
    assert CAORLPlanner(None, reg, variant="sft_best", check_model=False).note([], task) == ""
    assert (
        CAORLPlanner(None, reg, variant="no_cost", target_return=0.9, check_model=False).note(
            [], task
        )
        == "Score to go: 0.90"
    )


def test_a_target_outside_the_seen_returns_is_clipped_and_said(reg):
    with pytest.warns(UserWarning, match="clipped to \\+0.600"):
        p = CAORLPlanner(None, reg, target_return=3.0, return_range=(-2.0, 0.6), check_model=False)
    assert p.target_return == 0.6 and "outside the returns seen" in p.clip_note


def test_the_planner_writes_valid_plans_with_the_return_in_its_prompts(reg, tiny_llm):
    task = PlanTask("Count the words.", {"doc": "text"}, ["number"], SIZE, budget=1e-12)
    result = CAORLPlanner(tiny_llm, reg, target_return=0.45).plan(task)
    assert result.plan is not None  # the type mask, not the budget (ignored), bounds it
    assert result.mode == "constrained" and result.plan.returns


def test_an_api_model_or_unknown_variant_is_refused(reg):
    with pytest.raises(CapabilityError, match="cannot decode under the plan mask"):
        CAORLPlanner(ScriptedChatModel(responses=["x"]), reg)
    with pytest.raises(InputError, match="unknown CAORL variant"):
        CAORLPlanner(None, reg, variant="dt", check_model=False)
