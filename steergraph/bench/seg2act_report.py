"""The Seg2Act benchmark's outputs: the final JSON line, a table and a bar chart.

Example:
    >>> s = lambda h, t, x: {"scores": {"heading_f1": h, "teds": t, "text_f1": x},
    ...                      "segments_per_s": 2.0}
    >>> run = {"systems": {"rules": s(0.8, 0.5, 0.4), "untrained": s(0.1, 0.2, 0.1),
    ...        "trained": s(0.9, 0.6, 0.5), "trained_no_context": s(0.7, 0.4, 0.5)}}
    >>> line = final_line(run)
    >>> line["heading_f1"], line["heading_f1_over_rules"], line["teds_minus_no_context"]
    (0.9, 1.125, 0.2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steergraph.bench.reporting import grouped_bars, save_figure

__all__ = ["FIGURES", "final_line", "plot_systems", "table_lines"]

#: the per-document figures shown, in order
FIGURES = ("heading_f1", "text_f1", "teds", "document_accuracy")


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def final_line(run: dict[str, Any]) -> dict[str, Any]:
    """Each figure of the trained model and each baseline's, with ratios and differences."""
    systems = run["systems"]
    trained = systems["trained"]["scores"]
    line: dict[str, Any] = {k: trained[k] for k in ("heading_f1", "text_f1", "teds")}
    for base in ("rules", "untrained", "no_context"):
        scores = systems["trained_no_context" if base == "no_context" else base]["scores"]
        for k in ("heading_f1", "teds"):
            line[f"{k}_{base}"] = scores[k]
    line["heading_f1_over_rules"] = _ratio(trained["heading_f1"], line["heading_f1_rules"])
    line["teds_over_rules"] = _ratio(trained["teds"], line["teds_rules"])
    line["teds_minus_no_context"] = round(trained["teds"] - line["teds_no_context"], 4)
    line["segments_per_s"] = systems["trained"]["segments_per_s"]
    return line


def table_lines(run: dict[str, Any]) -> list[str]:
    """One row per system: the figures, segments/s and repairs."""
    lines = [f"{'system':20}" + "".join(f"{f:>19}" for f in FIGURES) + f"{'seg/s':>8}"]
    for name, fig in run["systems"].items():
        cells = "".join(f"{fig['scores'].get(f, float('nan')):>19.3f}" for f in FIGURES)
        speed = fig.get("segments_per_s") or float("nan")
        lines.append(f"{name:20}{cells}{speed:>8.1f}")
    return lines


def plot_systems(run: dict[str, Any], path: Path) -> Path:
    """Grouped bars: each figure, one bar per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    series = {
        name: [s["scores"].get(f, 0.0) for f in FIGURES] for name, s in run["systems"].items()
    }
    grouped_bars(ax, list(FIGURES), series, ylabel="mean over test documents",
                 title="Seg2Act on held-out installed manuals")  # fmt: skip
    return save_figure(fig, path)
