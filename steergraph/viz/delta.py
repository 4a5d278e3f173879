"""Pictures of delta-parameter edits: predicted vs measured loss change, and per edit.

Each function draws on a matplotlib ``Axes`` and takes the plain dict of
:meth:`steergraph.editing.estimate.EstimateReport.to_dict`.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> report = {"band": 0.01, "estimates": [
    ...     {"label": "dare p=0.9", "editor": {"method": "dare"}, "predicted": 0.02,
    ...      "measured": 0.03}]}
    >>> fig, ax = plt.subplots()
    >>> plot_predicted_vs_measured(report, ax).get_xlabel()
    'predicted dL (Riemann sum)'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["plot_edit_bars", "plot_predicted_vs_measured", "save_estimate_plot"]


def plot_predicted_vs_measured(report: Mapping[str, Any], ax: Any) -> Any:
    """Scatter of predicted vs measured ``dL`` per edit, one colour per method; the
    competitive band is shaded and the diagonal drawn (symlog axes)."""
    estimates = report.get("estimates", [])
    band = float(report.get("band") or 0.0)
    methods = sorted({e["editor"]["method"] for e in estimates})
    for method in methods:
        pts = [e for e in estimates if e["editor"]["method"] == method]
        ax.scatter([e["predicted"] for e in pts], [e["measured"] for e in pts], label=method, s=28)
    values = [abs(v) for e in estimates for v in (e["predicted"], e["measured"])] or [1.0]
    top = max(values) * 1.3 or 1.0
    ax.plot([-top, top], [-top, top], color="grey", lw=0.8, ls="--")
    if band > 0:
        ax.axhspan(-band, band, color="tab:green", alpha=0.12, label="competitive band")
        ax.axvspan(-band, band, color="tab:green", alpha=0.06)
        ax.set_xscale("symlog", linthresh=band)
        ax.set_yscale("symlog", linthresh=band)
    ax.set_xlabel("predicted dL (Riemann sum)")
    ax.set_ylabel("measured dL")
    ax.set_title("loss change of each edit: predicted vs measured")
    ax.legend(fontsize=7)
    return ax


def plot_edit_bars(report: Mapping[str, Any], ax: Any) -> Any:
    """Predicted and measured ``dL`` side by side for every edit (symlog)."""
    estimates = report.get("estimates", [])
    xs = range(len(estimates))
    ax.bar([x - 0.2 for x in xs], [e["predicted"] for e in estimates], 0.4, label="predicted")
    ax.bar([x + 0.2 for x in xs], [e["measured"] for e in estimates], 0.4, label="measured")
    ax.set_xticks(list(xs), [e["label"] for e in estimates], rotation=70, fontsize=7, ha="right")
    band = float(report.get("band") or 0.0)
    if band > 0:
        ax.axhspan(-band, band, color="tab:green", alpha=0.12)
        ax.set_yscale("symlog", linthresh=band)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("dL (nats / token)")
    ax.legend(fontsize=7)
    return ax


def save_estimate_plot(report: Mapping[str, Any], path: str | Path) -> Path:
    """Both panels into one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from steergraph.viz.figures import save_figure

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    plot_predicted_vs_measured(report, axes[0])
    plot_edit_bars(report, axes[1])
    return save_figure(fig, Path(path))
