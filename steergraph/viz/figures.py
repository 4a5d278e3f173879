"""Figure helpers every picture shares: saving a matplotlib figure, grouped bars.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> grouped_bars(ax, ["a", "b"], {"x": [1.0, 2.0]}, ylabel="y", title="t").get_title()
    't'
    >>> plt.close(fig)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["grouped_bars", "save_figure"]


def save_figure(fig: Any, path: Path, *, dpi: int = 110) -> Path:
    """Lay out, save and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def grouped_bars(
    ax: Any, groups: list[str], series: dict[str, list[float]], *, ylabel: str, title: str
) -> Any:
    """One bar per series in each group (series values in ``groups`` order), a zero line
    and a legend; returns ``ax``."""
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar([j + i * width for j in range(len(groups))], values, width, label=name)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(groups))], groups)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax
