"""``steergraph caorl train|plan|bench``: cost-aware offline RL of the CATP planner.

``train`` fine-tunes a local model on a CATP plan pool (``benchmarks/catp_bench.py``
writes one) as a return-conditioned planner; ``plan`` writes a plan with a trained
planner for one of the suite's tasks (the CATP commands take it too: ``catp plan|run|bench
--planner trained:DIR``); ``bench`` compares it with the prompted planners and the
oracle. ``catp train`` is this ``train``.

Example:
    $ python benchmarks/catp_bench.py --quick --out catp-bench
    $ steergraph caorl train --pool catp-bench/plan_pool --out caorl-planner --steps 300
    $ steergraph caorl plan caorl-planner table-mean-L2
    $ steergraph catp run "Mean installed size" -i csv:table=pkgs.csv -o number \\
        --planner trained:caorl-planner
    $ steergraph caorl bench --quick
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["caorl_app", "caorl_train", "trained_planner"]

caorl_app = typer.Typer(
    help="CAORL: fine-tune the CATP planner offline on a plan pool, conditioned on the "
    "return (score against price and latency) it should reach.",
    no_args_is_help=True,
)
console = Console(stderr=True)
VariantOpt = Annotated[str, typer.Option(help="caorl, no_cost (score only) or sft_best")]
TargetOpt = Annotated[
    float | None, typer.Option(help="return to aim for (default: the best seen in training)")
]


def _registry() -> Any:
    from steergraph.tools.registry import default_registry

    registry = default_registry()
    registry.profile(progress=False)
    return registry


def trained_planner(spec: str, registry: Any, target_return: float | None = None) -> Any:
    """A ``trained:DIR`` planner spec -> :class:`~steergraph.agents.caorl.CAORLPlanner`."""
    from steergraph.training.caorl_trainer import load_planner

    if not spec.startswith("trained:"):
        raise InputError(f"planner spec {spec!r}", fix="use trained:DIR (a caorl train --out)")
    planner = load_planner(spec.split(":", 1)[1], registry, target_return=target_return)
    if planner.clip_note:
        console.print(f"[yellow]{planner.clip_note}[/]")
    return planner


def caorl_train(
    pool: Annotated[Path, typer.Option(help="plan_pool folder of a CATP benchmark run")],
    out: Annotated[Path, typer.Option(help="folder for the trained planner")],
    model: Annotated[str, typer.Option("--model", "-m", help="local model to fine-tune")] = (
        "local"
    ),
    variant: VariantOpt = "caorl",
    steps: Annotated[int, typer.Option(help="optimizer steps")] = 150,
    batch_size: Annotated[int, typer.Option(help="rows per step")] = 4,
    a: Annotated[float, typer.Option(help="score weight a of the return")] = 0.5,
    gamma: Annotated[float, typer.Option(help="discount over plan lines")] = 1.0,
    per_bucket: Annotated[int, typer.Option(help="plans per task and bucket")] = 4,
    max_length: Annotated[int, typer.Option(help="tokens per row (prompt + line)")] = 2048,
    lora: Annotated[bool, typer.Option(help="train LoRA adapters (peft) instead")] = False,
    export: Annotated[bool, typer.Option(help="export model.gguf for llama.cpp")] = True,
) -> None:
    """Fine-tune a planner on a plan pool's training tasks (TRL SFT over return-conditioned
    plan lines)."""
    from steergraph.agents.caorl.planner import VARIANTS
    from steergraph.training.caorl_trainer import META_FILE, read_meta, train_caorl
    from steergraph.training.recipes import TrainResult, policy_from, trainable_name

    if steps < 1 or batch_size < 1:
        raise InputError(f"--steps {steps} --batch-size {batch_size}", fix="use 1 or more")
    if variant not in VARIANTS:
        raise InputError(f"unknown CAORL variant {variant!r}", fix=f"use one of {VARIANTS}")
    if (out / META_FILE).is_file():
        raise InputError(f"'{out}' already holds a trained planner", fix="pick a new --out")
    from steergraph.data.caorl.pool import load_pool

    registry = _registry()
    tasks = load_pool(pool, registry)
    base = trainable_name(model)
    config: dict[str, Any] = {
        "variant": variant, "qop_a": a, "gamma": gamma, "plans_per_bucket": per_bucket,
        "max_steps": steps, "per_device_train_batch_size": batch_size, "max_length": max_length,
    }  # fmt: skip
    if lora:
        from peft import LoraConfig

        config["peft_config"] = LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM")
    console.print(f"{len(tasks)} training tasks, {sum(len(t.plans) for t in tasks.values())} plans")
    result: TrainResult = train_caorl(base, tasks, registry, output_dir=out, base_name=base,
                                      **config)  # fmt: skip
    meta = read_meta(out)
    console.print(
        f"{meta['episodes']} episodes {meta['buckets']}, {meta['rows']} rows; "
        f"{result.summary()}; target return {meta['best_return']:+.3f}",
        soft_wrap=True,
    )
    if export:
        policy_from(out, export=True)
        console.print(f"exported {out / 'model.gguf'}")
    print(json.dumps({"out": str(out), **{k: meta[k] for k in ("episodes", "rows", "steps")}}))


caorl_app.command("train")(caorl_train)


@caorl_app.command("plan")
def caorl_plan(
    planner: Annotated[Path, typer.Argument(help="a trained planner folder")],
    task: Annotated[str, typer.Argument(help="a CATP suite task id, e.g. table-mean-L2")],
    target_return: TargetOpt = None,
    run: Annotated[bool, typer.Option(help="also run the plan and score it")] = True,
) -> None:
    """Write (and run) a plan for one of the CATP suite's tasks with a trained planner."""
    from steergraph.agents.catp.outcome import execute_plan
    from steergraph.agents.catp.planner import PlanTask
    from steergraph.data.catp.tasks import build_tasks

    suite = {t.id: t for t in build_tasks()}
    if task not in suite:
        raise InputError(f"no CATP task {task!r}", fix=f"use one of {', '.join(sorted(suite))}")
    registry = _registry()
    chosen = suite[task]
    trained = trained_planner(f"trained:{planner}", registry, target_return)
    spec = PlanTask(chosen.description, dict(chosen.inputs), list(chosen.outputs), chosen.size)
    result = trained.plan(spec)
    if result.plan is None:
        raise InputError(f"no plan: {result.errors[-1:]}", fix="retrain the planner")
    print(result.plan.to_text())
    console.print(f"return to go asked: {trained.target_return:+.3f}; "
                  f"estimated price ${result.estimated_price:.3g}")  # fmt: skip
    if run:
        outcome = execute_plan("caorl", result.plan, chosen, registry)
        console.print(f"score {outcome.score:.3f}, measured price ${outcome.price:.3g}, "
                      f"latency {outcome.latency_s * 1000:.1f} ms")  # fmt: skip


@caorl_app.command("bench")
def caorl_bench(
    quick: Annotated[
        bool, typer.Option(help="one size level; CAORL and SFT-best, 16 steps each")
    ] = False,
    model: Annotated[str, typer.Option("--model", "-m", help="local model to fine-tune")] = (
        "local"
    ),
    steps: Annotated[int | None, typer.Option(help="optimizer steps per planner")] = None,
    catp_dir: Annotated[
        Path | None, typer.Option(help="reuse this CATP benchmark run (its --out folder)")
    ] = None,
    out: Annotated[Path, typer.Option(help="folder for planners, report and plot")] = Path(
        "caorl-bench"
    ),
    variants: Annotated[
        str,
        typer.Option(
            help="planners to train, comma-separated: caorl, sft_best, no_cost "
            "(default: all three; --quick: caorl,sft_best)"
        ),
    ] = "",
) -> None:
    """Prompted vs SFT-best vs CAORL (and its no-cost ablation) vs oracle, test split and all."""
    from steergraph.agents.caorl.planner import VARIANTS
    from steergraph.bench.caorl import (
        CAORLBenchConfig,
        final_line,
        plot,
        run_caorl_bench,
        table_lines,
    )
    from steergraph.cli.common import report_bench

    base = CAORLBenchConfig.quick_config() if quick else CAORLBenchConfig()
    overrides: dict[str, Any] = {"model": model, "out": out, "catp_dir": catp_dir}
    if steps is not None:
        if steps < 1:
            raise InputError(f"--steps {steps}", fix="use 1 or more")
        overrides["steps"] = steps
    chosen = tuple(dict.fromkeys(v.strip() for v in variants.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        raise InputError(f"unknown CAORL variant {unknown[0]!r}", fix=f"use some of {VARIANTS}")
    if chosen:
        overrides["variants"] = chosen
    cfg = CAORLBenchConfig(**{**base.__dict__, **overrides})
    out.mkdir(parents=True, exist_ok=True)
    run = run_caorl_bench(cfg, log=console.print)
    report_bench(run, out, "caorl.png", table_lines=table_lines, plot=plot, final_line=final_line)
