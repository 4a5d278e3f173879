"""``steergraph edit ...``: delta-parameter editing from the command line.

Models are folders of Hugging Face models, embedded names (``smollm2``, ``gemma3``),
or ``sft:<base>`` / ``sft-quick:<base>`` for the post-trained model this project makes
(trained once, cached; see ``steergraph edit pair``). Every editing command writes a
model folder (``--out``), a compact delta file (``--delta``), or both.

Example:
    $ steergraph edit pair                        # base and post-trained SmolLM2 folders
    $ steergraph edit dare smollm2 sft:smollm2 --p 0.9 --out runs/dare
    $ steergraph edit bitdelta smollm2 sft:smollm2 --bits 1 --delta runs/bd1.safetensors
    $ steergraph edit apply smollm2 runs/bd1.safetensors --out runs/bd1
    $ steergraph edit estimate smollm2 sft:smollm2 -e dare:p=0.9 -e bitdelta:bits=1 --plot e.png
    $ steergraph edit bench --quick
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["edit_app", "resolve_model"]

edit_app = typer.Typer(
    help="Delta-parameter editing: DARE, BitDelta, low-rank, TIES, extrapolation; the "
    "Riemann-sum estimate of the loss change.",
    no_args_is_help=True,
)
console = Console()

BaseArg = Annotated[str, typer.Argument(help="base model: folder, smollm2 or gemma3")]
PostArg = Annotated[str, typer.Argument(help="post-trained model: folder or sft:<base>")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="write the edited model folder")]
DeltaOpt = Annotated[Path | None, typer.Option("--delta", help="write a compact delta file")]
SeedOpt = Annotated[int, typer.Option(help="random seed (per tensor)")]
TargetsOpt = Annotated[
    str | None, typer.Option(help="all, matrices, linear or a regex over tensor names")
]
OverwriteOpt = Annotated[bool, typer.Option(help="replace an existing output")]


def resolve_model(source: str) -> str:
    """A model folder for ``source`` (``sft:<base>`` trains the post model once)."""
    from steergraph.llm.embedded import EMBEDDED_MODELS, ensure_converted

    if source in EMBEDDED_MODELS:
        return str(ensure_converted(source))
    kind, sep, base = source.partition(":")
    if sep and kind in ("sft", "sft-quick"):
        from dataclasses import replace

        from steergraph.training.delta import QUICK_RECIPE, PostTrainRecipe, post_trained

        recipe = QUICK_RECIPE if kind == "sft-quick" else PostTrainRecipe()
        return str(post_trained(replace(recipe, base=base or "smollm2")))
    return source


def _tokenizer(folder: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def _run(
    base: str, post: str, editor: Any, out: Path | None, delta: Path | None, overwrite: bool
) -> None:
    from steergraph.editing.delta_file import write_delta
    from steergraph.editing.stream import edit_checkpoint

    if out is None and delta is None:
        raise InputError("nothing to write", fix="give --out FOLDER, --delta FILE, or both")
    for target in (out, delta):  # both destinations are checked before either is written
        if target is not None and target.exists() and not overwrite:
            raise InputError(f"{target} already exists", fix="choose another path or --overwrite")
    b, p = resolve_model(base), resolve_model(post)
    if delta is not None:
        info = write_delta(b, p, editor, delta, overwrite=overwrite)
        console.print(
            f"[green]wrote[/] {info.path} ({info.nbytes / 1e6:.2f} MB, "
            f"{info.compression:.1f}x smaller than the post-trained weights; {info.kinds})",
            highlight=False,
        )
    if out is not None:
        result = edit_checkpoint(b, p, editor, out, overwrite=overwrite)
        console.print(
            f"[green]wrote[/] {result.out} ({editor.label()}: {result.edited} of "
            f"{result.tensors} tensors edited, {result.seconds:.1f} s)",
            highlight=False,
        )


@edit_app.command("dare")
def dare(
    base: BaseArg,
    post: PostArg,
    out: OutOpt = None,
    delta: DeltaOpt = None,
    p: Annotated[float, typer.Option(help="drop rate, in [0, 1)")] = 0.9,
    k: Annotated[float, typer.Option(help="dropped entries become k*dW (0: DARE)")] = 0.0,
    seed: SeedOpt = 0,
    targets: TargetsOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """DARE: drop delta entries with probability p, rescale the rest (k extension)."""
    from steergraph.editing.editors import Dare

    _run(base, post, Dare(p=p, k=k, seed=seed, targets=targets), out, delta, overwrite)


@edit_app.command("bitdelta")
def bitdelta(
    base: BaseArg,
    post: PostArg,
    out: OutOpt = None,
    delta: DeltaOpt = None,
    bits: Annotated[int, typer.Option(help="bits per entry, sign included (1: BitDelta)")] = 1,
    distill_steps: Annotated[int, typer.Option(help="scale distillation steps (0: none)")] = 0,
    targets: TargetsOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """BitDelta: sign x mean magnitude (multi-bit: per magnitude block); optional distillation."""
    from steergraph.editing.editors import BitDelta

    editor = BitDelta(bits=bits, targets=targets)
    if distill_steps > 0:
        from steergraph.editing.bitdelta import distill_bitdelta
        from steergraph.training.delta import calibration_rows

        b, p = resolve_model(base), resolve_model(post)
        rows = calibration_rows(_tokenizer(p))
        result = distill_bitdelta(b, p, editor, rows, steps=distill_steps)
        console.print(f"distilled: logits MSE {result.losses[0]:.4g} -> {result.losses[-1]:.4g}")
        editor = result.editor
    _run(base, post, editor, out, delta, overwrite)


@edit_app.command("lowrank")
def lowrank(
    base: BaseArg,
    post: PostArg,
    out: OutOpt = None,
    delta: DeltaOpt = None,
    rank: Annotated[int, typer.Option(help="rank of each matrix delta")] = 16,
    targets: TargetsOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Low-rank: the best rank-r approximation (SVD) of each matrix delta."""
    from steergraph.editing.editors import LowRank

    _run(base, post, LowRank(rank=rank, targets=targets), out, delta, overwrite)


@edit_app.command("extrapolate")
def extrapolate(
    base: BaseArg,
    post: PostArg,
    out: OutOpt = None,
    delta: DeltaOpt = None,
    alpha: Annotated[float, typer.Option(help="W_base + alpha*dW (>1 extrapolates)")] = 1.5,
    targets: TargetsOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Extrapolation / interpolation along the delta."""
    from steergraph.editing.editors import Extrapolate

    _run(base, post, Extrapolate(alpha=alpha, targets=targets), out, delta, overwrite)


@edit_app.command("quantize")
def quantize(
    base: BaseArg,
    post: PostArg,
    out: OutOpt = None,
    delta: DeltaOpt = None,
    bits: Annotated[int, typer.Option(help="bits per entry (2..8)")] = 4,
    targets: TargetsOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Delta quantization: symmetric round-to-nearest, one scale per row."""
    from steergraph.editing.editors import QuantizeDelta

    _run(base, post, QuantizeDelta(bits=bits, targets=targets), out, delta, overwrite)


@edit_app.command("ties")
def ties(
    base: BaseArg,
    posts: Annotated[list[str], typer.Argument(help="one or more post-trained models")],
    out: Annotated[Path, typer.Option("--out", "-o", help="merged model folder")],
    density: Annotated[float, typer.Option(help="fraction of entries kept per delta")] = 0.2,
    lam: Annotated[float, typer.Option(help="scale of the merged delta")] = 1.0,
    targets: TargetsOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """TIES: trim, elect signs, disjoint mean (one model: magnitude pruning)."""
    from steergraph.editing.editors import Ties
    from steergraph.editing.stream import merge_checkpoints

    editor = Ties(density=density, lam=lam, targets=targets)
    paths = [resolve_model(p) for p in posts]
    result = merge_checkpoints(resolve_model(base), paths, editor, out, overwrite=overwrite)
    console.print(f"[green]wrote[/] {result.out} ({editor.label()}, {len(paths)} model(s))")


@edit_app.command("apply")
def apply(
    base: BaseArg,
    delta: Annotated[Path, typer.Argument(help="a delta file written by --delta")],
    out: Annotated[Path, typer.Option("--out", "-o", help="model folder to write")],
    files_from: Annotated[
        Path | None, typer.Option(help="take config/tokenizer files from here (default: base)")
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Apply a delta file to the base it was made from."""
    from steergraph.editing.delta_file import apply_delta

    path = apply_delta(resolve_model(base), delta, out, files_from=files_from, overwrite=overwrite)
    console.print(f"[green]wrote[/] {path}")


@edit_app.command("estimate")
def estimate(
    base: BaseArg,
    post: PostArg,
    editor: Annotated[
        list[str], typer.Option("--editor", "-e", help="method:key=value,... (repeatable)")
    ],
    calib: Annotated[
        Path | None,
        typer.Option(help="calibration rows (.jsonl, TRL formats); default: held-out rows"),
    ] = None,
    n_calib: Annotated[int, typer.Option(help="calibration rows used")] = 32,
    max_length: Annotated[int, typer.Option(help="tokens per calibration row")] = 256,
    steps: Annotated[int, typer.Option(help="Riemann steps C")] = 5,
    rule: Annotated[str, typer.Option(help="left (the reference) or midpoint")] = "left",
    band: Annotated[float | None, typer.Option(help="|dL| counted as competitive")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    plot: Annotated[Path | None, typer.Option(help="draw predicted vs measured dL (PNG)")] = None,
) -> None:
    """Predicted (Riemann sum) and measured loss change of each editor."""
    from steergraph.data.jsonl import read_jsonl
    from steergraph.editing.estimate import evaluate_edits
    from steergraph.editing.specs import parse_editor
    from steergraph.training.delta import calibration_rows

    editors = [parse_editor(e) for e in editor]  # bad settings fail before any model loads
    if rule not in ("left", "midpoint") or steps < 1:
        raise InputError(f"rule={rule!r}, steps={steps}", fix="use left or midpoint and steps >= 1")
    b, p = resolve_model(base), resolve_model(post)
    rows = (
        [row for _, row in read_jsonl(calib, what="calibration row")][:n_calib]
        if calib
        else calibration_rows(_tokenizer(p), n=n_calib)
    )
    report = evaluate_edits(
        b,
        p,
        editors,
        rows,
        steps=steps,
        rule=rule,
        band=band,
        max_length=max_length,  # type: ignore[arg-type]
    )
    if as_json:
        console.print_json(json.dumps(report.to_dict(), default=str))
    else:
        from steergraph.bench.delta_report import print_estimates

        print_estimates(report.to_dict(), console.print)
    if plot is not None:
        from steergraph.viz.delta import save_estimate_plot

        console.print(f"[green]plot[/] {save_estimate_plot(report.to_dict(), plot)}")


@edit_app.command("pair")
def pair(
    base: Annotated[str, typer.Option(help="embedded base model")] = "smollm2",
    quick: Annotated[bool, typer.Option(help="the short recipe of the tests")] = False,
    force: Annotated[bool, typer.Option(help="train again")] = False,
) -> None:
    """Make (once) and show the post-trained model: a TRL SFT of an embedded model."""
    from dataclasses import replace

    from steergraph.llm.embedded import ensure_converted
    from steergraph.training.delta import QUICK_RECIPE, PostTrainRecipe, post_trained

    recipe = replace(QUICK_RECIPE if quick else PostTrainRecipe(), base=base)
    post = post_trained(recipe, force=force)
    record = json.loads((post / "steergraph-post-train.json").read_text())
    losses = record["losses"]
    console.print(f"base: {ensure_converted(base)}\npost: {post}", highlight=False)
    console.print(
        f"SFT {record['steps']} steps in {record['train_seconds']:.0f} s, loss "
        f"{losses[0]:.3f} -> {losses[-1]:.3f}",
        highlight=False,
    )


@edit_app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="a reduced run in a few minutes")] = False,
    base: Annotated[str, typer.Option(help="embedded base model (post-trained here)")] = "smollm2",
    n_calib: Annotated[int | None, typer.Option(help="held-out calibration rows")] = None,
    max_length: Annotated[int | None, typer.Option(help="tokens per calibration row")] = None,
    steps: Annotated[int, typer.Option(help="Riemann steps C")] = 5,
    rule: Annotated[str, typer.Option(help="left (the reference) or midpoint")] = "left",
    distill_steps: Annotated[int | None, typer.Option(help="BitDelta distillation steps")] = None,
    repeats: Annotated[int | None, typer.Option(help="timed runs per DARE tool")] = None,
    editor: Annotated[
        list[str] | None, typer.Option("--editor", "-e", help="replace the edits (repeatable)")
    ] = None,
    mergekit: Annotated[bool, typer.Option(help="time DARE against mergekit")] = True,
    out: Annotated[Path, typer.Option(help="folder for report.json and the plot")] = Path(
        "delta-bench"
    ),
) -> None:
    """Predicted vs measured dL per edit, BitDelta compression, DARE vs mergekit."""
    from steergraph.bench.delta import DeltaBenchConfig, run_delta_bench
    from steergraph.bench.delta_report import final_json, print_report, save_report
    from steergraph.editing.specs import parse_editor

    if rule not in ("left", "midpoint"):
        raise InputError(f"unknown rule {rule!r}", fix="use left or midpoint")
    cfg = DeltaBenchConfig(
        quick=quick,
        base=base,
        n_calib=n_calib,
        max_length=max_length,
        steps=steps,
        rule=rule,
        distill_steps=distill_steps,
        repeats=repeats,
        mergekit=mergekit,
        out=out,
        editors=[parse_editor(e) for e in editor or []],
    )
    run = run_delta_bench(cfg, log=console.print)
    print_report(run, console.print)
    paths = save_report(run, out)
    console.print(f"report: {paths['report']}  plot: {paths['plot']}")
    print(json.dumps(final_json(run)))
