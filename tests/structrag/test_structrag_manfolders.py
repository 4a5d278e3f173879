"""Issue 18's third record source: man pages as records (NAME, SYNOPSIS, SEE ALSO as
links, a word count), read by Seg2Act's groff reader."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import networkx as nx
import pytest

from steergraph.agents.structrag.parsers import parse_records, parse_triples
from steergraph.data.structrag.manfolders import (
    MAN_ROOT,
    man_questions,
    man_records,
    write_man_folder,
)
from steergraph.errors import InputError

PAGE = r""".TH ALPHA 1
.SH NAME
alpha \- first \s-1TOY\s0 tool
.SH SYNOPSIS
.B alpha
[\fIOPTION\fR]...
.SH DESCRIPTION
Alpha does one thing.
.PP
And it does it well.
.SH "SEE ALSO"
\fBbeta\fR\|(1), \fBdelta\fR(7),
.BR alpha (1)
"""


def _write(root: Path, section: str, name: str, text: str) -> Path:
    folder = root / f"man{section[0]}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{section}.gz"
    path.write_bytes(gzip.compress(text.encode()))
    return path


@pytest.fixture
def root(tmp_path):
    base = tmp_path / "man"
    _write(base, "1", "alpha", PAGE)
    _write(base, "1", "beta", ".SH NAME\nbeta \\- second\n.SH SEE ALSO\ngamma(8)\n")
    _write(base, "8", "gamma", ".SH NAME\ngamma \\- third, an admin tool\n.SH NOTES\na b c\n")
    _write(base, "5", "gamma", ".SH NAME\ngamma \\- its file format\n")  # same name, later
    _write(base, "1", "stub", ".so man1/alpha.1\n")  # a redirect: no NAME, not a record
    (base / "man1" / "alias.1.gz").symlink_to("alpha.1.gz")
    return base


def test_pages_become_records_with_links_and_word_counts(root, tmp_path):
    records = {r["Name"]: r for r in man_records(3, seed=0, root=root)}
    assert set(records) == {"alpha", "beta", "gamma"}
    alpha = records["alpha"]
    assert alpha["Section"] == "1" and alpha["Description"] == "first TOY tool"
    assert alpha["Synopsis"] == "alpha [OPTION]..."
    assert alpha["See-Also"] == "beta, delta"  # no self-link, no section numbers
    assert alpha["Word-Count"] == str(len(
        "NAME alpha - first TOY tool SYNOPSIS alpha [OPTION]... DESCRIPTION Alpha does one "
        "thing. And it does it well. SEE ALSO beta(1), delta(7), alpha (1)".split()))  # fmt: skip
    assert records["gamma"]["Section"] == "8"  # section 8 before 5
    folder = write_man_folder(list(records.values()), tmp_path / "folder")
    assert sorted(p.name for p in folder.iterdir()) == ["alpha.1.txt", "beta.1.txt",
                                                        "gamma.8.txt"]  # fmt: skip
    text = (folder / "alpha.1.txt").read_text()
    assert parse_records(text)[0]["Word-Count"] == alpha["Word-Count"]
    # a link to a page outside the folder (delta) is a fact like any other
    assert parse_triples(text) == [("alpha", "see-also", "beta"), ("alpha", "see-also", "delta")]
    with pytest.raises(InputError, match="only 3 man pages are installed"):
        man_records(4, root=root)


def test_questions_have_golds_computed_from_the_records(root):
    records = man_records(3, seed=0, root=root)
    qs = {q.form: q for q in man_questions(records, seed=0)}
    words = {r["Name"]: int(r["Word-Count"]) for r in records}
    assert qs["largest"].gold == max(words, key=words.get) == "alpha"
    assert qs["total"].gold == sum(words.values())
    assert qs["largest"].question == "Which manual page has the largest Word-Count?"
    assert qs["most_section"].gold == "1"
    asked = qs["count_section"].question.removesuffix("?").split()[-1]
    assert qs["count_section"].gold == sum(r["Section"] == asked for r in records)
    assert qs["between"].gold == "beta"  # alpha -> beta -> gamma, and no alpha -> gamma
    assert "see-also chain" in qs["between"].question
    assert qs["closure"].question.startswith("How many manual pages does alpha refer to")
    assert qs["closure"].gold == 3.0  # beta, delta and (through beta) gamma
    with pytest.raises(InputError, match="no records"):
        man_questions([])
    with pytest.raises(InputError, match="at least one record"):
        man_records(0, root=root)


@pytest.mark.e2e
def test_structrag_answers_see_also_chains_of_real_pages_on_the_embedded_model(tmp_path):
    from steergraph.graphs.structrag import StructRAGContext, build_structrag_graph

    pages = tmp_path / "man" / "man1"
    pages.mkdir(parents=True)
    for path in sorted((MAN_ROOT / "man1").glob("openssl*.1ssl.gz")):
        if not path.is_symlink():
            shutil.copy(path, pages / path.name)
    records = man_records(30, seed=0, root=tmp_path / "man")
    folder = write_man_folder(records, tmp_path / "folder")
    questions = [q for q in man_questions(records, seed=0) if q.form in ("between", "closure")]
    assert len(questions) == 2
    graph = nx.DiGraph([(r["Name"], x.strip()) for r in records
                        for x in r.get("See-Also", "").split(",") if x.strip()])  # fmt: skip
    assert graph.number_of_edges() >= 30
    app = build_structrag_graph()
    for q in questions:
        out = app.invoke({"question": q.question, "paths": [str(folder)]},
                         context=StructRAGContext(model="local"))  # fmt: skip
        meta = out["metadata"]
        assert meta["structure"] == "graph" and meta["method"] == "exact", meta
        assert str(out["answer"]).strip().removesuffix(".0") == str(q.gold).removesuffix(".0")
