"""``steergraph sso generate|train|loop|bench``: Self-Steering Optimization from the command line.

Example:
    $ steergraph sso generate --prompts my_prompts.txt --out runs/sso-data
    $ steergraph sso train --data runs/sso-data/round-1/sso.jsonl --out runs/sso-policy
    $ steergraph sso loop --builtin 32 --rounds 2 --workdir runs/sso --db runs/sso.sqlite
    $ steergraph sso bench --quick
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from steergraph.errors import InputError, InputFileError

__all__ = ["sso_app"]

sso_app = typer.Typer(
    help="Self-Steering Optimization: principle-steered on-policy pairs, filters, training.",
    no_args_is_help=True,
)
console = Console()

PromptsOpt = Annotated[
    Path | None, typer.Option("--prompts", "-p", help=".txt (a prompt a line), .json or .jsonl")
]
BuiltinOpt = Annotated[
    int | None, typer.Option("--builtin", help="use N built-in prompts (train split)")
]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="policy model spec")]
SteerOpt = Annotated[str, typer.Option(help="select, write or fixed")]
FeaturesOpt = Annotated[
    str | None, typer.Option(help="comma-separated feature names (for --steer fixed)")
]
PrinciplesOpt = Annotated[
    Path | None, typer.Option(help="JSON file of extra features (added to the built-in ones)")
]
FiltersOpt = Annotated[
    str | None, typer.Option(help="sso, duplicates or none (default: by variant)")
]
OrderOpt = Annotated[str, typer.Option(help="log-prob order filter: strict or gap")]


def _queries(prompts: Path | None, builtin: int | None) -> list[str]:
    from steergraph.data.sso.prompts import load_prompts, sso_prompts

    if (prompts is None) == (builtin is None):
        raise InputError("give exactly one of --prompts FILE and --builtin N", fix="pick one")
    if prompts is not None:
        return load_prompts(prompts)
    if builtin is not None and builtin < 1:
        raise InputError(f"--builtin {builtin} selects nothing", fix="use 1 or more")
    return sso_prompts("train", n=builtin)


def _context(**kw: Any) -> Any:
    from steergraph.agents.sso.principles import PrincipleLibrary
    from steergraph.graphs.sso import SSOContext

    principles = kw.pop("principles", None)
    features = kw.pop("features", None)
    library = PrincipleLibrary.from_file(principles) if principles else PrincipleLibrary.builtin()
    names = [f.strip() for f in features.split(",") if f.strip()] if features else None
    if names:
        library.select(names)  # unknown names fail here, before any model loads
    return SSOContext(library=library, features=names, progress=True, **kw)


def _print_rounds(out: dict[str, Any]) -> None:
    for h in out.get("history", []):
        f = h["filter"]
        line = f"round {h['round']}: {f['generated']} sampled, {f['kept']} kept ({f['mode']})"
        train = h.get("train")
        if train:
            line += (
                f"; trained {train.get('steps')} steps, loss {train.get('first_loss')} -> "
                f"{train.get('final_loss')}"
                if train.get("trained")
                else f"; not trained: {train.get('reason')}"
            )
        console.print(line, highlight=False)
        for stage in f["stages"]:
            dropped = ", ".join(f"{k} {v}" for k, v in stage["dropped"].items()) or "-"
            console.print(
                f"  {stage['stage']}: {stage['in']} -> {stage['out']} (dropped: {dropped})",
                style="dim",
                highlight=False,
            )


@sso_app.command("generate")
def sso_generate(
    out: Annotated[Path, typer.Option(help="folder for the datasets")] = Path("sso-data"),
    prompts: PromptsOpt = None,
    builtin: BuiltinOpt = None,
    model: ModelOpt = "local",
    steer: SteerOpt = "select",
    features: FeaturesOpt = None,
    principles: PrinciplesOpt = None,
    filters: FiltersOpt = "sso",
    order: OrderOpt = "strict",
    max_new_tokens: Annotated[int, typer.Option(help="reply length")] = 128,
) -> None:
    """Sample y+/y-/y0 with principles, filter, and write the datasets (no training)."""
    from steergraph.graphs.sso import build_sso_graph

    ctx = _context(
        model=model,
        workdir=str(out),
        rounds=1,
        steer=steer,
        features=features,
        principles=principles,
        filters=filters,
        order=order,
        max_new_tokens=max_new_tokens,
        train_policy=False,
    )
    result = build_sso_graph().invoke({"queries": _queries(prompts, builtin)}, context=ctx)
    _print_rounds(result)
    console.print(f"datasets: {out / 'round-1'}", highlight=False)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    from steergraph.data.jsonl import read_jsonl
    from steergraph.training.sso_trainer import SSO_COLUMNS

    rows = []
    for n, row in read_jsonl(path, what="SSO row"):
        missing = [c for c in SSO_COLUMNS if c not in row]
        if missing:
            raise InputFileError(
                f"'{path}' line {n} lacks {', '.join(missing)}",
                fix="use a round's sso.jsonl (steergraph sso generate)",
            )
        rows.append(row)
    if not rows:
        raise InputFileError(f"'{path}' holds no rows", fix="generate pairs first")
    return rows


@sso_app.command("train")
def sso_train(
    data: Annotated[Path, typer.Option(help="an sso.jsonl written by generate or loop")],
    out: Annotated[Path, typer.Option(help="folder for the trained model")] = Path("sso-policy"),
    model: ModelOpt = "local",
    variant: Annotated[str, typer.Option(help="sso, generator or dpo")] = "sso",
    max_steps: Annotated[int, typer.Option(help="optimizer steps (-1: one epoch)")] = -1,
    learning_rate: Annotated[float, typer.Option(help="learning rate")] = 5e-6,
    lora_r: Annotated[int, typer.Option(help="LoRA rank (0: full fine-tuning)")] = 0,
    export: Annotated[bool, typer.Option(help="write model.gguf for llama.cpp")] = True,
) -> None:
    """Train a model on SSO rows: the SSO loss, the generator loss, or plain DPO."""
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.training.recipes import train_dpo, trainable_name
    from steergraph.training.sso import preference_rows, train_sso

    if variant not in ("sso", "generator", "dpo"):
        raise InputError(f"unknown variant {variant!r}", fix="use sso, generator or dpo")
    rows = _read_rows(data)
    hf, tok, _ = load_hf_model(trainable_name(model))
    config: dict[str, Any] = {"max_steps": max_steps, "learning_rate": learning_rate}
    if variant == "dpo":
        result = train_dpo((hf, tok), preference_rows(rows), output_dir=out, **config)
    else:
        peft = None
        if lora_r > 0:
            from peft import LoraConfig

            peft = LoraConfig(r=lora_r, lora_alpha=2 * lora_r, target_modules="all-linear")
        result = train_sso(
            (hf, tok), rows, output_dir=out, peft_config=peft, sso_variant=variant, **config
        )
    if export:
        from steergraph.llm.gguf_export import export_gguf

        export_gguf(out, dtype="f16")
    console.print(f"trained {result.summary()}; model: {out}", highlight=False)


@sso_app.command("loop")
def sso_loop(
    workdir: Annotated[Path, typer.Option(help="rounds' datasets and policies")] = Path("sso-run"),
    prompts: PromptsOpt = None,
    builtin: BuiltinOpt = None,
    model: ModelOpt = "local",
    rounds: Annotated[int, typer.Option(help="rounds of sample -> filter -> train")] = 2,
    variant: Annotated[str, typer.Option(help="sso, generator or dpo")] = "sso",
    steer: SteerOpt = "select",
    features: FeaturesOpt = None,
    principles: PrinciplesOpt = None,
    filters: FiltersOpt = None,
    order: OrderOpt = "strict",
    per_round: Annotated[int | None, typer.Option(help="prompts drawn per round")] = None,
    max_steps: Annotated[int, typer.Option(help="optimizer steps per round (-1: an epoch)")] = -1,
    learning_rate: Annotated[float, typer.Option(help="learning rate")] = 5e-6,
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or postgresql:// URL of the checkpoints (resumable)"),
    ] = None,
    thread: Annotated[str | None, typer.Option(help="resume this thread")] = None,
) -> None:
    """Rounds of principles -> sample -> filter -> train, on-policy, checkpointed."""
    from steergraph.cli.common import invoke_checkpointed
    from steergraph.graphs.sso import build_sso_graph

    ctx = _context(
        model=model,
        workdir=str(workdir),
        rounds=rounds,
        variant=variant,
        steer=steer,
        features=features,
        principles=principles,
        filters=filters,
        order=order,
        queries_per_round=per_round,
        train={"max_steps": max_steps, "learning_rate": learning_rate},
    )
    inputs = {"queries": _queries(prompts, builtin)}
    out = invoke_checkpointed(build_sso_graph, inputs, ctx, db=db, thread=thread)
    _print_rounds(out)
    console.print(f"policy: {out.get('policy') or model}", highlight=False)


@sso_app.command("bench")
def sso_bench(
    quick: Annotated[bool, typer.Option(help="a reduced run in a few minutes")] = False,
    model: ModelOpt = "local",
    judge: Annotated[str, typer.Option(help="pairwise judge model spec")] = "local:gemma3",
    rounds: Annotated[int | None, typer.Option(help="rounds of SSO and of DPO")] = None,
    train_prompts: Annotated[int | None, typer.Option(help="training prompts")] = None,
    eval_prompts: Annotated[int | None, typer.Option(help="held-out prompts")] = None,
    max_steps: Annotated[int | None, typer.Option(help="optimizer steps per round")] = None,
    order: Annotated[str, typer.Option(help="log-prob order filter: strict or gap")] = "strict",
    out: Annotated[Path, typer.Option(help="folder for report.json and the plot")] = Path(
        "sso-bench"
    ),
) -> None:
    """SSO vs plain DPO on unfiltered pairs; reward models; trainer time per pair."""
    from steergraph.bench.sso import SSOBenchConfig, run_sso_bench
    from steergraph.bench.sso_report import final_json, print_report, save_report

    cfg = SSOBenchConfig(
        model=model,
        judge=judge,
        quick=quick,
        workdir=str(out / "work"),
        rounds=rounds,
        train_prompts=train_prompts,
        eval_prompts=eval_prompts,
        max_steps=max_steps,
        order=order,
    )
    run = run_sso_bench(cfg, log=console.print)
    print_report(run, console.print)
    paths = save_report(run, out)
    console.print(f"report: {paths['report']}  plot: {paths['plot']}")
    print(json.dumps(final_json(run)))
