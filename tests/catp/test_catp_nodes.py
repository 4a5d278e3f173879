"""Each node of the CATP graph called alone with a state dict and a context (fast)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from steergraph.graphs.catp import (
    CATPContext,
    after_approve,
    after_execute,
    after_validate,
    answer,
    execute,
    plan,
    validate,
)
from steergraph.testing import ScriptedChatModel
from steergraph.tools.registry import default_registry
from steergraph.tools.types import encode_value

TASK = {"description": "Count words.", "inputs": {"doc": "text"}, "outputs": ["number"]}


@pytest.fixture(scope="module")
def reg():
    r = default_registry()
    r.profile(progress=False)
    return r


def _rt(reg, responses=("n = count_words(doc)\nreturn n",), **kw):
    llm = ScriptedChatModel(responses=list(responses))
    return SimpleNamespace(
        context=CATPContext(model=llm, registry=reg, constrained=False, **kw), store=None
    )


def test_plan_writes_a_plan_and_counts_calls(reg):
    out = plan({"task": TASK, "planner_calls": 2}, _rt(reg))
    assert out["status"] == "planned" and out["planner_calls"] == 3
    assert out["plan"].splitlines()[-1] == "return n"


def test_plan_without_a_valid_plan_keeps_the_last_error(reg):
    out = plan({"task": TASK}, _rt(reg, responses=["nonsense"] * 3))
    assert out["plan"] is None and len(out["observations"]) == 1


def test_validate_and_its_routing(reg):
    ok = validate({"task": TASK, "plan": "n = count_words(doc)\nreturn n"}, _rt(reg))
    assert ok == {"status": "valid"}
    bad = validate({"task": TASK, "plan": "n = count_sheep(doc)\nreturn n"}, _rt(reg))
    assert bad["status"] == "invalid" and bad["replans"] == 1
    assert after_validate({"status": "valid"}, _rt(reg)) == "execute"
    assert after_validate({"status": "valid"}, _rt(reg, require_approval=True)) == "approve"
    assert after_validate({"status": "invalid", "replans": 1}, _rt(reg, max_replans=1)) == "plan"
    assert after_validate({"status": "invalid", "replans": 2}, _rt(reg, max_replans=1)) == "answer"


def test_after_approve_routes_each_decision():
    assert after_approve({"status": "edited"}) == "validate"
    assert after_approve({"status": "approved"}) == "execute"
    assert after_approve({"status": "rejected"}) == "answer"


def test_execute_runs_the_plan_and_a_failure_asks_for_a_replan(reg):
    state = {"task": TASK, "plan": "n = count_words(doc)\nreturn n",
             "inputs": {"doc": encode_value("a b c")}}  # fmt: skip
    config = {"configurable": {"thread_id": "t"}}
    out = execute(state, _rt(reg), config)
    assert out["status"] == "done" and out["outputs"] == {"n": 3.0}
    failing = {**state, "inputs": {"doc": encode_value(None)}}
    out = execute(failing, _rt(reg), config)
    assert out["status"] == "execution-failed" and out["avoid_tools"] == ["count_words"]
    assert after_execute({**out}, _rt(reg)) == "plan"
    assert after_execute({"status": "done"}, _rt(reg)) == "answer"


def test_answer_reports_outputs_or_the_last_observation():
    done = answer({"status": "done", "outputs": {"n": encode_value(3.0)}})
    assert done == {"status": "done", "answer": "Completed: n = 3.0"}
    failed = answer({"status": "invalid", "observations": ["a", "the plan was invalid"]})
    assert failed == {"status": "failed", "answer": "Failed: the plan was invalid"}
    assert answer({"status": "rejected"})["status"] == "rejected"


@pytest.mark.parametrize(
    ("decision", "expected"),
    [(True, {"status": "approved"}), (False, {"status": "rejected"}),
     ({"plan": "n = count_words(doc)\nreturn n"},
      {"plan": "n = count_words(doc)\nreturn n", "status": "edited"}),
     # an unclear answer is asked about again (the second interrupt's answer counts)
     ([{"plan": ""}, True], {"status": "approved"}), (["ok", False], {"status": "rejected"})],
)  # fmt: skip
def test_approve_turns_the_persons_answer_into_a_status(monkeypatch, decision, expected):
    import steergraph.graphs.catp as catp

    asked = []
    answers = list(decision) if isinstance(decision, list) else [decision]
    monkeypatch.setattr(catp, "interrupt", lambda payload: asked.append(payload) or answers.pop(0))
    assert catp.approve({"plan": "return doc", "estimated_price": 0.5}) == expected
    assert asked[0]["plan"] == "return doc" and asked[0]["estimated_price"] == 0.5
