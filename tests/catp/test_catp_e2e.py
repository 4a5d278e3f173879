"""CATP on the embedded model: constrained planning always yields a runnable plan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from steergraph.agents.catp.planner import Planner, PlanTask
from steergraph.llm import load_chat_model
from steergraph.tools.executor import PlanExecutor
from steergraph.tools.registry import default_registry

pytestmark = pytest.mark.e2e

README = (Path(__file__).parents[2] / "README.md").read_text()


@pytest.mark.parametrize("cost_aware", [True, False])
def test_smollm2_plans_are_valid_and_run(cost_aware):
    reg = default_registry()
    reg.profile(progress=False)
    llm = load_chat_model("local", max_new_tokens=48)
    planner = Planner(llm, reg, cost_aware=cost_aware, max_steps=5)
    task = PlanTask(
        "Summarize the document and list its keywords.",
        {"doc": "text"},
        ["text", "words"],
        input_size=len(README),
    )
    result = planner.plan(task)
    assert result.mode == "constrained" and result.plan is not None
    assert result.llm_calls <= 6
    run = PlanExecutor(reg).run_sync(result.plan, {"doc": README})
    assert run.ok, run.summary()
    values = list(run.returns.values())
    assert isinstance(values[0], str) and isinstance(values[1], list)


def test_catp_run_command_on_the_embedded_model(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "steergraph.cli",
            "catp",
            "run",
            "Count the words of the document.",
            "--input",
            f"doc={Path('README.md').resolve()}",
            "--output",
            "number",
            "--db",
            str(tmp_path / "c.sqlite"),
            "--png",
            str(tmp_path / "plan.png"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "CATP run (done)" in proc.stdout
    assert (tmp_path / "plan.png").read_bytes()[:4] == b"\x89PNG"


def test_benchmark_on_the_embedded_model_plans_validly_and_survives_faults(tmp_path):
    """The whole benchmark, reduced: one task, small plan space, real planner, faults on
    (tasks whose tools call the model: test_smollm2_plans_are_valid_and_run)."""
    from datasets import load_from_disk

    from steergraph.bench.catp import BenchConfig, final_line, run_catp_bench
    from steergraph.tools.plan_parser import parse_plan

    cfg = BenchConfig(
        levels=(1,),
        families=("word-count",),
        oracle_size=3,
        workers=1,
        out=tmp_path,
    )
    report = run_catp_bench(cfg, log=lambda _: None)
    line = final_line(report)
    assert set(line["score"]) == {"random", "cost_unaware", "cost_aware", "oracle"}
    pool = load_from_disk(report["files"]["plan_pool"])
    reg = default_registry()
    for row in pool.filter(lambda r: r["planner"] in ("cost_aware", "cost_unaware")):
        # constrained decoding: every plan the embedded model wrote parses and type-checks
        inputs = json.loads(row["inputs"])
        parse_plan(row["plan"], reg, inputs, outputs=row["outputs"])
    faults = report["faults"]
    assert faults["tasks"] == 1
    assert {t["status"] for t in faults["per_task"]} <= {"done", "failed"}
    assert line["completed_with_faults"] == faults["completed"] / 1
