"""MOLE on the embedded model: counterfactuals rewritten by SmolLM2, each checked."""

from __future__ import annotations

import pytest

from steergraph.data.mole import load_summeval
from steergraph.graphs.mole import MoleContext, build_mole_graph


@pytest.fixture(scope="module")
def items():
    row = load_summeval()[0]
    return [{"id": f"{row.doc_id}/{row.system}", "source": row.source, "text": row.text}]


@pytest.mark.e2e
def test_counterfactuals_from_the_embedded_model(items):
    out = build_mole_graph().invoke(
        {"items": items[:1], "facets": ["consistency", "fluency"]},
        context=MoleContext(model="local", max_new_tokens=96),
    )
    report = out["report"]
    assert sum(report["by_method"].values()) == 2
    for record in out["dataset"]:
        assert record["method"] in ("llm", "perturbation", "none")
        if record["method"] != "none":
            assert record["check_passed"] and record["text"] != record["original"]
