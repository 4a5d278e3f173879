"""CAORL: cost-aware offline RL of the CATP planner, as return-conditioned fine-tuning.

Wu et al., 2024, "CATP-LLM: Empowering Large Language Models for Cost-Aware Tool
Planning" (arXiv:2411.16313), section "cost-aware offline reinforcement learning": plans
from a pool become episodes of (return-to-go, state, action) over plan steps, the
reward of a step is minus the price it adds and the last one adds ``a * score - (1 -
a) * cost``; the LLM is fine-tuned to write the action given the return it is asked to
reach, and at test time is asked for the best return seen (decision-transformer style,
as in the released OpenCATP-LLM).

Here an episode is the planner's own transcript (:class:`~steergraph.agents.caorl.
planner.CAORLPlanner`): the prompt (a compact catalogue with each tool's time and price
at the task's input size, and the task: the state), then the answer alternating each
step's return to go and its plan line (the action), in **one** row of token ids whose
loss mask covers the plan lines only (:func:`episode_text`; TRL's processed-dataset
format, ``input_ids`` + ``completion_mask``). One forward pass per plan instead of one
per line: what makes training affordable on a CPU. :class:`CAORLTrainer` is TRL's
``SFTTrainer`` over those rows, built from a plan pool and a
:class:`~steergraph.training.caorl_config.CAORLConfig` (full or LoRA fine-tuning through
``peft_config``).

Episodes are sampled per task from four buckets, ``plans_per_bucket`` each: **good**
(highest return), **cheap** (lowest cost among the rest), **bad** (random among the rest
scoring below the task's median) and **invalid** (plans that failed when run). The
``sft_best`` ablation keeps only the plans within 0.02 of the task's best return.

Example (the rows of a two-plan pool, on a tiny tokenizer):
    >>> import tempfile
    >>> from datasets import Dataset
    >>> from steergraph.data.caorl import load_pool
    >>> from steergraph.testing import tiny_tokenizer
    >>> from steergraph.tools.registry import default_registry
    >>> reg = default_registry()
    >>> rows = [{"task_id": "word-count-L1", "split": "train", "planner": "enumeration",
    ...          "plan": p, "valid": True, "score": s, "measured": False,
    ...          "description": "Count the words of the document."}
    ...         for p, s in (("n = count_words(doc)\\nreturn n", 1.0),
    ...                      ("n = estimate_words(doc)\\nreturn n", 0.8))]
    >>> pool = load_pool(Dataset.from_list(rows), reg)
    >>> cfg = CAORLConfig(output_dir=tempfile.mkdtemp(), use_cpu=True)
    >>> tok = tiny_tokenizer()
    >>> rows, meta = caorl_rows(pool, reg, cfg, tok)
    >>> meta["episodes"], meta["buckets"], len(rows)
    (2, {'good': 2}, 2)
    >>> ids, mask = rows[0]["input_ids"], rows[0]["completion_mask"]
    >>> tok.decode([i for i, m in zip(ids, mask) if m])  # the loss: the plan lines only
    's1 = count_words(doc)return s1'
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trl import SFTTrainer

from steergraph.agents.caorl.planner import CAORLPlanner, plan_lines
from steergraph.agents.caorl.returns import ReturnSpec, returns_to_go, step_rewards
from steergraph.agents.catp.planner import PlanTask
from steergraph.errors import InputError
from steergraph.llm.prompting import render_prompt, to_chat_dicts
from steergraph.training.caorl_config import CAORLConfig

__all__ = [
    "META_FILE",
    "CAORLTrainer",
    "Episode",
    "caorl_rows",
    "episode_text",
    "episodes",
    "load_planner",
    "read_meta",
    "tokenizer_fingerprint",
    "train_caorl",
    "train_top_layers",
]

#: what a trained planner's folder records besides the weights
META_FILE = "caorl.json"


@dataclass
class Episode:
    """One plan of one task as CAORL trains on it."""

    task: PlanTask
    lines: list[str]
    rewards: list[float]
    ret: float
    score: float
    valid: bool
    cost: float
    bucket: str


def _episode(entry: Any, pool_plan: Any, registry: Any, spec: ReturnSpec) -> Episode:
    task = entry.task
    plan = pool_plan.plan.pruned()
    order = plan.order()
    index = {name: i for i, name in enumerate(order)}
    tools = [plan.steps[n].tool for n in order]
    deps = [[index[d] for d in plan.dependencies(n)] for n in order]
    args = (pool_plan.score, pool_plan.valid, registry, task.size)
    rewards = step_rewards(tools, *args, spec, deps)
    priced = step_rewards(tools, *args, ReturnSpec(a=0.0, max_steps=spec.max_steps), deps)
    ptask = PlanTask(task.description, dict(task.inputs), list(task.outputs), task.size, None)
    return Episode(
        task=ptask,
        lines=plan_lines(plan),
        rewards=rewards,
        ret=returns_to_go(rewards, spec.gamma)[0],
        score=pool_plan.score,
        valid=pool_plan.valid,
        cost=-sum(priced) if pool_plan.valid else 2.0,
        bucket="",
    )


def _pick(cands: list[Episode], k: int, bucket: str, out: list[Episode]) -> None:
    for ep in cands[:k]:
        ep.bucket = bucket
        out.append(ep)


def episodes(pool: Mapping[str, Any], registry: Any, cfg: CAORLConfig) -> list[Episode]:
    """The balanced episodes of every task of ``pool`` (see module docstring)."""
    spec = cfg.return_spec()
    rank_spec = ReturnSpec(a=cfg.qop_a, gamma=cfg.gamma, max_steps=cfg.max_plan_steps)
    k = cfg.plans_per_bucket
    chosen: list[Episode] = []
    for task_id in sorted(pool):
        entry = pool[task_id]
        rng = random.Random(f"{cfg.pool_seed}:{task_id}")
        eps = [_episode(entry, p, registry, spec) for p in entry.plans]
        if cfg.variant == "sft_best":
            ranked = [(_episode(entry, p, registry, rank_spec).ret, e) for p, e in
                      zip(entry.plans, eps, strict=True) if e.valid]  # fmt: skip
            if ranked:
                top = max(r for r, _ in ranked)
                best = [e for r, e in sorted(ranked, key=lambda x: -x[0]) if r >= top - 0.02]
                _pick(best, k, "good", chosen)
            continue
        valid = sorted((e for e in eps if e.valid), key=lambda e: -e.ret)
        _pick(valid, k, "good", chosen)
        rest = valid[k:]
        cheap = sorted(rest, key=lambda e: e.cost)[:k]
        _pick(cheap, k, "cheap", chosen)
        rest = [e for e in rest if e not in cheap]
        if rest:
            median = sorted(e.score for e in valid)[len(valid) // 2]
            bad = [e for e in rest if e.score < median]
            _pick(rng.sample(bad, min(k, len(bad))), k, "bad", chosen)
        invalid = [e for e in eps if not e.valid]
        _pick(rng.sample(invalid, min(k, len(invalid))), k, "invalid", chosen)
    return chosen


def episode_text(tok: Any, planner: CAORLPlanner, ep: Episode) -> tuple[str, list[int]]:
    """The whole episode as the planner shows it to the model (prompt, then the answer
    transcript), and its token ids' loss mask: 1 on the plan lines' tokens only."""
    chat = to_chat_dicts(planner.messages(ep.task))
    answer, spans = planner.transcript_spans(ep.lines, ep.task, upto_next=False)
    text = render_prompt(tok, [*chat, {"role": "assistant", "content": answer}])
    start = text.rindex(answer.rstrip("\n"))
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    mask = [
        int(e > s and any(start + a <= s and e <= start + b for a, b in spans))
        for s, e in enc["offset_mapping"]
    ]
    return text, mask


def caorl_rows(
    pool: Mapping[str, Any], registry: Any, cfg: CAORLConfig, tok: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One tokenized row per episode (``input_ids``, ``completion_mask``: TRL's processed
    format, the loss on the plan lines only), and the run's metadata (variant, returns,
    the range of returns seen, bucket counts)."""
    eps = episodes(pool, registry, cfg)
    if not eps:
        raise InputError("the plan pool gives no episode", fix="pass a pool with valid plans")
    spec = cfg.return_spec()
    rows: list[dict[str, Any]] = []
    for ep in eps:
        planner = CAORLPlanner(None, registry, variant=cfg.variant, spec=spec,
                               target_return=ep.ret, check_model=False)  # fmt: skip
        text, mask = episode_text(tok, planner, ep)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        rows.append({"input_ids": ids, "completion_mask": mask})
    rets = [ep.ret for ep in eps]
    buckets: dict[str, int] = {}
    for ep in eps:
        buckets[ep.bucket] = buckets.get(ep.bucket, 0) + 1
    meta = {
        "variant": cfg.variant,
        "qop_a": cfg.qop_a,
        "gamma": cfg.gamma,
        "cost_terms": spec.cost_terms,
        "max_plan_steps": cfg.max_plan_steps,
        "return_range": [min(rets), max(rets)],
        "best_return": max(rets),
        "episodes": len(eps),
        "rows": len(rows),
        "longest_row_tokens": max(len(r["input_ids"]) for r in rows),
        "tasks": len(pool),
        "buckets": buckets,
    }
    return rows, meta


def train_top_layers(model: Any, n: int) -> int:
    """Freeze everything but the top ``n`` decoder layers (embeddings and the output layer
    too, so no gradient flows below them); return how many layers train."""
    layers = next(
        (m for name, m in model.named_modules() if name.endswith("layers") and len(m) > 0),
        None,
    )
    if layers is None:
        raise InputError(
            f"a {type(model).__name__} has no decoder layer list to train the top of",
            fix="set train_layers=0 to train every parameter",
        )
    keep = {id(p) for layer in list(layers)[-n:] for p in layer.parameters()}
    for param in model.parameters():
        param.requires_grad_(id(param) in keep)
    return min(n, len(layers))


class CAORLTrainer(SFTTrainer):
    """TRL's ``SFTTrainer`` over the rows :func:`caorl_rows` builds from ``pool``."""

    def __init__(
        self,
        model: Any,
        args: CAORLConfig,
        *,
        pool: Mapping[str, Any],
        registry: Any,
        processing_class: Any,
        **kwargs: Any,
    ) -> None:
        from datasets import Dataset

        rows, self.caorl_meta = caorl_rows(pool, registry, args, processing_class)
        if args.train_layers and kwargs.get("peft_config") is None:
            self.caorl_meta["trained_layers"] = train_top_layers(model, args.train_layers)
        super().__init__(
            model=model,
            args=args,
            train_dataset=Dataset.from_list(rows),
            processing_class=processing_class,
            **kwargs,
        )


def tokenizer_fingerprint(tok: Any) -> str:
    """sha256 of a tokenizer's vocabulary (token -> id), first 16 hex digits."""
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    return hashlib.sha256(json.dumps(vocab).encode()).hexdigest()[:16]


def train_caorl(
    model_or_chat: Any,
    pool: Mapping[str, Any],
    registry: Any,
    *,
    output_dir: str | Path,
    base_name: str | None = None,
    peft_config: Any = None,
    **config: Any,
) -> Any:
    """Train a planner on the pool; ``output_dir`` gets the model and :data:`META_FILE`
    (``peft_config``: LoRA through peft, merged into the saved model)."""
    from steergraph.training.recipes import (
        cpu_safe_args,
        finish_training,
        model_and_tokenizer,
        quiet_loading,
        require_rows_left,
    )

    model, tok = model_and_tokenizer(model_or_chat)
    out = Path(output_dir)
    args = cpu_safe_args(CAORLConfig, out, **config)
    with quiet_loading(bool(args.disable_tqdm)):
        trainer = CAORLTrainer(model, args, pool=pool, registry=registry, processing_class=tok,
                               peft_config=peft_config)  # fmt: skip
        require_rows_left(trainer, trainer.caorl_meta["rows"])
        result = finish_training(trainer, model, tok, out)
    losses = result.losses
    meta = {
        **trainer.caorl_meta,
        "base": base_name,
        "tokenizer": tokenizer_fingerprint(tok),
        "steps": result.steps,
        "train_seconds": round(result.train_seconds, 1),
        "loss_first_last": [losses[0], losses[-1]] if losses else None,
    }
    if trainer.is_world_process_zero():
        (out / META_FILE).write_text(json.dumps(meta, indent=1))
    return result


def read_meta(folder: str | Path) -> dict[str, Any]:
    """The :data:`META_FILE` of a trained planner folder (InputError when it is none)."""
    path = Path(folder) / META_FILE
    if not path.is_file():
        raise InputError(
            f"'{folder}' holds no trained CAORL planner (no {META_FILE})",
            fix="train one with `steergraph caorl train` and pass its --out folder",
        )
    return json.loads(path.read_text())


def load_planner(
    folder: str | Path,
    registry: Any,
    *,
    target_return: float | None = None,
    engine: str = "auto",
    llm: Any = None,
) -> CAORLPlanner:
    """A trained planner served by llama.cpp (exported once to ``model.gguf``) or
    transformers; ``target_return`` defaults to the best return seen in training and is
    clipped into the range seen (a warning and a note in the result say so)."""
    from steergraph.llm.engines.select import EXPORTED_GGUF
    from steergraph.training.recipes import policy_from

    meta = read_meta(folder)
    if llm is None:
        export = engine != "hf" and not (Path(folder) / EXPORTED_GGUF).is_file()
        llm = policy_from(folder, export=export, engine=engine)
    found = tokenizer_fingerprint(llm.tokenizer)
    if found != meta.get("tokenizer"):
        raise InputError(
            f"the planner in '{folder}' was trained with another tokenizer "
            f"({meta.get('tokenizer')}, this model's is {found})",
            fix="load the checkpoint with the tokenizer saved beside it, or retrain the planner",
        )
    spec = ReturnSpec(
        a=meta["qop_a"],
        gamma=meta["gamma"],
        cost_terms=meta["cost_terms"],
        max_steps=meta["max_plan_steps"],
    )
    return CAORLPlanner(
        llm,
        registry,
        variant=meta["variant"],
        spec=spec,
        target_return=meta["best_return"] if target_return is None else target_return,
        return_range=tuple(meta["return_range"]),
    )
