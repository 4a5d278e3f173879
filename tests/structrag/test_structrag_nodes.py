"""Each node of the StructRAG graph called alone with a state dict and a context (fast)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from steergraph.errors import InputError
from steergraph.graphs.structrag import (
    StructRAGContext,
    after_structurize,
    load,
    route,
    structurize_node,
    utilize,
)
from steergraph.testing import scripted_structrag

PACKAGES = {
    "Debian package gcc": "Package: gcc\nSection: devel\nInstalled-Size: 50\n",
    "Debian package libc6": "Package: libc6\nSection: libs\nInstalled-Size: 12000\n",
}
QUESTION = "Which package has the largest installed size?"
PLAN = {"op": "argmax", "column": "Installed-Size", "filter_column": "none", "value": ""}


def _rt(**kw):
    llm = scripted_structrag("table", PLAN, "scripted answer")
    ctx = StructRAGContext(model=llm, embeddings=DeterministicFakeEmbedding(size=16), **kw)
    return SimpleNamespace(context=ctx)


def _docs():
    return [{"id": f"d{i}", "title": t, "text": x} for i, (t, x) in enumerate(PACKAGES.items())]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"question": "  ", "documents": _docs()}, "question is empty"),
        ({"question": 3, "documents": _docs()}, "must be a string"),
        ({"question": "q"}, "no documents"),
        ({"question": "q", "documents": _docs(), "paths": ["x"]}, "both documents and paths"),
    ],
)
def test_load_refuses_bad_input(state, message):
    with pytest.raises(InputError, match=message):
        load(state, _rt())


def test_the_nodes_in_sequence_answer_exactly():
    rt = _rt()
    state = load({"question": f" {QUESTION} ", "documents": _docs()}, rt)
    assert state["question"] == QUESTION and len(state["documents"]) == 2
    state |= route(state, rt)
    assert state["route"]["structure"] == "table" and not state["route"]["forced"]
    state |= structurize_node(state, rt)
    assert state["structure"]["kind"] == "table" and after_structurize(state) == "utilize"
    out = utilize(state, rt)
    assert out["answer"] == "libc6" and out["metadata"]["method"] == "exact"


def test_a_forced_structure_skips_the_router():
    rt = _rt(structure="chunk")
    state = load({"question": QUESTION, "documents": _docs()}, rt)
    assert route(state, rt)["route"] == {"structure": "chunk", "fallback": None, "forced": True,
                                         "by": "context"}  # fmt: skip


def test_after_structurize_builds_again_when_the_kind_changed():
    state = {"route": {"structure": "chunk", "from": "table"}, "structure": {"kind": "table"}}
    assert after_structurize(state) == "structurize"
