"""``steergraph catp plan|run``: cost-aware tool planning from the command line.

Example:
    $ steergraph catp plan "Summarize the document and list keywords" \\
        --input doc=README.md --output text --output words --png plan.png
    $ steergraph catp run "Mean installed size" --input csv=packages.csv --output number
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from steergraph.errors import InputError

__all__ = ["catp_app"]

catp_app = typer.Typer(help="Cost-aware tool planning: plan, run.", no_args_is_help=True)
console = Console()

InputsOpt = Annotated[
    list[str],
    typer.Option("--input", "-i", help="NAME=PATH (text) or NAME:table=PATH.csv; repeatable"),
]
OutputsOpt = Annotated[
    list[str], typer.Option("--output", "-o", help="required output type; repeatable")
]
PlannerOpt = Annotated[
    str | None,
    typer.Option(
        "--planner", help="trained:DIR plans with a planner `catp train` fine-tuned (CAORL)"
    ),
]


def _inputs(specs: list[str]) -> tuple[dict[str, str], dict[str, Any], int]:
    """(types, values, largest size) of --input NAME[:type]=PATH options."""
    from steergraph.cli.common import read_text_file
    from steergraph.tools.builtin_table import parse_csv
    from steergraph.tools.types import DATA_TYPES

    if not specs:
        raise InputError("the task has no input", fix="add --input doc=PATH")
    types: dict[str, str] = {}
    values: dict[str, Any] = {}
    for spec in specs:
        if "=" not in spec:
            raise InputError(f"--input {spec!r} is not NAME=PATH", fix="e.g. --input doc=notes.txt")
        name, path = spec.split("=", 1)
        name, _, kind = name.partition(":")
        kind = kind or "text"
        if not name.isidentifier() or kind not in ("text", "table"):
            raise InputError(
                f"--input {spec!r}: the name must be an identifier and the type text or table",
                fix="e.g. --input doc=notes.txt or --input sales:table=sales.csv",
            )
        text = read_text_file(Path(path))
        types[name] = kind
        values[name] = parse_csv(text) if kind == "table" else text
    size = max(DATA_TYPES[types[n]].size(v) for n, v in values.items())
    return types, values, size


def _registry() -> Any:
    from steergraph.tools.registry import default_registry

    reg = default_registry()
    reg.profile()
    return reg


def _trained(spec: str, registry: Any) -> Any:
    from steergraph.cli.caorl import trained_planner

    return trained_planner(spec, registry)


def _show_plan(plan: Any, registry: Any, size: int, png: Path | None) -> None:
    from steergraph.agents.catp.planner import plan_price
    from steergraph.viz.plans import write_plan_picture

    console.print(plan.to_text(), highlight=False)
    estimates = {n: registry.get(s.tool).profile.at(size).wall_s for n, s in plan.steps.items()}
    length, path = plan.critical_path(estimates)
    console.print(
        f"estimated price ${plan_price(plan, registry, size):.3g}; critical path "
        f"{' -> '.join(path)} ({length * 1000:.1f} ms)"
    )
    if png is not None:
        console.print(f"[green]drew[/] {write_plan_picture(plan, png, estimates)}")


@catp_app.command("plan")
def catp_plan(
    task: Annotated[str, typer.Argument(help="what the plan must achieve")],
    inputs: InputsOpt = [],  # noqa: B006 - typer's way to declare a repeatable option
    outputs: OutputsOpt = [],  # noqa: B006
    budget: Annotated[float | None, typer.Option(help="dollars the plan may cost")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="model spec")] = "local",
    cost_aware: Annotated[bool, typer.Option(help="show prices to the planner")] = True,
    png: Annotated[Path | None, typer.Option(help="draw the plan (critical path in red)")] = None,
    planner_spec: PlannerOpt = None,
) -> None:
    """Write a plan for a task and print it (no tool runs)."""
    from steergraph.agents.calls import with_budget
    from steergraph.agents.catp.planner import Planner, PlanTask
    from steergraph.llm.loading import load_chat_model

    types, _, size = _inputs(inputs)
    registry = _registry()
    if planner_spec:
        planner = _trained(planner_spec, registry)
    else:
        planner = Planner(with_budget(load_chat_model(model), 64), registry, cost_aware=cost_aware)
    result = planner.plan(PlanTask(task, types, outputs or ["text"], size, budget))
    if result.plan is None:
        raise InputError(
            f"no valid plan after {result.llm_calls} tries: {result.errors[-1]}",
            fix="rephrase the task or use a stronger --model",
        )
    _show_plan(result.plan, registry, size, png)


@catp_app.command("run")
def catp_run(
    task: Annotated[str, typer.Argument(help="what the plan must achieve")],
    inputs: InputsOpt = [],  # noqa: B006
    outputs: OutputsOpt = [],  # noqa: B006
    budget: Annotated[float | None, typer.Option(help="dollars the plan may cost")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="model spec")] = "local",
    cost_aware: Annotated[bool, typer.Option(help="show prices to the planner")] = True,
    approve: Annotated[bool, typer.Option(help="ask before running the plan")] = False,
    db: Annotated[
        str, typer.Option(help="SQLite file or postgresql:// URL of the checkpoints (resumable)")
    ] = "catp.sqlite",
    thread: Annotated[
        str | None, typer.Option(help="thread id to resume (default: a new one)")
    ] = None,
    png: Annotated[Path | None, typer.Option(help="draw the executed plan")] = None,
    planner_spec: PlannerOpt = None,
) -> None:
    """Plan and run a task with the CATP graph (checkpointed: re-run with --thread to resume)."""
    from langgraph.types import Command

    from steergraph.graphs.catp import CATPContext, build_catp_graph
    from steergraph.graphs.persistence import persistence
    from steergraph.tools.plan_parser import parse_plan
    from steergraph.tools.types import decode_value, encode_value
    from steergraph.viz.plans import write_plan_picture

    types, values, size = _inputs(inputs)
    registry = _registry()
    ctx = CATPContext(
        model=model,
        registry=registry,
        cost_aware=cost_aware,
        require_approval=approve,
        planner=_trained(planner_spec, registry) if planner_spec else None,
    )
    if thread is None:
        import uuid

        thread = f"catp-{uuid.uuid4().hex[:8]}"
    console.print(f"thread {thread} (resume with --thread {thread} --db {db})")
    config = {"configurable": {"thread_id": thread}}
    spec = {
        "description": task,
        "inputs": types,
        "outputs": outputs or ["text"],
        "input_size": size,
        "budget": budget,
    }
    with persistence(db) as (saver, store):
        graph = build_catp_graph(checkpointer=saver, store=store)
        snapshot = graph.get_state(config)
        start: Any = (
            None
            if snapshot.next
            else {"task": spec, "inputs": {k: encode_value(v) for k, v in values.items()}}
        )
        out = graph.invoke(start, config, context=ctx)
        while "__interrupt__" in out:
            plan_text = out["__interrupt__"][0].value["plan"]
            console.print(plan_text, highlight=False)
            resume = Command(resume=typer.confirm("run this plan?"))
            out = graph.invoke(resume, config, context=ctx)
    records = {r["name"]: r for r in out.get("records", [])}
    table = RichTable(title=f"CATP run ({out['status']})")
    for col in ("step", "tool", "status", "start s", "wall ms", "attempts", "error"):
        table.add_column(col)
    for name, rec in records.items():
        table.add_row(
            name,
            rec["tool"],
            rec["status"],
            f"{rec['start'] or 0:.3f}",
            f"{(rec['wall_s'] or 0) * 1000:.1f}",
            str(rec["attempts"]),
            (rec["error"] or "")[:60],
        )
    console.print(table)
    if out.get("plan"):
        plan = parse_plan(out["plan"], registry, types)
        console.print(out["plan"], highlight=False)
        if png is not None:
            console.print(f"[green]drew[/] {write_plan_picture(plan, png, records=records)}")
    console.print(json.dumps(out.get("execution", {}), default=str))
    for name, value in (out.get("outputs") or {}).items():
        console.print(f"[bold]{name}[/]: {str(decode_value(value))[:500]}", highlight=False)
    if out["status"] != "done":
        console.print(f"[red]{out['answer']}[/]")
        raise typer.Exit(1)


@catp_app.command("bench")
def catp_bench(
    quick: Annotated[bool, typer.Option(help="one size level, smaller plan space")] = False,
    model: Annotated[str, typer.Option("--model", "-m", help="planner model spec")] = "local",
    levels: Annotated[
        list[int], typer.Option("--level", help="input-size levels 1-4; repeatable")
    ] = [],  # noqa: B006
    family: Annotated[
        list[str], typer.Option("--family", help="task families to run; repeatable")
    ] = [],  # noqa: B006
    oracle_size: Annotated[
        int | None, typer.Option(help="largest number of tool calls the oracle enumerates")
    ] = None,
    faults: Annotated[bool, typer.Option(help="also run the graph with injected faults")] = True,
    workers: Annotated[int, typer.Option(help="processes searching plan spaces")] = 2,
    out: Annotated[Path, typer.Option(help="folder for the plan pool, report and plot")] = Path(
        "catp-bench"
    ),
    planners: Annotated[
        list[str],
        typer.Option("--planner", help="also run trained:DIR planners (CAORL); repeatable"),
    ] = [],  # noqa: B006
) -> None:
    """Offline OpenCATP benchmark: random, cost-unaware, cost-aware and oracle planners."""
    from steergraph.bench.catp import BenchConfig, dumps, final_line, run_catp_bench
    from steergraph.bench.catp_report import format_table
    from steergraph.data.catp.tasks import FAMILIES

    known = [f.name for f in FAMILIES]
    unknown = [f for f in family if f not in known]
    if unknown:
        raise InputError(
            f"unknown task famil{'ies' if len(unknown) > 1 else 'y'}: {', '.join(unknown)}",
            fix=f"choose among: {', '.join(known)}",
        )
    bad = [lv for lv in levels if lv not in (1, 2, 3, 4)]
    if bad:
        raise InputError(f"input-size level {bad[0]} does not exist", fix="use 1, 2, 3 or 4")
    if oracle_size is not None and not 1 <= oracle_size <= 6:
        raise InputError(
            f"--oracle-size {oracle_size} is out of range",
            fix="use 1-6 (5 takes minutes per task at size level 4; 6 is very slow)",
        )
    base = BenchConfig.quick_config() if quick else BenchConfig()
    overrides: dict[str, Any] = {"model": model, "faults": faults, "workers": workers, "out": out}
    if levels:
        overrides["levels"] = tuple(levels)
    if family:
        overrides["families"] = tuple(family)
    if oracle_size is not None:
        overrides["oracle_size"] = oracle_size
    cfg = BenchConfig(**{**base.__dict__, **overrides})
    extra = {}
    if planners:
        registry = _registry()
        extra = {spec: _trained(spec, registry) for spec in planners}
    report = run_catp_bench(cfg, log=console.print, extra_planners=extra)
    print(format_table(report["planners"]))
    fl = report["faults"]
    if fl:
        console.print(
            f"faults: {fl['completed']}/{fl['tasks']} tasks completed "
            f"({fl['injected_raises']} injected raises, {fl['injected_hangs']} hangs, "
            f"{fl['steps_failed_after_retries']} steps failed after retries, "
            f"{fl['replans']} replans)"
        )
    console.print(f"plan pool: {report['files']['plan_pool']}  plot: {report['files']['plot']}")
    print(dumps(final_line(report)))


def _train_command() -> None:
    from steergraph.cli.caorl import caorl_train

    catp_app.command(
        "train", help="Fine-tune a planner on a plan pool (CAORL; the same as `caorl train`)."
    )(caorl_train)


_train_command()
