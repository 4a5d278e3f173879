"""Draw a tool plan: Mermaid text, or a PNG (graphviz, offline) with the critical path in red.

Step boxes show the tool and, when known, the step's duration and status (from an
execution's records, or estimated from cost profiles). The critical path -- the chain
that sets the plan's latency -- is drawn in bold red.

Example:
    >>> from steergraph.tools.plan_parser import parse_plan
    >>> plan = parse_plan("a = clean_text(doc)\\nreturn a", inputs={"doc": "text"})
    >>> plan_png(plan, {"a": 0.01})[:4] == b"\\x89PNG"
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from steergraph.errors import InputError
from steergraph.tools.plan import Plan

__all__ = ["plan_mermaid", "plan_png", "write_plan_picture"]

_STATUS_COLOURS = {
    "ok": "#e8f5e9",
    "reused": "#e3f2fd",
    "failed": "#ffebee",
    "timeout": "#fff3e0",
    "cancelled": "#eeeeee",
}


def _label(plan: Plan, name: str, durations: Mapping[str, float], status: Mapping[str, str]) -> str:
    step = plan.steps[name]
    parts = [f"{name} = {step.tool}"]
    if name in durations:
        parts.append(f"{durations[name] * 1000:.1f} ms")
    if name in status:
        parts.append(status[name])
    return "\n".join(parts)


def plan_mermaid(plan: Plan, durations: Mapping[str, float] | None = None) -> str:
    """Mermaid flowchart of the plan; critical-path steps get the ``critical`` class."""
    durations = durations or {}
    critical = set(plan.critical_path(durations)[1]) if durations else set()
    lines = ["flowchart LR"]
    for name in plan.inputs:
        lines.append(f'    {name}(["{name}"])')
    for name in plan.order():
        label = _label(plan, name, durations, {}).replace("\n", "<br/>")
        lines.append(f'    {name}["{label}"]')
    for src, dst in plan.graph().edges():
        lines.append(f"    {src} --> {dst}")
    if critical:
        lines.append("    classDef critical stroke:#c62828,stroke-width:3px")
        lines.append(f"    class {','.join(sorted(critical))} critical")
    return "\n".join(lines)


def plan_png(
    plan: Plan,
    durations: Mapping[str, float] | None = None,
    records: Mapping[str, Any] | None = None,
) -> bytes:
    """PNG bytes of the plan; ``records`` (name -> NodeRecord or dict) colour by status."""
    try:
        import pygraphviz as pgv
    except ImportError as exc:
        raise InputError(
            "pygraphviz is not installed, so plans cannot be drawn as PNG",
            fix="run `pip install pygraphviz` or use plan_mermaid()",
        ) from exc
    status: dict[str, str] = {}
    walls = dict(durations or {})
    for name, rec in (records or {}).items():
        get = rec.get if isinstance(rec, dict) else lambda key, r=rec: getattr(r, key, None)
        status[name] = str(get("status"))
        if get("wall_s") is not None and name not in walls:
            walls[name] = float(get("wall_s"))
    critical = plan.critical_path(walls)[1] if walls else []
    on_path = set(critical)
    path_edges = set(itertools.pairwise(critical))
    dot = pgv.AGraph(directed=True, rankdir="LR", fontname="Helvetica")
    dot.node_attr.update(fontname="Helvetica", fontsize="11")
    for name, kind in plan.inputs.items():
        dot.add_node(
            name, label=f"{name}\n({kind})", shape="ellipse", style="filled", fillcolor="#fffde7"
        )
    for name in plan.order():
        bold = name in on_path
        dot.add_node(
            name,
            label=_label(plan, name, walls, status),
            shape="box",
            style="filled,rounded" + (",bold" if bold else ""),
            fillcolor=_STATUS_COLOURS.get(status.get(name, ""), "#ffffff"),
            color="#c62828" if bold else "#455a64",
            penwidth="2.5" if bold else "1",
        )
    for src, dst in plan.graph().edges():
        hot = (src, dst) in path_edges
        dot.add_edge(
            src, dst, color="#c62828" if hot else "#607d8b", penwidth="2.5" if hot else "1"
        )
    dot.add_node("return", label="return " + ", ".join(plan.returns), shape="note")
    for name in plan.returns:
        dot.add_edge(name, "return", style="dashed")
    dot.layout(prog="dot")
    png = dot.draw(format="png")
    assert isinstance(png, bytes)
    return png


def write_plan_picture(
    plan: Plan,
    out: str | Path,
    durations: Mapping[str, float] | None = None,
    records: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out`` as PNG (``.png``) or Mermaid (``.mmd``)."""
    path = Path(out)
    if path.suffix.lower() not in {".png", ".mmd", ".mermaid"}:
        raise InputError(
            f"cannot draw a plan as '{path.suffix or path.name}'", fix="use *.png or *.mmd"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".png":
        path.write_bytes(plan_png(plan, durations, records))
    else:
        path.write_text(plan_mermaid(plan, durations))
    return path
