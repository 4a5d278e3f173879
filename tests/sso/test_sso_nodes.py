"""Each node of the SSO graph called alone with a state dict and a context (fast)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from langgraph.graph import END

from steergraph.graphs.sso import SSOContext, filter_, next_round, sample, steer, train
from steergraph.testing import tiny_chat_model

QUERIES = ["Name a fruit.", "Say hi."]


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    ctx = SSOContext(model=tiny_chat_model(), workdir=str(tmp_path_factory.mktemp("sso")),
                     steer="fixed", features=["brevity"], max_new_tokens=6, train_policy=False,
                     filters="duplicates", export=False)  # fmt: skip
    return SimpleNamespace(context=ctx)


@pytest.fixture(scope="module")
def steps(rt):
    """The state after each node of round 1, each node fed the previous one's output."""
    state = {"queries": QUERIES}
    state |= steer(state, rt)
    after_steer = dict(state)
    state |= sample(state, rt)
    after_sample = dict(state)
    state |= filter_(state, rt)
    return after_steer, after_sample, state


def test_steer_writes_one_steered_prompt_per_query(steps, rt):
    after_steer, _, _ = steps
    assert [p["query"] for p in after_steer["prompts"]] == QUERIES
    assert all(p["features"] == ["brevity"] for p in after_steer["prompts"])
    assert (Path(rt.context.workdir) / "round-1" / "prompts.jsonl").is_file()


def test_sample_gives_a_triplet_per_prompt(steps):
    _, after_sample, _ = steps
    assert len(after_sample["triplets"]) == len(QUERIES)
    assert {"y_plus", "y_minus", "y0"} <= set(after_sample["triplets"][0])


def test_filter_keeps_a_subset_and_records_its_stages(steps):
    _, _, state = steps
    assert len(state["kept"]) <= len(QUERIES)
    assert state["filter"]["mode"] == "duplicates" and state["filter"]["stages"]


def test_train_records_the_round_and_routes(steps, rt):
    _, _, state = steps
    out = train(state, rt)
    assert out["round"] == 1 and out["history"][0]["prompts"] == len(QUERIES)
    assert out["status"] == ("done" if rt.context.rounds == 1 else "next")
    assert next_round({"status": "done"}) == END and next_round({"status": "next"}) == "steer"
