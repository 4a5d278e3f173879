"""The CAORL graph and benchmark plumbing on a tiny model (fast)."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset
from langgraph.checkpoint.memory import InMemorySaver

from steergraph.bench.caorl import CAORLBenchConfig, final_line, plot, run_caorl_bench
from steergraph.errors import InputError
from steergraph.graphs.caorl import CAORLContext, build_caorl_graph, collect
from steergraph.testing import tiny_causal_lm

WORDS = "Count the words of the document."


@pytest.fixture(scope="module")
def base(module_tmp):
    folder = module_tmp("tiny-base")
    for part in tiny_causal_lm(seed=0):
        part.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def pool(module_tmp):
    rows = [
        {"task_id": "word-count-L1", "split": "train", "planner": "enumeration", "plan": p,
         "valid": True, "score": s, "measured": False, "description": WORDS}
        for p, s in (("n = count_words(doc)\nreturn n", 1.0),
                     ("n = estimate_words(doc)\nreturn n", 0.9))
    ]  # fmt: skip
    folder = module_tmp("pool")
    Dataset.from_list(rows).save_to_disk(str(folder))
    return str(folder)


def _ctx(base, workdir, **kw):
    train = {"max_steps": 1, "max_length": 4096}
    return CAORLContext(model=base, workdir=str(workdir), train=train, engine="hf", **kw)


@pytest.mark.slow
def test_graph_trains_each_variant_once_and_plans_every_task(base, pool, tmp_path, monkeypatch):
    ctx = _ctx(base, tmp_path, variants=("caorl", "sft_best"))
    state = {"pool": pool, "eval_tasks": ["word-count-L1", "table-mean-L1"]}
    app = build_caorl_graph(checkpointer=InMemorySaver())
    out = app.invoke(state, {"configurable": {"thread_id": "t"}}, context=ctx)
    assert set(out["trained"]) == {"caorl", "sft_best"}
    assert len(out["outcomes"]) == 4  # 2 planners x 2 tasks, every plan through the mask
    assert all(o["valid"] and o["plan"] for o in out["outcomes"])
    assert out["summary"]["caorl"]["invalid_plan_rate"] == 0.0
    assert (tmp_path / "outcomes.jsonl").read_text().count("\n") == 4

    import steergraph.training.caorl_trainer as trainer

    def no_training(*a, **k):
        raise AssertionError("trained again")

    monkeypatch.setattr(trainer, "train_caorl", no_training)
    again = build_caorl_graph().invoke({"pool": pool}, context=ctx)
    assert again["trained"] == out["trained"] and again["summary"] == {}


@pytest.mark.parametrize(
    ("state", "ctx_kw", "message"),
    [
        ({"eval_tasks": ["word-count-L7"]}, {}, "no CATP task"),
        ({}, {"variants": ("dt",)}, "unknown CAORL variant"),
        ({}, {"variants": ()}, "unknown CAORL variant"),
    ],
)
def test_bad_input_is_refused_before_training(base, pool, tmp_path, state, ctx_kw, message):
    with pytest.raises(InputError, match=message):
        build_caorl_graph().invoke({"pool": pool, **state}, context=_ctx(base, tmp_path, **ctx_kw))
    assert not any(tmp_path.iterdir())


def test_collect_sums_up_per_variant(tmp_path):
    outcomes = [
        {"planner": "caorl", "valid": True, "score": 1.0, "est_price": 2.0},
        {"planner": "caorl", "valid": False, "score": 0.0, "est_price": 0.0},
    ]
    state = {"trained": {"caorl": "x"}, "outcomes": outcomes}

    class Runtime:
        context = CAORLContext(workdir=str(tmp_path))

    summary = collect(state, Runtime())["summary"]["caorl"]
    assert summary == {"tasks": 2, "score": 0.5, "est_price": 2.0, "invalid_plan_rate": 0.5}


@pytest.mark.slow
def test_bench_compares_prompted_trained_and_oracle_planners(base, tmp_path):
    from steergraph.llm.local import LocalChatModel

    llm = LocalChatModel.from_pretrained(base, engine="hf", max_new_tokens=24)
    cfg = CAORLBenchConfig(model=base, levels=(1,), families=("word-count",),
                           oracle_size=2, workers=1, steps=1, variants=("caorl", "sft_best"),
                           max_length=4096, engine="hf", out=tmp_path)  # fmt: skip
    report = run_caorl_bench(cfg, model=llm, log=lambda _: None)
    every = report["splits"]["all"]
    assert list(every) == ["cost_unaware", "cost_aware", "sft_best", "caorl", "oracle"]
    assert every["caorl"]["tasks"] == 1 and every["caorl"]["invalid_plan_rate"] == 0.0
    line = final_line(report)
    assert set(line["qop_0.5_all"]) == set(every)
    for key in ("qop_0.5_test", "price_reduction_caorl_vs_unaware", "score_caorl",
                "score_sft_best"):  # fmt: skip
        assert key in line
    json.dumps(line)
    assert plot(report, tmp_path / "caorl.png").stat().st_size > 1000
    assert report["training"]["caorl"]["steps"] == 1
