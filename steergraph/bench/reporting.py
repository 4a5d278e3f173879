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

from steergraph.viz.figures import grouped_bars, save_figure

__all__ = ["grouped_bars", "save_figure", "write_report"]


def write_report(
    run: dict[str, Any], out: Path, picture: str, plot: Callable[[dict[str, Any], Path], Path]
) -> dict[str, Path]:
    """``out/report.json`` (``default=str`` for odd values) and ``out/<picture>`` drawn by
    ``plot(run, path)``; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.json"
    report.write_text(json.dumps(run, indent=2, default=str))
    return {"report": report, "plot": plot(run, out / picture)}
