"""Benchmark results recorded as files and the results page made from them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from steergraph.bench.results import (
    load_results,
    model_of,
    record_result,
    results_folder,
    results_page,
    run_recorded,
)

ROOT = Path(__file__).resolve().parents[1]


def _bench_main(lines: list[str], code: int = 0):
    def main() -> None:
        for line in lines:
            print(line)
        if code:
            raise SystemExit(code)

    return main


def test_a_run_ending_in_a_json_line_is_recorded_with_its_provenance(tmp_path, capsys):
    main = _bench_main(["progress", json.dumps({"score": 0.75, "per": {"a": 1}})])
    run_recorded("demo", main, ["--quick", "--model", "local:qwen-coder-0.5b"], tmp_path)
    out = capsys.readouterr()
    assert out.out.splitlines()[-1] == '{"score": 0.75, "per": {"a": 1}}'  # passed through
    (path,) = tmp_path.glob("*.json")
    assert str(path) in out.err
    record = json.loads(path.read_text())
    assert record["bench"] == "demo" and record["model"] == "qwen-coder-0.5b"
    assert record["kind"] == "quick" and record["figures"] == {"score": 0.75, "per": {"a": 1}}
    assert record["commit"] and record["date"].startswith("20")


def test_a_failed_run_or_one_without_a_json_line_records_nothing(tmp_path):
    with pytest.raises(SystemExit) as exc:
        run_recorded("demo", _bench_main(['{"score": 1}'], code=3), [], tmp_path)
    assert exc.value.code == 3
    run_recorded("demo", _bench_main(["no figures here"]), [], tmp_path)
    run_recorded("demo", _bench_main(["[1, 2]"]), [], tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_benchmark_without_a_model_option_names_its_own(tmp_path):
    run_recorded("dag", _bench_main(['{"speedup": 2.0}']), [], tmp_path, default_model="none")
    (path,) = tmp_path.glob("*.json")
    assert json.loads(path.read_text())["model"] == "none"


def test_the_recorder_passes_the_terminal_through(tmp_path):
    seen = {}

    def main() -> None:
        seen["isatty"], seen["encoding"] = sys.stdout.isatty(), sys.stdout.encoding
        print("{}")

    real = sys.stdout
    run_recorded("demo", main, [], tmp_path)
    assert seen == {"isatty": real.isatty(), "encoding": getattr(real, "encoding", "utf-8")}


def test_the_results_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("STEERGRAPH_RESULTS_DIR", raising=False)
    assert results_folder(str(ROOT / "benchmarks" / "x.py")) == ROOT / "benchmarks" / "results"
    monkeypatch.setenv("STEERGRAPH_RESULTS_DIR", str(tmp_path))
    assert results_folder("x.py") == tmp_path
    monkeypatch.setenv("STEERGRAPH_RESULTS_DIR", "off")
    assert results_folder("x.py") is None


def test_the_model_is_named_as_the_tiers_name_it():
    assert model_of([]) == "smollm2"
    assert model_of(["--model", "local"]) == "smollm2"
    assert model_of(["-m", "local:qwen-coder-0.5b", "--quick"]) == "qwen-coder-0.5b"
    assert model_of(["--base", "gemma3"]) == "gemma3"
    assert model_of(["--models", "qwen-coder-0.5b"]) == "qwen-coder-0.5b"
    assert model_of(["--model", "openai:gpt-4o-mini"]) == "openai:gpt-4o-mini"


def test_the_page_puts_the_latest_run_of_each_model_side_by_side(tmp_path):
    record_result(tmp_path, "mole", ["--quick"], {"spearman": 0.21, "f": {"x": 1}}, seconds=5)
    record_result(tmp_path, "mole", ["--quick", "--model", "local:qwen-coder-0.5b", "--out", "x",
                                     "--judge", "local:qwen-coder-0.5b"],
                  {"spearman": 0.4}, seconds=9)  # fmt: skip
    record_result(tmp_path, "he", ["--record", "r"], {"n": 8, "smollm2": {"pass1": 0.1}},
                  seconds=1)  # fmt: skip
    record_result(tmp_path, "he", ["--models", "qwen-coder-0.5b"],
                  {"n": 8, "qwen-coder-0.5b": {"pass1": 0.6}}, seconds=1)  # fmt: skip
    record_result(tmp_path, "mole", [], {"spearman": 0.3}, seconds=60)
    (tmp_path / "broken.json").write_text("{not json")
    records = load_results(tmp_path)
    assert len(records) == 5
    page = results_page(records)
    # where a run writes is not what it measures; figures keyed by the run's model line up
    assert "| pass1 | 0.1 | 0.6 |" in page.split("## he (full)\n")[1]
    quick = page.split("## mole (quick)\n")[1].split("\n## ")[0]
    assert "| figure | smollm2 | qwen-coder-0.5b |" in quick
    assert "| spearman | 0.21 | 0.4 |" in quick
    assert "| f.x | 1 |  |" in quick
    full = page.split("## mole (full)\n")[1].split("\n## ")[0]
    assert "| spearman | 0.3 |" in full and "0.21" not in full


def test_the_committed_page_is_generated_from_the_committed_results():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "results_page.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
