"""The MOLE benchmark's outputs: the final JSON line, a table and a per-facet bar chart.

Example:
    >>> run = {"mean_spearman": {"mole": 0.3, "supervised_only": 0.2, "single_score": 0.1,
    ...        "rouge_l": 0.15}, "tables": {}, "judge": {},
    ...        "counterfactuals": {"checked_rate": 0.97}}
    >>> line = final_line(run)
    >>> line["mole_minus_supervised_only"], line["spearman_llm_judge"]
    (0.1, None)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from steergraph.bench.mole_eval import mean_spearman
from steergraph.bench.reporting import grouped_bars, save_figure

__all__ = ["final_line", "plot_facets", "table_lines"]

METHODS = ("mole", "supervised_only", "single_score", "rouge_l")


def final_line(run: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's last line: each figure and its comparison with the baselines."""
    mean = run["mean_spearman"]
    judge = run.get("judge") or {}
    judged = mean_spearman(judge["table"]) if judge.get("table") else math.nan
    mole_subset = mean_spearman(judge["mole_on_subset"]) if judge.get("table") else math.nan
    line = {f"spearman_{m}": mean[m] for m in METHODS}
    line["spearman_llm_judge"] = judged
    line["spearman_mole_on_judge_subset"] = mole_subset
    line["per_facet"] = {
        m: {f: t["spearman"] for f, t in run["tables"][m].items()}
        for m in METHODS
        if m in run["tables"]
    }
    line["kendall_mole"] = (
        round(sum(t["kendall"] for t in run["tables"]["mole"].values()) / 4, 4)
        if "mole" in run["tables"]
        else math.nan
    )
    line["counterfactuals_checked_rate"] = run["counterfactuals"]["checked_rate"]
    line["mole_minus_supervised_only"] = round(mean["mole"] - mean["supervised_only"], 4)
    line["mole_minus_rouge_l"] = round(mean["mole"] - mean["rouge_l"], 4)
    if len(run.get("seeds", {}).get("seeds", [])) > 1:  # over training seeds
        spread = run["seeds"]
        line["mole_minus_supervised_only_over_seeds"] = {
            "seeds": spread["seeds"], "mean": spread["difference_mean"],
            "std": spread["difference_std"],
        }  # fmt: skip
    if "tuning" in run:  # chosen on the dev articles
        line["mole_chosen_on_dev"] = run["tuning"]["chosen"]
    if judge.get("table"):  # a judge that rates every summary of an article alike has no rho
        line["llm_judge_articles_without_correlation"] = max(
            t["skipped"] for t in judge["table"].values()
        )
    return _no_nan(line)


def _no_nan(value: Any) -> Any:
    """NaN (an undefined correlation) as JSON null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    return value


def table_lines(run: dict[str, Any]) -> list[str]:
    """Per facet and method, summary-level Spearman (Kendall)."""
    tables = run["tables"]
    facets = list(next(iter(tables.values())))
    lines = [f"{'method':18}" + "".join(f"{f:>20}" for f in facets) + f"{'mean':>10}"]
    rows = dict(tables)
    if run.get("judge", {}).get("table"):
        rows["llm_judge (subset)"] = run["judge"]["table"]
        rows["mole (same subset)"] = run["judge"]["mole_on_subset"]
    for name, table in rows.items():
        cells = "".join(
            f"{table[f]['spearman']:>12.3f} ({table[f]['kendall']:.3f})" for f in facets
        )
        lines.append(f"{name:18}{cells}{mean_spearman(table):>10.3f}")
    return lines


def plot_facets(run: dict[str, Any], path: Path) -> Path:
    """Grouped bars: summary-level Spearman per facet, one bar per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = run["tables"]
    facets = list(next(iter(tables.values())))
    names = [m for m in METHODS if m in tables]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    series = {m: [tables[m][f]["spearman"] for f in facets] for m in names}
    grouped_bars(
        ax, facets, series, ylabel="summary-level Spearman", title="SummEval, held-out articles"
    )
    return save_figure(fig, path)
