"""The SSO benchmark's plumbing on a tiny model with a scripted judge; report and JSON."""

from __future__ import annotations

import json

import pytest

from steergraph.bench.sso import SSOBenchConfig, _reward_models, _trainer_timing, run_sso_bench
from steergraph.bench.sso_report import final_json, print_report, save_report
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel, tiny_chat_model
from steergraph.training.sso import sso_row

KEYS = {
    "adherence_base",
    "adherence_sso",
    "adherence_dpo_unfiltered",
    "win_rate_sso_vs_base",
    "rm_accuracy_sso",
    "rm_accuracy_unfiltered",
    "time_per_pair_ratio_vs_trl_dpo",
    "kept_per_100",
}


def test_quick_config_and_bad_counts():
    cfg = SSOBenchConfig(quick=True, rounds=2)
    assert cfg.rounds == 2 and cfg.train_prompts == 12 and cfg.max_steps == 2
    assert SSOBenchConfig().judge == "local:gemma3"
    with pytest.raises(InputError, match="eval_prompts"):
        SSOBenchConfig(eval_prompts=0)


@pytest.mark.slow
def test_run_end_to_end_on_a_tiny_model(tmp_path):
    judge = ScriptedChatModel(responses=[{"better": "A"}], cycle=True)
    cfg = SSOBenchConfig(
        model=tiny_chat_model(),
        judge=judge,
        quick=True,
        train_prompts=4,
        eval_prompts=2,
        max_new_tokens=6,
        workdir=str(tmp_path),
        progress=False,
        train={"disable_tqdm": True},
    )
    run = run_sso_bench(cfg, log=lambda _: None)
    summary = final_json(run)
    assert KEYS <= set(summary)
    assert 0 <= summary["adherence_base"] <= 1 and summary["win_rate_sso_vs_base"] == 0.5
    assert run["runs"]["sso"]["history"][0]["filter"]["generated"] == 4
    assert run["runs"]["dpo"]["history"][0]["filter"]["mode"] == "none"
    lines = []
    print_report(run, lines.append)
    assert any("kept per 100" in line for line in lines)
    paths = save_report(run, tmp_path / "out")
    assert paths["plot"].stat().st_size > 0
    json.dumps(summary)


def test_reward_models_and_timing_on_written_rounds(tmp_path):
    rows = [
        sso_row("Name a fruit.", "Apple.", "I will not.", "A pear.", "Be brief.", "Be long."),
        sso_row("Say hi.", "Hi!", "No.", "Hello there.", "Be kind.", "Be rude."),
    ]
    round_dir = tmp_path / "sso" / "round-1"
    round_dir.mkdir(parents=True)
    (round_dir / "sso.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    triplet = {
        "query": "Say hi.",
        "features": ["brevity"],
        "good_system": "Be brief.",
        "bad_system": "Be long.",
        "y_plus": "Hi!",
        "y_minus": "No.",
        "y0": "Hey",
    }
    triplets = [triplet] * 3
    (round_dir / "triplets.jsonl").write_text("\n".join(json.dumps(t) for t in triplets))
    cfg = SSOBenchConfig(quick=True, progress=False)
    base = tiny_chat_model()
    held_out = [{k: rows[0][k] for k in ("prompt", "chosen", "rejected")}]
    rms = _reward_models(cfg, base, tmp_path / "sso", held_out)
    assert rms["sso"]["accuracy"] in (0.0, 1.0) and rms["unfiltered"]["steps"] == cfg.rm_steps
    timing = _trainer_timing(cfg, base, tmp_path / "sso")
    assert timing["sso"]["seconds"] > 0 and timing["time_per_pair_ratio"] > 0
    assert _trainer_timing(cfg, base, tmp_path / "nothing") == {"skipped": "no SSO pairs kept"}
