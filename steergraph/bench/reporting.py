"""Writing a benchmark run: ``report.json`` (everything) and its picture.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> paths = write_report({"x": 1}, out, "pic.png", lambda run, path: path)
    >>> (out / "report.json").read_text().strip().startswith("{")
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["grouped_bars", "save_figure", "write_report"]


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


def write_report(
    run: dict[str, Any], out: Path, picture: str, plot: Callable[[dict[str, Any], Path], Path]
) -> dict[str, Path]:
    """``out/report.json`` (``default=str`` for odd values) and ``out/<picture>`` drawn by
    ``plot(run, path)``; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.json"
    report.write_text(json.dumps(run, indent=2, default=str))
    return {"report": report, "plot": plot(run, out / picture)}
