"""DiffLM on the real embedded SmolLM2: the VAE learns through the frozen decoder, rows
decoded through the diffusion prior all parse, and the commands work end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

# one worker runs the module: its fitted model is built once (the fixture is per process)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("difflm-e2e")]


@pytest.fixture(scope="session")  # built once per worker, even if other tests run between
def fitted(tmp_path_factory):
    from steergraph.data.difflm import load_table
    from steergraph.training.difflm import DiffLMConfig, fit_difflm

    train = load_table("wage").head(400)
    out = tmp_path_factory.mktemp("difflm") / "model"
    # each step runs the frozen 135M decoder forward and backward (for the prefix's
    # gradient): about 4 s for 4 rows on 2 cores, hence few steps here
    cfg = DiffLMConfig(steps=10, batch_size=4, prior_steps=150, learning_rate=3e-3)
    return fit_difflm(train, cfg, output_dir=out), out


def test_the_vae_learns_through_the_frozen_smollm2(fitted):
    model, _ = fitted
    losses = [h["reconstruction"] for h in model.meta["history"]]
    assert len(losses) == 10
    assert sum(losses[-3:]) < sum(losses[:3])  # the prefix learned to help the decoder


def test_rows_through_the_diffusion_prior_parse_and_keep_the_schema(fitted):
    model, _ = fitted
    rows, report = model.sample(4, prior="diffusion", seed=0)
    assert report["parsed"] == 4 and report["unparsed"] == 0
    levels = {c.name: set(c.levels) for c in model.schema.columns if c.kind == "categorical"}
    for row in rows:
        assert str(row["education"]) in levels["education"]
        assert 18 <= row["age"] <= 80


def test_fit_and_sample_commands(fitted, cli, tmp_path):
    _, folder = fitted
    out = tmp_path / "rows.jsonl"
    r = cli("difflm", "sample", str(folder), "-n", "3", "--out", str(out), "--prior", "gaussian")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["parsed"] == 3 and report["prior"] == "gaussian"
    assert len(pd.read_json(out, lines=True)) == report["kept"]
    csv = tmp_path / "t.csv"
    pd.DataFrame({"k": ["a", "b"] * 10, "x": [1.5, 2.5] * 10}).to_csv(csv, index=False)
    r = cli("difflm", "fit", str(csv), "--out", str(tmp_path / "m"), "--steps", "2",
            "--prior-steps", "5")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "20 rows (0 incomplete dropped)" in r.stderr
