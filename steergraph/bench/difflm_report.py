"""The DiffLM benchmark's outputs: the final JSON line, a table and a bar chart.

The issue's keys come from the first table (ISLP Wage by default); every table's figures
follow under ``tables``. ``diffusion_vs_gaussian_prior_mle`` is the XGBoost AUC of rows
drawn through the diffusion prior minus that of rows drawn from N(0, I).

Example:
    >>> entry = lambda auc: {"valid_rate": 1.0, "column_shapes": 0.8, "pair_trends": 0.7,
    ...                      "mle_auc": {"xgboost": auc, "logistic": auc},
    ...                      "dcr_ratio_vs_holdout": 1.1}
    >>> run = {"tables": {"wage": {"real": {"mle_auc": {"xgboost": 0.7, "logistic": 0.75}},
    ...        "synthetic": {"diffusion": entry(0.65), "gaussian": entry(0.6)},
    ...        "baselines": {}}}}
    >>> line = final_line(run)
    >>> line["mle_auc_synthetic"], line["diffusion_vs_gaussian_prior_mle"], line["mle_auc_tvae"]
    (0.65, 0.05, None)
    >>> line["mle_auc_great"], line["great_kept"]
    (None, None)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steergraph.bench.reporting import grouped_bars, save_figure

__all__ = ["final_line", "plot_tables", "table_lines"]


def _auc(entry: dict[str, Any] | None) -> float | None:
    return ((entry or {}).get("mle_auc") or {}).get("xgboost")


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    diffusion = report["synthetic"].get("diffusion", {})
    gaussian = report["synthetic"].get("gaussian", {})
    tvae = report.get("baselines", {}).get("tvae")
    great = report.get("baselines", {}).get("great")
    a, b = _auc(diffusion), _auc(gaussian)
    return {
        "valid_rate": diffusion.get("valid_rate"),
        "column_shapes": diffusion.get("column_shapes"),
        "pair_trends": diffusion.get("pair_trends"),
        "mle_auc_synthetic": a,
        "mle_auc_real": _auc(report.get("real")),
        "mle_auc_tvae": _auc(tvae),
        "column_shapes_tvae": (tvae or {}).get("column_shapes"),
        "mle_auc_great": _auc(great),
        "column_shapes_great": (great or {}).get("column_shapes"),
        "great_kept": (great or {}).get("kept"),
        "diffusion_vs_gaussian_prior_mle": round(a - b, 4) if a is not None and b is not None
        else None,
        "dcr_ratio_vs_holdout": diffusion.get("dcr_ratio_vs_holdout"),
        "column_shapes_gaussian_prior": gaussian.get("column_shapes"),
    }  # fmt: skip


def _code_summary(report: dict[str, Any]) -> dict[str, Any]:
    diffusion = report["synthetic"].get("diffusion", {})
    gaussian = report["synthetic"].get("gaussian", {})
    a, b = diffusion.get("ast_shapes"), gaussian.get("ast_shapes")
    return {
        "valid_rate": diffusion.get("valid_rate"),
        **{k: diffusion.get(k) for k in ("ast_shapes", "length_shapes", "distinct_rate",
                                         "copy_rate", "dcr_ratio_vs_holdout")},
        "doctest_pass_rate": (diffusion.get("doctests") or {}).get("pass_rate"),
        "doctest_pass_rate_real": (report.get("real", {}).get("doctests") or {}).get("pass_rate"),
        "diffusion_vs_gaussian_prior_ast": round(a - b, 4) if a is not None and b is not None
        else None,
        "valid_rate_gaussian_prior": gaussian.get("valid_rate"),
    }  # fmt: skip


def final_line(run: dict[str, Any]) -> dict[str, Any]:
    """The issue's keys (first table), then each table's (code: :func:`_code_summary`)."""
    tables = {name: (_code_summary(report) if report.get("kind") == "code"
                     else _summary(report)) for name, report in run["tables"].items()}  # fmt: skip
    first = next(iter(tables.values()))
    return {**first, "tables": tables}


def table_lines(run: dict[str, Any]) -> list[str]:
    """One line per table and source of rows."""
    lines = []
    for name, report in run["tables"].items():
        rows = {"real": report.get("real", {}), **report["synthetic"],
                **report.get("baselines", {})}  # fmt: skip
        for source, entry in rows.items():
            shown = {k: entry.get(k) for k in ("valid_rate", "kept", "column_shapes",
                                               "pair_trends", "ast_shapes", "copy_rate",
                                               "dcr_ratio_vs_holdout")}  # fmt: skip
            shown["doctests_pass"] = (entry.get("doctests") or {}).get("pass_rate")
            figures = "  ".join(f"{k} {v}" for k, v in shown.items() if v is not None)
            lines.append(f"{name:10s} {source:16s} AUC {_auc(entry)}  {figures}")
    return lines


def plot_tables(run: dict[str, Any], path: Path) -> Path:
    """Grouped bars: column shapes and ML-efficiency AUC per table and source of rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(run["tables"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    sources = ("diffusion", "gaussian", "tvae", "gaussian_copula", "great")

    def value(name: str, source: str, key: str) -> float:
        report = run["tables"][name]
        entry = report["synthetic"].get(source) or report.get("baselines", {}).get(source) or {}
        got = _auc(entry) if key == "auc" else entry.get(key)
        return float("nan") if got is None else got

    shapes = {s: [value(n, s, "column_shapes") for n in names] for s in sources}
    aucs = {"real": [_auc(run["tables"][n].get("real")) or float("nan") for n in names]}
    aucs |= {s: [value(n, s, "auc") for n in names] for s in sources}
    grouped_bars(axes[0], names, shapes, ylabel="column shapes (sdmetrics)",
                 title="fidelity")  # fmt: skip
    grouped_bars(axes[1], names, aucs, ylabel="XGBoost AUC on real test rows",
                 title="train on synthetic, test on real")  # fmt: skip
    return save_figure(fig, path)
