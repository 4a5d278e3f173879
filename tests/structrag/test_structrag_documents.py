"""StructRAG documents: loading (nothing silently lost), texts, splitting, retrieval."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.embeddings import DeterministicFakeEmbedding

from steergraph.agents.structrag.documents import (
    docs_from_texts,
    load_documents,
    split_text,
)
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.errors import InputError, InputFileError


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "b.txt").write_text("Second document.\n")
    (tmp_path / "a.md").write_text("# A\nFirst document.")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("  \n\n ")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / ".hidden.txt").write_text("hidden")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.txt").write_text("Same name, other folder.")
    lines = [
        {"id": "r1", "title": "Record one", "text": "one"},
        {"text": "two"},
        {"title": "no text"},
        "not an object",
    ]
    (sub / "recs.jsonl").write_text(
        "\n".join(json.dumps(x) for x in lines) + "\n{broken\n", encoding="utf-8"
    )
    return tmp_path


def test_load_folder_keeps_every_input(folder):
    docs, issues = load_documents(folder)
    assert [d.title for d in docs] == ["a.md", "b.txt", "sub/b.txt", "Record one", "recs.jsonl:2"]
    assert [d.id for d in docs] == ["d0001", "d0002", "d0003", "r1", "d0005"]
    assert docs[3].text == "one" and docs[3].source.endswith("recs.jsonl:1")
    problems = {os.path.basename(i.source): i.problem for i in issues}
    assert problems["empty.txt"].startswith("empty file")
    assert problems["blank.txt"].startswith("whitespace-only")
    assert "binary" in problems["image.png"]
    assert "not UTF-8" in problems["latin1.txt"]
    assert "3 lines (3, 4, 5)" in problems["recs.jsonl"]
    assert not any("hidden" in i.source or ".git" in i.source for i in issues)
    assert len(issues) == 5


def test_load_list_json_and_limits(tmp_path):
    (tmp_path / "data.json").write_text(json.dumps([{"text": "x", "title": "X"}, {"text": ""}]))
    (tmp_path / "config.json").write_text(json.dumps({"name": "pkg", "version": 1}))
    (tmp_path / "big.txt").write_text("y" * 100)
    docs, issues = load_documents(
        [tmp_path / "data.json", tmp_path / "config.json", str(tmp_path / "big.txt")],
        max_bytes=50,
    )
    assert [d.title for d in docs] == ["X", "config.json"]  # JSON data, not records: text
    assert {os.path.basename(i.source) for i in issues} == {"data.json", "big.txt"}
    assert any("over max_bytes=50" in i.problem for i in issues)


def test_unreadable_file_is_an_issue(tmp_path, monkeypatch):
    (tmp_path / "ok.txt").write_text("fine")
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    read = Path.read_bytes

    def guarded(self):  # root ignores file modes: deny the read the way the kernel would
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    try:
        docs, issues = load_documents(tmp_path)
    finally:
        secret.chmod(0o600)
    assert [d.title for d in docs] == ["ok.txt"]
    assert "cannot be read" in issues[0].problem


def test_missing_and_nothing_usable(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_documents(tmp_path / "nope")
    (tmp_path / "e.txt").write_text("")
    (tmp_path / "bin").write_bytes(b"\x00\x01")
    with pytest.raises(InputFileError, match=r"no usable document in 2 input file\(s\).*empty"):
        load_documents(tmp_path)
    with pytest.raises(InputFileError, match="no input paths"):
        load_documents([])


def test_docs_from_texts():
    docs = docs_from_texts(["alpha", "beta"])
    assert [(d.id, d.title) for d in docs] == [("d0001", "text 1"), ("d0002", "text 2")]
    with pytest.raises(InputError, match="'gone' has no text"):
        docs_from_texts({"ok": "x", "gone": "  "})
    with pytest.raises(InputError, match="no texts"):
        docs_from_texts({})


def _covers(text: str, chunks: list[str]) -> bool:
    """The chunks are pieces of text, in order, that together cover all of it: some
    placement of each chunk starts no earlier than the previous one and touches what is
    covered so far (every placement is tried: repeated letters make several possible)."""
    flat = re.sub(r"\s", "", text)
    states = {(0, 0)}  # (start of the last chunk, end of what is covered)
    for chunk in chunks:
        piece = re.sub(r"\s", "", chunk)
        states = {
            (i, max(end, i + len(piece)))
            for start, end in states
            for i in range(start, end + 1)
            if flat.startswith(piece, i)
        }
        if not states:
            return False
    return any(end == len(flat) for _, end in states)


def test_split_text_paragraphs_and_huge_paragraph():
    paras = [f"Paragraph {i} has some words in it." for i in range(30)]
    text = "\n\n".join(paras)
    chunks = split_text(text, chunk_chars=200, overlap=40)
    assert all(len(c) <= 200 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # cuts at paragraph ends
    assert "".join(" ".join(chunks).split()).count("Paragraph29") == 1
    assert _covers(text, chunks)
    huge = " ".join(f"Sentence number {i} is short." for i in range(100))
    chunks = split_text(huge, chunk_chars=150, overlap=0)
    assert all(len(c) <= 150 for c in chunks) and all(c.endswith(".") for c in chunks)
    assert " ".join(chunks).split() == huge.split()
    word = "x" * 500
    assert _covers(word, split_text(word, chunk_chars=100, overlap=10))
    assert split_text("  \n ") == []
    with pytest.raises(InputError, match="overlap"):
        split_text("abc", chunk_chars=10, overlap=10)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("abc de.\n"), min_size=0, max_size=120), max_size=12),
    st.integers(20, 120),
    st.integers(0, 19),
)
def test_split_text_properties(parts, chunk_chars, overlap):
    text = "\n\n".join(parts)
    chunks = split_text(text, chunk_chars=chunk_chars, overlap=overlap)
    assert all(0 < len(c) <= chunk_chars for c in chunks)
    if overlap == 0:  # without overlap the chunks are exactly the text's non-space chars
        assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)
    assert _covers(text, chunks)


def test_retriever_search_and_top_documents():
    docs = docs_from_texts(
        {"apt": "apt installs packages.\n\n" + "filler text. " * 40, "dpkg": "dpkg unpacks."}
    )
    r = Retriever(docs, DeterministicFakeEmbedding(size=16), chunk_chars=120, overlap=0)
    hits = r.search("dpkg unpacks.", k=3)
    assert hits[0].source == "dpkg" and hits[0].text == "dpkg unpacks."
    assert len(hits) == 3 and hits[0].score >= hits[1].score
    assert [c.source for c in r.search("dpkg unpacks.", k=5, doc_ids={"d0001"})] == ["apt"] * 5
    top = r.top_documents("dpkg unpacks.", k=5)
    assert [d.title for d in top] == ["dpkg", "apt"]
    sims = r.similarities("dpkg unpacks.", ["dpkg unpacks.", "other"])
    assert sims[0] == pytest.approx(1.0, abs=1e-5) and sims[1] < 1
    with pytest.raises(InputError, match="query is empty"):
        r.search(" ")
