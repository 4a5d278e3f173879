"""Outputs of the CATP benchmark: the plan pool dataset, the report, a table and a plot.

The **plan pool** is a Hugging Face ``datasets`` dataset (``save_to_disk``), one row
per plan: every plan of each task's enumerated plan space (``planner ==
"enumeration"``, costs estimated from the tools' profiles, ``measured`` false) and
every plan a planner produced and the benchmark executed (``measured`` true, costs
from the run). Columns: task fields (``task_id``, ``family``, ``level``, ``split``,
``description``, ``inputs``, ``outputs``), ``planner``, ``plan`` (plan language),
``opencatp`` (OpenCATP's ``[tool, [deps], ...]`` form, JSON), ``valid``, ``score``,
``price``, ``latency_s``, ``node_tools``, ``node_wall_s``, ``node_price``,
``measured``. Load it with ``datasets.load_from_disk`` for offline RL.

Example:
    >>> row = {c: 0.0 for c, _ in COLUMNS}
    >>> format_table({"oracle": row}).split()[:3]
    ['planner', 'score', 'price']
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "format_table", "pool_rows", "write_outputs"]

COLUMNS = (
    ("score", "{:.3f}"),
    ("price", "{:.3e}"),
    ("est_price", "{:.3e}"),
    ("latency_s", "{:.4f}"),
    ("makespan_s", "{:.4f}"),
    ("qop_0.3", "{:+.3f}"),
    ("qop_0.5", "{:+.3f}"),
    ("qop_0.7", "{:+.3f}"),
    ("invalid_plan_rate", "{:.3f}"),
    ("plan_s", "{:.2f}"),
)


def _with_task(row: dict[str, Any], task: Any) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "family": task.family,
        "level": task.level,
        "split": task.split,
        "description": task.description,
        "inputs": json.dumps(task.inputs),
        "outputs": list(task.outputs),
        **row,
    }


def _opencatp(text: str, task: Any, registry: Any) -> str:
    if not text:
        return "[]"
    from steergraph.tools.plan_parser import parse_plan

    try:
        plan = parse_plan(text, registry, task.inputs, outputs=task.outputs)
    except Exception:  # an invalid plan keeps its text; it has no OpenCATP form
        return "[]"
    return json.dumps(plan.to_opencatp())


def pool_rows(
    tasks: list[Any], spaces: dict[str, Any], outcomes: list[Any], registry: Any
) -> list[dict[str, Any]]:
    """Every enumerated and every executed plan, one dict per plan (see module docstring)."""
    by_id = {t.id: t for t in tasks}
    rows = []
    for task in tasks:
        rows.extend(_with_task(row, task) for row in spaces[task.id]["rows"])
    for out in outcomes:
        task = by_id[out.task_id]
        rows.append(
            _with_task(
                {
                    "planner": out.planner,
                    "plan": out.plan,
                    "opencatp": _opencatp(out.plan, task, registry) if out.valid else "[]",
                    "valid": out.valid,
                    "measured": True,
                    "score": out.score if out.valid else -2.0,
                    "price": out.price,
                    "latency_s": out.latency_s,
                    "node_tools": out.node_tools,
                    "node_wall_s": out.node_wall_s,
                    "node_price": out.node_price,
                },
                task,
            )
        )
    return rows


def format_table(table: dict[str, dict[str, float]]) -> str:
    """The per-planner summary as aligned text."""
    cols = COLUMNS
    head = f"{'planner':<13}" + "".join(f"{c:>{max(len(c), 9) + 1}}" for c, _ in cols)
    lines = [head]
    for name, row in table.items():
        lines.append(
            f"{name:<13}"
            + "".join(f"{fmt.format(row[c]):>{max(len(c), 9) + 1}}" for c, fmt in cols)
        )
    return "\n".join(lines)


def _plot(path: Path, outcomes: list[Any], spaces: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = {"random": "x", "cost_unaware": "s", "cost_aware": "o", "oracle": "*"}
    for name in dict.fromkeys(o.planner for o in outcomes):
        marker = markers.get(name, "^")
        mine = [o for o in outcomes if o.planner == name and o.valid]
        norm = [o.est_price / spaces[o.task_id]["norm"]["max_price"] for o in mine]
        ax.scatter(norm, [o.score for o in mine], label=name, marker=marker, alpha=0.7)
    ax.set_xlabel("estimated price / largest in the task's plan space")
    ax.set_ylabel("task score")
    ax.set_title("CATP planners: quality vs price per task (valid plans)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(
    out: Path,
    tasks: list[Any],
    spaces: dict[str, Any],
    outcomes: list[Any],
    report: dict[str, Any],
    registry: Any = None,
) -> dict[str, str]:
    """Write the plan pool, outcomes, report and plot under ``out``; return their paths."""
    from datasets import Dataset

    from steergraph.tools.registry import default_registry

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    registry = registry or default_registry()
    pool = Dataset.from_list(pool_rows(tasks, spaces, outcomes, registry))
    pool.save_to_disk(str(out / "plan_pool"))
    with open(out / "outcomes.jsonl", "w") as fh:
        for o in outcomes:
            fh.write(json.dumps(asdict(o)) + "\n")
    files = {
        "plan_pool": str(out / "plan_pool"),
        "outcomes": str(out / "outcomes.jsonl"),
        "plot": str(out / "score_vs_price.png"),
        "report": str(out / "report.json"),
    }
    _plot(out / "score_vs_price.png", outcomes, spaces)
    with open(out / "report.json", "w") as fh:
        json.dump({**report, "files": files, "pool_rows": len(pool)}, fh, indent=2, default=float)
    return files
