"""Babel Tower's picture: loss curves across stages, the working language and the
language neurons along the continued stage, and the mixtures at one budget.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> stages = [{"name": "python", "curve": [{"tokens": 0, "loss": {"python": 7.0, "go": 7.0}},
    ...                                        {"tokens": 10, "loss": {"python": 4.0, "go": 6.0}}]}]
    >>> plot_babel(stages, [], ["python", "go"], Path(tempfile.mkdtemp()) / "b.png").is_file()
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steergraph.viz.figures import grouped_bars, save_figure

__all__ = ["plot_babel"]


def plot_babel(stages: Sequence[dict[str, Any]], probes: Sequence[dict[str, Any]],
               languages: Sequence[str], path: Path) -> Path:  # fmt: skip
    """Four panels (those with data): held-out loss per stage, working language and
    neurons over the continued stage of the second language, mixture losses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0][0]
    for stage in stages:
        if stage["name"].startswith("mix-"):
            continue
        for lang in languages:
            xs = [p["tokens"] for p in stage["curve"]]
            ys = [p["loss"][lang] for p in stage["curve"]]
            ax.plot(xs, ys, label=f"{stage['name']}: {lang}", linewidth=1)
    ax.set(xlabel="training tokens", ylabel="held-out loss", title="held-out loss by stage")
    ax.legend(fontsize=6)
    series = sorted((p for p in probes if p["stage"] == f"{languages[0]}>{languages[1]}"),
                    key=lambda p: p["tokens"])  # fmt: skip
    xs = [p["tokens"] for p in series]
    ax = axes[0][1]
    for lang in [*languages[:2], "shared"]:
        ax.plot(xs, [p["middle"][lang] for p in series], marker="o", label=lang)
    ax.set(xlabel="training tokens", ylabel="share of logit-lens top tokens",
           title=f"working language, middle layers ({languages[0]} -> {languages[1]})")  # fmt: skip
    ax.legend(fontsize=8)
    ax = axes[1][0]
    for lang in languages[:2]:
        ax.plot(xs, [p["neurons"][lang] for p in series], marker="o", label=f"{lang}-specific")
    ax.plot(xs, [p["transferring"][languages[1]] for p in series], marker="s",
            label=f"transferring {languages[0]}+{languages[1]}")  # fmt: skip
    ax.set(xlabel="training tokens", ylabel="LAPE neurons", title="language neurons")
    ax.legend(fontsize=8)
    mixes = [s for s in stages if s["name"].startswith("mix-")]
    if mixes:
        grouped_bars(axes[1][1], list(languages),
                     {s["name"]: [s["curve"][-1]["loss"][k] for k in languages] for s in mixes},
                     ylabel="held-out loss", title="mixtures at one token budget")  # fmt: skip
    else:
        axes[1][1].axis("off")
    return save_figure(fig, path)
