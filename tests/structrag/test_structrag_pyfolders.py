"""Issue 18's second record source: folders of Python packages' METADATA (repeated
Requires-Dist lines, PEP 508, PEP 503 names), read as pip reads them."""

from __future__ import annotations

import networkx as nx
import pytest

from steergraph.agents.structrag.parsers import parse_records, parse_triples
from steergraph.agents.structrag.plans import plan_schema
from steergraph.agents.structrag.pymeta import canonical, requirement_names
from steergraph.agents.structrag.structures import KnowledgeGraph, Triple
from steergraph.bench.structrag_folders import run_folder_suite
from steergraph.data.structrag.pyfolders import (
    python_questions,
    python_records,
    write_python_folder,
)
from steergraph.errors import InputError

METADATA = """Metadata-Version: 2.1
Name: Demo_Pkg
Version: 1.2
Requires-Dist: Typing_Extensions>=4
Requires-Dist: idna (<4,>=2.5)
Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == "socks"
Requires-Dist: colorama; python_version < "3"
Requires-Dist: urllib3[brotli]<3; python_version >= "3.8"
"""


def test_repeated_requirement_lines_become_relations_as_pip_reads_them():
    (rec,) = parse_records(METADATA)
    assert rec["Requires-Dist"].count(", ") == 4  # every line kept, not only the last
    triples = parse_triples(METADATA)
    # extras and markers false here are not installed; names as PEP 503 writes them
    assert triples == [("demo-pkg", "requires-dist", "typing-extensions"),
                       ("demo-pkg", "requires-dist", "idna"),
                       ("demo-pkg", "requires-dist", "urllib3")]  # fmt: skip
    assert requirement_names("not a requirement !!, six") == ["six"]
    assert canonical(" Zope.Interface ") == "zope-interface"


@pytest.fixture(scope="module")
def records():
    return python_records(40, seed=0)


def test_records_are_installed_distributions_with_sizes_and_chains(records, tmp_path):
    names = [canonical(r["Name"]) for r in records]
    assert len(set(names)) == 40 and records == python_records(40, seed=0)
    assert all(int(r["Installed-Size"]) >= 1 for r in records)
    folder = write_python_folder(records, tmp_path / "py")
    files = sorted(folder.glob("*.METADATA"))
    assert len(files) == 40
    # what StructRAG's parser reads from the files is the graph the golds come from
    read = nx.DiGraph([(h, t) for f in files for h, _, t in parse_triples(f.read_text())])
    gold = nx.DiGraph()
    for r in records:
        needs = requirement_names(r.get("Requires-Dist", "").replace("\n", ", "))
        gold.add_edges_from((canonical(r["Name"]), d) for d in needs)
    assert set(read.edges) == set(gold.edges) and read.number_of_edges() >= 20
    questions = {q.form: q for q in python_questions(records, seed=0)}
    assert {"largest", "smallest", "total", "version", "between", "closure"} <= set(questions)
    sizes = {r["Name"]: int(r["Installed-Size"]) for r in records}
    assert questions["largest"].gold == max(sizes, key=sizes.get)
    p = questions["closure"].question.split("does ")[1].split(" depend")[0]
    assert questions["closure"].gold == len(nx.descendants(gold, p))


def test_bad_requests_are_input_errors():
    with pytest.raises(InputError, match="at least one record"):
        python_records(0)
    with pytest.raises(InputError, match="Python distributions are installed"):
        python_records(10**6)
    with pytest.raises(InputError, match="no records"):
        python_questions([])
    with pytest.raises(InputError, match="unknown record source 'rpm'"):
        run_folder_suite("local", sources=("rpm",))


def test_graph_plans_offer_only_the_entities_the_question_names():
    graph = KnowledgeGraph(triples=[Triple(head=h, relation="requires-dist", tail=t)
                                    for h, t in (("a-pkg", "mid"), ("mid", "end"),
                                                 ("other", "end"))])  # fmt: skip
    schema = plan_schema(graph, "Which package sits between a-pkg and end in the chain?")
    assert schema.model_fields["source"].annotation.__args__ == ("a-pkg", "end")
    assert schema.model_fields["target"].annotation.__args__ == ("end", "a-pkg", "none")
    unnamed = plan_schema(graph, "Which package is required the most?")
    assert "other" in unnamed.model_fields["source"].annotation.__args__


@pytest.mark.e2e
def test_structrag_answers_requirement_chains_on_the_embedded_model(tmp_path):
    rows = run_folder_suite("local", sizes=(40,), sources=("python",), methods=("structrag",),
                            forms=("between", "closure"), workdir=str(tmp_path),
                            log=lambda line: None)  # fmt: skip
    assert [r["structure"] for r in rows] == ["graph", "graph"]
    assert all(r["routed_by"] == "records" and r["computed"] for r in rows)
    assert [r["em"] for r in rows] == [1.0, 1.0], rows
