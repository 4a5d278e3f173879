"""``steergraph structrag ask|train-router|bench``: StructRAG from the command line.

Example:
    $ steergraph structrag ask --docs notes/ "Which package is the largest?"
    $ steergraph structrag ask --docs a.txt --docs b.md --structure table "Total size?"
    $ steergraph structrag train-router --workdir runs/router --n-per-family 2
    $ steergraph structrag bench --quick
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["structrag_app"]

structrag_app = typer.Typer(
    help="StructRAG: route to a structure, build it from documents, answer from it.",
    no_args_is_help=True,
)
console = Console()

STRUCTURES = "table, graph, algorithm, catalogue, chunk"


@structrag_app.command("ask")
def structrag_ask(
    question: Annotated[str, typer.Argument(help="the question")],
    docs: Annotated[
        list[Path], typer.Option("--docs", "-d", help="a file, folder or .jsonl (repeatable)")
    ],
    model: Annotated[str, typer.Option("--model", "-m", help="chat model spec")] = "local",
    router: Annotated[
        str | None, typer.Option(help="router model spec (e.g. a trained router folder)")
    ] = None,
    structure: Annotated[
        str | None, typer.Option("--structure", "-s", help=f"force one of: {STRUCTURES}")
    ] = None,
    mode: Annotated[str, typer.Option(help="structurizers: auto, parse or llm")] = "auto",
    exact: Annotated[bool, typer.Option(help="let the utilizer compute exactly")] = True,
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or postgresql:// URL of the checkpoints (resumable)"),
    ] = None,
    thread: Annotated[str | None, typer.Option(help="checkpoint thread id")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print answer + metadata as JSON")
    ] = False,
) -> None:
    """Answer a question from documents with StructRAG; the metadata says how."""
    from steergraph.agents.structrag.structures import STRUCTURE_TYPES
    from steergraph.graphs.structrag import StructRAGContext, build_structrag_graph

    if structure is not None and structure not in STRUCTURE_TYPES:
        raise InputError(f"unknown structure {structure!r}", fix=f"use one of: {STRUCTURES}")
    if mode not in ("auto", "parse", "llm"):
        raise InputError(f"unknown mode {mode!r}", fix="use auto, parse or llm")
    for path in docs:
        if not path.exists():
            raise InputError(f"{path} does not exist", fix="pass existing files or folders")
    ctx = StructRAGContext(
        model=model,
        router_model=router,
        structure=structure,  # type: ignore[arg-type]
        mode=mode,  # type: ignore[arg-type]
        exact=exact,
    )
    from steergraph.llm.usage import UsageTracker

    inputs = {"question": question, "paths": [str(p) for p in docs]}
    tracker = UsageTracker()
    config = {"configurable": {"thread_id": thread or uuid.uuid4().hex}, "callbacks": [tracker]}
    from steergraph.graphs.persistence import persistence

    with persistence(db) as (saver, _):
        out = build_structrag_graph(checkpointer=saver).invoke(inputs, config, context=ctx)
    meta = out["metadata"]
    usage = tracker.summary()
    if as_json:
        print(json.dumps({"answer": out["answer"], "metadata": meta, "usage": usage}, default=str))
        return
    console.print(out["answer"] or "(no answer)", style="bold", highlight=False, markup=False)
    how = f"structure={meta['structure']} method={meta['method']}"
    if meta.get("computation"):
        how += f" computation={json.dumps(meta['computation'], default=str)[:160]}"
    console.print(how, style="dim", highlight=False, markup=False)
    console.print(
        f"LLM calls {usage['llm_calls']}, tokens {usage['input_tokens']} in / "
        f"{usage['output_tokens']} out, {meta['seconds']:.1f} s",
        style="dim",
        highlight=False,
    )
    for item in [
        *meta["fallbacks"],
        *(f"{i['source']}: {i['problem']}" for i in meta["document_issues"]),
    ]:
        console.print(f"note: {item}", style="yellow", highlight=False, markup=False)


@structrag_app.command("train-router")
def structrag_train_router(
    workdir: Annotated[Path, typer.Option(help="pairs, simulations and the trained router")] = Path(
        "structrag-router"
    ),
    model: Annotated[str, typer.Option("--model", "-m", help="model that simulates")] = "local",
    n_per_family: Annotated[int, typer.Option(help="tasks per family to synthesize")] = 2,
    train: Annotated[bool, typer.Option(help="train with DPO after writing the pairs")] = True,
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or postgresql:// URL of the checkpoints (resumable)"),
    ] = None,
    thread: Annotated[str | None, typer.Option(help="resume this thread")] = None,
) -> None:
    """Synthesize tasks, simulate each structure, judge, write DPO pairs, train the router."""
    from steergraph.graphs.structrag_router import (
        RouterTrainingContext,
        build_structrag_router_graph,
    )

    if n_per_family < 1:
        raise InputError(f"--n-per-family {n_per_family} selects nothing", fix="use 1 or more")
    ctx = RouterTrainingContext(
        model=model, workdir=str(workdir), n_per_family=n_per_family, train=train, progress=True
    )
    from steergraph.cli.common import invoke_checkpointed

    out = invoke_checkpointed(build_structrag_router_graph, {}, ctx, db=db, thread=thread)
    acc = out.get("accuracy", {})
    console.print(f"pairs: {out['judged']['pairs']} ({out['judged'].get('pairs_file')})")
    if out.get("trained", {}).get("router"):
        console.print(f"router: {out['trained']['router']}")
    for when in ("before", "after"):
        if when in acc:
            console.print(f"routing accuracy {when}: {acc[when]['accuracy']:.3f}")


@structrag_app.command("bench")
def structrag_bench(
    quick: Annotated[bool, typer.Option(help="a subset in a few minutes")] = False,
    model: Annotated[str, typer.Option("--model", "-m", help="chat model spec")] = "local",
    n_per_family: Annotated[int | None, typer.Option(help="test tasks per family")] = None,
    train_n_per_family: Annotated[
        int | None, typer.Option(help="router-training tasks per family")
    ] = None,
    train_router: Annotated[bool, typer.Option(help="DPO-train the router (local)")] = True,
    router_epochs: Annotated[
        int | None, typer.Option(help="router DPO epochs (default 3; --quick: 1)")
    ] = None,
    out: Annotated[Path, typer.Option(help="folder for report.json and the plot")] = Path(
        "structrag-bench"
    ),
    suite: Annotated[
        str, typer.Option(help="tasks (Loong-style tasks) or folders (dpkg records, a file each)")
    ] = "tasks",
    folder_sizes: Annotated[
        str, typer.Option(help="folders suite: records per folder (default 70; full: 70,700)")
    ] = "",
    folder_sources: Annotated[
        str,
        typer.Option(
            help="folders suite: record sources: dpkg (installed), apt (the "
            "archive's list, for 7,000 records), python (METADATA), man (man pages)"
        ),
    ] = "dpkg,python,man",
) -> None:
    """StructRAG vs chunk RAG vs long context on Loong-style tasks over real documents, or
    on plain folders of records (``--suite folders``)."""
    if suite == "folders":
        sizes = [int(x) for x in folder_sizes.split(",") if x.strip()] or (
            [70] if quick else [70, 700]
        )
        sources = [x.strip() for x in folder_sources.split(",") if x.strip()]
        _folders_bench(model, sizes, sources, out)
        return
    if suite != "tasks":
        raise InputError(f"unknown suite {suite!r}", fix="use --suite tasks or --suite folders")
    from steergraph.bench.structrag import StructRAGBenchConfig, run_structrag_bench
    from steergraph.bench.structrag_report import final_json, print_report, save_report

    counts = {
        k: v
        for k, v in (
            ("n_per_family", n_per_family),
            ("train_n_per_family", train_n_per_family),
            ("router_epochs", router_epochs),
        )
        if v is not None
    }
    cfg = StructRAGBenchConfig(
        model=model, quick=quick, train_router=train_router, workdir=str(out / "work"), **counts
    )
    run = run_structrag_bench(cfg, log=console.print)
    print_report(run, console.print)
    paths = save_report(run, out)
    console.print(f"report: {paths['report']}  plot: {paths['plot']}")
    print(json.dumps(final_json(run)))


def _folders_bench(model: str, sizes: list[int], sources: list[str], out: Path) -> None:
    from steergraph.bench.structrag_folders import (
        final_folders,
        run_folder_suite,
        summarize_folders,
    )

    rows = run_folder_suite(model, sizes=sizes, sources=sources, workdir=str(out / "folders"),
                            log=console.print)  # fmt: skip
    summary = summarize_folders(rows)
    for method, figures in summary.items():
        forms = "  ".join(f"{f} {v:.2f}" for f, v in figures["per_form"].items())
        console.print(f"{method:<13} exact {figures['exact']:.3f}  median "
                      f"{figures['seconds_median']:.1f}s  {forms}")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "folders.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(final_folders(summary)))
