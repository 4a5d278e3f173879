"""The counterfactual graph: a branch per text and facet, the dataset written and reused,
bad input refused before any model call, and a run on the embedded model."""

from __future__ import annotations

import json

import pytest

from steergraph.data.mole import FACETS, load_summeval
from steergraph.errors import InputError
from steergraph.graphs.mole import DATASET_FILE, MoleContext, build_mole_graph
from steergraph.testing import ScriptedChatModel


@pytest.fixture(scope="module")
def items():
    rows = load_summeval()[::300]
    return [{"id": f"{r.doc_id}/{r.system}", "source": r.source, "text": r.text} for r in rows]


def test_every_text_and_facet_gets_a_record_and_the_dataset_is_reused(items, tmp_path):
    graph = build_mole_graph()
    llm = ScriptedChatModel(responses=["an unrelated reply"], cycle=True)
    state = {"items": items, "out_dir": str(tmp_path)}
    out = graph.invoke(state, context=MoleContext(model=llm))
    assert len(out["dataset"]) == len(items) * 4
    assert [(r["id"], r["facet"]) for r in out["dataset"]] == [
        (i["id"], f) for i in items for f in FACETS
    ]
    assert out["report"]["by_method"].get("llm", 0) == 0  # the reply fits no facet's check
    assert sum(out["report"]["llm_rejections"].values()) == len(items) * 4
    assert out["report"]["checked_rate"] >= 0.9
    lines = (tmp_path / DATASET_FILE).read_text().splitlines()
    assert len(lines) == 1 + len(items) * 4 and "key" in json.loads(lines[0])
    silent = ScriptedChatModel(responses=[])  # raises if called: the dataset is read back
    again = graph.invoke(state, context=MoleContext(model=silent))
    assert again["report"]["cached"] and again["dataset"] == out["dataset"]
    other = graph.invoke({**state, "facets": ["fluency"]}, context=MoleContext(model=None))
    assert not other["report"]["cached"] and {r["facet"] for r in other["dataset"]} == {"fluency"}


@pytest.mark.parametrize(
    ("state", "message"),
    [({"items": []}, "no texts"),
     ({"items": [{"id": "a", "source": "s", "text": " "}]}, "item 0 has no text"),
     ({"items": [{"id": "a", "source": "s", "text": "t"}], "facets": ["style"]}, "unknown facet")],
)  # fmt: skip
def test_bad_input_is_refused_before_any_model_call(state, message):
    with pytest.raises(InputError, match=message):
        build_mole_graph().invoke(state, context=MoleContext(model=ScriptedChatModel(responses=[])))


def test_rewrite_alone_makes_one_checked_counterfactual_without_a_model(items):
    from types import SimpleNamespace

    from steergraph.graphs.mole import rewrite

    item = items[0]
    runtime = SimpleNamespace(context=MoleContext(model=None))
    (record,) = rewrite({**item, "facet": "coherence"}, runtime)["counterfactuals"]
    assert record["id"] == item["id"] and record["source"] == item["source"]
    assert record["facet"] == "coherence" and record["method"] == "perturbation"
    assert record["check_passed"] and record["text"] != item["text"]


def test_a_progress_bar_counts_every_rewrite_and_the_run_ends_as_invoke(items, capsys):
    from steergraph.graphs.progress import invoke_with_progress

    graph, ctx = build_mole_graph(), MoleContext(model=None, seed=3)
    state = {"items": items[:3], "facets": ["coherence", "fluency"]}
    out = invoke_with_progress(graph, state, node="rewrite", total=6, desc="counterfactuals",
                               context=ctx)  # fmt: skip
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert bar.startswith("counterfactuals: 100%") and "6/6" in bar
    assert out["dataset"] == graph.invoke(state, context=ctx)["dataset"]
    assert len(out["dataset"]) == 6 and out["report"]["counterfactuals"] == 6
