"""Printing, saving and plotting a StructRAG benchmark run.

:func:`final_json` is the benchmark's last line (the keys the issue asks for, plus the
per-method EM and time); :func:`print_report` shows a table per task type;
:func:`plot_report` draws F1 per task type and method.

Example:
    >>> run = {"summary": {"overall": {"structrag": {"f1": 0.5, "em": 0.25}},
    ...        "per_task": {}, "seconds": {"structrag": 3.0}},
    ...        "router_accuracy_before": 0.2, "router_accuracy_after": 0.4}
    >>> final_json(run)["structrag_score"], final_json(run)["chunk_rag_score"]
    (0.5, None)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from steergraph.bench.reporting import save_figure, write_report

__all__ = ["final_json", "plot_report", "print_report", "save_report"]

_METHODS = ("structrag", "chunk_rag", "long_context")


def _by_seen(run: dict[str, Any], when: str, group: str) -> float | None:
    return (run.get("router_accuracy_by_family_seen") or {}).get(when, {}).get(group)


def final_json(run: dict[str, Any]) -> dict[str, Any]:
    """The one-line summary: scores (mean F1), EM, routing accuracy, seconds, per task type."""
    summary = run["summary"]
    overall = summary["overall"]

    def score(method: str, metric: str = "f1") -> float | None:
        return overall.get(method, {}).get(metric)

    return {
        "structrag_score": score("structrag"),
        "chunk_rag_score": score("chunk_rag"),
        "long_context_score": score("long_context"),
        "structrag_em": score("structrag", "em"),
        "chunk_rag_em": score("chunk_rag", "em"),
        "long_context_em": score("long_context", "em"),
        "router_accuracy_before": run.get("router_accuracy_before"),
        "router_accuracy_after": run.get("router_accuracy_after"),
        "router_accuracy_unseen_families_before": _by_seen(run, "before", "unseen_families"),
        "router_accuracy_unseen_families_after": _by_seen(run, "after", "unseen_families"),
        "seconds_per_question": summary["seconds"].get("structrag"),
        "seconds_per_question_by_method": summary["seconds"],
        "per_task": {
            task: {m: v["f1"] for m, v in methods.items()}
            for task, methods in summary["per_task"].items()
        },
        "test_tasks": run.get("test_tasks"),
        "model": run.get("model"),
    }


def print_report(run: dict[str, Any], log: Callable[[Any], Any] = print) -> None:
    """A rich table: F1 / EM per task type and method, then routing and time."""
    from rich.table import Table

    table = Table(title="StructRAG benchmark (F1 / EM)")
    table.add_column("task type")
    for method in _METHODS:
        table.add_column(method)
    rows = {**run["summary"]["per_task"], "overall": run["summary"]["overall"]}
    for task, methods in rows.items():
        cells = [
            f"{methods[m]['f1']:.3f} / {methods[m]['em']:.3f}" if m in methods else "-"
            for m in _METHODS
        ]
        table.add_row(task, *cells)
    log(table)
    seconds = run["summary"]["seconds"]
    log("seconds per question: " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()))
    log(
        f"router accuracy on the test tasks: before {run.get('router_accuracy_before')} "
        f"after {run.get('router_accuracy_after')}; on families not trained on: before "
        f"{_by_seen(run, 'before', 'unseen_families')} after "
        f"{_by_seen(run, 'after', 'unseen_families')}"
    )


def plot_report(run: dict[str, Any], path: Path) -> Path:
    """Grouped bars: F1 per task type (and overall) for each method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_task = {**run["summary"]["per_task"], "overall": run["summary"]["overall"]}
    tasks = list(per_task)
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(_METHODS)
    for i, method in enumerate(_METHODS):
        values = [per_task[t].get(method, {}).get("f1", 0.0) for t in tasks]
        ax.bar([x + i * width for x in range(len(tasks))], values, width, label=method)
    ax.set_xticks([x + width for x in range(len(tasks))], tasks)
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax.set_title(f"StructRAG vs baselines ({run.get('model')}, {run.get('test_tasks')} tasks)")
    ax.legend()
    return save_figure(fig, path, dpi=120)


def save_report(run: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write ``report.json`` (everything, every answer) and ``structrag_bench.png``."""
    return write_report(run, out, "structrag_bench.png", plot_report)
