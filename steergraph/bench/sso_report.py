"""Printing, saving and plotting an SSO benchmark run.

:func:`final_json` is the benchmark's last line (the keys the issue asks for, and the
plain-prompt adherence, DPO's win rate and the kept counts beside them);
:func:`print_report` prints the figures; :func:`plot_report` draws the filter funnel,
the training curves and adherence per check.

Example:
    >>> run = {"adherence": {"base": {"instructed": 0.2}, "sso": {"instructed": 0.3}},
    ...        "win_rate_vs_base": {"sso": {"win_rate": 0.5}}, "reward_models": {},
    ...        "trainer_timing": {}, "kept_per_100": 12.5}
    >>> final_json(run)["adherence_sso"], final_json(run)["rm_accuracy_sso"]
    (0.3, None)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from steergraph.bench.reporting import save_figure, write_report

__all__ = ["final_json", "plot_report", "print_report", "save_report"]


def _get(d: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def final_json(run: dict[str, Any]) -> dict[str, Any]:
    """The one-line summary of a run."""
    adh, wins, rms = run["adherence"], run["win_rate_vs_base"], run["reward_models"]
    timing = run["trainer_timing"]
    return {
        "adherence_base": _get(adh, "base", "instructed"),
        "adherence_sso": _get(adh, "sso", "instructed"),
        "adherence_dpo_unfiltered": _get(adh, "dpo", "instructed"),
        "adherence_plain_base": _get(adh, "base", "plain"),
        "adherence_plain_sso": _get(adh, "sso", "plain"),
        "adherence_plain_dpo_unfiltered": _get(adh, "dpo", "plain"),
        "win_rate_sso_vs_base": _get(wins, "sso", "win_rate"),
        "win_rate_dpo_vs_base": _get(wins, "dpo", "win_rate"),
        "rm_accuracy_sso": _get(rms, "sso", "accuracy"),
        "rm_accuracy_unfiltered": _get(rms, "unfiltered", "accuracy"),
        "rm_held_out_pairs": rms.get("held_out_pairs"),
        "time_per_pair_ratio_vs_trl_dpo": timing.get("time_per_pair_ratio"),
        "time_per_row_ratio_vs_trl_dpo": timing.get("time_per_row_ratio"),
        "kept_per_100": run.get("kept_per_100"),
        "seconds": run.get("seconds"),
    }


def _steps(run: dict[str, Any], variant: str) -> int:
    history = _get(run, "runs", variant, "history") or []
    return sum((h.get("train") or {}).get("steps", 0) or 0 for h in history)


def print_report(run: dict[str, Any], log: Callable[[Any], Any] = print) -> None:
    """Human-readable figures."""
    summary = final_json(run)
    log(f"model {run.get('model')}, judge {run.get('judge')}")
    for name in ("base", "sso", "dpo"):
        a = run["adherence"].get(name)
        if a:
            steps = "" if name == "base" else f" ({_steps(run, name)} training steps)"
            log(
                f"adherence {name:>4}: instructed {a['instructed']:.3f}, "
                f"plain {a['plain']:.3f}{steps}"
            )
    for name, w in run["win_rate_vs_base"].items():
        log(
            f"win rate {name} vs base: {w['win_rate']:.3f} "
            f"(W {w['wins']} / L {w['losses']} / T {w['ties']})"
        )
    for round_ in _get(run, "runs", "sso", "history") or []:
        f = round_["filter"]
        log(f"sso round {round_['round']}: {f['generated']} generated -> {f['kept']} kept")
    log(f"kept per 100 generated: {summary['kept_per_100']}")
    rms = run["reward_models"]
    if "skipped" in rms:
        log(f"reward models: skipped ({rms['skipped']})")
    else:
        log(
            f"reward model accuracy on {rms.get('held_out_pairs')} verified pairs: SSO "
            f"{summary['rm_accuracy_sso']}, unfiltered {summary['rm_accuracy_unfiltered']}"
        )
    timing = run["trainer_timing"]
    if "skipped" not in timing:
        log(
            f"trainer s/pair: SSO {timing['sso']['seconds_per_pair']}, TRL DPO "
            f"{timing['trl_dpo']['seconds_per_pair']} (ratio {timing['time_per_pair_ratio']}; "
            f"per row {timing['time_per_row_ratio']})"
        )


def plot_report(run: dict[str, Any], path: Path) -> Path:
    """Filter funnel, training curves and adherence per check, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from steergraph.viz.sso import plot_adherence, plot_filter_funnel, plot_losses

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    sso_history = _get(run, "runs", "sso", "history") or []
    plot_filter_funnel([h["filter"] for h in sso_history], axes[0])
    curves = {
        name: [
            x
            for h in (_get(run, "runs", name, "history") or [])
            for x in (h.get("train") or {}).get("losses", [])
        ]
        for name in ("sso", "dpo")
    }
    plot_losses(curves, axes[1])
    plot_adherence(run["adherence"], axes[2])
    return save_figure(fig, path, dpi=110)


def save_report(run: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write ``report.json`` and ``sso_bench.png`` into ``out``."""
    return write_report(run, out, "sso_bench.png", plot_report)
