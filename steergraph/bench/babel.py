"""The Babel Tower benchmark: one run of :mod:`steergraph.graphs.babel` at a set size,
ending in the issue's final JSON keys.

Python pre-training, continued pre-training on each other language (probed at every
checkpoint: the logit-lens working language of the middle layers, LAPE's language
neurons), the second language from scratch on the same budget (the control), and three
from-scratch models at one budget on the optimised, uniform and original mixtures. The
tiny Llama (4 layers of 128, about 1.1 M parameters with a 2,048-token vocabulary)
trains at about 6 steps of 16 x 128 tokens per second on 2 cores.

Example:
    >>> cfg = BabelBenchConfig.quick()
    >>> cfg.languages, cfg.context().primary_steps
    (('python', 'go', 'javascript'), 500)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from steergraph.graphs.babel import BabelContext

__all__ = ["FINAL_KEYS", "BabelBenchConfig", "run_babel_bench"]

FINAL_KEYS = ("l2_loss_after_python", "l2_loss_from_scratch", "working_language_shift",
              "l2_neurons_start", "l2_neurons_end", "mixture_loss_optimised",
              "mixture_loss_uniform")  # fmt: skip


@dataclass
class BabelBenchConfig:
    """Languages (primary first), stage sizes and where the run goes."""

    languages: tuple[str, ...] = ("python", "go", "javascript")
    primary_steps: int = 2000
    continued_steps: int = 1000
    mixture_steps: int = 1500
    eval_every: int = 100
    max_files: int = 1500
    out: Path = field(default_factory=lambda: Path("babel-bench"))
    progress: bool = True

    @classmethod
    def quick(cls, **overrides: Any) -> BabelBenchConfig:
        """The same stages, shorter (about 8 minutes of training on 2 cores)."""
        small = {"primary_steps": 500, "continued_steps": 300, "mixture_steps": 400,
                 "eval_every": 50, "max_files": 600}  # fmt: skip
        return cls(**{**small, **overrides})

    def context(self) -> BabelContext:
        names = {f.name for f in fields(BabelContext)}
        return BabelContext(**{k: v for k, v in vars(self).items() if k in names})


def run_babel_bench(cfg: BabelBenchConfig) -> dict[str, Any]:
    """Run (or resume: finished stages are read back) and return the final figures."""
    from steergraph.graphs.babel import build_babel_graph

    start = time.time()
    out = build_babel_graph().invoke({"out_dir": str(cfg.out), "languages": list(cfg.languages)},
                                     context=cfg.context())  # fmt: skip
    from steergraph.viz.babel import plot_babel

    plot_babel(out["stages"], out["probes"], list(cfg.languages), cfg.out / "babel.png")
    report = dict(out["report"])
    final = {k: report[k] for k in FINAL_KEYS}
    final.update({k: v for k, v in report.items() if k not in final and k != "corpus"})
    final["seconds"] = round(time.time() - start, 1)
    return final
