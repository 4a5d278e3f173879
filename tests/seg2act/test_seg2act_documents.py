"""Documents with known structure from the machine's man pages and info manuals."""

from __future__ import annotations

import gzip

import pytest

from steergraph.agents.seg2act import DocTree, parse_action
from steergraph.data.seg2act import find_sources, load_document
from steergraph.errors import InputFileError

LS = "/usr/share/man/man1/ls.1.gz"
BC = "/usr/share/info/bc.info.gz"


def test_a_man_page_gives_headings_paragraphs_and_continued_lines():
    doc = load_document(LS)
    assert doc.actions[:3] == ["+", "*", "+"] and doc.segments[:3] == [
        "NAME", "ls - list directory contents", "SYNOPSIS",
    ]  # fmt: skip
    assert {"+", "*", "="} <= set(doc.actions) and doc.headings >= 5
    assert not any("\\f" in s or s.startswith(".") for s in doc.segments)


def test_an_info_manual_gives_nested_levels_without_menus():
    doc = load_document(BC)
    levels = {a for a in doc.actions if a.startswith("+")}
    assert {"+", "++"} <= levels
    assert not any(s.startswith(("* Menu:", "File: ")) or s.endswith("::") for s in doc.segments)
    assert doc.segments[doc.actions.index("++")] == "1.1 Description"


def test_the_gold_actions_rebuild_the_gold_tree():
    for path in (LS, BC):
        doc = load_document(path)
        tree = DocTree()
        for action, segment in zip(doc.actions, doc.segments):
            assert tree.apply(parse_action(action), segment) is None  # gold needs no repair
        gold = [(n.kind, n.level, n.text) for n in doc.tree.walk()]
        assert [(n.kind, n.level, n.text) for n in tree.root.walk()] == gold


def test_the_installed_sources_are_found():
    sources = find_sources()
    assert any(p.name == "ls.1.gz" for p in sources) and any(
        p.name == "bc.info.gz" for p in sources
    )


def test_binary_or_missing_input_is_a_clear_error(tmp_path):
    blob = tmp_path / "x.1.gz"
    blob.write_bytes(gzip.compress(bytes(range(256)) * 4))
    with pytest.raises(InputFileError, match=r"cannot read .* as a text document"):
        load_document(blob)
    with pytest.raises(InputFileError, match="cannot read"):
        load_document(tmp_path / "absent.1.gz")


def test_macro_argument_quotes_are_not_text():
    from steergraph.data.seg2act import parse_man

    doc = parse_man('.SH NAME\n.B "two words" and\nmore "quoted" text\n', "q.1")
    assert doc.segments == ["NAME", "two words and", 'more "quoted" text']
