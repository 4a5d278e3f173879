"""Printing, saving and plotting a delta-editing benchmark run.

:func:`final_json` is the benchmark's last line (the keys the issue asks for, and the
class agreement, the 4-bit compression and mergekit's own ``dL`` beside them).

Example:
    >>> run = {"estimates": {"sign_agreement": 1.0, "estimates": [
    ...     {"label": "dare p=0.9", "measured": 0.01, "predicted": 0.0}]},
    ...     "delta_files": {}, "dare_vs_mergekit": {"time_ratio": 0.5}}
    >>> final_json(run)["sign_agreement"], final_json(run)["dare_dL"]
    (1.0, 0.01)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from steergraph.bench.reporting import save_figure, write_report

__all__ = ["final_json", "plot_report", "print_estimates", "print_report", "save_report"]


def _measured(run: Mapping[str, Any], label: str) -> float | None:
    for e in run.get("estimates", {}).get("estimates", []):
        if e["label"] == label:
            return float(e["measured"])
    return None


def final_json(run: Mapping[str, Any], dare_p: float = 0.9) -> dict[str, Any]:
    """The one-line summary of a run."""
    est = run.get("estimates", {})
    files = run.get("delta_files", {})
    cmp = run.get("dare_vs_mergekit", {})
    return {
        "sign_agreement": est.get("sign_agreement"),
        "class_agreement": est.get("class_agreement"),
        "edits": len(est.get("estimates", [])),
        "edits_outside_band": est.get("outside_band"),
        "band": est.get("band"),
        "loss_post": est.get("loss_post"),
        "loss_base": est.get("loss_base"),
        "dare_dL": _measured(run, f"dare p={dare_p:g}"),
        "dare_dL_mergekit": cmp.get("mergekit_dL"),
        "dare_dL_steergraph_cli": cmp.get("ours_dL"),
        "dare_time_ratio_vs_mergekit": cmp.get("time_ratio"),
        "dare_peak_rss_ratio_vs_mergekit": cmp.get("peak_rss_ratio"),
        "bitdelta_1bit_dL": _measured(run, "bitdelta 1-bit"),
        "bitdelta_1bit_distilled_dL": _measured(run, "bitdelta 1-bit distilled"),
        "bitdelta_4bit_dL": _measured(run, "bitdelta 4-bit"),
        "bitdelta_1bit_compression": files.get("bitdelta 1-bit", {}).get("compression"),
        "bitdelta_4bit_compression": files.get("bitdelta 4-bit", {}).get("compression"),
        "seconds": run.get("seconds"),
    }


def print_estimates(report: Mapping[str, Any], log: Callable[[Any], Any] = print) -> None:
    """A table of predicted vs measured ``dL`` with the classes."""
    log(
        f"L(post) = {report['loss_post']:.4f}, L(base) = {report['loss_base']:.4f} nats/token on "
        f"{report.get('calibration_tokens')} tokens; competitive band "
        f"|dL| <= {report['band']:.4g}; "
        f"Riemann C={report['steps']} ({report['rule']})"
    )
    log(f"{'edit':<28} {'predicted':>10} {'measured':>10}  {'predicted class':<16} measured class")
    for e in report["estimates"]:
        mark = "" if e["predicted_class"] == e["measured_class"] else "  <- differs"
        log(
            f"{e['label']:<28} {e['predicted']:>+10.4f} {e['measured']:>+10.4f}  "
            f"{e['predicted_class']:<16} {e['measured_class']}{mark}"
        )
    sign, cls = report.get("sign_agreement"), report.get("class_agreement")
    log(
        f"sign agreement outside the band: {sign if sign is None else f'{sign:.3f}'} "
        f"({report.get('outside_band')} edits); class agreement: "
        f"{cls if cls is None else f'{cls:.3f}'}"
    )


def print_report(run: Mapping[str, Any], log: Callable[[Any], Any] = print) -> None:
    """Human-readable figures of a whole run."""
    print_estimates(run["estimates"], log)
    for label, f in run.get("delta_files", {}).items():
        log(
            f"delta file {label}: {f['bytes'] / 1e6:.2f} MB, {f['compression']:.1f}x smaller than "
            f"the post-trained weights ({f['post_bytes'] / 1e6:.0f} MB)"
        )
    cmp = run.get("dare_vs_mergekit")
    if cmp and "skipped" in cmp:
        log(f"DARE vs mergekit: skipped ({cmp['skipped']})")
    elif cmp:
        for key in ("ours", "mergekit"):
            best = cmp.get(f"{key}_best")
            if best:
                dl = cmp.get(f"{key}_dL")
                dl_text = "" if dl is None else f", dL {dl:+.4f}"
                log(
                    f"DARE p={cmp['p']} {key}: {best['seconds']:.1f} s, peak RSS "
                    f"{best['peak_rss_mb']:.0f} MB{dl_text}"
                )
            elif f"{key}_failed" in cmp:
                log(f"DARE {key} failed: see {cmp[f'{key}_failed']['log']}")
        if "time_ratio" in cmp:
            log(
                f"ratios ours / mergekit: time {cmp['time_ratio']:.3f}, "
                f"peak RSS {cmp['peak_rss_ratio']:.3f}"
            )


def plot_report(run: Mapping[str, Any], path: Path) -> Path:
    """Predicted vs measured, per-edit bars, and the distillation curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from steergraph.viz.delta import plot_edit_bars, plot_predicted_vs_measured

    distill = run.get("distill")
    fig, axes = plt.subplots(1, 3 if distill else 2, figsize=(19 if distill else 13, 5.5))
    plot_predicted_vs_measured(run["estimates"], axes[0])
    plot_edit_bars(run["estimates"], axes[1])
    if distill:
        axes[2].plot(distill["losses"], marker=".")
        axes[2].set_xlabel("step")
        axes[2].set_ylabel("logits MSE")
        axes[2].set_title("BitDelta 1-bit scale distillation")
    return save_figure(fig, path)


def save_report(run: dict[str, Any], out: Path) -> dict[str, Path]:
    """``out/report.json`` and ``out/delta_bench.png``."""
    return write_report(run, out, "delta_bench.png", plot_report)
