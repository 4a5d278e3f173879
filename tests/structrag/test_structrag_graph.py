"""The StructRAG graph with a scripted model: routing, structures, exact answers, fallbacks,
bad input, checkpoints."""

from __future__ import annotations

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import SystemMessage
from langgraph.checkpoint.memory import InMemorySaver

from steergraph.errors import InputError, InputFileError
from steergraph.graphs.structrag import (
    StructRAGContext,
    build_structrag_graph,
    is_empty_structure,
)
from steergraph.llm.usage import UsageTracker
from steergraph.testing import ScriptedChatModel, scripted_structrag

PACKAGES = {
    "Debian package gcc": "Package: gcc\nSection: devel\nInstalled-Size: 50\nDepends: cpp, libc6\n",
    "Debian package perl": "Package: perl\nSection: perl\nInstalled-Size: 700\nDepends: libc6\n",
    "Debian package cpp": "Package: cpp\nSection: lang\nInstalled-Size: 30\nDepends: libc6\n",
    "Debian package libc6": "Package: libc6\nSection: libs\nInstalled-Size: 12000\n",
}
PROSE = {"notes": "The weather was mild. Nobody measured anything that day."}


def docs(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"id": f"d{i}", "title": t, "text": x} for i, (t, x) in enumerate(items.items())]


def responder(route: str = "table", plan: object = None, text: str = "scripted answer"):
    return scripted_structrag(route, plan, text)


def ctx(llm, **kw) -> StructRAGContext:
    return StructRAGContext(model=llm, embeddings=DeterministicFakeEmbedding(size=16), **kw)


def run(llm, question, documents, **kw):
    return build_structrag_graph().invoke(
        {"question": question, "documents": documents}, context=ctx(llm, **kw)
    )


def test_routed_table_answered_by_exact_computation():
    plan = {"op": "argmax", "column": "Installed-Size", "filter_column": "none", "value": ""}
    llm = responder("table", plan)
    tracker = UsageTracker()
    out = build_structrag_graph().invoke(
        {"question": "Which package has the largest installed size?", "documents": docs(PACKAGES)},
        {"callbacks": [tracker]},
        context=ctx(llm),
    )
    meta = out["metadata"]
    assert out["answer"] == "libc6"
    assert meta["structure"] == meta["routed"] == "table"
    assert meta["method"] == "exact" and meta["computation"]["op"] == "argmax"
    assert meta["built_by"] == {"parser": 4}
    assert meta["forced"] is False and meta["fallbacks"] == []
    assert meta["routed_by"] == "records" and "4 records parse exactly" in meta["route_reason"]
    assert meta["llm_calls"] == 1 == tracker.llm_calls  # the plan: records fixed the route
    assert len(out["structure"]["rows"]) == 4
    by_model = run(llm, "Which package has the largest installed size?", docs(PACKAGES),
                   route_by_records=False)  # fmt: skip
    assert by_model["metadata"]["routed_by"] == "model"
    assert by_model["metadata"]["llm_calls"] == 2 and by_model["answer"] == "libc6"


def test_records_with_relations_route_dependency_questions_to_the_graph():
    plan = {"op": "closure_size", "source": "gcc", "relation": "depends", "target": "none"}
    llm = responder("table", plan)  # the model would have said table
    out = run(llm, "How many packages does gcc depend on, directly or indirectly?",
              docs(PACKAGES))  # fmt: skip
    meta = out["metadata"]
    assert meta["structure"] == "graph" and meta["routed_by"] == "records"
    assert meta["route_reason"] == (
        "4 records carry relations (depends) and the question asks about them"
    )
    assert out["answer"] == "2" and meta["computation"]["allowed_ops"] == ["closure_size"]
    prose = run(llm, "How many packages does gcc depend on?", docs(PROSE))
    assert prose["metadata"]["routed_by"] == "model"


def test_graph_structure_walks_dependencies():
    plan = {"op": "predecessors", "source": "libc6", "relation": "any", "target": "none"}
    llm = responder("graph", plan)
    out = run(llm, "Which packages depend directly on libc6?", docs(PACKAGES))
    assert out["metadata"]["structure"] == "graph"
    assert set(out["answer"].replace(" ", "").split(",")) == {"gcc", "perl", "cpp"}


def test_forced_structure_skips_the_router():
    llm = responder("graph", text="devel")
    out = run(llm, "What is the section of gcc?", docs(PACKAGES), structure="chunk")
    assert out["metadata"]["forced"] is True and out["metadata"]["structure"] == "chunk"
    assert not any(
        str(p[0].content).startswith("Pick the knowledge structure") for p in llm.prompts
    )
    assert out["answer"] == "devel"


def test_empty_structure_falls_back_to_chunk_and_says_so():
    llm = responder("table", text="nothing")
    out = run(llm, "What was measured?", docs(PROSE), mode="parse")
    meta = out["metadata"]
    assert meta["routed"] == "table" and meta["structure"] == "chunk"
    assert any("table" in f and "chunk" in f for f in meta["fallbacks"])
    assert out["structure"]["kind"] == "chunk" and out["structure"]["chunks"]


def test_router_failure_falls_back_to_chunk():
    def reply(messages):
        system = messages[0].content if isinstance(messages[0], SystemMessage) else ""
        return "I do not know" if system.startswith("Pick") else "answer"

    out = run(ScriptedChatModel(responses=[reply], cycle=True), "Anything?", docs(PACKAGES))
    meta = out["metadata"]
    assert meta["structure"] == "chunk"
    assert meta["fallbacks"] and meta["fallbacks"][0].startswith("router:")


def test_plan_failure_uses_the_llm_path():
    llm = responder("table", plan=None, text="perl")
    out = run(llm, "Which package is the largest?", docs(PACKAGES))
    meta = out["metadata"]
    assert meta["method"] == "llm" and out["answer"] == "perl"
    assert meta["utilizer_issues"]


def test_paths_with_bad_files_are_reported(tmp_path):
    (tmp_path / "gcc.txt").write_text(PACKAGES["Debian package gcc"])
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    llm = responder(text="devel")
    out = build_structrag_graph().invoke(
        {"question": "Section of gcc?", "paths": [str(tmp_path)]},
        context=ctx(llm, structure="chunk"),
    )
    problems = {
        i["source"].split("/")[-1]: i["problem"] for i in out["metadata"]["document_issues"]
    }
    assert set(problems) == {"empty.txt", "blob.bin"}
    assert "binary" in problems["blob.bin"] and "no text" in problems["empty.txt"]
    assert out["metadata"]["documents"] == 1


def test_document_longer_than_the_window_is_named():
    big = {"huge": "word " * 40_000}  # ~50k tokens at 4 chars/token > the 32k API window
    out = run(responder(text="x"), "What is it?", docs(big), structure="chunk")
    issues = out["metadata"]["document_issues"]
    assert issues and issues[0]["source"] == "huge" and "window" in issues[0]["problem"]


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ({"question": "  ", "documents": docs(PACKAGES)}, InputError),
        ({"question": "Q?"}, InputError),
        ({"question": "Q?", "paths": ["/nonexistent/steergraph-docs"]}, InputFileError),
    ],
)
def test_bad_input_is_a_clear_error(inputs, error):
    with pytest.raises(error):
        build_structrag_graph().invoke(inputs, context=ctx(responder()))


def test_all_files_unusable_is_an_error(tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"\x00\x00")
    with pytest.raises(InputFileError, match=r"blob\.bin"):
        build_structrag_graph().invoke(
            {"question": "Q?", "paths": [str(tmp_path)]}, context=ctx(responder())
        )


def test_bad_context_values_are_errors():
    with pytest.raises(InputError, match="unknown structure"):
        run(responder(), "Q?", docs(PACKAGES), structure="list")
    with pytest.raises(InputError, match="chunk_k"):
        run(responder(), "Q?", docs(PACKAGES), chunk_k=0)


def test_checkpointed_run_keeps_every_step():
    saver = InMemorySaver()
    graph = build_structrag_graph(checkpointer=saver)
    config = {"configurable": {"thread_id": "t1"}}
    plan = {"op": "argmax", "column": "Installed-Size", "filter_column": "none", "value": ""}
    graph.invoke(
        {"question": "Largest?", "documents": docs(PACKAGES)},
        config,
        context=ctx(responder("table", plan)),
    )
    state = graph.get_state(config)
    assert state.values["answer"] == "libc6" and not state.next
    nodes = [t["node"] for t in state.values["timings"]]
    assert nodes == ["load", "route", "structurize", "utilize"]
    history = list(graph.get_state_history(config))
    assert len(history) >= 5


def test_is_empty_structure():
    assert is_empty_structure({"kind": "table", "rows": []})
    assert not is_empty_structure({"kind": "graph", "triples": [{"head": "a"}]})
    assert is_empty_structure({"kind": "catalogue", "roots": []})
    assert is_empty_structure({"kind": "chunk", "chunks": []})
