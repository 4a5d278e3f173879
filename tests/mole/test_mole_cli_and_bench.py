"""The ``mole`` commands and the benchmark's plumbing at a tiny size (perturbations only,
no judge), and their one-line errors."""

from __future__ import annotations

import json

import pytest

from steergraph.bench.mole import MoleBenchConfig, run_mole_bench
from steergraph.bench.mole_report import final_line, plot_facets, table_lines

KEYS = {
    "spearman_mole", "spearman_supervised_only", "spearman_single_score", "spearman_rouge_l",
    "spearman_llm_judge", "per_facet", "counterfactuals_checked_rate",
}  # fmt: skip


def test_counterfactuals_train_and_score_from_the_command_line(cli, tmp_path):
    data, model = tmp_path / "data", tmp_path / "eval"
    made = cli("mole", "counterfactuals", "--articles", "2", "--originals", "1",
               "--perturb-only", "--out", str(data))  # fmt: skip
    assert made.returncode == 0, made.stderr
    lines = (data / "counterfactuals.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 2 * 4
    trained = cli("mole", "train", "--data", str(data), "--articles", "2", "--epochs", "1",
                  "--out", str(model))  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    (tmp_path / "a.txt").write_text("Officials in Paris said 12 people were hurt on Monday.")
    (tmp_path / "s.txt").write_text("Twelve people were hurt in Paris.")
    scored = cli("mole", "score", str(model), "--source", str(tmp_path / "a.txt"),
                 "--text", str(tmp_path / "s.txt"))  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    scores = json.loads(scored.stdout)
    assert set(scores) == {"text", "coherence", "consistency", "fluency", "relevance"}


@pytest.mark.parametrize(
    ("args", "message"),
    [(["mole", "counterfactuals", "--articles", "0"], "--articles 0"),
     (["mole", "counterfactuals", "--facet", "style", "--perturb-only"], "unknown facet 'style'"),
     (["mole", "score", "/no/such/evaluator", "--source", "x", "--text", "y"],
      "holds no MOLE evaluator"),
     (["mole", "bench", "--seeds", "one,two"], "--seeds 'one,two'")],
)  # fmt: skip
def test_bad_input_is_one_line(cli, args, message):
    out = cli(*args)
    assert out.returncode == 2 and message in out.stderr
    assert out.stderr.count("\n") == 1


def test_bench_plumbing_prints_every_key(tmp_path):
    cfg = MoleBenchConfig(
        judge=None, train_articles=3, test_articles=3, originals=1, llm_originals=0,
        epochs=1, out=tmp_path, progress=False, tune=((0.1, 0.1), (1.0, 0.02)),
        extra_seeds=(1,),
    )  # fmt: skip
    run = run_mole_bench(cfg)
    line = final_line(run)
    assert KEYS <= set(line) and line["spearman_llm_judge"] is None  # no judge in this run
    assert line["counterfactuals_checked_rate"] >= 0.8
    assert set(line["per_facet"]) == {"mole", "supervised_only", "single_score", "rouge_l"}
    assert all(-1 <= v <= 1 for v in (line["spearman_mole"], line["spearman_rouge_l"]))
    assert len(table_lines(run)) == 5
    # MOLE's contrastive weight and margin are chosen on the dev articles, from cfg.tune
    chosen = run["tuning"]["chosen"]
    assert (chosen["contrastive_weight"], chosen["margin"]) in cfg.tune
    assert len(run["tuning"]["dev_mean_spearman"]) == len(cfg.tune)
    assert run["tuning"]["dev_articles"] > 0
    assert plot_facets(run, tmp_path / "p.png").stat().st_size > 1000
    # the difference over training seeds: seed 0 is the run's own figures
    spread = run["seeds"]
    assert spread["seeds"] == [0, 1] and spread["mole"][0] == line["spearman_mole"]
    over = line["mole_minus_supervised_only_over_seeds"]
    diffs = [a - b for a, b in zip(spread["mole"], spread["supervised_only"])]
    assert over["mean"] == pytest.approx(sum(diffs) / 2, abs=1e-3) and over["std"] is not None
