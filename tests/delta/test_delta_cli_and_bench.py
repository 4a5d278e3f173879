"""``steergraph edit ...`` commands and the benchmark's plumbing, on the tiny pair."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from steergraph.cli import app

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _user_error(args, *fragments):
    """The command stops with a SteergraphError (``main`` prints it as one line, exit 2)."""
    from steergraph.errors import SteergraphError

    result = runner.invoke(app, args)
    assert isinstance(result.exception, SteergraphError), result.output
    for fragment in fragments:
        assert fragment in str(result.exception), result.exception


def test_edit_commands_write_models_and_delta_files(tiny_pair, tmp_path):
    base, post = (str(p) for p in tiny_pair)
    _ok(["edit", "dare", base, post, "--p", "0.5", "--out", str(tmp_path / "dare")])
    out = _ok(["edit", "bitdelta", base, post, "--bits", "1", "--delta", str(tmp_path / "b.st")])
    assert "smaller than the post-trained weights" in out
    _ok(["edit", "apply", base, str(tmp_path / "b.st"), "--out", str(tmp_path / "applied")])
    _ok(["edit", "lowrank", base, post, "--rank", "2", "--out", str(tmp_path / "lr")])
    _ok(["edit", "extrapolate", base, post, "--alpha", "1.2", "--out", str(tmp_path / "ex")])
    _ok(["edit", "quantize", base, post, "--bits", "3", "--out", str(tmp_path / "q")])
    _ok(["edit", "ties", base, post, str(tmp_path / "dare"), "--out", str(tmp_path / "ties")])
    for name in ("dare", "applied", "lr", "ex", "q", "ties"):
        assert (tmp_path / name / "model.safetensors").is_file(), name


def test_estimate_command_prints_a_report_and_plots(tiny_pair, tmp_path):
    base, post = (str(p) for p in tiny_pair)
    rows = tmp_path / "calib.jsonl"
    from steergraph.testing import TINY_ROWS

    rows.write_text("\n".join(json.dumps(r) for r in TINY_ROWS))
    out = _ok(
        [
            "edit",
            "estimate",
            base,
            post,
            "-e",
            "dare:p=0.9",
            "-e",
            "extrapolate:alpha=0.5",
            "--calib",
            str(rows),
            "--max-length",
            "64",
            "--plot",
            str(tmp_path / "e.png"),
        ]
    )
    assert "sign agreement outside the band" in out and "dare p=0.9" in out
    assert (tmp_path / "e.png").stat().st_size > 10_000


def test_edit_command_errors_are_one_line(tiny_pair, tmp_path):
    base, post = (str(p) for p in tiny_pair)
    _user_error(
        ["edit", "dare", base, post, "--p", "1.0", "--out", str(tmp_path / "x")],
        "outside [0, 1)",
        "fix:",
    )
    _user_error(["edit", "dare", base, post], "nothing to write")
    _user_error(
        ["edit", "lowrank", base, post, "--rank", "999", "--out", str(tmp_path / "x")],
        "rank 999 is larger",
    )
    _user_error(["edit", "estimate", base, post, "-e", "prune:p=0.5"], "unknown editing method")
    _user_error(
        ["edit", "dare", base, str(tmp_path / "nope"), "--out", str(tmp_path / "x")],
        "model folder not found",
    )
    assert not (tmp_path / "x").exists()
    (tmp_path / "taken").mkdir()
    _user_error(
        [
            "edit",
            "dare",
            base,
            post,
            "--delta",
            str(tmp_path / "d.st"),
            "--out",
            str(tmp_path / "taken"),
        ],
        "already exists",
    )
    assert not (tmp_path / "d.st").exists()  # nothing written when either place is taken
    _user_error(
        ["edit", "estimate", base, post, "-e", "dare:p=0.5", "--rule", "right"], "rule='right'"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "steergraph",
            "edit",
            "dare",
            base,
            post,
            "--p",
            "-1",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
    )
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error (editing)")


def test_bench_plumbing_on_the_tiny_pair(tiny_pair, tmp_path):
    from steergraph.bench.delta import DeltaBenchConfig, run_delta_bench
    from steergraph.bench.delta_report import final_json, save_report
    from steergraph.editing.editors import BitDelta, Dare, Extrapolate
    from steergraph.testing import TINY_ROWS

    cfg = DeltaBenchConfig(
        pair=tiny_pair,
        calibration=TINY_ROWS,
        max_length=64,
        out=tmp_path / "bench",
        editors=[Dare(p=0.9), BitDelta(bits=1), BitDelta(bits=4), Extrapolate(alpha=0.5)],
        distill_steps=2,
        repeats=1,
    )
    run = run_delta_bench(cfg, log=lambda *_: None)
    summary = final_json(run)
    for key in (
        "sign_agreement",
        "dare_time_ratio_vs_mergekit",
        "dare_peak_rss_ratio_vs_mergekit",
        "bitdelta_1bit_dL",
        "bitdelta_4bit_dL",
        "bitdelta_1bit_compression",
        "dare_dL",
    ):
        assert summary[key] is not None, key
    assert summary["bitdelta_1bit_compression"] > summary["bitdelta_4bit_compression"] > 1
    cmp = run["dare_vs_mergekit"]
    # both DAREs drop 90% of the same delta: the damage is of one size
    assert cmp["ours_dL"] == pytest.approx(cmp["mergekit_dL"], rel=0.5)
    assert cmp["ours_best"]["peak_rss_mb"] > 20
    paths = save_report(run, tmp_path / "bench")
    assert json.loads(paths["report"].read_text())["estimates"]["steps"] == 5
