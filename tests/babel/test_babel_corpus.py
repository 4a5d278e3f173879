"""Babel Tower's corpora: real files collected, deduplicated, split by file; bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from steergraph.data.babel import build_corpus, default_roots, load_corpus
from steergraph.errors import InputError

PY = "def f{i}(x):\n    return x * {i} + 1  # python number {i}\n" * 4
JS = "function f{i}(x) {{\n  return x * {i} + 1; // javascript {i}\n}}\n" * 4


def _tree(root: Path, n: int = 6) -> dict[str, list[Path]]:
    for lang, ext, body in (("py", ".py", PY), ("js", ".js", JS)):
        (root / lang / "sub").mkdir(parents=True)
        for i in range(n):
            (root / lang / ("sub" if i % 2 else "") / f"f{i}{ext}").write_text(body.format(i=i))
        (root / lang / "notes.txt").write_text("not code " * 50)
    return {"python": [root / "py"], "javascript": [root / "js"]}


def test_collects_by_suffix_and_splits_by_file(tmp_path: Path) -> None:
    c = build_corpus(_tree(tmp_path), heldout_fraction=0.3, min_chars=20)
    assert [len(c.files(lang)) for lang in c.languages] == [6, 6]
    assert all(f.path.endswith((".py", ".js")) for f in c.items)
    for lang in c.languages:
        assert c.files(lang, "heldout") and c.files(lang, "train")
    again = build_corpus(_tree(tmp_path / "b"), heldout_fraction=0.3, min_chars=20)
    split = {f.text: f.split for f in c.items}
    assert {f.text: f.split for f in again.items} == split  # same texts, same split


def test_duplicates_and_sizes_are_dropped_and_counted(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    (tmp_path / "py" / "copy.py").write_text(PY.format(i=0) + "   \n")  # trailing spaces only
    (tmp_path / "py" / "tiny.py").write_text("x = 1\n")
    c = build_corpus(src, min_chars=20)
    assert c.dropped["python"]["duplicate"] == 1 and c.dropped["python"]["size"] == 1
    assert c.stats()["python"]["dropped_duplicate"] == 1


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    c = build_corpus(_tree(tmp_path), min_chars=20)
    back = load_corpus(c.save(tmp_path / "out"))
    assert back.items == c.items and back.languages == c.languages
    with pytest.raises(InputError, match="no manifest"):
        load_corpus(tmp_path / "py")


def test_binary_file_is_refused_or_skipped(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    (tmp_path / "js" / "blob.js").write_bytes(b"\x00\x01\x02binary" * 50)
    with pytest.raises(InputError, match=r"blob\.js is not UTF-8 text"):
        build_corpus(src, min_chars=20)
    c = build_corpus(src, min_chars=20, skip_binary=True)
    assert c.dropped["javascript"]["binary"] == 1


def test_a_language_without_files_names_the_folder(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    src["go"] = [tmp_path / "py"]  # no .go files there
    with pytest.raises(InputError, match=r"no go files \(\.go\)"):
        build_corpus(src, min_chars=20)


def test_one_language_and_unknown_suffixes_are_refused(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    with pytest.raises(InputError, match="at least two languages"):
        build_corpus({"python": src["python"]})
    with pytest.raises(InputError, match="no file suffixes known for language 'cobol'"):
        build_corpus({"python": src["python"], "cobol": [tmp_path]})
    with pytest.raises(InputError, match="only one text file: nothing left to train on"):
        build_corpus(
            {"python": src["python"], "text": [tmp_path / "py"]},
            suffixes={"text": [".txt"]},
            min_chars=20,
        )
    (tmp_path / "py" / "more.txt").write_text("other words " * 40)
    c = build_corpus(
        {"python": src["python"], "text": [tmp_path / "py"]},
        suffixes={"text": [".txt"]},
        min_chars=20,
    )
    assert len(c.files("text")) == 2


def test_the_machine_has_real_python_code() -> None:
    root = default_roots("python")[0]
    assert (root / "json" / "decoder.py").is_file()


def test_natural_languages_are_read_from_debians_man_pages() -> None:
    from steergraph.agents.babel.probe import probe_inputs, probe_model
    from steergraph.testing import tiny_causal_lm

    corpus = build_corpus(
        {"en": default_roots("en"), "de": default_roots("de")}, max_files=12, skip_binary=True
    )
    english, german = (" ".join(corpus.texts(k, "train")) for k in ("en", "de"))
    assert "\\f" not in english and ".SH" not in english  # groff read as text
    assert english.count(" the ") > german.count(" the ")
    assert german.count(" die ") + german.count(" und ") > english.count(" die ") + 10
    model, tok = tiny_causal_lm(seed=0)
    inputs = probe_inputs(tok, corpus, ["en", "de"], train_files=12, heldout_files=1, min_count=2)
    shares, found = probe_model(model, tok, inputs, max_tokens=32)
    assert set(shares) == {"en", "de", "shared"} and set(found.counts) == {"en", "de"}
