"""StructRAG parsers on real-looking samples: records, tables, triples, steps, outlines."""

from __future__ import annotations

from steergraph.agents.structrag.parsers import (
    build_tree,
    parse_delimited,
    parse_markdown_tables,
    parse_outline,
    parse_records,
    parse_steps,
    parse_table,
    parse_triples,
)
from tests.structrag.structrag_samples import (
    CSV,
    DPKG,
    MARKDOWN,
    MARKDOWN_TABLE,
    RST,
    WITH_STATEMENT,
)


# ----------------------------------------------------------------------------- parsers
def test_records_and_table_from_dpkg():
    records = parse_records(DPKG)
    assert [r["Package"] for r in records] == ["libc6", "libgcc-s1", "coreutils"]
    assert records[0]["Description"].endswith("standard C library.")
    assert "nearly all programs on the system." in records[0]["Description"]
    columns, rows = parse_table(DPKG)
    assert columns[:4] == ["name", "Package", "Status", "Installed-Size"]
    assert "Pre-Depends" in columns and "Recommends" in columns
    assert [r["name"] for r in rows] == ["libc6", "libgcc-s1", "coreutils"]
    assert parse_records("Note: this is prose.\nIt goes on and on.\nAnd on.") == []


def test_triples_from_dpkg():
    triples = parse_triples(DPKG)
    assert ("libgcc-s1", "depends", "gcc-12-base") in triples
    assert ("libgcc-s1", "depends", "libc6") in triples
    assert ("libgcc-s1", "breaks", "libgcc1") in triples
    assert ("coreutils", "pre-depends", "libattr1") in triples  # ":any" and version gone
    assert ("coreutils", "recommends", "debianutils") in triples  # first alternative
    assert not any("busybox" in t[2] or "(" in t[2] or ":" in t[2] for t in triples)
    see = "NAME\n  ls - list\n\nSEE ALSO\n  dir(1), vdir(1),\n  dircolors(1)\n\nBUGS\n"
    assert parse_triples(see, name="ls") == [
        ("ls", "see also", "dir"),
        ("ls", "see also", "vdir"),
        ("ls", "see also", "dircolors"),
    ]


def test_delimited_and_markdown_tables():
    columns, rows = parse_delimited(CSV)
    assert columns == ["package", "size_kb", "section"] and rows[2]["package"] == "curl"
    columns, rows = parse_delimited(CSV.replace(",", "\t"))
    assert len(rows) == 3 and rows[0]["size_kb"] == "7000"
    assert parse_delimited("I went, and then, I came back.\nNo commas here") == ([], [])
    (columns, rows), *_ = parse_markdown_tables(MARKDOWN_TABLE)
    assert columns == ["Tool", "Language", "Stars"]
    assert rows == [
        {"Tool": "ruff", "Language": "Rust", "Stars": "30000"},
        {"Tool": "black", "Language": "Python", "Stars": "38000"},
    ]
    assert parse_table(MARKDOWN_TABLE)[1] == rows


def test_steps_numbered_and_bullets():
    steps = parse_steps(WITH_STATEMENT)
    assert len(steps) == 7  # the longest 1..n run, not the one-item list below it
    assert steps[0] == (
        'The context expression (the expression given in the "with_item") is '
        "evaluated to obtain a context manager."
    )
    assert steps[6] == 'The context manager\'s "__exit__()" method is invoked.'
    assert parse_steps("Step 1: Boil water.\nStep 2: Add  tea.\nStep 3: Wait.") == [
        "Boil water.",
        "Add tea.",
        "Wait.",
    ]
    assert parse_steps("1) one\n2) two\n   more\n  a. nested\n3) three") == [
        "one",
        "two more a. nested",
        "three",
    ]
    assert parse_steps("Intro\n\n- first\n- second\n  continued\n\nEnd.") == [
        "first",
        "second continued",
    ]
    assert parse_steps("Just prose. 1. is not a step here") == []


def test_outline_markdown_rst_numbered():
    md = parse_outline(MARKDOWN)
    assert [(lvl, t) for lvl, t, _ in md] == [
        (1, "Networking"),
        (2, "DNS"),
        (3, "Resolvers"),
        (2, "DHCP"),
    ]
    assert md[1][2] == "DNS maps names to addresses."
    rst = parse_outline(RST)
    assert [(lvl, t) for lvl, t, _ in rst] == [
        (1, "User Guide"),
        (2, "Installation"),
        (3, "From source"),
        (2, "Configuration"),
        (3, "Advanced options"),
        (4, "Tuning"),
    ]
    assert rst[0][2] == "This guide explains the tool."
    numbered = parse_outline("1 Intro\n\nHello there.\n\n1.1 Scope\n\nSmall.\n\n2 Usage\n\nRun.")
    assert [(lvl, t, s) for lvl, t, s in numbered] == [
        (1, "Intro", "Hello there."),
        (2, "Scope", "Small."),
        (1, "Usage", "Run."),
    ]
    tree = build_tree(rst, prefix="3")
    numbers = [(n.number, n.title) for root in tree for n, _ in root.walk()]
    assert numbers[:3] == [
        ("3.1", "User Guide"),
        ("3.1.1", "Installation"),
        ("3.1.1.1", "From source"),
    ]
    assert ("3.1.2.1.1", "Tuning") in numbers
