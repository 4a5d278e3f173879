"""The DiffLM benchmark: each table fitted, sampled through the diffusion prior and the
N(0, I) prior, and measured against real held-out rows, in one run.

Per table (default ISLP Wage predicting ``health_ins``, Carseats predicting ``Urban``,
the tool data of :mod:`.difflm_tools`, CATP's plan records, predicting ``family``, and the
code data, HumanEval's short training functions, measured by
:mod:`~steergraph.agents.difflm.code_eval` (about 10 s per VAE step of 8 functions);
``--quick``: Wage alone, 80 VAE steps: each step runs the frozen decoder forward and
backward, about 4 s for 8 rows of SmolLM2 on 2 cores): the graph of
:mod:`steergraph.graphs.difflm` (prepare -> fit -> sample per prior -> evaluate) on the
same train/test split; the real training rows give the
machine-learning-efficiency reference. SDV's TVAE and GaussianCopula run as baselines
only when the optional ``sdv`` package is installed (BUSL-1.1: a benchmark-only extra,
never a dependency); otherwise their figures are null and the report says so. GReaT
(``be-great``, MIT, in the ``bench`` extra) fine-tunes the same decoder on the rows as
text (:mod:`.difflm_great`); ``great=None`` leaves it out.

Example:
    >>> cfg = DiffLMBenchConfig.quick()
    >>> cfg.tables, cfg.n, cfg.steps
    (('wage',), 100, 80)
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from steergraph.bench.difflm_great import GreatSettings, great_available
from steergraph.bench.difflm_tools import TOOL_TABLE, TOOL_TARGET, write_tool_plan_table
from steergraph.data.difflm.code import CODE_TABLE

__all__ = ["DiffLMBenchConfig", "run_difflm_bench", "sdv_baselines"]


@dataclass
class DiffLMBenchConfig:
    """Sizes of one run; :meth:`quick` is the <= 15 minute one."""

    decoder: str = "local"
    tables: tuple[str, ...] = ("wage", "carseats", TOOL_TABLE, CODE_TABLE)
    n: int = 500
    steps: int = 600
    batch_size: int = 8
    prior_steps: int = 3000
    tvae_epochs: int = 100
    great: GreatSettings | None = field(default_factory=GreatSettings)  # None: no GReaT
    seed: int = 0
    temperature: float = 1.0  # of DiffLM's decoding (0: greedy)
    out: Path = field(default_factory=lambda: Path("difflm-bench"))
    progress: bool = True

    @classmethod
    def quick(cls, **overrides: Any) -> DiffLMBenchConfig:
        """Every step at a small size."""
        small = {"tables": ("wage",), "n": 100, "steps": 80, "prior_steps": 1500,
                 "tvae_epochs": 30, "great": GreatSettings.quick()}  # fmt: skip
        return cls(**{**small, **overrides})


def sdv_baselines(train: Any, schema: Any, n: int, epochs: int, seed: int) -> dict[str, Any]:
    """Rows from SDV's GaussianCopula and TVAE fitted on ``train`` (empty without sdv)."""
    if importlib.util.find_spec("sdv") is None:
        return {}
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

    from steergraph.agents.difflm.evaluate import sdv_metadata

    meta = Metadata.load_from_dict({"tables": {"table": sdv_metadata(schema)}})
    out = {}
    for name, make in (
        ("gaussian_copula", lambda: GaussianCopulaSynthesizer(meta)),
        ("tvae", lambda: TVAESynthesizer(meta, epochs=epochs)),
    ):
        synth = make()
        synth.fit(train)
        out[name] = synth.sample(n)
    return out


def _baselines(cfg: DiffLMBenchConfig, folder: Path, target: str) -> dict[str, Any]:
    import json

    import pandas as pd

    from steergraph.agents.difflm.evaluate import fidelity, mle_auc
    from steergraph.agents.difflm.schema import TableSchema
    from steergraph.bench.difflm_great import great_rows

    saved = json.loads((folder / "model" / "difflm.json").read_text())["schema"]
    if saved.get("kind") == "code":  # GReaT and SDV synthesise tables, not source code
        return {}
    schema = TableSchema.from_dict(saved)
    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    results = {}
    rows_of = {name: (rows, {}) for name, rows in
               sdv_baselines(train, schema, cfg.n, cfg.tvae_epochs, cfg.seed).items()}  # fmt: skip
    great = None if cfg.great is None else great_rows(
        train, schema, decoder=cfg.decoder, n=cfg.n, settings=cfg.great,
        workdir=folder / "great", seed=cfg.seed)  # fmt: skip
    if great is not None:
        rows_of["great"] = great
    for name, (rows, counts) in rows_of.items():
        scored = {} if len(rows) == 0 else {  # nothing kept: no figures, the counts say why
            **fidelity(train, rows, schema),
            "mle_auc": mle_auc(rows, test, schema, target, seed=cfg.seed)}  # fmt: skip
        results[name] = {**counts, **scored}
    return results


def run_difflm_bench(cfg: DiffLMBenchConfig) -> dict[str, Any]:
    """Every table through the graph; the report of :mod:`.difflm_report`."""
    from steergraph.graphs.difflm import DiffLMContext, build_difflm_graph

    started = time.perf_counter()
    graph = build_difflm_graph()
    tables = {}
    for name in cfg.tables:
        t0 = time.perf_counter()
        ctx = DiffLMContext(
            decoder=cfg.decoder, seed=cfg.seed, progress=cfg.progress,
            temperature=cfg.temperature,
            fit={"steps": cfg.steps, "batch_size": cfg.batch_size,
                 "prior_steps": cfg.prior_steps, "seed": cfg.seed},
        )  # fmt: skip
        state = {"table": name, "out_dir": str(cfg.out / name), "n": cfg.n}
        if name == TOOL_TABLE:  # tool data: CATP's plan records, built for this run
            path = write_tool_plan_table(cfg.out / name / "plans.csv")
            state |= {"table": str(path), "target": TOOL_TARGET}
        out = graph.invoke(state, context=ctx)
        report = out["report"]
        report["baselines"] = _baselines(cfg, cfg.out / name, report["split"]["target"])
        report["seconds"] = round(time.perf_counter() - t0, 1)
        tables[name] = report
    return {
        "config": {**asdict(cfg), "out": str(cfg.out)},
        "tables": tables,
        "sdv_installed": importlib.util.find_spec("sdv") is not None,
        "great_installed": great_available(),
        "seconds": round(time.perf_counter() - started, 1),
    }
