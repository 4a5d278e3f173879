"""Evaluating SSO with held-out verifiers, a held-out pairwise judge, and verified pairs.

Nothing here is seen by training:

* :func:`adherence` -- held-out prompts, each asked with the *user-side* instruction of a
  checkable principle (:data:`~steergraph.agents.sso.checks.INSTRUCTIONS`, worded
  differently from the system principles SSO samples with), the reply checked by a
  program; also the plain prompt (does the policy follow the principles unasked?).
* :func:`win_rate` -- a pairwise judge (any chat model; structured ``{"better": "A"|"B"}``)
  compares two policies' replies; each pair is judged in both orders, a win counts only
  when both orders agree, otherwise a tie (half a win), which cancels position bias.
* :func:`verified_pairs` -- preference pairs whose order a program confirms: ``y+``
  sampled under a checkable good principle passes its check and ``y-`` under the bad
  one fails it; :func:`pair_accuracy` scores a reward model on them.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> judge = ScriptedChatModel(responses=[{"better": "A"}, {"better": "B"}])
    >>> win_rate(judge, ["q?"], ["good"], ["bad"])["win_rate"]
    1.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from steergraph.agents.calls import ask_many, ask_structured
from steergraph.agents.sso.checks import CHECKS, INSTRUCTIONS
from steergraph.agents.sso.principles import PrincipleLibrary
from steergraph.agents.sso.rows import preference_rows, sso_rows
from steergraph.agents.sso.sampling import SteeredPrompt, sample_triplets
from steergraph.errors import InputError

__all__ = ["JUDGE_SYSTEM", "adherence", "pair_accuracy", "verified_pairs", "win_rate"]

JUDGE_SYSTEM = (
    "You compare two answers to the same request. Pick the answer that is more helpful, "
    "correct, clear and well written. Reply with A or B."
)


class PairVerdict(BaseModel):
    """The judge's choice."""

    better: Literal["A", "B"]


def adherence(
    llm: BaseChatModel,
    prompts: Sequence[str],
    checks: Sequence[str] | None = None,
    *,
    max_new_tokens: int = 128,
    batch_size: int = 12,
    progress: str | None = None,
) -> dict[str, Any]:
    """Pass rates of the program checks, instructed and plain (greedy replies).

    Returns ``{"instructed": mean, "plain": mean, "per_check": {name: {...}}, "n": ...}``.
    """
    names = list(checks or CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown or not prompts:
        raise InputError(
            f"adherence needs prompts and known checks (unknown: {unknown})",
            fix=f"use checks from {', '.join(CHECKS)}",
        )
    inputs = [
        [{"role": "user", "content": f"{q} {INSTRUCTIONS[c]}"}] for c in names for q in prompts
    ]
    inputs += [[{"role": "user", "content": q}] for q in prompts]
    replies = ask_many(
        llm,
        inputs,
        max_new_tokens=max_new_tokens,
        temperature=0.0,
        batch_size=batch_size,
        progress=progress,
    )
    n = len(prompts)
    plain = replies[len(names) * n :]
    per: dict[str, dict[str, float]] = {}
    for i, name in enumerate(names):
        told = replies[i * n : (i + 1) * n]
        per[name] = {
            "instructed": sum(CHECKS[name](r) for r in told) / n,
            "plain": sum(CHECKS[name](r) for r in plain) / n,
        }
    return {
        "instructed": round(sum(v["instructed"] for v in per.values()) / len(per), 4),
        "plain": round(sum(v["plain"] for v in per.values()) / len(per), 4),
        "per_check": per,
        "n": n,
        "replies": plain,
    }


def _judge_once(judge: BaseChatModel, query: str, a: str, b: str) -> str | None:
    messages = [
        SystemMessage(JUDGE_SYSTEM),
        HumanMessage(f"Request: {query}\n\nAnswer A:\n{a}\n\nAnswer B:\n{b}\n\nWhich is better?"),
    ]
    reply, _ = ask_structured(judge, PairVerdict, messages, max_new_tokens=16)
    return reply.better if reply is not None else None


def win_rate(
    judge: BaseChatModel, prompts: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> dict[str, Any]:
    """How often ``ours`` beats ``theirs`` per the judge, both orders (ties count half)."""
    if not (len(prompts) == len(ours) == len(theirs)) or not prompts:
        raise InputError("win_rate needs one reply of each side per prompt", fix="align them")
    wins = losses = ties = failed = 0
    for query, a, b in zip(prompts, ours, theirs):
        first, second = _judge_once(judge, query, a, b), _judge_once(judge, query, b, a)
        if first is None or second is None:
            failed += 1
        if first == "A" and second == "B":
            wins += 1
        elif first == "B" and second == "A":
            losses += 1
        else:
            ties += 1
    n = len(prompts)
    return {
        "win_rate": round((wins + 0.5 * ties) / n, 4),
        "wins": wins,
        "losses": losses,
        "ties": ties,
        "judge_failures": failed,
        "n": n,
    }


def verified_pairs(
    llm: BaseChatModel,
    prompts: Sequence[str],
    *,
    library: PrincipleLibrary | None = None,
    max_new_tokens: int = 128,
    seed: int = 0,
    batch_size: int = 12,
) -> list[dict[str, Any]]:
    """Pairs ``(prompt, y+, y-)`` whose order a program check confirms (see module docstring).

    Every prompt is paired with every checkable feature (one triplet each, sampled at
    temperature 0.7); returns TRL-format rows (plain prompt) with the ``check`` that
    verified them.
    """
    lib = library or PrincipleLibrary.builtin()
    steered = [SteeredPrompt.build(q, [f]) for q in prompts for f in lib.checkable()]
    rows = []
    for t in sample_triplets(
        llm, steered, max_new_tokens=max_new_tokens, seed=seed, batch_size=batch_size
    ):
        check = lib[t.features[0]].check or ""
        if CHECKS[check](t.y_plus) and not CHECKS[check](t.y_minus):
            rows.append({**preference_rows(sso_rows([t]))[0], "check": check})
    return rows


def pair_accuracy(score: Callable[[Any, list[str]], list[float]], pairs: Sequence[dict]) -> float:
    """Share of pairs whose chosen reply ``score(prompt, [chosen, rejected])`` ranks first."""
    if not pairs:
        raise InputError("no pairs to score", fix="build verified pairs first")
    hits = 0
    for row in pairs:
        chosen, rejected = score(
            row["prompt"], [row["chosen"][0]["content"], row["rejected"][0]["content"]]
        )
        hits += chosen > rejected
    return round(hits / len(pairs), 4)
