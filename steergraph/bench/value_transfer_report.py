"""The value-transfer benchmark's outputs: the final JSON line, a table and a bar chart.

The "same family" figures come from the last target that is not the base (the 1.5B for
the ``qwen`` family); a family whose only target is its base (``smollm2``) reports the
base itself and says so in ``same_family_target``. The cross-vocabulary figures come from
the first target with another vocabulary (null when the run has none).

Example:
    >>> task = lambda a, t: {"accuracy": a, "tok_s": t}
    >>> run = {"base": "b", "results": {"b": {
    ...     "nll": {"alone": 2.0, "residual": 1.5, "cascade": 1.6, "fine_tuned": 1.0},
    ...     "arithmetic": {"alone": task(0.1, 20.0), "residual": task(0.3, 16.0),
    ...                    "fine_tuned": task(0.5, 20.0)}}}}
    >>> line = final_line(run)
    >>> line["gain_recovered_same_family_nll"], line["gain_recovered_same_family_task"]
    (0.5, 0.5)
    >>> line["value_decode_slowdown"], line["gain_recovered_cross_vocab_nll"]
    (1.25, None)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steergraph.agents.value_transfer.evaluate import gain_recovered
from steergraph.bench.reporting import grouped_bars, save_figure

__all__ = ["final_line", "plot_nll", "table_lines"]


def final_line(run: dict[str, Any]) -> dict[str, Any]:
    """The issue's keys, plus each target's NLLs and accuracies."""
    results = run["results"]
    cross = [t for t, r in results.items() if r.get("cross_vocabulary")]
    others = [t for t in results if t != run["base"] and t not in cross]
    target = others[-1] if others else run["base"]
    far = results[cross[0]] if cross else None
    nll, task = results[target]["nll"], results[target]["arithmetic"]
    acc = {k: v["accuracy"] for k, v in task.items()}
    speed = (
        task["alone"]["tok_s"] / task["residual"]["tok_s"] if task["residual"]["tok_s"] else None
    )
    return {
        "gain_recovered_same_family_nll": gain_recovered(
            alone=nll["alone"], transfer=nll["residual"], fine_tuned=nll["fine_tuned"]),
        "gain_recovered_same_family_task": gain_recovered(
            alone=acc["alone"], transfer=acc["residual"], fine_tuned=acc["fine_tuned"]),
        "gain_recovered_cross_vocab_nll": gain_recovered(
            alone=far["nll"]["alone"], transfer=far["nll"]["residual"],
            fine_tuned=far["nll"]["fine_tuned"]) if far else None,
        "value_decode_slowdown": round(speed, 3) if speed else None,
        "alignment_coverage": far.get("alignment_coverage") if far else None,
        "alignment_exact_coverage": far.get("alignment_exact_coverage") if far else None,
        "cross_vocab_target": cross[0] if cross else None,
        "same_family_target": target,
        "base": run["base"],
        "nll": {t: r["nll"] for t, r in results.items()},
        "arithmetic_accuracy": {
            t: {k: v["accuracy"] for k, v in r["arithmetic"].items()} for t, r in results.items()
        },
    }  # fmt: skip


def table_lines(run: dict[str, Any]) -> list[str]:
    """Per target: each NLL and each arithmetic accuracy."""
    lines = []
    for target, r in run["results"].items():
        nll = "  ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in r["nll"].items())
        acc = "  ".join(f"{k} {v['accuracy']:.2f}" for k, v in r["arithmetic"].items())
        lines += [f"{target}: NLL  {nll}", f"{target}: arithmetic  {acc}"]
    return lines


def _bar(value: float | None) -> float:
    return float("nan") if value is None else value  # no bar where a way does not apply


def plot_nll(run: dict[str, Any], path: Path) -> Path:
    """Grouped bars: held-out completion NLL per target, one bar per way of decoding."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = list(run["results"])
    ways = list(next(iter(run["results"].values()))["nll"])
    fig, ax = plt.subplots(figsize=(8, 3.6))
    series = {w: [_bar(run["results"][t]["nll"].get(w)) for t in targets] for w in ways}
    grouped_bars(ax, targets, series, ylabel="held-out completion NLL (lower is better)",
                 title=f"value networks trained on {run['base']}")  # fmt: skip
    return save_figure(fig, path)
