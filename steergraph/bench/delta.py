"""Delta-editing benchmark: predicted vs measured loss change, BitDelta sizes, DARE vs mergekit.

On the embedded SmolLM2 and its post-trained version made here (a TRL SFT,
:mod:`steergraph.training.delta`), in one run:

1. every editor of :func:`default_editors` at several strengths (DARE and its
   ``k`` extension, the biased masks, BitDelta 1/2/4-bit and a scale-distilled 1-bit,
   low rank, TIES pruning, extrapolation and interpolation, delta quantization):
   the Riemann-sum prediction and the measured ``dL`` on held-out calibration rows,
   their classes and the sign agreement outside the competitive band;
2. compact delta files for 1-bit and 4-bit BitDelta: bytes and compression against
   the post-trained weights;
3. our streamed DARE and mergekit's DARE on the same pair in fresh processes: wall
   time, peak RSS and their ratios, and the measured ``dL`` of both outputs.

Example:
    >>> [e.label() for e in default_editors(quick=True)][:2]
    ['dare p=0.9', 'dare p=0.99']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from steergraph.editing.editors import (
    BiasedDare,
    BitDelta,
    Dare,
    DeltaEditor,
    Extrapolate,
    LowRank,
    QuantizeDelta,
    Ties,
)

__all__ = ["DeltaBenchConfig", "default_editors", "measured_output_change", "run_delta_bench"]


def default_editors(quick: bool = False) -> list[DeltaEditor]:
    """The edits of a run (quick: one or two strengths per family)."""
    if quick:
        return [
            Dare(p=0.9),
            Dare(p=0.99),
            BitDelta(bits=1),
            BitDelta(bits=4),
            LowRank(rank=8),
            Ties(density=0.1),
            Extrapolate(alpha=0.5),
            Extrapolate(alpha=1.5),
        ]
    return [
        Dare(p=0.3),
        Dare(p=0.6),
        Dare(p=0.9),
        Dare(p=0.9, seed=1),
        Dare(p=0.9, seed=2),
        Dare(p=0.99),
        Dare(p=0.9, k=0.5),
        Dare(p=0.9, k=2.0),
        BiasedDare(k=0.5, by="delta"),
        BiasedDare(k=0.5, by="delta_grad"),
        BitDelta(bits=1),
        BitDelta(bits=2),
        BitDelta(bits=4),
        LowRank(rank=4),
        LowRank(rank=16),
        LowRank(rank=64),
        Ties(density=0.05),
        Ties(density=0.2),
        Ties(density=0.5),
        Extrapolate(alpha=0.0),
        Extrapolate(alpha=0.5),
        Extrapolate(alpha=0.9),
        Extrapolate(alpha=1.1),
        Extrapolate(alpha=1.5),
        Extrapolate(alpha=2.0),
        QuantizeDelta(bits=2),
        QuantizeDelta(bits=4),
    ]


@dataclass
class DeltaBenchConfig:
    """Sizes of a run (``None``: the quick or full default)."""

    quick: bool = False
    base: str = "smollm2"
    n_calib: int | None = None
    max_length: int | None = None
    steps: int = 5
    rule: str = "left"
    distill_steps: int | None = None
    repeats: int | None = None
    dare_p: float = 0.9
    mergekit: bool = True
    out: Path = Path("delta-bench")
    editors: list[DeltaEditor] = field(default_factory=list)
    pair: tuple[Path, Path] | None = None  # (base, post) folders instead of base + recipe
    calibration: list[dict[str, Any]] | None = None  # rows instead of the held-out rows

    def resolved(self) -> DeltaBenchConfig:
        q = self.quick
        return replace(
            self,
            n_calib=self.n_calib or (12 if q else 16),
            max_length=self.max_length or (160 if q else 192),
            distill_steps=self.distill_steps
            if self.distill_steps is not None
            else (0 if q else 20),
            repeats=self.repeats or (1 if q else 2),
            editors=self.editors or default_editors(q),
        )


def measured_output_change(
    probe: Any, post: str | Path, edited: str | Path, loss_post: float
) -> float:
    """Measured ``dL`` of a model folder made from ``post`` (e.g. mergekit's output)."""
    from steergraph.editing.checkpoint import float_delta, open_checkpoint

    p, e = open_checkpoint(post), open_checkpoint(edited)
    names = [n for n in p.names() if p.info(n).is_float]
    direction = probe.restrict((n, float_delta(p, e, n)) for n in names)
    with probe.shifted(direction, 1.0):
        return probe.loss() - loss_post


def run_delta_bench(cfg: DeltaBenchConfig, log: Callable[[Any], Any] = print) -> dict[str, Any]:
    """Run the benchmark (see the module docstring); return everything as a dict."""
    from transformers import AutoTokenizer

    from steergraph.bench.delta_mergekit import run_dare_comparison
    from steergraph.editing.bitdelta import distill_bitdelta
    from steergraph.editing.delta_file import write_delta
    from steergraph.editing.estimate import LossProbe, evaluate_edits
    from steergraph.llm.embedded import ensure_converted
    from steergraph.training.delta import (
        QUICK_RECIPE,
        PostTrainRecipe,
        calibration_rows,
        post_trained,
    )

    cfg = cfg.resolved()
    started = time.perf_counter()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = replace(QUICK_RECIPE if cfg.quick else PostTrainRecipe(), base=cfg.base)
    if cfg.pair is not None:
        base, post = Path(cfg.pair[0]), Path(cfg.pair[1])
    else:
        base = ensure_converted(cfg.base)
        log(f"post-trained model: {recipe.folder_name()} (TRL SFT, {recipe.steps} steps; once)")
        post = post_trained(recipe)
    tok = AutoTokenizer.from_pretrained(str(post))
    rows = cfg.calibration or calibration_rows(tok, n=cfg.n_calib)
    probe = LossProbe.load(post, rows, max_length=cfg.max_length or 256)
    log(f"calibration: {len(rows)} held-out rows, {probe.calibration.tokens} scored tokens")
    editors = list(cfg.editors)
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("editors", "calibration")}
    run: dict[str, Any] = {
        "config": settings,
        "base": str(base),
        "post": str(post),
        "recipe": None if cfg.pair else asdict(recipe),
    }
    if cfg.distill_steps:
        log(f"distilling 1-bit BitDelta scales ({cfg.distill_steps} steps)")
        distilled = distill_bitdelta(
            base, post, BitDelta(bits=1), probe.calibration, steps=cfg.distill_steps, progress=True
        )
        run["distill"] = {"losses": distilled.losses, "seconds": distilled.seconds}
        editors.append(distilled.editor)
    report = evaluate_edits(
        base, post, editors, probe.calibration, probe=probe, steps=cfg.steps, rule=cfg.rule
    )  # type: ignore[arg-type]
    run["estimates"] = report.to_dict()
    sizes = {}
    for editor in [e for e in editors if isinstance(e, BitDelta)]:
        info = write_delta(
            base,
            post,
            editor,
            out / "deltas" / f"{editor.label().replace(' ', '-')}.safetensors",
            overwrite=True,
            progress=False,
        )
        sizes[editor.label()] = {
            "bytes": info.nbytes,
            "post_bytes": info.post_nbytes,
            "compression": info.compression,
            "kinds": info.kinds,
        }
    run["delta_files"] = sizes
    if cfg.mergekit:
        log(f"DARE p={cfg.dare_p}: steergraph (streamed) vs mergekit, {cfg.repeats} run(s) each")
        cmp = run_dare_comparison(
            base, post, out / "dare", p=cfg.dare_p, repeats=cfg.repeats or 1, log=log
        )
        for key in ("ours", "mergekit"):
            folder = Path(cmp["outputs"][key])
            if f"{key}_best" in cmp and (folder / "config.json").is_file():
                cmp[f"{key}_dL"] = measured_output_change(probe, post, folder, report.loss_post)
        run["dare_vs_mergekit"] = cmp
    run["seconds"] = time.perf_counter() - started
    return run
