"""Seg2Act's command line, corpus split and benchmark plumbing (rules and a tiny model)."""

from __future__ import annotations

import json

import pytest

from steergraph.errors import InputError

MV = "/usr/share/man/man1/mv.1.gz"


def test_structure_a_manual_with_the_rules_scores_it_against_its_own_structure(cli):
    r = cli("seg2act", "structure", MV, "--rules", "--max-segments", "20")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "# NAME"
    assert "20 segments, 0 repairs" in r.stderr
    f1 = float(r.stderr.split("heading F1 ")[1].split(",")[0])
    assert 0.5 <= f1 <= 1.0


def test_structure_a_plain_text_file_as_json(cli, tmp_path):
    notes = tmp_path / "notes.txt"
    long_line = "Run the command on the file you want it to change and"
    notes.write_text(f"1 Setup\nInstall it first.\n\n2 Use\n{long_line}\nthen read.\n")
    r = cli("seg2act", "structure", str(notes), "--rules", "--json")
    assert r.returncode == 0, r.stderr
    tree = json.loads(r.stdout)
    assert [c["text"] for c in tree["children"]] == ["1 Setup", "2 Use"]
    assert tree["children"][1]["children"][0]["text"] == (
        "Run the command on the file you want it to change and then read."
    )
    assert "manual's own structure" not in r.stderr  # a text file has no gold


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["structure", "/no/such.1.gz"], "file not found"),
        (["structure", "/no/such.txt"], "file not found"),
        (["structure", MV, "--max-segments", "0"], "max-segments"),
        (["structure", MV, "--window", "2", "--stride", "3"], "stride"),
        (["train", "--model", "openai:gpt-x"], "cannot train the API model"),
        (["bench", "--sources", "man,html"], "name some of man, info, readme"),
        (["bench", "--sources", ","], "name some of man, info, readme"),
    ],
)
def test_bad_input_is_one_line(cli, args, message):
    r = cli("seg2act", *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_binary_and_empty_files_are_refused(cli, tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00\x01")
    (tmp_path / "e.txt").write_text("\n  \n")
    assert "not UTF-8" in cli("seg2act", "structure", str(tmp_path / "b.txt"), "--rules").stderr
    empty = cli("seg2act", "structure", str(tmp_path / "e.txt"), "--rules")
    assert empty.returncode == 2 and "holds no text" in empty.stderr


def test_the_corpus_split_is_by_document_and_refuses_what_it_cannot_fill(tmp_path):
    from steergraph.data.seg2act import corpus_split

    split = corpus_split(train=4, test=2, max_segments=25, seed=3)
    train, test = split["train"], split["test"]
    assert len(train) == 4 and len(test) == 2
    assert not {d.name for d in train} & {d.name for d in test}
    assert all(12 <= len(d.segments) <= 25 and d.headings >= 2 for d in train + test)
    assert [d.name for d in corpus_split(train=4, test=2, max_segments=25, seed=3)["test"]] == [
        d.name for d in test
    ]  # the seed fixes the split
    with pytest.raises(InputError, match="only 0 usable documents"):
        corpus_split(train=1, test=1, root=tmp_path)
    with pytest.raises(InputError, match="at least one"):
        corpus_split(train=0, test=0)


def test_bench_plumbing_on_a_tiny_model_prints_every_key(tiny_pair, tmp_path):
    from steergraph.bench.seg2act import SYSTEMS, Seg2ActBenchConfig, run_seg2act_bench
    from steergraph.bench.seg2act_report import final_line, plot_systems, table_lines

    base, _ = tiny_pair
    cfg = Seg2ActBenchConfig(
        # window 1: the tiny model's byte-level tokenizer makes long prompts (1,024 positions)
        model=f"local+hf:{base}", train_docs=2, test_docs=1, max_segments=12, max_steps=2, window=1,
        batch_size=2, max_length=1024, out=tmp_path,
    )  # fmt: skip
    run = run_seg2act_bench(cfg)
    assert tuple(run["systems"]) == SYSTEMS
    for name in SYSTEMS[1:]:  # the model systems wrote one action per segment
        assert run["systems"][name]["segments"] == 12
    assert run["training"]["trained"]["steps"] == 2
    line = final_line(run)
    for key in ("heading_f1", "teds", "heading_f1_rules", "teds_rules", "heading_f1_untrained",
                "heading_f1_no_context", "teds_no_context", "segments_per_s"):  # fmt: skip
        assert key in line
    assert line["heading_f1_rules"] == run["systems"]["rules"]["scores"]["heading_f1"]
    assert len(table_lines(run)) == 1 + len(SYSTEMS)
    assert plot_systems(run, tmp_path / "p.png").stat().st_size > 1000
    with pytest.raises(InputError, match="max_steps"):
        run_seg2act_bench(Seg2ActBenchConfig(max_steps=0))
    with pytest.raises(InputError, match="all 12 training rows were dropped"):  # prompts > 32
        from steergraph.data.seg2act import load_document
        from steergraph.training.seg2act import train_seg2act

        train_seg2act(str(base), [load_document(MV)], output_dir=tmp_path / "x",
                      max_rows=12, max_steps=1, max_length=32)  # fmt: skip


def test_the_outline_feeds_structrags_catalogue(cli, tmp_path):
    """Plain text -> Seg2Act outline -> StructRAG's catalogue, parsed with no model call."""
    from steergraph.agents.structrag.documents import docs_from_texts
    from steergraph.agents.structrag.structurizers import structurize
    from steergraph.data.seg2act import load_document

    plain = tmp_path / "mv.txt"
    plain.write_text("\n".join(load_document(MV).segments[:40]))
    r = cli("seg2act", "structure", str(plain), "--rules")
    assert r.returncode == 0, r.stderr
    docs = docs_from_texts({"mv": r.stdout})
    res = structurize("catalogue", "what does DESCRIPTION cover?", docs, None, mode="parse")
    titles = [node.title for node, _ in res.structure.walk()]
    assert {"NAME", "SYNOPSIS", "DESCRIPTION"} <= set(titles)
    assert res.llm_calls == 0 and res.built_by == {"parser": 1}
