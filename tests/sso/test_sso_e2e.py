"""SSO on the embedded model: steering, sampling, filters, the SSO trainer, the graph, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from steergraph.agents.sso import PrincipleLibrary, filter_triplets, sample_triplets, steer_queries
from steergraph.data.sso.prompts import sso_prompts
from steergraph.graphs.sso import SSOContext, build_sso_graph
from steergraph.llm import load_chat_model

pytestmark = pytest.mark.e2e

TRAIN = {"max_steps": 1, "per_device_train_batch_size": 2, "disable_tqdm": True}


def test_steer_sample_filter_on_the_embedded_model():
    llm = load_chat_model("local")
    library = PrincipleLibrary.builtin()
    prompts, counts = steer_queries(llm, sso_prompts("train", n=4, seed=2), library, k=2)
    assert sum(counts.get(k, 0) for k in ("model", "model+random", "random")) == 4
    assert all(len(p.features) == 2 and set(p.features) <= set(library.names()) for p in prompts)
    triplets = sample_triplets(llm, prompts, max_new_tokens=32, seed=0)
    assert all(t.y_plus and t.y_minus and t.y0 for t in triplets)
    report = filter_triplets(llm, triplets)
    assert report.generated == 4 and len(report.scored) == report.stages[0]["out"]
    for s in report.scored:  # mean token log-probs of real replies are finite and negative
        assert -30 < s.plus_plain < 0 and -30 < s.minus_plain < 0
    for k in report.kept:
        assert k.plus_good > k.plus_plain > k.plus_bad


def test_graph_trains_the_embedded_policy_and_exports_it(tmp_path):
    ctx = SSOContext(
        model="local",
        workdir=str(tmp_path),
        rounds=1,
        steer="fixed",
        features=["brevity", "bullets"],
        filters="duplicates",
        max_new_tokens=32,
        train=TRAIN,
    )
    out = build_sso_graph().invoke({"queries": sso_prompts("train", n=4, seed=3)}, context=ctx)
    summary = out["history"][0]
    assert summary["filter"]["kept"] >= 1  # sampled under opposite principles, replies differ
    assert summary["train"]["trained"] and summary["train"]["steps"] == 1
    policy = tmp_path / "round-1" / "policy"
    assert out["policy"] == str(policy) and (policy / "model.gguf").is_file()
    trained = load_chat_model(f"local:{policy}")
    assert trained.invoke("Say hi.").content.strip()


def test_cli_generate_writes_datasets(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "steergraph.cli",
            "sso",
            "generate",
            "--builtin",
            "3",
            "--max-new-tokens",
            "24",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "round 1: 3 sampled" in proc.stdout
    stats = json.loads((tmp_path / "round-1" / "filter.json").read_text())
    assert stats["generated"] == 3 and stats["mode"] == "sso"
    assert len((tmp_path / "round-1" / "triplets.jsonl").read_text().splitlines()) == 3
