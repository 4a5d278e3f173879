"""Issue 18's evaluation: folders of real dpkg records, one file each, with questions whose
gold answers a program computes; the folders suite of the benchmark."""

from __future__ import annotations

import networkx as nx
import pytest

from steergraph.bench.structrag_folders import final_folders, run_folder_suite, summarize_folders
from steergraph.data.structrag.folders import (
    FORMS,
    dpkg_records,
    folder_questions,
    write_folder,
)
from steergraph.errors import InputError


@pytest.fixture(scope="module")
def records():
    return dpkg_records(70, seed=0)


def test_records_are_real_installed_packages_closed_under_dependencies(records):
    assert len({r["Package"] for r in records}) == 70
    assert records == dpkg_records(70, seed=0) and records != dpkg_records(70, seed=1)
    names = {r["Package"] for r in records}
    from steergraph.data.structrag.folders import _deps

    inside = sum(d in names for r in records for d in _deps(r))
    assert inside >= 35  # breadth-first from the starts: chains for the graph questions


def test_every_form_gets_a_question_with_a_computed_gold(records, tmp_path):
    questions = {q.form: q for q in folder_questions(records, seed=0)}
    assert set(questions) == set(FORMS)
    sizes = {r["Package"]: int(r["Installed-Size"]) for r in records}
    assert questions["largest"].gold == max(sizes, key=sizes.get)
    assert questions["total"].gold == sum(sizes.values())
    section = questions["count_section"].question.split("section ")[1].rstrip("?")
    assert questions["count_section"].gold == sum(r.get("Section") == section for r in records)
    g = nx.DiGraph()
    from steergraph.data.structrag.folders import _deps

    g.add_edges_from((r["Package"], d) for r in records for d in _deps(r))
    a, c = questions["between"].question.split("between ")[1].split(" in the")[0].split(" and ")
    assert g.has_edge(a, questions["between"].gold) and g.has_edge(questions["between"].gold, c)
    folder = write_folder(records, tmp_path / "dpkg")
    assert len(list(folder.glob("*.txt"))) == 70
    assert "Installed-Size: " in (folder / f"{records[0]['Package']}.txt").read_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n": 0}, "at least one record"), ({"n": 10**6}, "packages are installed"),
     ({"n": 5, "status": "/nonexistent/status"}, "no dpkg status database")],
)  # fmt: skip
def test_bad_folder_requests_are_input_errors(kwargs, message):
    n = kwargs.pop("n")
    with pytest.raises(InputError, match=message):
        dpkg_records(n, **kwargs)
    with pytest.raises(InputError, match="no records"):
        folder_questions([])


def test_the_summary_gives_the_final_keys():
    scored = [("structrag", "total", 1.0, 2.0), ("structrag", "version", 0.0, 8.0),
              ("chunk_rag", "total", 0.0, 3.0)]  # fmt: skip
    rows = [{"method": m, "form": f, "em": em, "seconds": s} for m, f, em, s in scored]
    final = final_folders(summarize_folders(rows))
    assert final["folders_exact_structrag"] == 0.5 and final["folders_exact_chunk_rag"] == 0.0
    assert final["folders_exact_long_context"] is None
    assert final["folders_seconds_per_question"] == 5.0
    assert final["folders_per_form"]["structrag"] == {"total": 1.0, "version": 0.0}


def test_an_unknown_suite_is_refused(cli):
    result = cli("structrag", "bench", "--suite", "nope")
    assert result.returncode == 2 and "unknown suite 'nope'" in result.stderr


@pytest.mark.e2e
def test_structrag_on_a_folder_of_records_on_the_embedded_model(tmp_path):
    forms = ("total", "most_section", "between", "closure")  # a table and a graph each
    rows = run_folder_suite("local", sizes=(20,), methods=("structrag",), forms=forms,
                            workdir=str(tmp_path), log=lambda line: None)  # fmt: skip
    questions = [q for q in folder_questions(dpkg_records(20, seed=0), seed=0) if q.form in forms]
    assert [r["question"] for r in rows] == [q.question for q in questions]
    assert all(r["routed_by"] == "records" for r in rows)  # no model call to route
    assert [r["structure"] for r in rows] == ["table", "table", "graph", "graph"]
    summary = summarize_folders(rows)["structrag"]
    print(summary)
    assert summary["questions"] == len(forms)


def test_the_archive_list_gives_folders_larger_than_the_installed_set():
    from steergraph.data.structrag.folders import archive_list

    try:
        packages = archive_list()
    except InputError as exc:  # a machine where apt-get update never ran
        pytest.skip(str(exc))
    records = dpkg_records(2000, seed=0, status=packages)  # more than are installed here
    assert len({r["Package"] for r in records}) == 2000
    questions = {q.form for q in folder_questions(records, seed=0)}
    assert {"largest", "between", "closure"} <= questions
    with pytest.raises(InputError, match=r"packages are listed in .*Packages"):
        dpkg_records(10**6, status=packages)  # the archive's list: not "installed"
