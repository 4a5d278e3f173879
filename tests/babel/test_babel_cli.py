"""The Babel Tower commands: a corpus from given folders, and bad input in one line."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def folders(tmp_path):
    for lang, ext in (("py", ".py"), ("go", ".go")):
        (tmp_path / lang).mkdir()
        for i in range(5):
            (tmp_path / lang / f"f{i}{ext}").write_text(f"// {lang} file {i}\n" * 20)
    return tmp_path


def test_corpus_from_given_folders(cli, folders, tmp_path) -> None:
    r = cli("babel", "corpus", "--languages", "python,go", "--source", f"python={folders}/py",
            "--source", f"go={folders}/go", "--out", str(tmp_path / "c"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)["stats"]
    assert {k: v["train_files"] + v["heldout_files"] for k, v in stats.items()} == \
        {"python": 5, "go": 5}  # fmt: skip
    assert (tmp_path / "c" / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["babel", "corpus", "--languages", "python"], "names 1 language(s)"),
     (["babel", "corpus", "--languages", "python,go", "--source", "go"], "write LANG=FOLDER"),
     (["babel", "corpus", "--languages", "python,klingon"], "unknown language 'klingon'"),
     (["babel", "probe", "smollm2", "--corpus", "/no/corpus"], "holds no corpus"),
     (["babel", "bench", "--languages", "go"], "names 1 language(s)")],
)  # fmt: skip
def test_bad_input_is_one_line(cli, args, message) -> None:
    r = cli(*args)
    assert r.returncode == 2 and message in r.stderr
    assert r.stderr.count("\n") == 1


def test_a_binary_file_among_given_sources_is_named(cli, folders, tmp_path) -> None:
    (folders / "go" / "blob.go").write_bytes(b"\x00\xff" * 300)
    r = cli("babel", "corpus", "--languages", "python,go", "--source", f"python={folders}/py",
            "--source", f"go={folders}/go", "--out", str(tmp_path / "c"))  # fmt: skip
    assert r.returncode == 2 and "blob.go is not UTF-8 text" in r.stderr
