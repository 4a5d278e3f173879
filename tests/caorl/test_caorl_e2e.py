"""CAORL on the embedded SmolLM2: a pool from the real plan spaces, TRL fine-tuning, the
trained planner exported to llama.cpp, planning and running real tasks."""

from __future__ import annotations

import contextlib
import io

import pytest
from datasets import Dataset

from steergraph.agents.catp.outcome import execute_plan
from steergraph.agents.catp.planner import PlanTask
from steergraph.bench.catp import oracle_job
from steergraph.bench.catp_report import pool_rows
from steergraph.data.caorl import load_pool
from steergraph.data.catp.tasks import build_tasks
from steergraph.tools.registry import default_registry
from steergraph.training.caorl_trainer import load_planner, read_meta, train_caorl

pytestmark = pytest.mark.e2e

#: one family: training, export, planning and the command are what is checked here (the
#: notebook examples/caorl.ipynb runs the same loop against the prompted planner)
FAMILIES = ("table-mean",)


def test_smollm2_learns_from_the_pool_plans_unseen_sizes_and_the_command_plans(tmp_path, cli):
    reg = default_registry()
    reg.profile(progress=False)
    tasks = build_tasks(levels=(1,), families=FAMILIES)
    spaces = {t.id: oracle_job(t.id, 2) for t in tasks}
    pool = load_pool(Dataset.from_list(pool_rows(tasks, spaces, [], reg)), reg)
    out = tmp_path / "caorl-smollm2"
    with contextlib.redirect_stdout(io.StringIO()):
        train_caorl("smollm2", pool, reg, output_dir=out, base_name="smollm2", max_steps=2,
                    per_device_train_batch_size=2, plans_per_bucket=2,
                    disable_tqdm=True)  # fmt: skip
    meta = read_meta(out)
    assert meta["steps"] == 2 and meta["tasks"] == 1 and meta["base"] == "smollm2"
    assert {"good", "cheap"} <= set(meta["buckets"])
    planner = load_planner(out, reg)  # exports model.gguf; llama.cpp serves it
    assert (out / "model.gguf").is_file()
    assert planner.llm.engine_name == "gguf"
    for task in build_tasks(levels=(2,), families=FAMILIES):
        spec = PlanTask(task.description, dict(task.inputs), list(task.outputs), task.size)
        result = planner.plan(spec)
        assert result.plan is not None and result.llm_calls <= 7
        outcome = execute_plan("caorl", result.plan, task, reg)
        assert outcome.valid, outcome.error
        assert 0.0 <= outcome.score <= 1.0 and outcome.est_price > 0
    done = cli("caorl", "plan", str(out), "table-median-L1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("return ")
    assert "return to go asked" in done.stderr and "score " in done.stderr
