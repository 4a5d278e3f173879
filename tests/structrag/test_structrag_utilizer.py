"""StructRAG utilizer: exact computations, per-structure plans, the LLM path, bad input."""

from __future__ import annotations

import time

import pytest

from steergraph.agents.structrag.exact import (
    algorithm_op,
    catalogue_op,
    compute,
    graph_op,
    key_column,
    table_op,
)
from steergraph.agents.structrag.matching import match_name
from steergraph.agents.structrag.plans import plan_schema, structure_view
from steergraph.agents.structrag.structures import (
    Algorithm,
    Catalogue,
    CatalogueNode,
    Chunk,
    Chunks,
    KnowledgeGraph,
    Step,
    Table,
    Triple,
)
from steergraph.agents.structrag.utilizer import Utilizer
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel

PACKAGES = [
    ("gcc-12", 51000, "devel", "GPL"),
    ("perl", 18000, "perl", "GPL"),
    ("python3.11", 420, "python", "PSF"),
    ("vim", 3900, "editors", "Vim"),
    ("coreutils", 17000, "utils", "GPL"),
    ("bash", 7000, "shells", "GPL"),
]


def packages() -> Table:
    cols = ["size_kb", "package", "section", "license"]
    rows = [dict(zip(cols, (str(s), p, sec, lic))) for p, s, sec, lic in PACKAGES]
    return Table(title="packages", columns=cols, rows=rows, sources=[p for p, *_ in PACKAGES])


def graph() -> KnowledgeGraph:
    facts = [
        ("app", "depends on", "libfoo"),
        ("libfoo", "depends on", "libc"),
        ("app", "written in", "Python"),
        ("tool", "depends on", "libbar"),
        ("libbar", "depends on", "libc"),
    ]
    return KnowledgeGraph(triples=[Triple(head=h, relation=r, tail=t) for h, r, t in facts])


def algorithm() -> Algorithm:
    steps = ["Download the source tarball", "Unpack the archive", "Run ./configure", "Run make"]
    return Algorithm(steps=[Step(number=i + 1, text=s) for i, s in enumerate(steps)])


def catalogue() -> Catalogue:
    def node(number, title, *children):
        return CatalogueNode(number=number, title=title, children=list(children))

    root = node("1", "Bash manual", node("1.1", "Introduction"), node("1.2", "Shell Syntax"))
    root.children[1].children = [node("1.2.1", "Quoting"), node("1.2.2", "Comments")]
    return Catalogue(roots=[root])


# ------------------------------------------------------------------ matching and tables
def test_match_name_is_tolerant():
    assert match_name("Perl", ["perl", "Perl"]) == "Perl"  # exact first
    assert match_name("PERL", ["perl"]) == "perl"
    assert match_name("size kb", ["size_kb"]) == "size_kb"
    assert match_name("gcc", ["gcc-12", "perl"]) == "gcc-12"
    assert match_name("the vim editor", ["vim", "perl"]) == "vim"
    assert match_name("rust", ["perl"]) is None
    assert match_name("", ["perl"]) is None


def test_key_column():
    assert key_column(["size_kb", "package"]) == "package"
    assert key_column(["Title", "x"]) == "Title"
    assert key_column(["a", "b"]) == "a"
    assert key_column([]) is None


def test_table_aggregates():
    t = packages()
    assert table_op(t, "argmax", "size_kb")["answer"] == "gcc-12"
    assert table_op(t, "argmin", "Size KB")["answer"] == "python3.11"
    assert table_op(t, "sum", "size_kb")["value"] == 97320
    assert table_op(t, "mean", "size_kb")["answer"] == "16220"
    largest_gpl = table_op(t, "argmin", "size_kb", "gpl", filter_column="license")
    assert largest_gpl["answer"] == "bash" and largest_gpl["value"] == 7000
    assert table_op(t, "count")["answer"] == "6"
    assert table_op(t, "count", "license", "GPL")["value"] == 4
    assert table_op(t, "count", value="gpl", filter_column="License")["value"] == 4


def test_table_filter_and_lookup():
    t = packages()
    assert table_op(t, "filter", "license", "gpl")["value"] == [
        "gcc-12",
        "perl",
        "coreutils",
        "bash",
    ]
    assert table_op(t, "filter", "section", "edit")["answer"] == "vim"  # containment
    assert table_op(t, "lookup", "license", "VIM")["answer"] == "Vim"
    assert table_op(t, "lookup", "size_kb", "gcc")["answer"] == "51000"
    assert table_op(t, "lookup", "section", "the bash package")["answer"] == "shells"
    result = table_op(t, "lookup", "section", "perl")
    assert set(result) == {"answer", "op", "args", "value"} and result["op"] == "lookup"


@pytest.mark.parametrize(
    ("op", "column", "value", "filter_column"),
    [
        ("argmax", "package", None, None),  # not numeric
        ("argmax", "no such column", None, None),
        ("sum", None, None, None),
        ("argmax", "size_kb", "MIT", "license"),  # nothing left after the filter
        ("filter", "license", "MIT", None),
        ("filter", "license", None, None),
        ("lookup", "size_kb", "rustc", None),
        ("lookup", None, "perl", None),
        ("median", "size_kb", None, None),
    ],
)
def test_table_ops_that_do_not_apply(op, column, value, filter_column):
    assert table_op(packages(), op, column, value, filter_column=filter_column) is None


def test_empty_table_gives_none():
    assert table_op(Table(columns=["a"]), "count") is None


# ------------------------------------------------------------------ graphs, steps, sections
def test_graph_ops():
    g = graph()
    assert graph_op(g, "successors", "APP")["value"] == ["libfoo", "Python"]
    assert graph_op(g, "successors", "app", relation="depends")["answer"] == "libfoo"
    assert graph_op(g, "predecessors", "libc")["value"] == ["libfoo", "libbar"]
    assert graph_op(g, "between", "app", "libc")["answer"] == "libfoo"
    flipped = graph_op(g, "between", "libc", "tool")
    assert flipped["answer"] == "libbar" and flipped["args"]["reversed"] is True
    assert graph_op(g, "path", "app", "libc")["answer"] == "app -> libfoo -> libc"
    assert graph_op(g, "path", "libc", "app")["args"]["reversed"] is True
    assert graph_op(g, "successors", "app", relation="any")["value"] == ["libfoo", "Python"]


@pytest.mark.parametrize(
    ("op", "source", "target", "relation"),
    [
        ("successors", "nobody", None, None),
        ("successors", "libc", None, None),  # a sink
        ("successors", "app", None, "maintained by"),
        ("between", "app", "tool", None),
        ("path", "app", "tool", None),
        ("path", "app", None, None),
        ("path", "app", "app", None),
        ("walk", "app", "libc", None),
    ],
)
def test_graph_ops_that_do_not_apply(op, source, target, relation):
    assert graph_op(graph(), op, source, target, relation) is None


def test_algorithm_ops():
    a = algorithm()
    assert algorithm_op(a, "step_after", "unpacking the archive")["answer"] == "Run ./configure"
    assert algorithm_op(a, "step_before", "configure")["answer"] == "Unpack the archive"
    assert algorithm_op(a, "step_count")["value"] == 4
    assert algorithm_op(a, "step", n=2)["answer"] == "Unpack the archive"
    assert algorithm_op(a, "step_after", "make") is None  # the last step
    assert algorithm_op(a, "step_before", "download") is None
    assert algorithm_op(a, "step_after", "compile rust") is None
    assert algorithm_op(a, "step", n=9) is None
    assert algorithm_op(a, "step") is None
    assert algorithm_op(Algorithm(), "step_count") is None


def test_catalogue_ops():
    c = catalogue()
    assert catalogue_op(c, "parent", "quoting")["answer"] == "Shell Syntax"
    assert catalogue_op(c, "children", "shell syntax")["value"] == ["Quoting", "Comments"]
    assert catalogue_op(c, "children", "1.2")["answer"] == "Quoting, Comments"  # by number
    assert catalogue_op(c, "sections")["value"] == ["Introduction", "Shell Syntax"]
    assert catalogue_op(c, "sections", "none")["value"] == ["Introduction", "Shell Syntax"]
    assert catalogue_op(c, "parent", "Bash manual") is None  # a root
    assert catalogue_op(c, "children", "Comments") is None  # a leaf
    assert catalogue_op(c, "parent", "Variables") is None
    assert catalogue_op(c, "parent") is None


def test_compute_dispatches_and_chunks_never_compute():
    assert compute(packages(), "argmax", column="size_kb")["answer"] == "gcc-12"
    assert compute(graph(), "successors", source="tool")["answer"] == "libbar"
    assert compute(Chunks(chunks=[Chunk(text="x")]), "argmax") is None


# ------------------------------------------------------------------ plans
def test_plan_schemas_offer_the_structures_own_names():
    props = plan_schema(packages(), "largest size?").model_json_schema()["properties"]
    assert props["column"]["enum"][0] == "size_kb"  # named in the question, numeric
    assert set(props["column"]["enum"]) == {"size_kb", "package", "section", "license"}
    assert props["filter_column"]["enum"][0] == "none"
    assert "none" in props["op"]["enum"] and "argmax" in props["op"]["enum"]
    assert "GPL" in props["value"]["enum"]
    g = plan_schema(graph(), "What does tool depend on?").model_json_schema()["properties"]
    # the one entity the question names is the only source offered
    assert g["source"]["const"] == "tool" and g["relation"]["enum"][0] == "depends on"
    assert "none" in g["target"]["enum"] and "any" in g["relation"]["enum"]
    c = plan_schema(catalogue(), "parent of quoting?").model_json_schema()["properties"]
    assert c["title"]["enum"][0] == "Quoting"
    a = plan_schema(algorithm(), "after configure?").model_json_schema()["properties"]
    assert a["phrase"]["enum"][0] == "Run ./configure" and a["n"]["maximum"] == 4
    assert plan_schema(Chunks()) is None and plan_schema(Table()) is None


def test_big_graphs_get_free_text_entities_unless_named():
    triples = [Triple(head=f"n{i}", relation="r", tail=f"n{i + 1}") for i in range(400)]
    props = plan_schema(KnowledgeGraph(triples=triples), "").model_json_schema()["properties"]
    assert "enum" not in props["source"] and props["source"]["maxLength"] == 80
    named = plan_schema(KnowledgeGraph(triples=triples), "What follows n7?")
    source = named.model_json_schema()["properties"]["source"]
    assert source["const"] == "n7"  # only the named entity is offered


def test_the_view_is_compact():
    rows = [{"package": f"p{i}", "size_kb": i} for i in range(500)]
    view = structure_view(Table(columns=["package", "size_kb"], rows=rows))
    assert "(500 rows)" in view and "p2" in view and "p3 " not in view
    assert "Relations: depends on, written in" in structure_view(graph())


# ------------------------------------------------------------------ utilizer
def plan(**fields):
    return {"column": "size_kb", "filter_column": "none", "value": "", **fields}


def test_exact_path_computes_over_rows_the_model_never_saw():
    rows = [{"package": f"pkg{i}", "size_kb": (i * 37) % 1000} for i in range(400)]
    table = Table(columns=["package", "size_kb"], rows=rows)
    llm = ScriptedChatModel(responses=[plan(op="argmax")])
    result = Utilizer(llm).answer("Which package has the largest installed size?", table)
    best = max(rows, key=lambda r: r["size_kb"])["package"]
    assert result.answer == best and result.method == "exact"
    assert result.computation["op"] == "argmax" and result.computation["plan"]["op"] == "argmax"
    assert result.llm_calls == 1 and result.issues == [] and result.subquestions == []
    prompt = "\n".join(str(m.content) for m in llm.prompts[0])
    assert "(400 rows)" in prompt and best not in prompt.split("Question:")[0]


def test_plan_none_falls_back_to_decompose_extract_merge():
    llm = ScriptedChatModel(
        responses=[
            plan(op="none"),
            {"subquestions": ["Which license does perl have?", "Which license does vim have?"]},
            "GPL",
            "Vim",
            "GPL and Vim",
        ]
    )
    result = Utilizer(llm).answer("Compare the licenses of perl and vim.", packages())
    assert result.method == "llm" and result.answer == "GPL and Vim"
    assert result.llm_calls == 5
    assert result.issues == ["exact: the plan chose no operation"]
    assert result.extractions == [
        {"subquestion": "Which license does perl have?", "answer": "GPL"},
        {"subquestion": "Which license does vim have?", "answer": "Vim"},
    ]
    texts = ["\n".join(str(m.content) for m in p) for p in llm.prompts]
    assert "Choose an operation" in texts[0]
    assert "sub-questions" in texts[1]
    assert "| perl |" in texts[2] and texts[2].endswith("Answer briefly from the knowledge above.")
    assert "Question: Which license does vim have?" in texts[3]
    assert "Sub-question: Which license does perl have?\nAnswer: GPL" in texts[4]


def test_computation_that_does_not_apply_is_an_issue_then_llm():
    llm = ScriptedChatModel(
        responses=[
            plan(op="argmax", column="package"),
            {"subquestions": ["Which is big?"]},
            "x",
            "y",
        ]
    )
    result = Utilizer(llm).answer("Biggest?", packages())
    assert result.method == "llm" and result.answer == "y"
    assert "gave no result" in result.issues[0]


def test_failed_plan_and_failed_decomposition_use_the_question():
    llm = ScriptedChatModel(responses=["not json", "not json", "perl"])
    result = Utilizer(llm).answer("Which package is in section perl?", packages())
    assert result.answer == "perl" and result.method == "llm"
    assert result.subquestions == ["Which package is in section perl?"]
    assert result.llm_calls == 3  # plan, decompose, extract; no merge
    assert result.issues[0].startswith("exact: plan failed")
    assert result.issues[1].startswith("decompose failed")


def test_chunks_and_exact_off_go_straight_to_the_llm_path():
    chunks = Chunks(chunks=[Chunk(text="perl is at version 5.36", source="perl")])
    llm = ScriptedChatModel(responses=[{"subquestions": ["What version is perl?"]}, "5.36"])
    result = Utilizer(llm).answer("What version is perl?", chunks)
    assert (result.answer, result.method, result.llm_calls) == ("5.36", "llm", 2)
    assert "perl is at version 5.36" in str(llm.prompts[1][0].content)
    llm = ScriptedChatModel(responses=[{"subquestions": ["Biggest?"]}, "gcc-12"])
    result = Utilizer(llm, exact=False).answer("Biggest?", packages().model_dump())
    assert result.answer == "gcc-12" and result.llm_calls == 2


def test_empty_structure_is_an_issue_and_still_answered():
    llm = ScriptedChatModel(responses=[{"subquestions": ["Biggest?"]}, "unknown"])
    result = Utilizer(llm).answer("Biggest?", Table(columns=["a"]))
    assert result.issues == ["empty structure"] and result.answer == "unknown"
    assert result.method == "llm"


def test_context_is_truncated_and_subquestions_capped():
    rows = [{"package": f"p{i}", "size_kb": i} for i in range(2000)]
    subs = {"subquestions": ["First part?", "Second part?"]}
    llm = ScriptedChatModel(responses=[subs, "a", "b", "ab"])
    u = Utilizer(llm, exact=False, max_context_tokens=100, max_subquestions=2)
    u.answer("Question?", Table(columns=["package", "size_kb"], rows=rows))
    assert len(str(llm.prompts[1][0].content)) < 100 * 4 + 200
    schema = u._decomposition.model_json_schema()["properties"]["subquestions"]
    assert schema["maxItems"] == 2 and schema["minItems"] == 1


def test_bad_input_is_an_input_error():
    u = Utilizer(ScriptedChatModel())
    for question in ("", "  ", None):
        with pytest.raises(InputError, match="empty"):
            u.answer(question, packages())
    with pytest.raises(InputError, match="cannot answer from a str"):
        u.answer("q?", "a table")
    for bad in ({"max_subquestions": 0}, {"max_context_tokens": -1}, {"max_new_tokens": 0}):
        with pytest.raises(InputError):
            Utilizer(ScriptedChatModel(), **bad)


# ------------------------------------------------------------------ the embedded model
@pytest.mark.e2e
def test_router_and_utilizer_on_the_embedded_model():
    from steergraph.agents.structrag.router import Router
    from steergraph.llm import load_chat_model

    llm = load_chat_model("local")
    for structure in (packages(), graph(), algorithm(), catalogue()):
        llm.with_structured_output(plan_schema(structure, "Which one is the largest?"))
    question = "Which package has the largest installed size?"
    start = time.perf_counter()
    route = Router(llm).route(question, [p for p, *_ in PACKAGES])
    result = Utilizer(llm).answer(question, packages())
    seconds = time.perf_counter() - start
    print(
        f"route={route.structure} method={result.method} answer={result.answer!r} "
        f"issues={result.issues} calls={result.llm_calls} seconds={seconds:.1f}"
    )
    assert route.structure in {"table", "graph", "algorithm", "catalogue", "chunk"}
    assert result.answer.strip() and result.method in {"exact", "llm"}
    assert not any("not supported" in issue for issue in result.issues)
    assert result.llm_calls >= 1


def test_subquestions_must_be_questions():
    llm = ScriptedChatModel(responses=[{"subquestions": ["1.1", "]"]}, "vim"])
    result = Utilizer(llm, exact=False).answer("Which editor is listed?", packages())
    assert result.subquestions == ["Which editor is listed?"] and result.answer == "vim"
    assert result.issues[0].startswith("decompose failed")
