"""Each node of the verify graph called alone with a state dict and a context (fast)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from langgraph.graph import END

from steergraph.agents.verify import ExactMatch, Problem
from steergraph.agents.verify.search import BestOfN
from steergraph.errors import InputError
from steergraph.graphs.verify import VerifyContext, feedback, next_round, search, verify
from steergraph.testing import ScriptedChatModel

PROBLEMS = [
    Problem(id="a", prompt="2+2?", answer="4").model_dump(by_alias=True),
    Problem(id="b", prompt="3+3?", answer="6").model_dump(by_alias=True),
]


def _rt(tmp_path=None, **kw):
    llm = ScriptedChatModel(responses=["4"], cycle=True)  # right for a, wrong for b
    ctx = VerifyContext(model=llm, strategy=BestOfN(n=2), verifier=ExactMatch(), feedback="none",
                        workdir=str(tmp_path) if tmp_path else None, **kw)  # fmt: skip
    return SimpleNamespace(context=ctx)


def test_search_verify_feedback_in_sequence(tmp_path):
    rt = _rt(tmp_path)
    state = {"problems": PROBLEMS}
    state |= search(state, rt)
    assert state["status"] == "searched" and len(state["searched"]) == 2
    state |= verify(state, rt)
    summary = state["summary"]
    assert [e["passed"] for e in state["evaluated"]] == [True, False]
    assert summary["eval_pass_rate"] == 0.5 and summary["candidates"] == 4
    assert summary["selected_pass_rate"] == 0.5 and summary["round"] == 1
    out = feedback(state, rt)
    assert out["round"] == 1 and out["status"] == "done"
    assert out["history"][0]["feedback"]["mode"] == "none"
    assert (tmp_path / "round-1" / "sft.jsonl").is_file()


def test_search_refuses_zero_rounds():
    with pytest.raises(InputError, match="rounds must be >= 1"):
        search({"problems": PROBLEMS}, _rt(rounds=0))


def test_next_round_routes():
    assert next_round({"status": "done"}) == END and next_round({"status": "next"}) == "search"
