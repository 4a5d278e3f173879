"""The DiffLM graph on a tiny decoder: each node alone, the whole run, a rerun that does
not fit again, a checkpointed run resumed, bad input refused before any training."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from steergraph.errors import InputError
from steergraph.graphs.difflm import (
    DiffLMContext,
    build_difflm_graph,
    evaluate,
    fan_out,
    fit,
    prepare,
)
from steergraph.testing import tiny_causal_lm

TABLE = pd.DataFrame({
    "kind": ["cat", "dog", "cat", "bird", "dog"] * 8,
    "legs": [4, 4, 4, 2, 4] * 8,
    "size": [4.25, 20.5, 3.75, 0.5, 18.0] * 8,
})  # fmt: skip


@pytest.fixture(scope="module")
def ctx():
    return DiffLMContext(decoder=tiny_causal_lm(), fit={"steps": 3, "prior_steps": 10})


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "pets.csv"
    TABLE.to_csv(path, index=False)
    return str(path)


def _runtime(ctx):
    return SimpleNamespace(context=ctx)


def test_nodes_alone(ctx, table, tmp_path):
    state = {"table": table, "target": "kind", "out_dir": str(tmp_path / "run"), "n": 3}
    split = prepare(state, _runtime(ctx))["split"]
    assert split == {"train": 32, "test": 8, "dropped_incomplete_rows": 0, "target": "kind"}
    state |= {"split": split, **fit(state, _runtime(ctx))}
    assert (tmp_path / "run" / "model" / "difflm.json").is_file()
    sends = fan_out({**state, "priors": ["gaussian"]})
    assert [s.node for s in sends] == ["sample"] and sends[0].arg["prior"] == "gaussian"
    real_only = evaluate({**state, "samples": []}, _runtime(ctx))["report"]
    assert real_only["synthetic"] == {} and set(real_only["real"]["mle_auc"]) == {
        "xgboost", "logistic"}  # fmt: skip


def test_whole_run_writes_rows_and_report_and_a_rerun_does_not_fit_again(ctx, table, tmp_path):
    state = {"table": table, "target": "kind", "out_dir": str(tmp_path / "run"), "n": 5}
    out = build_difflm_graph().invoke(state, context=ctx)
    report = out["report"]
    assert set(report["synthetic"]) == {"diffusion", "gaussian"}
    for prior, entry in report["synthetic"].items():
        assert entry["counts"]["parsed"] == 5  # every decoded row parses
        frame = pd.read_csv(tmp_path / "run" / f"synthetic-{prior}.csv")
        assert len(frame) == entry["counts"]["kept"] and list(frame.columns) == list(TABLE)
    assert json.loads((tmp_path / "run" / "report.json").read_text()) == report
    weights = tmp_path / "run" / "model" / "vae.pt"
    stamp = weights.stat().st_mtime_ns
    build_difflm_graph().invoke(state, context=ctx)
    assert weights.stat().st_mtime_ns == stamp


def test_a_checkpointed_run_resumes_on_its_thread(ctx, table, tmp_path):
    from langgraph.checkpoint.memory import InMemorySaver

    graph = build_difflm_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    state = {"table": table, "out_dir": str(tmp_path / "run"), "n": 2, "priors": ["gaussian"]}
    graph.invoke(state, config=config, context=ctx, interrupt_before=["sample"])
    assert graph.get_state(config).next == ("sample",)
    out = graph.invoke(None, config=config, context=ctx)
    assert set(out["report"]["synthetic"]) == {"gaussian"} and "real" not in out["report"]


@pytest.mark.parametrize(
    ("state", "message"),
    [({"table": "no-such-table"}, "no table"),
     ({"target": "colour"}, "no column 'colour'"),
     ({"priors": ["uniform"]}, "unknown prior")],
)  # fmt: skip
def test_bad_input_is_refused_before_training(ctx, table, tmp_path, state, message):
    full = {"table": table, "out_dir": str(tmp_path / "run"), "n": 2, **state}
    with pytest.raises(InputError, match=message):
        build_difflm_graph().invoke(full, context=ctx)
    assert not (tmp_path / "run" / "model").exists()
