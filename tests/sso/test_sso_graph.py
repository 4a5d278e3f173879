"""The SSO graph: rounds on a tiny local model, every variant, resume, datasets, bad input."""

from __future__ import annotations

import json
import sqlite3

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from steergraph.errors import CapabilityError, InputError
from steergraph.graphs import GRAPHS
from steergraph.graphs.sso import SSOContext, build_sso_graph
from steergraph.testing import ScriptedChatModel, tiny_chat_model

QUERIES = ["Name a fruit.", "Say hi.", "Count to three.", "Name a colour."]
TRAIN = {"max_steps": 1, "per_device_train_batch_size": 2, "disable_tqdm": True}


def ctx_for(tmp_path, **kw):
    base = dict(
        model=tiny_chat_model(),
        workdir=str(tmp_path),
        steer="fixed",
        features=["brevity"],
        max_new_tokens=6,
        train=TRAIN,
        export=False,
    )
    return SSOContext(**{**base, **kw})


def test_registered():
    assert "sso" in GRAPHS
    assert "sso" in json.loads(open("langgraph.json").read())["graphs"]


def test_two_rounds_on_policy_with_datasets(tmp_path):
    ctx = ctx_for(tmp_path, filters="duplicates", rounds=2)
    out = build_sso_graph().invoke({"queries": QUERIES}, context=ctx)
    first, second = out["history"]
    assert first["round"] == 1 and second["round"] == 2 and out["status"] == "done"
    assert first["train"]["trained"] and first["train"]["steps"] == 1
    assert second["policy_in"] == str(tmp_path / "round-1" / "policy")  # on-policy
    assert out["policy"] == str(tmp_path / "round-2" / "policy")
    r1 = tmp_path / "round-1"
    for name in ("prompts.jsonl", "triplets.jsonl", "filter.json", "sso.jsonl", "preference.jsonl"):
        assert (r1 / name).is_file(), name
    rows = [json.loads(line) for line in (r1 / "preference.jsonl").read_text().splitlines()]
    assert rows and set(rows[0]) == {"prompt", "chosen", "rejected"}
    assert len(rows) == first["filter"]["kept"]
    assert first["filter"]["generated"] == len(QUERIES)


def test_sso_filters_record_every_stage(tmp_path):
    ctx = ctx_for(tmp_path, rounds=1, train_policy=False)
    out = build_sso_graph().invoke({"queries": QUERIES}, context=ctx)
    stats = out["history"][0]["filter"]
    assert [s["stage"] for s in stats["stages"]] == [
        "duplicates",
        "logprob order",
        "on-policy",
        "consistent gap",
    ]
    for stage in stats["stages"]:
        assert stage["in"] - stage["out"] == sum(stage["dropped"].values())
    assert (tmp_path / "round-1" / "scored.jsonl").is_file()


@pytest.mark.parametrize("variant", ["generator", "dpo"])
def test_other_variants_train(tmp_path, variant):
    ctx = ctx_for(tmp_path, variant=variant, filters="duplicates", rounds=1)
    out = build_sso_graph().invoke({"queries": QUERIES}, context=ctx)
    train = out["history"][0]["train"]
    assert train["variant"] == variant
    if variant == "generator":
        assert (tmp_path / "round-1" / "generator" / "config.json").is_file()
        assert (tmp_path / "round-1" / "generator_pairs.jsonl").is_file()
        assert train["generator"]["steps"] == 1
    assert train["trained"] is (out["policy"] is not None)


def test_dpo_baseline_is_unfiltered_by_default():
    assert SSOContext(variant="dpo").filter_mode() == "none"
    assert SSOContext().filter_mode() == "sso"


def test_resumes_after_an_interrupt(tmp_path):
    ctx = ctx_for(tmp_path, filters="duplicates", rounds=1)
    saver = SqliteSaver(sqlite3.connect(str(tmp_path / "cp.sqlite"), check_same_thread=False))
    graph = build_sso_graph(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"queries": QUERIES}, config, context=ctx, interrupt_after=["filter"])
    assert graph.get_state(config).next == ("train",)
    assert not (tmp_path / "round-1" / "policy").exists()
    out = graph.invoke(None, config, context=ctx)
    assert out["status"] == "done" and out["history"][0]["train"]["trained"]


def test_any_chat_model_without_training():
    llm = ScriptedChatModel(responses=["a b", "c d e", "f"], cycle=True)
    ctx = SSOContext(
        model=llm,
        steer="fixed",
        features=["bullets"],
        filters="duplicates",
        train_policy=False,
        rounds=2,
        queries_per_round=2,
    )
    out = build_sso_graph().invoke({"queries": QUERIES}, context=ctx)
    assert [h["prompts"] for h in out["history"]] == [2, 2]


def test_bad_input(tmp_path):
    graph = build_sso_graph()
    ctx = ctx_for(tmp_path, train_policy=False)
    with pytest.raises(InputError, match="no queries"):
        graph.invoke({"queries": []}, context=ctx)
    with pytest.raises(InputError, match="empty or not text"):
        graph.invoke({"queries": ["ok", "  "]}, context=ctx)
    with pytest.raises(InputError, match="rounds=0"):
        graph.invoke({"queries": QUERIES}, context=ctx_for(tmp_path, rounds=0))
    with pytest.raises(InputError, match="workdir"):
        graph.invoke({"queries": QUERIES}, context=ctx_for(tmp_path, workdir=None))
    api = ScriptedChatModel(responses=["x", "y", "z"], cycle=True)
    with pytest.raises(CapabilityError, match="local model"):
        graph.invoke({"queries": QUERIES}, context=ctx_for(tmp_path, model=api))
    with pytest.raises(CapabilityError, match="log-probs"):
        graph.invoke({"queries": QUERIES}, context=ctx_for(tmp_path, model=api, train_policy=False))
