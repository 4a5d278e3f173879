"""``steergraph seg2act ...``: structure a document, train a structurer, benchmark.

A man page (``.1`` .. ``.9``, optionally ``.gz``) or an info manual carries its own
structure: ``structure`` then also scores the model's tree against it. Any other UTF-8
text file is split into segments at its non-blank lines.

Example:
    $ steergraph seg2act structure /usr/share/man/man1/ls.1.gz --max-segments 40
    $ steergraph seg2act structure notes.txt --model openai:NAME --json
    $ steergraph seg2act train --out seg2act-model --docs 64 --steps 300
    $ steergraph seg2act structure notes.txt --model local:seg2act-model
    $ steergraph seg2act bench --quick
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["seg2act_app"]

seg2act_app = typer.Typer(
    help="Seg2Act: a document's logical structure (headings, paragraphs) as one action per "
    "text segment, generated window by window with the outline so far as context.",
    no_args_is_help=True,
)
console = Console(stderr=True)
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="model spec (default: embedded)")]
WindowOpt = Annotated[int, typer.Option(help="segments shown per model call")]
StrideOpt = Annotated[int, typer.Option(help="actions committed per model call")]


def _document(path: Path, max_segments: int | None) -> tuple[list[str], object | None]:
    """(segments, gold tree or None) of a manual or a plain text file."""
    from steergraph.cli.common import read_text_file
    from steergraph.data.seg2act import is_manual, load_document

    if max_segments is not None and max_segments < 1:
        raise InputError(f"--max-segments {max_segments}", fix="use 1 or more")
    if is_manual(path):
        if not path.is_file():
            raise InputError(f"file not found: {path}", fix="check the path")
        doc = load_document(path)
        doc = doc.head(max_segments) if max_segments else doc
        return doc.segments, doc.tree
    segments = [line for line in read_text_file(path).splitlines() if line.strip()]
    return (segments[:max_segments] if max_segments else segments), None


@seg2act_app.command("structure")
def structure(
    file: Annotated[Path, typer.Argument(help="a man page, an info manual or a text file")],
    model: ModelOpt = "local",
    window: WindowOpt = 3,
    stride: StrideOpt = 1,
    context: Annotated[bool, typer.Option(help="show the outline so far to the model")] = True,
    rules: Annotated[bool, typer.Option(help="the rule baseline instead of a model")] = False,
    max_segments: Annotated[int | None, typer.Option(help="structure the first N only")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the tree as JSON")] = False,
    db: Annotated[str | None, typer.Option(help="checkpoint to SQLite file/postgresql://")] = None,
    thread: Annotated[str | None, typer.Option(help="resume this thread (with --db)")] = None,
) -> None:
    """Rebuild a document's outline; print it (``#`` per heading level) or its JSON tree."""
    from steergraph.agents.seg2act import DocTree

    segments, gold = _document(file, max_segments)
    if not segments:
        raise InputError(f"{file} holds no text", fix="give a non-empty document")
    if rules:
        from steergraph.agents.seg2act.rules import rule_actions
        from steergraph.graphs.seg2act import export

        actions = rule_actions(segments)
        out = {
            "actions": actions,
            "repairs": [],
            **export({"segments": segments, "actions": actions}),
        }
    else:
        from steergraph.cli.common import invoke_checkpointed
        from steergraph.graphs.seg2act import Seg2ActContext, build_seg2act_graph

        ctx = Seg2ActContext(model=model, window=window, stride=stride, context=context)
        if not 1 <= stride <= window:
            raise InputError(
                f"--window {window} --stride {stride}", fix="use 1 <= stride <= window"
            )
        out = invoke_checkpointed(
            build_seg2act_graph, {"segments": segments}, ctx, db=db, thread=thread,
            recursion_limit=10 + len(segments) // (ctx.windows_per_step * stride),
        )  # fmt: skip
    print(json.dumps(out["tree"], indent=1) if as_json else out["outline"])
    console.print(f"{len(segments)} segments, {len(out['repairs'])} repairs", highlight=False)
    if gold is not None:
        from steergraph.bench.seg2act_eval import score_tree

        s = score_tree(DocTree.build(out["actions"], segments).root, gold)
        console.print(
            f"against the manual's own structure: heading F1 {s['heading_f1']:.3f}, "
            f"text F1 {s['text_f1']:.3f}, TEDS {s['teds']:.3f}", highlight=False
        )  # fmt: skip


@seg2act_app.command("train")
def train(
    out: Annotated[Path, typer.Option(help="folder for the trained model")] = Path("seg2act-model"),
    model: ModelOpt = "local",
    docs: Annotated[int, typer.Option(help="training manuals (never the bench's test ones)")] = 64,
    max_segments: Annotated[int, typer.Option(help="segments kept per manual")] = 100,
    steps: Annotated[int, typer.Option(help="optimizer steps")] = 300,
    learning_rate: Annotated[float, typer.Option(help="SFT learning rate")] = 1e-4,
    window: WindowOpt = 3,
    stride: StrideOpt = 1,
    context: Annotated[bool, typer.Option(help="train with the outline so far")] = True,
    seed: Annotated[int, typer.Option(help="document split seed")] = 0,
) -> None:
    """SFT a local model (TRL) on installed manuals' action windows; export it for llama.cpp."""
    from steergraph.bench.seg2act import Seg2ActBenchConfig
    from steergraph.data.seg2act import corpus_split
    from steergraph.llm.gguf_export import export_gguf
    from steergraph.training.recipes import trainable_name
    from steergraph.training.seg2act import train_seg2act

    base = trainable_name(model)  # an API model is refused before any data is read
    held_out = Seg2ActBenchConfig().test_docs
    split = corpus_split(train=docs, test=held_out, seed=seed, max_segments=max_segments)
    result = train_seg2act(
        base, split["train"], output_dir=out, window=window, stride=stride, context=context,
        max_steps=steps, learning_rate=learning_rate, lr_scheduler_type="constant", seed=seed,
    )  # fmt: skip
    export_gguf(out, dtype="f16")
    console.print(f"{result.summary()}; use it: steergraph seg2act structure FILE "
                  f"--model local:{out}", highlight=False)  # fmt: skip


@seg2act_app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="every step at a small size (<= 15 min)")] = False,
    model: ModelOpt = "local",
    out: Annotated[Path, typer.Option(help="folder for report.json, plot, models")] = Path(
        "seg2act-bench"
    ),
    sources: Annotated[
        str,
        typer.Option(
            help="document kinds, comma-separated: man, info, readme (Python packages' "
            "Markdown READMEs)"
        ),
    ] = "man,info",
) -> None:
    """Rules vs untrained vs trained (with and without the global context), held-out manuals."""
    from steergraph.bench.seg2act import Seg2ActBenchConfig, run_seg2act_bench
    from steergraph.bench.seg2act_report import final_line, plot_systems, table_lines
    from steergraph.cli.common import report_bench

    kinds = tuple(dict.fromkeys(k.strip() for k in sources.split(",") if k.strip()))
    make = Seg2ActBenchConfig.quick if quick else Seg2ActBenchConfig
    run = run_seg2act_bench(make(model=model, out=out, kinds=kinds))
    report_bench(
        run,
        out,
        "seg2act_bench.png",
        table_lines=table_lines,
        plot=plot_systems,
        final_line=final_line,
    )
