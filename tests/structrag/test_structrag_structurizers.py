"""StructRAG parsers and structurizers (scripted models; one e2e test on the embedded model)."""

from __future__ import annotations

import networkx as nx
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from steergraph.agents.structrag.documents import Doc, docs_from_texts
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.agents.structrag.structures import (
    Algorithm,
    Catalogue,
    Chunks,
    KnowledgeGraph,
    Table,
    structure_from_dict,
)
from steergraph.agents.structrag.structurizers import StructureResult, structurize
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel
from tests.structrag.structrag_samples import (
    CSV,
    DPKG,
    MARKDOWN,
    RST,
    WITH_STATEMENT,
)


def fake_retriever(docs):
    return Retriever(docs, DeterministicFakeEmbedding(size=16), chunk_chars=300, overlap=0)


# ----------------------------------------------------------------------------- parse mode
def test_structurize_table_parse_mode_aggregates():
    docs = docs_from_texts({"status": DPKG, "sizes.csv": CSV, "prose": "No table here at all."})
    res = structurize("table", "Which package is largest?", docs, None, mode="parse")
    table = res.structure
    assert isinstance(res, StructureResult) and isinstance(table, Table)
    assert res.built_by == {"parser": 2} and res.llm_calls == 0
    assert res.issues == ["prose: the table parser found nothing"]
    frame = table.to_frame()
    assert int(frame["Installed-Size"].sum()) == 30140
    assert frame.loc[frame["Installed-Size"].idxmax(), "name"] == "coreutils"
    assert frame.groupby("section")["size_kb"].sum().to_dict() == {"shells": 12000, "web": 500}
    assert table.sources == ["status"] * 3 + ["sizes.csv"] * 3
    assert structure_from_dict(table.model_dump()) == table


def test_structurize_graph_parse_mode_paths():
    docs = docs_from_texts({"status": DPKG})
    res = structurize("graph", "What does coreutils need?", docs, None, mode="parse")
    graph = res.structure
    assert isinstance(graph, KnowledgeGraph) and res.built_by == {"parser": 1}
    g = graph.to_networkx()
    assert nx.shortest_path(g, "coreutils", "gcc-12-base") == [
        "coreutils",
        "libc6",
        "libgcc-s1",
        "gcc-12-base",
    ]
    assert {t.source for t in graph.triples} == {"status"}


def test_structurize_algorithm_parse_mode_orders_by_question():
    docs = docs_from_texts(
        {
            "tea": "How to make tea:\n1. Boil water.\n2. Steep the tea.",
            "with statement": WITH_STATEMENT,
        }
    )
    res = structurize("algorithm", "How does the with statement execute?", docs, None, mode="parse")
    algo = res.structure
    assert isinstance(algo, Algorithm)
    assert [s.number for s in algo.steps] == list(range(1, 10))
    assert [s.source for s in algo.steps] == ["with statement"] * 7 + ["tea"] * 2
    assert algo.steps[7].text == "Boil water."


def test_structurize_catalogue_parse_mode_ancestors():
    docs = docs_from_texts({"guide.rst": RST, "net.md": MARKDOWN})
    res = structurize("catalogue", "Where is the cache size set?", docs, None, mode="parse")
    cat = res.structure
    assert isinstance(cat, Catalogue) and [r.number for r in cat.roots] == ["1", "2"]
    assert cat.roots[1].summary == "Preface text before any heading."
    [(node, parents)] = cat.find("Tuning")
    assert node.number == "1.1.2.1.1" and node.summary == "Change the cache size here."
    assert [p.title for p in parents] == [
        "guide.rst",
        "User Guide",
        "Configuration",
        "Advanced options",
    ]
    [(node, parents)] = cat.find("resolvers")
    assert node.number == "2.1.1.1" and [p.number for p in parents] == ["2", "2.1", "2.1.1"]
    assert {n.source for n, _ in cat.walk()} == {"guide.rst", "net.md"}


def test_structurize_chunk_and_narrowing():
    docs = docs_from_texts({f"doc {i}": f"Document number {i} text." for i in range(6)})
    retriever = fake_retriever(docs)
    res = structurize(
        "chunk", "Document number 4 text.", docs, None, retriever=retriever, chunk_k=2
    )
    assert isinstance(res.structure, Chunks) and res.built_by == {"retrieval": 2}
    assert res.structure.chunks[0].source == "doc 4"
    res = structurize("table", "Document number 4 text.", docs, None, retriever=retriever,
                      max_docs=2)  # fmt: skip
    assert res.built_by["narrowed_from"] == 6
    assert res.issues[0] == (
        "retrieval narrowed 6 documents needing the model to the 2 most relevant to the "
        "question (every document the parsers read is kept)"
    )
    needing = [i.split(":")[0] for i in res.issues[1:]]
    assert len(needing) == 2 and "doc 4" in needing
    with pytest.raises(InputError, match="unknown structure kind"):
        structurize("tree", "q", docs, None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="question is empty"):
        structurize("table", " ", docs, None)


def test_documents_the_parsers_read_are_never_narrowed():
    records = {f"pkg{i}": f"Package: pkg{i}\nInstalled-Size: {i + 1}\n" for i in range(40)}
    prose = {f"note {i}": f"A note about topic {i} in plain words." for i in range(5)}
    docs = docs_from_texts({**records, **prose})
    res = structurize("table", "Which package is largest?", docs, None,
                      retriever=fake_retriever(docs), max_docs=3)  # fmt: skip
    assert res.built_by == {"parser": 40, "narrowed_from": 5}
    assert len(res.structure.rows) == 40  # the largest (pkg39) is among them
    assert max(int(r["Installed-Size"]) for r in res.structure.rows) == 40
    assert sum(i.endswith("needs an LLM (the parsers found no table)") for i in res.issues) == 3


# ----------------------------------------------------------------------------- llm mode
PROSE = {
    "apt": "apt is the package manager of Debian. apt uses dpkg to install packages.",
    "dpkg": "dpkg unpacks .deb archives. dpkg was written in 1994.",
}
REPLIES = {
    "table": {"title": "t", "columns": ["tool", "year"], "rows": [["dpkg", "1994"]]},
    "graph": {"triples": [{"head": "apt", "relation": "uses", "tail": "dpkg"}]},
    "algorithm": {"title": "install", "steps": ["1. Download the .deb", "Unpack it"]},
    "catalogue": {"entries": [{"level": 1, "title": "Tools", "summary": "About tools."}]},
}


@pytest.mark.parametrize("kind", list(REPLIES))
def test_structurize_llm_mode_scripted(kind):
    docs = docs_from_texts(PROSE)
    llm = ScriptedChatModel(responses=[REPLIES[kind]], cycle=True)
    res = structurize(kind, "Which tool does apt use?", docs, llm, mode="llm")
    assert res.llm_calls == 2 and res.built_by == {"llm": 2} and res.issues == []
    assert "Which tool does apt use?" in llm.prompts[0][-1].content
    assert "apt uses dpkg" in llm.prompts[0][-1].content
    s = res.structure
    if kind == "table":
        assert s.columns == ["tool", "year"] and s.sources == ["apt", "dpkg"]
        assert s.to_frame()["year"].tolist() == [1994, 1994]
    elif kind == "graph":
        assert [(t.head, t.tail, t.source) for t in s.triples] == [
            ("apt", "dpkg", "apt"),
            ("apt", "dpkg", "dpkg"),
        ]
    elif kind == "algorithm":
        assert [(st.number, st.text) for st in s.steps][:2] == [
            (1, "Download the .deb"),
            (2, "Unpack it"),
        ]
        assert s.steps[0].source == "apt" and len(s.steps) == 4
    else:
        assert [(n.number, n.title) for n, _ in s.walk()] == [
            ("1", "apt"),
            ("1.1", "Tools"),
            ("2", "dpkg"),
            ("2.1", "Tools"),
        ]


def test_llm_garbage_becomes_issue():
    docs = docs_from_texts(PROSE)
    llm = ScriptedChatModel(
        responses=["not json at all", {"title": "x", "columns": [], "rows": []}]
    )
    res = structurize("table", "Which tool?", docs, llm, mode="llm")
    assert res.structure.rows == [] and res.llm_calls == 2 and "llm" not in res.built_by
    assert res.issues[0].startswith("apt: unusable LLM reply (")
    assert res.issues[1] == "dpkg: the LLM found no table content"
    # an empty graph falls back to retrieved chunks
    llm = ScriptedChatModel(responses=["{}"], cycle=True)
    res = structurize("graph", "Which tool?", docs, llm, mode="llm", retriever=fake_retriever(docs))
    assert isinstance(res.structure, Chunks) and res.structure.chunks
    assert res.issues[-1] == "the graph has no triples; fell back to retrieved chunks"


def test_auto_mode_mixes_parser_and_llm():
    docs = docs_from_texts({"status": DPKG, **PROSE})
    llm = ScriptedChatModel(responses=[REPLIES["graph"], {"triples": []}])
    res = structurize("graph", "What does apt use?", docs, llm)
    assert res.built_by == {"parser": 1, "llm": 1} and res.llm_calls == 2
    assert [p[-1].content.split("Document: ")[1].split("\n")[0] for p in llm.prompts] == [
        "apt",
        "dpkg",
    ]
    assert {t.source for t in res.structure.triples} == {"status", "apt"}
    assert res.issues == ["dpkg: the LLM found no graph content"]
    res = structurize("graph", "What does apt use?", docs, None)
    assert res.built_by == {"parser": 1}
    assert res.issues == [
        "apt: needs an LLM (the parsers found no graph)",
        "dpkg: needs an LLM (the parsers found no graph)",
    ]


def test_llm_pieces_are_budgeted_and_ranked():
    long_text = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(10))
    docs = [Doc(id="a", title="long", text=long_text), Doc(id="b", title="short", text="tiny")]
    llm = ScriptedChatModel(responses=[REPLIES["graph"]], cycle=True)
    res = structurize(
        "graph", "Paragraph 7", docs, llm, mode="llm", max_input_tokens=100, max_llm_chunks=3
    )
    assert res.llm_calls == 3  # the short doc's one piece and the long doc's best two
    assert any(i.startswith("long: 2 of ") for i in res.issues)
    for prompt in llm.prompts:
        piece = prompt[-1].content.split("Document: ")[1]
        assert len(piece) < 100 * 4 + 400
    assert sum("Document: short" in p[-1].content for p in llm.prompts) == 1


# ----------------------------------------------------------------------------- e2e
@pytest.mark.e2e
def test_structurize_llm_on_embedded_model():
    from steergraph.llm import load_chat_model

    llm = load_chat_model("local")
    docs = docs_from_texts(
        {
            "curl": "curl is a command line tool for transferring data with URLs. "
            "curl was first released in 1998 by Daniel Stenberg. It depends on libcurl.",
            "wget": "GNU Wget is a program that retrieves content from web servers. "
            "Wget was first released in 1996 by Hrvoje Niksic.",
        }
    )
    for kind, cls in (("table", Table), ("graph", (KnowledgeGraph, Chunks))):
        retriever = fake_retriever(docs)
        res = structurize(
            kind, "When were curl and wget released?", docs, llm, mode="llm", retriever=retriever
        )
        assert isinstance(res.structure, cls)
        assert res.llm_calls == 2  # one piece per short document
        assert structure_from_dict(res.structure.model_dump()) == res.structure
        assert res.built_by.get("llm", 0) + len(res.issues) >= 2  # built or explained
        if kind == "table":
            assert len(res.structure.sources) == len(res.structure.rows)
            assert set(res.structure.sources) <= {"curl", "wget"}
            res.structure.to_frame()
        else:
            if isinstance(res.structure, KnowledgeGraph):
                assert res.structure.triples and res.structure.to_networkx().number_of_edges()
            else:
                assert res.issues[-1].endswith("fell back to retrieved chunks")
