"""The StructRAG benchmark's plumbing with a scripted model: splits, scores, report, JSON."""

from __future__ import annotations

import json

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from steergraph.bench.structrag import (
    QUICK_TEST_FAMILIES,
    ROUTER_TRAIN_FAMILIES,
    StructRAGBenchConfig,
    run_structrag_bench,
    split_for_bench,
    summarize,
)
from steergraph.bench.structrag_report import final_json, save_report
from steergraph.errors import InputError
from steergraph.testing import scripted_structrag


def test_split_is_disjoint_and_sized():
    cfg = StructRAGBenchConfig(n_per_family=2, train_n_per_family=1)
    train, test = split_for_bench(cfg)
    assert not {t.id for t in train} & {t.id for t in test}

    def key(t):
        return t.question, frozenset(d["id"] for d in t.documents)

    assert {key(t) for t in train}.isdisjoint({key(t) for t in test})
    families = {t.family for t in test}
    assert len(families) == 11 and len(test) == 22 and len(train) == 5
    assert {t.family for t in train} == set(ROUTER_TRAIN_FAMILIES)
    assert {t.structure for t in train} == {"table", "graph", "algorithm", "catalogue", "chunk"}


def test_quick_and_bad_config():
    assert StructRAGBenchConfig(quick=True).n_per_family == 1
    assert StructRAGBenchConfig(quick=True, n_per_family=3).n_per_family == 3
    assert StructRAGBenchConfig(quick=True, router_epochs=2).router_epochs == 2
    train, test = split_for_bench(StructRAGBenchConfig(quick=True))
    assert [t.family for t in test] == sorted(QUICK_TEST_FAMILIES)
    assert {t.structure for t in test} == {"table", "graph", "algorithm", "catalogue", "chunk"}
    assert {t.task_type for t in test} == {"spotlight", "comparison", "clustering", "chain"}
    assert not {t.family for t in test} & set(ROUTER_TRAIN_FAMILIES) - {"next_step"}
    assert len(train) == 5
    with pytest.raises(InputError):
        StructRAGBenchConfig(n_per_family=0)
    with pytest.raises(InputError):
        StructRAGBenchConfig(router_epochs=0)
    with pytest.raises(InputError, match="no test tasks"):
        split_for_bench(StructRAGBenchConfig(test_families=["nope"]))


def test_summarize_means_per_method_and_task_type():
    rows = [
        {
            "method": "structrag",
            "task_type": "comparison",
            "family": "a",
            "em": 1,
            "f1": 1.0,
            "seconds": 2.0,
        },
        {
            "method": "structrag",
            "task_type": "chain",
            "family": "b",
            "em": 0,
            "f1": 0.5,
            "seconds": 4.0,
        },
        {
            "method": "chunk_rag",
            "task_type": "comparison",
            "family": "a",
            "em": 0,
            "f1": 0.0,
            "seconds": 1.0,
        },
    ]
    s = summarize(rows)
    assert s["overall"]["structrag"] == {"em": 0.5, "f1": 0.75}
    assert s["per_task"]["comparison"]["chunk_rag"]["f1"] == 0.0
    assert s["seconds"] == {"structrag": 3.0, "chunk_rag": 1.0}
    assert "long_context" not in s["overall"]


def _scripted():
    def plan(messages):
        smallest = "smallest" in str(messages[-1].content)
        op = "argmin" if smallest else "argmax"
        return {"op": op, "column": "Installed-Size", "filter_column": "none", "value": ""}

    return scripted_structrag("table", plan, "no idea")


def test_bench_runs_end_to_end_with_a_scripted_model(tmp_path):
    cfg = StructRAGBenchConfig(
        model=_scripted(),
        n_per_family=1,
        train_n_per_family=1,
        families=["largest_package", "package_field"],
        progress=False,
        workdir=str(tmp_path / "work"),
        embeddings=DeterministicFakeEmbedding(size=16),
    )
    run = run_structrag_bench(cfg, log=lambda *_: None)
    assert run["test_tasks"] == 2 and len(run["rows"]) == 6
    by = {(r["family"], r["method"]): r for r in run["rows"]}
    # the scripted plan is an exact argmax: right for "largest", and the baselines say "no idea"
    assert by[("largest_package", "structrag")]["f1"] == 1.0
    assert by[("largest_package", "chunk_rag")]["f1"] == 0.0
    assert run["router_accuracy_after"] is None  # an API-like model is not trained
    assert run["router_accuracy_before"] == 0.5  # "table" is right for one of the two
    final = final_json(run)
    for key in (
        "structrag_score",
        "chunk_rag_score",
        "long_context_score",
        "router_accuracy_before",
        "router_accuracy_after",
        "seconds_per_question",
        "per_task",
    ):
        assert key in final
    assert final["structrag_score"] == 0.5 and final["chunk_rag_score"] == 0.0
    json.dumps(final)
    paths = save_report(run, tmp_path / "out")
    assert paths["plot"].stat().st_size > 0
    assert json.loads(paths["report"].read_text())["test_tasks"] == 2
