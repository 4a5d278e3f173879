"""The MOLE benchmark: counterfactuals, the joint evaluator and four baselines on held-out
SummEval articles, in one run.

1. Split SummEval by article (train / dev / test; dev is held back untouched).
2. Counterfactuals of the best-rated summaries of each training article (``originals``
   per article, every facet): LLM rewrites through the counterfactual graph for the
   first ``llm_originals`` of them, programmatic perturbations for the rest; every one
   checked, the checked rate reported.
3. Choose MOLE's contrastive weight and margin on the dev articles (each pair of
   ``tune`` trained on the training articles, scored on dev; the test articles are not
   read), then train MOLE with the chosen pair, the supervised-only and the
   single-score evaluators on the same rows and the same frozen encoder.
4. Score the test articles: the three evaluators, ROUGE-L against the references, and an
   LLM judge prompted per facet on the first ``judge_articles`` test articles (MOLE is
   also scored on that subset, so the two are compared on the same summaries).

Figures: summary-level Spearman and Kendall per facet and their mean
(:mod:`steergraph.bench.mole_eval`). ``--quick`` keeps every step and shrinks the sizes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steergraph.bench.mole_eval import llm_judge, mean_spearman, rouge_l, summary_level

__all__ = ["MoleBenchConfig", "run_mole_bench"]


@dataclass
class MoleBenchConfig:
    """Sizes of a run (``quick()`` for the 15-minute version)."""

    model: str = "local"
    judge: str | None = "local"
    train_articles: int | None = None  # None: all training articles
    test_articles: int | None = None  # None: all test articles
    originals: int = 2
    llm_originals: int = 24
    judge_articles: int = 22
    epochs: int = 8
    #: (contrastive_weight, margin) pairs tried on the dev articles; the best is used
    tune: tuple[tuple[float, float], ...] = ((0.1, 0.1), (0.3, 0.05), (1.0, 0.02))
    seed: int = 0
    #: more training seeds for MOLE and supervised-only (same split, counterfactuals and
    #: chosen weights): the spread of their difference, next to the one-seed figures
    extra_seeds: tuple[int, ...] = (1, 2)
    out: Path = field(default_factory=lambda: Path("mole-bench"))
    progress: bool = True

    @classmethod
    def quick(cls, **overrides: Any) -> MoleBenchConfig:
        """Every step at a small size."""
        values: dict[str, Any] = {
            "train_articles": 20, "originals": 2, "llm_originals": 4, "judge_articles": 2,
            "epochs": 6, "tune": ((0.1, 0.1), (1.0, 0.02)), "extra_seeds": (),
        }  # fmt: skip
        return cls(**{**values, **overrides})


def _counterfactuals(cfg: MoleBenchConfig, originals: list[Any]) -> tuple[list, dict]:
    from steergraph.data.mole.summeval import FACETS
    from steergraph.graphs.mole import MoleContext, build_mole_graph
    from steergraph.graphs.progress import invoke_with_progress

    items = [
        {"id": f"{r.doc_id}/{r.system}", "source": r.source, "text": r.text} for r in originals
    ]
    graph = build_mole_graph()
    records, reports = [], {}
    for label, part, model in (
        ("llm", items[: cfg.llm_originals], cfg.model),
        ("perturbation", items[cfg.llm_originals :], None),
    ):
        if not part:
            continue
        out = invoke_with_progress(
            graph,
            {"items": part, "out_dir": str(cfg.out / f"counterfactuals-{label}")},
            node="rewrite",
            total=len(part) * len(FACETS),
            desc=f"counterfactuals ({label})",
            enabled=cfg.progress,
            context=MoleContext(model=model, seed=cfg.seed),
        )
        records += out["dataset"]
        reports[label] = out["report"]
    return records, reports


def _tune(
    cfg: MoleBenchConfig, train: list[Any], dev: list[Any], records: list[dict]
) -> tuple[tuple[float, float], dict[str, float]]:
    """The ``(contrastive_weight, margin)`` of ``cfg.tune`` with the best mean Spearman on
    the dev articles, and every pair's dev figure."""
    from steergraph.data.mole.summeval import FACETS
    from steergraph.training.mole import MoleConfig, train_mole

    if len(cfg.tune) == 1:
        return cfg.tune[0], {}
    dev_figures = {}
    for weight, margin in cfg.tune:
        config = MoleConfig(epochs=cfg.epochs, seed=cfg.seed, contrastive_weight=weight,
                            margin=margin, progress=cfg.progress)  # fmt: skip
        model, _ = train_mole(train, records, config)
        scores = model.score([r.source for r in dev], [r.text for r in dev])
        dev_figures[f"{weight}/{margin}"] = mean_spearman(summary_level(dev, scores, FACETS))
    best = max(cfg.tune, key=lambda wm: dev_figures[f"{wm[0]}/{wm[1]}"])
    return best, dev_figures


def _seed_spread(
    cfg: MoleBenchConfig, train: list[Any], test: list[Any], records: list[dict],
    variants: dict[str, Any], tables: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Mean test Spearman of MOLE and supervised-only for ``cfg.seed`` and each extra
    training seed, and the mean and sample standard deviation of their difference."""
    import statistics
    from dataclasses import replace

    from steergraph.data.mole.summeval import FACETS
    from steergraph.training.mole import train_mole

    figures = {name: [mean_spearman(tables[name])] for name in ("mole", "supervised_only")}
    for seed in cfg.extra_seeds:
        for name in figures:
            model, _ = train_mole(train, records if name == "mole" else (),
                                  replace(variants[name], seed=seed))  # fmt: skip
            scores = model.score([r.source for r in test], [r.text for r in test])
            figures[name].append(mean_spearman(summary_level(test, scores, FACETS)))
    diffs = [a - b for a, b in zip(figures["mole"], figures["supervised_only"])]
    return {
        "seeds": [cfg.seed, *cfg.extra_seeds],
        **{name: [round(v, 4) for v in values] for name, values in figures.items()},
        "difference_mean": round(statistics.fmean(diffs), 4),
        "difference_std": round(statistics.stdev(diffs), 4) if len(diffs) > 1 else None,
    }


def run_mole_bench(cfg: MoleBenchConfig) -> dict[str, Any]:
    """Run every step; return the report (figures, sizes, timings)."""
    from steergraph.data.mole.summeval import (
        FACETS,
        best_rated,
        load_summeval,
        split_by_article,
    )
    from steergraph.llm.loading import load_chat_model
    from steergraph.training.mole import MoleConfig, train_mole

    started = time.perf_counter()
    parts = split_by_article(load_summeval(), seed=cfg.seed)
    train, dev, test = parts["train"], parts["dev"], parts["test"]
    if cfg.train_articles is not None:
        keep = sorted({r.doc_id for r in train})[: cfg.train_articles]
        train = [r for r in train if r.doc_id in keep]
    if cfg.test_articles is not None:
        kept = sorted({r.doc_id for r in test})[: cfg.test_articles]
        test = [r for r in test if r.doc_id in kept]
    t0 = time.perf_counter()
    records, cf_reports = _counterfactuals(cfg, best_rated(train, cfg.originals))
    cf_seconds = time.perf_counter() - t0
    checked = sum(r["check_passed"] for r in records) / max(len(records), 1)

    t0 = time.perf_counter()
    (weight, margin), dev_figures = _tune(cfg, train, dev, records)
    tune_seconds = time.perf_counter() - t0
    shown = {"epochs": cfg.epochs, "seed": cfg.seed, "progress": cfg.progress}
    variants = {
        "mole": MoleConfig(**shown, contrastive_weight=weight, margin=margin),
        "supervised_only": MoleConfig(**shown, contrastive_weight=0.0),
        "single_score": MoleConfig(**shown, single_score=True),
    }
    sources, texts = [r.source for r in test], [r.text for r in test]
    tables, predictions, train_seconds = {}, {}, {}
    for name, config in variants.items():
        t0 = time.perf_counter()
        model, _ = train_mole(train, records if name == "mole" else (), config)
        train_seconds[name] = round(time.perf_counter() - t0, 1)
        predictions[name] = model.score(sources, texts)
        tables[name] = summary_level(test, predictions[name], FACETS)
    seeds = _seed_spread(cfg, train, test, records, variants, tables)
    predictions["rouge_l"] = rouge_l(test, FACETS)
    tables["rouge_l"] = summary_level(test, predictions["rouge_l"], FACETS)

    judged_docs = sorted({r.doc_id for r in test})[: cfg.judge_articles]
    subset = [i for i, r in enumerate(test) if r.doc_id in judged_docs]
    judge: dict[str, Any] = {"articles": len(judged_docs), "summaries": len(subset)}
    if cfg.judge and subset:
        t0 = time.perf_counter()
        rows = [test[i] for i in subset]
        scores, failed = llm_judge(load_chat_model(cfg.judge), rows, FACETS, progress=cfg.progress)
        judge["table"] = summary_level(rows, scores, FACETS)
        judge["mole_on_subset"] = summary_level(
            rows, [predictions["mole"][i] for i in subset], FACETS
        )
        judge.update(failed_replies=failed, seconds=round(time.perf_counter() - t0, 1))
    return {
        "config": {k: str(v) for k, v in vars(cfg).items()},
        "sizes": {
            "train": len(train),
            "test": len(test),
            "counterfactuals": len(records),
            "test_articles": len({r.doc_id for r in test}),
        },
        "counterfactuals": {
            "checked_rate": round(checked, 4),
            "reports": cf_reports,
            "seconds": round(cf_seconds, 1),
        },
        "tuning": {
            "chosen": {"contrastive_weight": weight, "margin": margin},
            "dev_mean_spearman": dev_figures,
            "dev_articles": len({r.doc_id for r in dev}),
            "seconds": round(tune_seconds, 1),
        },
        "tables": tables,
        "mean_spearman": {name: mean_spearman(t) for name, t in tables.items()},
        "judge": judge,
        "train_seconds": train_seconds,
        "seeds": seeds,
        "seconds": round(time.perf_counter() - started, 1),
        "truncation": {
            "source_tokens": MoleConfig().source_tokens,
            "text_tokens": MoleConfig().text_tokens,
        },
    }
