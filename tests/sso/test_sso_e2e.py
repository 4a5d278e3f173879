"""SSO on the embedded model: the graph (steer, sample, filter, train, export) and the CLI.

Steering by the model, sampling and the log-prob filters on the real model are checked by
examples/sso.ipynb's run in tests/e2e/test_notebooks.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from steergraph.data.sso.prompts import sso_prompts
from steergraph.graphs.sso import SSOContext, build_sso_graph
from steergraph.llm import load_chat_model

pytestmark = pytest.mark.e2e

TRAIN = {"max_steps": 1, "per_device_train_batch_size": 2, "disable_tqdm": True}


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
    out = build_sso_graph().invoke({"queries": sso_prompts("train", n=3, seed=3)}, context=ctx)
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
            "2",
            "--max-new-tokens",
            "16",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "round 1: 2 sampled" in proc.stdout
    stats = json.loads((tmp_path / "round-1" / "filter.json").read_text())
    assert stats["generated"] == 2 and stats["mode"] == "sso"
    assert len((tmp_path / "round-1" / "triplets.jsonl").read_text().splitlines()) == 2
