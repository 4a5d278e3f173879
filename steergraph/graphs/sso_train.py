"""The train step of the SSO graph: kept triplets -> datasets -> a trained policy.

Kept apart from :mod:`steergraph.graphs.sso` so the graph module holds only the
workflow. Per variant:

* ``sso`` -- :func:`~steergraph.training.sso.train_sso` on the SSO rows (three pairs
  per row, the SSO loss);
* ``generator`` -- a copy of the policy is trained as a *data generator* (the SSO
  generator loss), samples fresh ``y+``/``y-`` under the good and bad principles of
  the kept prompts, and the policy is trained with plain DPO on those pairs;
* ``dpo`` -- plain DPO on the plain pairs ``y+ > y-`` (the baseline: usually run on
  unfiltered triplets).

Every dataset is written under the round's folder in TRL's formats (``sso.jsonl``,
``preference.jsonl``, ``generator_pairs.jsonl``); a round with nothing to learn from
keeps the current policy and says so.

Example:
    >>> TrainOutcome(policy=None, summary={"trained": False}).summary
    {'trained': False}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel

from steergraph.agents.sso.filters import drop_duplicates
from steergraph.agents.sso.sampling import Triplet, sample_triplets
from steergraph.graphs.policies import trainee

if TYPE_CHECKING:  # the trainers import TRL and torch: loaded when a round trains
    from steergraph.training.recipes import TrainResult

__all__ = ["TrainOutcome", "train_round", "write_datasets", "write_jsonl"]


@dataclass
class TrainOutcome:
    """The new policy folder (None: unchanged) and what the step did."""

    policy: str | None
    summary: dict[str, Any] = field(default_factory=dict)


def write_jsonl(path: Path, rows: Sequence[Any]) -> None:
    """Rows (dicts or pydantic models) as JSON lines; the folder is created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            data = row.model_dump() if hasattr(row, "model_dump") else row
            fh.write(json.dumps(data, ensure_ascii=False) + "\n")


def write_datasets(folder: Path, kept: Sequence[Triplet]) -> list[dict[str, Any]]:
    """The round's kept pairs as ``sso.jsonl`` and ``preference.jsonl`` (none: no files)."""
    from steergraph.training.sso import preference_rows, sso_rows

    rows = sso_rows(kept)
    if rows:
        write_jsonl(folder / "sso.jsonl", rows)
        write_jsonl(folder / "preference.jsonl", preference_rows(rows))
    return rows


def _summary(result: TrainResult, **extra: Any) -> dict[str, Any]:
    losses = result.losses
    return {
        "steps": result.steps,
        "train_seconds": round(result.train_seconds, 2),
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "losses": losses,
        **extra,
    }


def _generator_pairs(generator: BaseChatModel, kept: Sequence[Triplet], ctx: Any) -> list[Triplet]:
    fresh = sample_triplets(
        generator,
        kept,
        temperature=ctx.temperature,
        max_new_tokens=ctx.max_new_tokens,
        seed=ctx.seed + 1,
        batch_size=ctx.batch_size,
        progress=ctx.progress,
    )
    usable, _ = drop_duplicates(fresh)
    return usable


def train_round(
    policy: BaseChatModel, kept: Sequence[Triplet], ctx: Any, folder: Path
) -> TrainOutcome:
    """Train this round's policy (per ``ctx.variant``) on ``kept``; see the module docstring."""
    from steergraph.training.recipes import policy_from, train_dpo
    from steergraph.training.sso import preference_rows, sso_rows, train_sso

    rows = write_datasets(folder, kept)
    if not rows:
        return TrainOutcome(None, {"trained": False, "reason": "no pairs kept"})
    out = folder / "policy"
    train = dict(ctx.train)
    summary: dict[str, Any] = {"trained": True, "variant": ctx.variant, "rows": len(rows)}
    if ctx.variant == "sso":
        result = train_sso(
            trainee(policy), rows, output_dir=out, peft_config=ctx.peft, **train, **ctx.sso
        )
        summary.update(_summary(result, dropped_rows=result.metrics.get("dropped_rows", 0)))
    elif ctx.variant == "generator":
        gen_dir = folder / "generator"
        gen = train_sso(
            trainee(policy),
            rows,
            output_dir=gen_dir,
            peft_config=ctx.peft,
            **{**train, **ctx.sso, "sso_variant": "generator"},
        )
        generator = policy_from(gen_dir, export=ctx.export)
        fresh = _generator_pairs(generator, kept, ctx)
        write_jsonl(
            folder / "generator_pairs.jsonl", preference_rows(sso_rows(fresh)) if fresh else []
        )
        summary["generator"] = _summary(gen, pairs=len(fresh))
        if not fresh:
            return TrainOutcome(
                None, {**summary, "trained": False, "reason": "generator pairs all equal"}
            )
        result = train_dpo(
            trainee(policy), preference_rows(sso_rows(fresh)), output_dir=out, **train
        )
        summary.update(_summary(result))
    else:
        result = train_dpo(trainee(policy), preference_rows(rows), output_dir=out, **train)
        summary.update(_summary(result))
    if ctx.export:  # llama.cpp serves the next round's policy
        from steergraph.llm.gguf_export import export_gguf

        export_gguf(out, dtype="f16")
    return TrainOutcome(str(out), summary)
