"""The feedback step of the verify graph: verified candidates -> data -> TRL training.

Kept apart from :mod:`steergraph.graphs.verify` so the graph module holds only the
workflow. ``sft`` trains on the candidates that passed (rejection sampling), ``dpo``
on best-vs-worst pairs, ``grpo`` online with the verifier as the reward function;
``none`` only writes the data. Every round's datasets are saved as JSON lines under
the round's folder (TRL's formats, ready for other trainers); a round with nothing to
learn from (no candidate passed) keeps the current policy and says so in the summary.

Example:
    >>> FeedbackOutcome(policy=None, summary={"mode": "none"}).summary["mode"]
    'none'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from steergraph.agents.verify.base import Problem, Verifier
from steergraph.agents.verify.search_base import SearchResult, SearchStrategy
from steergraph.errors import InputError
from steergraph.graphs.policies import require_trainable, trainee
from steergraph.llm.prompting import to_chat_dicts
from steergraph.training.verify import (
    Scored,
    feedback_stats,
    preference_dataset,
    reward_function,
    sft_dataset,
)

__all__ = ["FeedbackOutcome", "apply_feedback", "scored_from_results"]


@dataclass
class FeedbackOutcome:
    """What a feedback step produced: the new policy folder (None: unchanged) and figures."""

    policy: str | None
    summary: dict[str, Any] = field(default_factory=dict)


def scored_from_results(
    strategy: SearchStrategy, problems: Sequence[Problem], results: Sequence[SearchResult]
) -> list[Scored]:
    """Every verified candidate of a round, with the chat prompt it answered."""
    scored = []
    for problem, result in zip(problems, results):
        prompt = to_chat_dicts(strategy.messages(problem))
        for cand in result.candidates:
            if cand.verdict is not None:
                scored.append(
                    Scored(
                        problem=problem,
                        candidate=cand.text,
                        verdict=cand.verdict,
                        prompt_messages=prompt,
                    )
                )
    return scored


def apply_feedback(
    llm: BaseChatModel,
    strategy: SearchStrategy,
    problems: Sequence[Problem],
    results: Sequence[SearchResult],
    ctx: Any,
    workdir: Path | None,
    *,
    verifier_for: Callable[[Problem], Verifier],
) -> FeedbackOutcome:
    """Build this round's datasets and, per ``ctx.feedback``, train the next policy."""
    from steergraph.training import recipes

    mode = ctx.feedback
    scored = scored_from_results(strategy, problems, results)
    stats = feedback_stats(scored)
    summary: dict[str, Any] = {"mode": mode, **stats.as_dict()}
    if mode != "none":
        require_trainable(llm)
        if workdir is None:
            raise InputError(
                f"feedback={mode!r} trains a model but no workdir was given",
                fix="pass VerifyContext(workdir=...) (each round's data and policy go there)",
            )
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, Any] = {}
    for name, build in (("sft", sft_dataset), ("dpo", preference_dataset)):
        try:
            datasets[name] = build(scored)
        except InputError as err:  # nothing passed / no pairs: recorded, not fatal
            summary[f"{name}_skipped"] = err.message
            continue
        summary[f"{name}_rows"] = len(datasets[name])
        if workdir is not None:
            datasets[name].to_json(str(workdir / f"{name}.jsonl"))
    if mode == "none":
        return FeedbackOutcome(None, summary)
    out = workdir / "policy"  # type: ignore[operator]
    train = dict(ctx.train)
    if mode == "grpo":
        from datasets import Dataset

        rows = [
            {"prompt": to_chat_dicts(strategy.messages(p)), "problem_id": p.id or str(i)}
            for i, p in enumerate(problems)
        ]
        by_id = {row["problem_id"]: p for row, p in zip(rows, problems)}
        verifier = _RouteVerifier(verifier_for)
        result = recipes.train_grpo(
            trainee(llm),
            Dataset.from_list(rows),
            [reward_function(verifier, by_id)],
            output_dir=str(out),
            **train,
        )
    elif mode in datasets:
        trainer = recipes.train_sft if mode == "sft" else recipes.train_dpo
        result = trainer(trainee(llm), datasets[mode], output_dir=str(out), **train)
    else:
        summary["trained"] = False
        return FeedbackOutcome(None, summary)
    summary.update(
        trained=True,
        train_seconds=round(result.train_seconds, 2),
        train_steps=result.steps,
        final_loss=_last_loss(result.log_history),
    )
    if ctx.export:  # llama.cpp serves the next round's policy
        from steergraph.llm.gguf_export import export_gguf

        export_gguf(out, dtype="f16")
    return FeedbackOutcome(str(out), summary)


def _last_loss(history: Sequence[dict[str, Any]]) -> float | None:
    losses = [h["loss"] for h in history if "loss" in h]
    return float(losses[-1]) if losses else None


class _RouteVerifier(Verifier):
    """Dispatch each problem to its own verifier (GRPO sees one reward function)."""

    name = "route"

    def __init__(self, verifier_for: Callable[[Problem], Verifier]) -> None:
        self.verifier_for = verifier_for

    async def _check(self, problem: Problem, candidate: str) -> Any:
        return await self.verifier_for(problem).averify(problem, candidate)
