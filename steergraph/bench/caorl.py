"""The CAORL benchmark: prompted, SFT-best, return-conditioned and oracle CATP planners.

1. The **CATP benchmark** runs first (or a finished run is reused, ``catp_dir``): each
   task's plan space searched exhaustively (oracle plan, the task's cost normalisation,
   the cost-aware planner's budget), the prompted cost-unaware and cost-aware planners'
   plans executed, and the **plan pool** written (:mod:`steergraph.bench.catp`; fault
   injection off here).
2. The **CAORL graph** (:mod:`steergraph.graphs.caorl`) fine-tunes the same base model
   on the pool's training tasks once per variant (``caorl``; the ablations ``sft_best``
   and ``no_cost``), exports each to llama.cpp and plans every task with it under the
   type mask, without a budget; each plan is executed for real.
3. Every planner is summed up on the **test split** (tasks never trained on) and on
   **all** tasks: score (invalid = 0), measured and estimated price, latency, QoP at a =
   0.3/0.5/0.7 with OpenCATP's plan-space normalisation, invalid-plan rate; plus the
   price reduction of CAORL against the cost-unaware planner over tasks where both
   plans ran.

Example:
    >>> cfg = CAORLBenchConfig.quick_config()
    >>> cfg.levels, cfg.steps, cfg.variants
    ((2,), 16, ('caorl', 'sft_best'))
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from steergraph.bench.catp import PLANNERS as CATP_PLANNERS
from steergraph.bench.catp import BenchConfig, Outcome, price_reduction, summarize
from steergraph.errors import InputError

__all__ = [
    "PLANNERS",
    "CAORLBenchConfig",
    "final_line",
    "plot",
    "run_caorl_bench",
    "table_lines",
]

#: the rows of the comparison, in order
PLANNERS = ("cost_unaware", "cost_aware", "sft_best", "no_cost", "caorl", "oracle")


@dataclass(frozen=True)
class CAORLBenchConfig:
    """What to run; :meth:`quick_config` fits in 15 minutes on 2 cores."""

    model: str = "local"
    levels: tuple[int, ...] = (1, 2, 3, 4)
    families: tuple[str, ...] = ()
    oracle_size: int = 5
    workers: int = 2
    steps: int = 150
    batch_size: int = 4
    plans_per_bucket: int = 4
    max_length: int = 2048
    engine: str = "auto"
    variants: tuple[str, ...] = ("caorl", "sft_best", "no_cost")
    catp_dir: Path | None = None
    out: Path = Path("caorl-bench")

    @classmethod
    def quick_config(cls, **overrides: Any) -> CAORLBenchConfig:
        quick = cls(levels=(2,), oracle_size=4, steps=16, plans_per_bucket=2,
                    variants=("caorl", "sft_best"))  # fmt: skip
        return replace(quick, **overrides)


def _catp_run(cfg: CAORLBenchConfig, model: Any, log: Any) -> tuple[dict[str, Any], Path]:
    """The CATP benchmark's report and folder: reused from ``catp_dir`` or run now."""
    from steergraph.bench.catp import run_catp_bench

    folder = Path(cfg.catp_dir) if cfg.catp_dir else cfg.out / "catp"
    if (folder / "report.json").is_file():
        log(f"reusing the CATP benchmark run in {folder}")
        return json.loads((folder / "report.json").read_text()), folder
    catp = BenchConfig(model=cfg.model, levels=cfg.levels, families=cfg.families,
                       oracle_size=cfg.oracle_size, workers=cfg.workers, faults=False,
                       out=folder)  # fmt: skip
    return run_catp_bench(catp, log=log, model=model), folder


def _outcomes(path: Path) -> list[Outcome]:
    with open(path) as fh:
        return [Outcome(**json.loads(line)) for line in fh if line.strip()]


def run_caorl_bench(
    cfg: CAORLBenchConfig, *, log: Any = print, model: Any = None
) -> dict[str, Any]:
    """Run the whole benchmark (see module docstring); returns the report."""
    from steergraph.data.catp.tasks import build_tasks
    from steergraph.graphs.caorl import CAORLContext, build_caorl_graph
    from steergraph.training.caorl_trainer import read_meta

    started = time.perf_counter()
    catp, folder = _catp_run(cfg, model, log)
    suite = build_tasks(levels=cfg.levels, families=cfg.families)
    tasks = [t for t in suite if t.id in catp["norms"]]
    if not tasks:
        raise InputError(
            f"the CATP run in {folder} has no task of levels {cfg.levels}",
            fix="pass a --catp-dir run of the same levels, or none (it runs the CATP benchmark)",
        )
    outcomes = [o for o in _outcomes(folder / "outcomes.jsonl") if o.planner in CATP_PLANNERS]
    log(f"{len(tasks)} tasks ({sum(t.split == 'test' for t in tasks)} test); training "
        f"{', '.join(cfg.variants)} on {cfg.model}, {cfg.steps} steps each")  # fmt: skip
    trained_at = time.perf_counter()
    train = {"max_steps": cfg.steps, "per_device_train_batch_size": cfg.batch_size,
             "plans_per_bucket": cfg.plans_per_bucket, "max_length": cfg.max_length}  # fmt: skip
    ctx = CAORLContext(model=cfg.model, workdir=str(cfg.out / "planners"),
                       variants=cfg.variants, train=train, engine=cfg.engine)  # fmt: skip
    state = {"pool": str(folder / "plan_pool"), "eval_tasks": [t.id for t in tasks]}
    result = build_caorl_graph().invoke(state, context=ctx)
    outcomes += [Outcome(**o) for o in result["outcomes"]]
    names = tuple(p for p in PLANNERS if any(o.planner == p for o in outcomes))
    test_ids = {t.id for t in tasks if t.split == "test"}
    norms = catp["norms"]
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "tasks": len(tasks),
        "test_tasks": len(test_ids),
        "splits": {
            "test": summarize([o for o in outcomes if o.task_id in test_ids], norms, names),
            "all": summarize(outcomes, norms, names),
        },
        "price_reduction_caorl_vs_unaware": price_reduction(outcomes, "price", "caorl"),
        "est_price_reduction_caorl_vs_unaware": price_reduction(outcomes, "est_price", "caorl"),
        "price_reduction_cost_aware_vs_unaware": price_reduction(outcomes, "price"),
        "training": {v: read_meta(p) for v, p in result["trained"].items()},
        "train_and_plan_seconds": time.perf_counter() - trained_at,
        "seconds": time.perf_counter() - started,
        "catp_run": str(folder),
    }
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    with open(Path(cfg.out) / "outcomes.jsonl", "w") as fh:
        fh.writelines(json.dumps(asdict(o)) + "\n" for o in outcomes)
    return report


def _rounded(value: Any) -> Any:
    return None if value != value else round(value, 4)  # NaN (no valid pair) -> null


def final_line(report: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's one-line JSON summary (the issue's keys first)."""
    test, every = report["splits"]["test"], report["splits"]["all"]
    qop_test = {k: _rounded(v["qop_0.5"]) for k, v in test.items()}
    line = {
        "qop_0.5_test": qop_test,
        "price_reduction_caorl_vs_unaware": _rounded(report["price_reduction_caorl_vs_unaware"]),
        "score_caorl": _rounded(every.get("caorl", {}).get("score", float("nan"))),
        "score_sft_best": _rounded(every.get("sft_best", {}).get("score", float("nan"))),
        "qop_0.5_all": {k: _rounded(v["qop_0.5"]) for k, v in every.items()},
        "score_test": {k: _rounded(v["score"]) for k, v in test.items()},
        "score_all": {k: _rounded(v["score"]) for k, v in every.items()},
        "est_price_all": {k: v["est_price"] for k, v in every.items()},
        "invalid_plan_rate_all": {k: _rounded(v["invalid_plan_rate"]) for k, v in every.items()},
        "est_price_reduction_caorl_vs_unaware": _rounded(
            report["est_price_reduction_caorl_vs_unaware"]
        ),
        "price_reduction_cost_aware_vs_unaware": _rounded(
            report["price_reduction_cost_aware_vs_unaware"]
        ),
        "tasks": report["tasks"],
        "test_tasks": report["test_tasks"],
        "seconds": round(report["seconds"], 1),
    }
    if (
        "caorl" in qop_test
        and "cost_aware" in qop_test
        and None
        not in (
            qop_test["caorl"],
            qop_test["cost_aware"],
        )
    ):
        line["qop_0.5_test_caorl_minus_cost_aware"] = round(
            qop_test["caorl"] - qop_test["cost_aware"], 4
        )
    return line


def table_lines(report: dict[str, Any]) -> list[str]:
    """The per-planner table of each split, as text lines."""
    from steergraph.bench.catp_report import format_table

    lines = []
    for split, table in report["splits"].items():
        lines.append(f"{split} tasks:")
        lines.extend(format_table(table).splitlines())
    for variant, meta in report["training"].items():
        loss = meta.get("loss_first_last") or [float("nan")] * 2
        lines.append(
            f"{variant}: {meta.get('episodes')} episodes, {meta.get('rows')} rows, "
            f"{meta.get('steps')} steps in {meta.get('train_seconds')} s, "
            f"loss {loss[0]:.3f} -> {loss[1]:.3f}, target return {meta['best_return']:+.3f}"
        )
    return lines


def plot(report: dict[str, Any], path: Path) -> Path:
    """QoP (a = 0.5) and score per planner, test split and all tasks, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from steergraph.bench.reporting import grouped_bars, save_figure

    splits = report["splits"]
    names = list(splits["all"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in ((axes[0], "qop_0.5", "QoP (a = 0.5)"), (axes[1], "score", "score")):
        series = {s: [splits[s].get(n, {}).get(key, 0.0) for n in names] for s in splits}
        grouped_bars(ax, names, series, ylabel=title, title=f"CATP planners: {title}")
        ax.tick_params(axis="x", labelrotation=20)
    return save_figure(fig, path)
