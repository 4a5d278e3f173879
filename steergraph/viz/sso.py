"""Pictures of SSO runs: the filter funnel, training curves, adherence per check.

Each function draws on a matplotlib ``Axes`` (so notebooks and the benchmark report
compose them) and takes the plain dicts the SSO graph and benchmark write
(``history[k]["filter"]``, ``history[k]["train"]``, adherence results).

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> stats = {"generated": 4, "stages": [{"stage": "duplicates", "in": 4, "out": 3}]}
    >>> plot_filter_funnel([stats], ax).get_ylabel()
    'triplets'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["plot_adherence", "plot_filter_funnel", "plot_losses"]


def plot_filter_funnel(rounds: Sequence[Mapping[str, Any]], ax: Any) -> Any:
    """Triplets left after each filter stage, one line per round."""
    for k, stats in enumerate(rounds, 1):
        stages = stats.get("stages", [])
        labels = ["generated", *[s["stage"] for s in stages]]
        counts = [stats.get("generated", 0), *[s["out"] for s in stages]]
        ax.plot(labels, counts, marker="o", label=f"round {k}")
    ax.set_ylabel("triplets")
    ax.set_title("what each SSO filter kept")
    ax.tick_params(axis="x", labelrotation=20)
    ax.legend()
    return ax


def plot_losses(curves: Mapping[str, Sequence[float]], ax: Any) -> Any:
    """Training loss per logged step for each named run (rounds concatenated)."""
    for name, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), list(losses), marker=".", label=name)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title("training curves")
    ax.legend()
    return ax


def plot_adherence(
    results: Mapping[str, Mapping[str, Any]], ax: Any, key: str = "instructed"
) -> Any:
    """Grouped bars: pass rate per check (``key``: instructed or plain) for each policy."""
    names = list(results)
    checks = list(next(iter(results.values()))["per_check"]) if results else []
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        values = [results[name]["per_check"][c][key] for c in checks]
        ax.bar([x + i * width for x in range(len(checks))], values, width, label=name)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(checks))], checks)
    ax.tick_params(axis="x", labelrotation=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"adherence ({key})")
    ax.set_title("held-out principle checks")
    ax.legend()
    return ax
