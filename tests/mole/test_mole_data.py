"""SummEval read from ../shared, split by article, with clear errors for bad files."""

from __future__ import annotations

import json

import pytest

from steergraph.data.mole import FACETS, check_facet, load_summeval, split_by_article
from steergraph.errors import InputError, InputFileError


@pytest.fixture(scope="module")
def rows():
    return load_summeval()


def test_every_rated_summary_is_read(rows):
    assert len(rows) == 1152 and len({r.doc_id for r in rows}) == 72
    assert all(set(r.scores) == set(FACETS) for r in rows)
    assert all(1.0 <= v <= 5.0 for r in rows for v in r.scores.values())
    assert all(r.text.strip() and r.source.strip() and len(r.refs) == 11 for r in rows)


def test_splits_never_share_an_article(rows):
    parts = split_by_article(rows, dev=0.15, test=0.3, seed=0)
    docs = {k: {r.doc_id for r in v} for k, v in parts.items()}
    assert not (
        docs["train"] & docs["test"] or docs["train"] & docs["dev"] or docs["dev"] & docs["test"]
    )
    assert sum(len(v) for v in parts.values()) == len(rows)
    assert (len(docs["test"]), len(docs["dev"])) == (22, 11)
    assert split_by_article(rows, seed=1)["test"] != parts["test"]


def test_bad_files_and_names_are_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("STEERGRAPH_SUMMEVAL", str(tmp_path / "absent.json"))
    with pytest.raises(InputFileError, match="STEERGRAPH_SUMMEVAL"):
        load_summeval()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"d1": {"src": "s", "refs": [], "hypos": {"m": {"hypo": "h"}}}}))
    with pytest.raises(InputFileError, match="article d1 lacks"):
        load_summeval(bad)
    with pytest.raises(InputError, match="unknown facet 'clarity'"):
        check_facet("clarity")
    with pytest.raises(InputError, match="shares"):
        split_by_article([], dev=0.6, test=0.6)
