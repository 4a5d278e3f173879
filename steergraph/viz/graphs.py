"""Render compiled LangGraph graphs as Mermaid text or PNG bytes (offline).

Example:
    >>> from steergraph.graphs import build_graph
    >>> graph_png(build_graph("demo"))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["graph_mermaid", "graph_png", "write_graph_picture"]


def graph_mermaid(graph: Any) -> str:
    """Mermaid flowchart text of a compiled graph."""
    return graph.get_graph().draw_mermaid()


def graph_png(graph: Any) -> bytes:
    """PNG bytes of a compiled graph, drawn with graphviz (no network)."""
    try:
        png = graph.get_graph().draw_png()
    except ImportError as exc:
        raise InputError(
            "pygraphviz is not installed, so PNG pictures cannot be drawn",
            fix="run `pip install pygraphviz` or write .mmd instead",
        ) from exc
    assert isinstance(png, bytes)
    return png


def write_graph_picture(graph: Any, out: str | Path) -> Path:
    """Write ``out`` as Mermaid (``.mmd``/``.mermaid``) or PNG (``.png``)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in {".mmd", ".mermaid", ".png"}:
        raise InputError(
            f"cannot write a graph picture as '{path.suffix or path.name}'",
            fix="name the output file *.mmd (Mermaid text) or *.png",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        path.write_bytes(graph_png(graph))
    else:
        path.write_text(graph_mermaid(graph))
    return path
