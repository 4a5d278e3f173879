"""StructRAG on the embedded model: the graph and the CLI (router training with DPO runs in
examples/structrag.ipynb, executed by tests/e2e/test_notebooks.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from steergraph.agents.structrag.exact import key_column
from steergraph.agents.structrag.structures import STRUCTURE_TYPES, structure_from_dict
from steergraph.data.structrag.scoring import score_answer
from steergraph.data.structrag.tasks import structrag_tasks
from steergraph.graphs.structrag import StructRAGContext, build_structrag_graph

pytestmark = pytest.mark.e2e


def _task(family: str, seed: int = 0):
    return structrag_tasks(1, seed=seed, families=[family])[0]


def test_graph_routes_builds_and_answers_on_the_embedded_model():
    task = _task("largest_package")
    out = build_structrag_graph().invoke(
        {"question": task.question, "documents": task.documents},
        context=StructRAGContext(model="local"),
    )
    meta = out["metadata"]
    assert meta["routed"] in STRUCTURE_TYPES and meta["structure"] in STRUCTURE_TYPES
    # records and a "largest" question: the route is fixed without the model, one plan call
    assert meta["routed_by"] == "records" and meta["routed"] == "table"
    assert meta["forced"] is False and meta["llm_calls"] >= 1
    assert out["structure"]["kind"] == meta["structure"]
    packages = {d["title"].removeprefix("Debian package ") for d in task.documents}
    assert out["answer"].strip()
    if meta["method"] != "exact":
        return
    # a computation over the table names one of its packages, and the one the plan asks for
    assert meta["structure"] == "table" and out["answer"] in packages
    plan = meta["computation"]["plan"]
    if plan["op"] not in ("argmax", "argmin"):
        return
    table = structure_from_dict(out["structure"])
    frame = table.to_frame()
    values = pd.to_numeric(frame[plan["column"]], errors="coerce")
    best = values.max() if plan["op"] == "argmax" else values.min()
    key = key_column(table.columns)
    assert out["answer"] in set(frame.loc[values == best, key].astype(str))
    wanted = "argmax" if "largest" in task.question.lower() else "argmin"
    if plan["op"] == wanted and "size" in plan["column"].lower() and len(frame) == len(packages):
        # the right computation over every document: the gold answer, exactly
        assert score_answer(out["answer"], task.gold, task.answer_type)["em"] == 1.0


def test_forced_structures_build_typed_objects_from_real_documents():
    for family, kind, key in [
        ("dependents", "graph", "triples"),
        ("next_step", "algorithm", "steps"),
        ("section_children", "catalogue", "roots"),
    ]:
        task = _task(family)
        out = build_structrag_graph().invoke(
            {"question": task.question, "documents": task.documents},
            context=StructRAGContext(model="local", structure=kind),
        )
        assert out["structure"]["kind"] == kind and out["structure"][key], family
        assert out["metadata"]["built_by"].get("parser", 0) >= 1
        assert out["answer"].strip()


def test_cli_ask_reports_unusable_files(tmp_path):
    task = _task("package_field")
    for doc in task.documents[:4]:
        (tmp_path / f"{doc['id']}.txt").write_text(doc["text"])
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\x00\x00binary")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "steergraph.cli",
            "structrag",
            "ask",
            "--docs",
            str(tmp_path),
            "--json",
            task.question,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    sources = sorted(i["source"].rsplit("/", 1)[-1] for i in result["metadata"]["document_issues"])
    assert sources == ["empty.txt", "photo.jpg"]
    assert result["metadata"]["documents"] == 4
    assert result["answer"].strip()
