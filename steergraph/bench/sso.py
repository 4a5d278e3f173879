"""The SSO benchmark: SSO vs plain DPO on unfiltered pairs, reward models, trainer cost.

One run, one base policy (any local model spec), in this order:

1. the base policy's adherence on held-out prompts (program checks,
   :func:`~steergraph.agents.sso.evaluate.adherence`);
2. ``rounds`` rounds of SSO (:mod:`steergraph.graphs.sso`: the policy selects features
   from the built-in library -- open and checkable ones -- samples, filters, trains with
   the SSO trainer) and, from the same base, the same rounds of plain DPO on unfiltered
   pairs with the same number of optimizer steps per round;
3. adherence of both trained policies, and their win rate against the base policy by a
   pairwise judge in both orders (:func:`~steergraph.agents.sso.evaluate.win_rate`);
4. reward models (TRL ``RewardTrainer``) on the SSO pairs and on as many unfiltered
   pairs from the same samples, scored on held-out pairs that a program verified
   (:func:`~steergraph.agents.sso.evaluate.verified_pairs`);
5. trainer time per preference pair: the SSO trainer vs TRL's ``DPOTrainer`` on the
   same rows and steps in this process (a SSO row holds three pairs, so expect ~3x);
6. pairs kept per 100 generated.

Example:
    >>> cfg = SSOBenchConfig(quick=True)
    >>> cfg.rounds, cfg.train_prompts, cfg.eval_prompts
    (1, 12, 6)
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steergraph.agents.sso.evaluate import adherence, pair_accuracy, verified_pairs, win_rate
from steergraph.data.sso.prompts import sso_prompts
from steergraph.errors import InputError
from steergraph.graphs.policies import round_policy, trainee
from steergraph.graphs.sso import SSOContext, build_sso_graph
from steergraph.llm.loading import load_chat_model

__all__ = ["FULL", "QUICK", "SSOBenchConfig", "run_sso_bench"]

#: Counts of a full run, and of ``--quick``.
FULL = {
    "rounds": 2,
    "train_prompts": 32,
    "eval_prompts": 16,
    "max_steps": 8,
    "max_new_tokens": 80,
    "rm_steps": 20,
    "timing_steps": 4,
}
QUICK = {
    "rounds": 1,
    "train_prompts": 12,
    "eval_prompts": 6,
    "max_steps": 2,
    "max_new_tokens": 48,
    "rm_steps": 4,
    "timing_steps": 2,
}


@dataclass
class SSOBenchConfig:
    """What to run. Counts left at None come from :data:`FULL`, or :data:`QUICK` with
    ``quick``; counts given explicitly always win."""

    model: Any = "local"
    judge: Any = "local:gemma3"  # a different model family: a held-out judge
    rounds: int | None = None
    train_prompts: int | None = None
    eval_prompts: int | None = None
    max_steps: int | None = None
    max_new_tokens: int | None = None
    rm_steps: int | None = None
    timing_steps: int | None = None
    learning_rate: float = 2e-5
    batch_size: int = 2
    seed: int = 0
    order: str = "strict"
    workdir: str | None = None
    quick: bool = False
    progress: bool = True
    train: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, value in (QUICK if self.quick else FULL).items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.order not in ("strict", "gap"):
            raise InputError(f"unknown log-prob order '{self.order}'", fix="use strict or gap")
        bad = [k for k in FULL if getattr(self, k) < 1]
        if bad:
            raise InputError(f"{', '.join(bad)} must be >= 1", fix="pass positive counts")

    def train_args(self) -> dict[str, Any]:
        """Trainer settings shared by SSO and DPO (same steps, batch, learning rate)."""
        return {
            "max_steps": self.max_steps,
            "learning_rate": self.learning_rate,
            "per_device_train_batch_size": self.batch_size,
            "disable_tqdm": not self.progress,
            **self.train,
        }


def _loop(cfg: SSOBenchConfig, variant: str, queries: list[str], workdir: Path) -> dict[str, Any]:
    ctx = SSOContext(
        model=cfg.model,
        workdir=str(workdir),
        rounds=cfg.rounds,
        variant=variant,  # type: ignore[arg-type]
        max_new_tokens=cfg.max_new_tokens,
        order=cfg.order,  # type: ignore[arg-type]
        train=cfg.train_args(),
        seed=cfg.seed,
        progress=cfg.progress,
    )
    start = time.perf_counter()
    out = build_sso_graph().invoke({"queries": queries}, context=ctx)
    return {"out": out, "seconds": round(time.perf_counter() - start, 1)}


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []


def _unfiltered_pairs(workdir: Path, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` plain pairs drawn from every sampled triplet (no filter) of a run."""
    from steergraph.agents.sso.sampling import Triplet
    from steergraph.training.sso import preference_rows, sso_rows

    triplets = [
        Triplet.model_validate(t)
        for path in sorted(workdir.glob("round-*/triplets.jsonl"))
        for t in _rows(path)
    ]
    rows = preference_rows(sso_rows(triplets)) if triplets else []
    return random.Random(seed).sample(rows, min(n, len(rows)))


def _reward_models(cfg: SSOBenchConfig, base: Any, sso_dir: Path, held_out: list[dict]) -> dict:
    from steergraph.training.reward_model import RewardModelScorer, train_reward_model
    from steergraph.training.sso import preference_rows

    sso_rows = [r for p in sorted(sso_dir.glob("round-*/sso.jsonl")) for r in _rows(p)]
    out: dict[str, Any] = {"held_out_pairs": len(held_out), "train_pairs": len(sso_rows)}
    if not sso_rows or not held_out:
        out["skipped"] = "no SSO pairs kept" if not sso_rows else "no verified held-out pairs"
        return out
    sets = {
        "sso": preference_rows(sso_rows),
        "unfiltered": _unfiltered_pairs(sso_dir, len(sso_rows), cfg.seed),
    }
    for name, pairs in sets.items():
        result = train_reward_model(
            (base.hf_model, base.tokenizer),
            pairs,
            output_dir=sso_dir.parent / f"rm-{name}",
            max_steps=cfg.rm_steps,
            per_device_train_batch_size=cfg.batch_size,
            disable_tqdm=not cfg.progress,
        )
        scorer = RewardModelScorer.from_pretrained(result.output_dir)
        out[name] = {"accuracy": pair_accuracy(scorer.score, held_out), "steps": result.steps}
    return out


def _trainer_timing(cfg: SSOBenchConfig, base: Any, sso_dir: Path) -> dict[str, Any]:
    """Seconds per preference pair: SSOTrainer vs TRL's DPOTrainer, same rows and steps."""
    from steergraph.training.recipes import train_dpo
    from steergraph.training.sso import preference_rows, train_sso

    rows = [r for p in sorted(sso_dir.glob("round-*/sso.jsonl")) for r in _rows(p)]
    if not rows:
        return {"skipped": "no SSO pairs kept"}
    common = {
        "max_steps": cfg.timing_steps,
        "per_device_train_batch_size": cfg.batch_size,
        "disable_tqdm": True,
    }
    out: dict[str, Any] = {"rows": len(rows), "steps": cfg.timing_steps}
    for name, train, data in (
        ("trl_dpo", train_dpo, preference_rows(rows)),
        ("sso", train_sso, rows),
    ):
        result = train(trainee(base), data, output_dir=sso_dir.parent / f"timing-{name}", **common)
        pairs = result.steps * cfg.batch_size * (3 if name == "sso" else 1)
        out[name] = {
            "seconds": round(result.train_seconds, 2),
            "seconds_per_row": round(result.train_seconds / (result.steps * cfg.batch_size), 3),
            "seconds_per_pair": round(result.train_seconds / pairs, 3),
        }
    out["time_per_row_ratio"] = round(
        out["sso"]["seconds_per_row"] / out["trl_dpo"]["seconds_per_row"], 3
    )
    out["time_per_pair_ratio"] = round(
        out["sso"]["seconds_per_pair"] / out["trl_dpo"]["seconds_per_pair"], 3
    )
    return out


def _name(value: Any) -> Any:
    """A model spec as given, a model object by its name (keeps the report JSON-able)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return getattr(value, "model_name", type(value).__name__)


def run_sso_bench(cfg: SSOBenchConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run everything (module docstring); return the figures."""
    start = time.perf_counter()
    work = Path(cfg.workdir or tempfile.mkdtemp(prefix="sso-bench-"))
    base = load_chat_model(cfg.model)
    queries = sso_prompts("train", n=cfg.train_prompts, seed=cfg.seed)
    held_out = sso_prompts("eval", n=cfg.eval_prompts, seed=cfg.seed)
    gen = {"max_new_tokens": cfg.max_new_tokens}
    log(f"{len(queries)} training prompts, {len(held_out)} held-out prompts, {cfg.rounds} round(s)")
    adh = {
        "base": adherence(
            base, held_out, progress="adherence: base" if cfg.progress else None, **gen
        )
    }
    runs = {}
    for variant in ("sso", "dpo"):
        log(f"{variant}: {cfg.rounds} round(s)")
        runs[variant] = _loop(cfg, variant, queries, work / variant)
    judge = load_chat_model(cfg.judge)
    wins: dict[str, Any] = {}
    for variant, run in runs.items():
        policy = round_policy(run["out"].get("policy"), cfg.model)
        label = f"adherence: {variant}" if cfg.progress else None
        adh[variant] = adherence(policy, held_out, progress=label, **gen)
        wins[variant] = win_rate(judge, held_out, adh[variant]["replies"], adh["base"]["replies"])
    log("reward models on SSO vs unfiltered pairs")
    verified = verified_pairs(base, held_out, seed=cfg.seed + 7, **gen)
    rms = _reward_models(cfg, base, work / "sso", verified)
    log("trainer time per pair: SSO vs TRL DPO")
    timing = _trainer_timing(cfg, base, work / "sso")
    sso_rounds = runs["sso"]["out"]["history"]
    generated = sum(h["filter"]["generated"] for h in sso_rounds)
    kept = sum(h["filter"]["kept"] for h in sso_rounds)
    return {
        "model": _name(cfg.model),
        "judge": _name(cfg.judge),
        "config": {k: _name(v) for k, v in vars(cfg).items() if k != "train"},
        "adherence": {
            k: {x: v[x] for x in ("instructed", "plain", "per_check", "n")} for k, v in adh.items()
        },
        "win_rate_vs_base": wins,
        "runs": {
            k: {
                "seconds": v["seconds"],
                "history": v["out"]["history"],
                "policy": v["out"].get("policy"),
            }
            for k, v in runs.items()
        },
        "reward_models": rms,
        "trainer_timing": timing,
        "kept_per_100": round(100 * kept / generated, 2) if generated else 0.0,
        "workdir": str(work),
        "seconds": round(time.perf_counter() - start, 1),
    }
