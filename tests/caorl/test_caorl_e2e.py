"""CAORL on the embedded SmolLM2: a pool from the real plan spaces, TRL fine-tuning, the
trained planner exported to llama.cpp, planning and running real tasks."""

from __future__ import annotations

import contextlib
import io

import pytest
from datasets import Dataset

from steergraph.agents.catp.outcome import execute_plan
from steergraph.bench.catp import oracle_job
from steergraph.bench.catp_report import pool_rows
from steergraph.data.caorl import load_pool
from steergraph.data.catp.tasks import build_tasks
from steergraph.tools.registry import default_registry
from steergraph.training.caorl_trainer import load_planner, read_meta, train_caorl

# both tests use the module's trained planner: one worker builds it once
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("caorl-e2e")]

FAMILIES = ("word-count", "table-mean")


@pytest.fixture(scope="module")
def reg():
    r = default_registry()
    r.profile(progress=False)
    return r


@pytest.fixture(scope="module")
def trained(reg, module_tmp):
    tasks = build_tasks(levels=(1,), families=FAMILIES)
    spaces = {t.id: oracle_job(t.id, 2) for t in tasks}
    pool = load_pool(Dataset.from_list(pool_rows(tasks, spaces, [], reg)), reg)
    out = module_tmp("caorl-smollm2")
    with contextlib.redirect_stdout(io.StringIO()):
        train_caorl("smollm2", pool, reg, output_dir=out, base_name="smollm2", max_steps=2,
                    per_device_train_batch_size=2, plans_per_bucket=2,
                    disable_tqdm=True)  # fmt: skip
    return out, pool


def test_smollm2_learns_from_the_pool_and_plans_unseen_sizes(trained, reg):
    out, _ = trained
    meta = read_meta(out)
    assert meta["steps"] == 2 and meta["tasks"] == 2 and meta["base"] == "smollm2"
    assert {"good", "cheap"} <= set(meta["buckets"])
    planner = load_planner(out, reg)  # exports model.gguf; llama.cpp serves it
    assert (out / "model.gguf").is_file()
    assert planner.llm.engine_name == "gguf"
    for task in build_tasks(levels=(2,), families=FAMILIES):
        from steergraph.agents.catp.planner import PlanTask

        spec = PlanTask(task.description, dict(task.inputs), list(task.outputs), task.size)
        result = planner.plan(spec)
        assert result.plan is not None and result.llm_calls <= 7
        outcome = execute_plan("caorl", result.plan, task, reg)
        assert outcome.valid, outcome.error
        assert 0.0 <= outcome.score <= 1.0 and outcome.est_price > 0


def test_caorl_plan_command_on_the_trained_planner(trained, cli):
    out, _ = trained
    done = cli("caorl", "plan", str(out), "table-median-L1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("return ")
    assert "return to go asked" in done.stderr and "score " in done.stderr
