"""Each node of the router-training graph called alone (fast; no model runs)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from steergraph.errors import InputError
from steergraph.graphs.structrag_router import (
    RouterTrainingContext,
    evaluate,
    judge,
    more,
    synthesize,
    train,
)


def _rt(**kw):
    return SimpleNamespace(context=RouterTrainingContext(**kw))


def _sim(task, structure, f1, designed="table"):
    return {"task_id": task, "question": f"q {task}", "titles": ["a", "b"],
            "designed": designed, "structure": structure, "f1": f1}  # fmt: skip


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"batch": 0}, "batch must be >= 1"), ({"structures": ("table",)}, "cannot be compared"),
     ({"structures": ("table", "poem")}, "cannot be compared")],
)  # fmt: skip
def test_synthesize_refuses_bad_settings(kw, message):
    with pytest.raises(InputError, match=message):
        synthesize({}, _rt(**kw))


def test_synthesize_splits_tasks_into_train_and_held_out():
    out = synthesize({}, _rt(n_per_family=2, families=["largest_package"]))
    assert out["tasks"] and out["cursor"] == 0 and out["status"] == "synthesized"
    train_ids = {t["id"] for t in out["tasks"]}
    assert not train_ids & {t["id"] for t in out["eval_tasks"]}


def test_more_simulates_until_every_task_is_done():
    assert more({"cursor": 1, "tasks": [{}, {}]}) == "simulate"
    assert more({"cursor": 2, "tasks": [{}, {}]}) == "judge"


def test_judge_writes_simulations_then_pairs(tmp_path):
    sims = [_sim("t1", "table", 1.0), _sim("t1", "chunk", 0.2), _sim("t2", "table", 0.5),
            _sim("t2", "chunk", 0.5)]  # fmt: skip
    out = judge({"simulations": sims}, _rt(workdir=str(tmp_path)))["judged"]
    assert out["decided_by_simulation"] == 1 and out["decided_by_tie_break"] == 1
    assert out["pairs"] >= 1 and out["mean_f1_by_structure"]["table"] == 0.75
    lines = (tmp_path / "simulations.jsonl").read_text().splitlines()
    assert [json.loads(x)["f1"] for x in lines] == [1.0, 0.2, 0.5, 0.5]
    assert (tmp_path / "router_pairs.jsonl").is_file()


def test_train_says_why_it_skipped():
    assert train({}, _rt(train=False))["trained"] == {"skipped": "train=False"}
    assert train({"judged": {"pairs": 0}}, _rt())["trained"] == {"skipped": "no preference pairs"}
    with pytest.raises(InputError, match="needs a workdir"):
        train({"judged": {"pairs": 3}}, _rt())


def test_evaluate_without_held_out_tasks_is_done():
    assert evaluate({}, _rt()) == {"accuracy": {}, "status": "done"}
