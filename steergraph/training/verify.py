"""Verified samples -> training data for TRL (pure data; no training here).

Candidates judged by a :class:`~steergraph.agents.verify.base.Verifier` become

* :func:`sft_dataset` -- rejection sampling: passed candidates, prompt-completion (SFT);
* :func:`preference_dataset` -- best-vs-worst pairs per problem (DPO, reward models);
* :func:`prompt_dataset` + :func:`reward_function` -- online verifier rewards (GRPO);
* :func:`feedback_stats` -- the counts a report needs.

Empty results are an error, not an empty dataset (TRL's trainers fail confusingly
on zero rows): the builders raise :class:`~steergraph.errors.InputError` saying why.
Verdicts with ``error`` set (no verdict reached) never become training data.

Example:
    >>> from steergraph.agents.verify.base import Problem, Verdict
    >>> p = Problem(id="add", prompt="2+2?", answer="4")
    >>> rows = [Scored(problem=p, candidate=c, verdict=Verdict(verifier="x", passed=c == "4"))
    ...         for c in ["4", "5", "4"]]
    >>> ds = sft_dataset(rows)
    >>> ds[0]["completion"], ds[0]["problem_id"], ds[0]["score"]
    ([{'role': 'assistant', 'content': '4'}], 'add', 1.0)
    >>> preference_dataset(rows)[0]["margin"]
    1.0
    >>> feedback_stats(rows).pairs
    1
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from steergraph.agents.verify.base import Problem, Verdict, Verifier
from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = [
    "FeedbackStats",
    "Scored",
    "averify_candidates",
    "feedback_stats",
    "preference_dataset",
    "problem_key",
    "prompt_dataset",
    "reward_function",
    "sft_dataset",
    "verify_candidates",
]

Message = dict[str, str]
Chat = list[Message] | None


def problem_key(problem: Problem) -> str:
    """The ``problem_id`` column value: ``problem.id``, or a hash of the prompt if unset."""
    if problem.id:
        return problem.id
    return "p-" + hashlib.sha1(problem.prompt.encode()).hexdigest()[:12]


class Scored(BaseModel):
    """A candidate answer to a problem, its verdict, and the chat it answered.

    ``prompt_messages`` defaults to one user turn holding ``problem.prompt``.
    """

    model_config = ConfigDict(frozen=True)

    problem: Problem
    candidate: str
    verdict: Verdict
    prompt_messages: Chat = None

    @property
    def messages(self) -> list[Message]:
        """The prompt as chat messages (TRL's conversational ``prompt``)."""
        if self.prompt_messages is not None:
            return [dict(m) for m in self.prompt_messages]
        return [{"role": "user", "content": self.problem.prompt}]

    @property
    def problem_id(self) -> str:  # problem_key(problem)
        return problem_key(self.problem)


async def averify_candidates(
    verifier: Verifier, problem: Problem, candidates: Sequence[str], chat: Chat = None
) -> list[Scored]:
    """Judge ``candidates`` concurrently; pair each with its verdict (``chat``: the prompt)."""
    verdicts = await verifier.averify_many(problem, candidates)
    return [
        Scored(problem=problem, candidate=c, verdict=v, prompt_messages=chat)
        for c, v in zip(candidates, verdicts)
    ]


def verify_candidates(
    verifier: Verifier, problem: Problem, candidates: Sequence[str], chat: Chat = None
) -> list[Scored]:
    """Synchronous :func:`averify_candidates`."""
    return run_sync(averify_candidates(verifier, problem, candidates, chat))


# ---------------------------------------------------------------------- selection
def _groups(scored: Iterable[Scored]) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = {}
    for s in scored:
        if not isinstance(s, Scored):
            raise InputError(
                f"expected Scored records, got {type(s).__name__}",
                fix="build them with Scored(problem=..., candidate=..., verdict=...)",
            )
        groups.setdefault(s.problem_id, []).append(s)
    return groups


def _keeps(s: Scored, threshold: float) -> bool:
    """A verdict that passed is kept; one with only a score is kept at ``threshold``."""
    v = s.verdict
    if not v.ok or v.passed is False:
        return False
    return v.passed is True or v.value >= threshold


def _select_sft(
    scored: Sequence[Scored], threshold: float, per_problem: int, dedupe: bool
) -> list[Scored]:
    kept: list[Scored] = []
    for group in _groups(scored).values():
        good = sorted((s for s in group if _keeps(s, threshold)), key=lambda s: -s.verdict.value)
        seen: set[str] = set()
        taken = 0
        for s in good:
            if taken >= per_problem:
                break
            text = s.candidate.strip()
            if dedupe and text in seen:
                continue
            seen.add(text)
            kept.append(s)
            taken += 1
    return kept


def _select_pairs(
    scored: Sequence[Scored], min_margin: float, pairs_per_problem: int
) -> list[tuple[Scored, Scored]]:
    pairs: list[tuple[Scored, Scored]] = []
    for group in _groups(scored).values():
        unique: dict[str, Scored] = {}  # one record per distinct text: its best verdict
        for s in group:
            text = s.candidate.strip()
            if s.verdict.ok and (
                text not in unique or s.verdict.value > unique[text].verdict.value
            ):
                unique[text] = s
        ranked = sorted(unique.values(), key=lambda s: -s.verdict.value)
        for i in range(pairs_per_problem):
            j = len(ranked) - 1 - i
            if i >= j:
                break
            best, worst = ranked[i], ranked[j]
            if best.verdict.value - worst.verdict.value <= min_margin:
                break  # the next pairs are closer still
            pairs.append((best, worst))
    return pairs


def _assistant(text: str) -> list[Message]:
    return [{"role": "assistant", "content": text}]


def _check_args(**positive: int) -> None:
    for name, value in positive.items():
        if value < 1:
            raise InputError(f"{name} must be at least 1, got {value}", fix=f"pass {name}=1")


def _empty(what: str, scored: Sequence[Scored], fix: str) -> InputError:
    stats = feedback_stats(scored)
    return InputError(
        f"{what}; {stats.scored} candidates scored for {stats.problems} problems, "
        f"{stats.passed} passed, {stats.errors} had no verdict",
        fix=fix,
    )


# ------------------------------------------------------------------------ datasets
def sft_dataset(
    scored: Sequence[Scored], *, threshold: float = 1.0, per_problem: int = 1, dedupe: bool = True
) -> Dataset:
    """Rejection sampling: a ``datasets.Dataset`` of candidates that passed.

    Kept: verdict reached (``ok``), ``passed`` not ``False``, ``value >= threshold``;
    at most ``per_problem`` per problem, best first, distinct texts if ``dedupe``.
    Columns: ``prompt``, ``completion`` (messages), ``problem_id``, ``score``.
    Raises :class:`InputError` when nothing is kept.
    """
    from datasets import Dataset

    _check_args(per_problem=per_problem)
    kept = _select_sft(scored, threshold, per_problem, dedupe)
    if not kept:
        raise _empty(
            "no candidate passed verification, so there is nothing to fine-tune on",
            scored,
            "sample more candidates per problem, lower `threshold`, or use GRPO",
        )
    return Dataset.from_list(
        [
            {
                "prompt": s.messages,
                "completion": _assistant(s.candidate),
                "problem_id": s.problem_id,
                "score": float(s.verdict.value),
            }
            for s in kept
        ]
    )


def preference_dataset(
    scored: Sequence[Scored], *, min_margin: float = 0.0, pairs_per_problem: int = 1
) -> Dataset:
    """Best-vs-worst pairs per problem (a ``datasets.Dataset``) for DPO or reward models.

    Distinct texts with a reached verdict are ranked by value; pair ``i`` is the i-th
    best vs the i-th worst while their ``margin`` (value difference) is above
    ``min_margin`` (equal values: no pair). Columns: ``prompt``, ``chosen``,
    ``rejected`` (messages), ``problem_id``, ``margin``. None found: :class:`InputError`.
    """
    from datasets import Dataset

    _check_args(pairs_per_problem=pairs_per_problem)
    pairs = _select_pairs(scored, min_margin, pairs_per_problem)
    if not pairs:
        raise _empty(
            "no problem has candidates that differ in verdict, so there is no preference pair",
            scored,
            "sample more, more varied candidates per problem, or lower `min_margin`",
        )
    return Dataset.from_list(
        [
            {
                "prompt": best.messages,
                "chosen": _assistant(best.candidate),
                "rejected": _assistant(worst.candidate),
                "problem_id": best.problem_id,
                "margin": float(best.verdict.value - worst.verdict.value),
            }
            for best, worst in pairs
        ]
    )


def prompt_dataset(problems: Sequence[Problem], *, system: str | None = None) -> Dataset:
    """Prompt-only ``datasets.Dataset`` for GRPO: ``prompt`` (messages) and ``problem_id``."""
    from datasets import Dataset

    if not problems:
        raise InputError("no problems to build GRPO prompts from", fix="pass at least one Problem")
    head = [{"role": "system", "content": system}] if system else []
    return Dataset.from_list(
        [
            {"prompt": [*head, {"role": "user", "content": p.prompt}], "problem_id": problem_key(p)}
            for p in problems
        ]
    )


# -------------------------------------------------------------------------- reward
def _completion_text(completion: Any) -> str:
    """TRL passes a string, or (conversational) a list of messages: take the last one."""
    if isinstance(completion, str):
        return completion
    last = completion[-1] if isinstance(completion, list) and completion else {}
    content = last.get("content", "") if isinstance(last, dict) else ""
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def _prompt_text(prompt: Any) -> str:  # the last user turn of a chat
    if isinstance(prompt, str):
        return prompt
    users = [m.get("content", "") for m in prompt or [] if m.get("role") == "user"]
    return str(users[-1]) if users else ""


def reward_function(
    verifier: Verifier,
    problems: Sequence[Problem] | Mapping[str, Problem],
    *,
    name: str | None = None,
) -> Callable[..., list[float]]:
    """A TRL ``GRPOTrainer`` reward function that runs ``verifier`` on each completion.

    TRL calls ``f(prompts=, completions=, completion_ids=, **columns, trainer_state=,
    log_extra=, log_metric=)``, conversational completions as ``[{"role":
    "assistant", "content": ...}]``. The problem is found by the ``problem_id`` column
    (:func:`problem_key`, or a mapping's own keys), else by the last user message.
    One call's completions are verified concurrently; the reward is ``verdict.value``,
    0.0 for a verdict with ``error`` or a verifier that raises. An unknown problem
    raises :class:`InputError` (a wiring bug that would train on zero reward).
    """
    index: dict[str, Problem] = dict(problems) if isinstance(problems, Mapping) else {}
    for p in list(index.values()) or problems:
        index.setdefault(problem_key(p), p)
        index.setdefault(p.prompt, p)

    def find(pid: Any, prompt: Any) -> Problem:
        for key in (pid, _prompt_text(prompt)):
            if isinstance(key, str) and key in index:
                return index[key]
        raise InputError(
            f"the reward function knows no problem with id {pid!r} or prompt "
            f"{_prompt_text(prompt)[:60]!r}",
            fix="build the GRPO dataset with prompt_dataset(problems) and pass the same problems",
        )

    async def judge(groups: dict[str, tuple[Problem, list[int]]], texts: list[str]) -> list[float]:
        rewards = [0.0] * len(texts)

        async def one(problem: Problem, idx: list[int]) -> None:
            try:
                verdicts = await verifier.averify_many(problem, [texts[i] for i in idx])
            except Exception:  # a verifier must never stop training
                return
            for i, v in zip(idx, verdicts):
                rewards[i] = float(v.value) if v.ok else 0.0

        await asyncio.gather(*(one(p, idx) for p, idx in groups.values()))
        return rewards

    def reward(prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float]:
        ids = kwargs.get("problem_id") or [None] * len(completions)
        texts = [_completion_text(c) for c in completions]
        groups: dict[str, tuple[Problem, list[int]]] = {}
        for i, (pid, prompt) in enumerate(zip(ids, prompts)):
            problem = find(pid, prompt)
            groups.setdefault(problem_key(problem), (problem, []))[1].append(i)
        rewards = run_sync(judge(groups, texts))
        log_metric = kwargs.get("log_metric")
        if callable(log_metric) and texts:
            log_metric(f"{reward.__name__}/passed", sum(r >= 1.0 for r in rewards) / len(texts))
        return rewards

    reward.__name__ = reward.__qualname__ = name or f"verifier_{verifier.name}"
    return reward


# -------------------------------------------------------------------------- stats
@dataclass(frozen=True)
class FeedbackStats:
    """Counts for reports: candidates scored, passed, without verdict, kept, pairs."""

    scored: int
    passed: int
    errors: int
    problems: int
    problems_passed: int
    kept: int
    pairs: int

    @property
    def pass_rate(self) -> float:  # fraction of scored candidates that passed (0 when none)
        return self.passed / self.scored if self.scored else 0.0

    def as_dict(self) -> dict[str, float]:  # the counts and pass_rate, for summaries
        return {**asdict(self), "pass_rate": self.pass_rate}


def feedback_stats(
    scored: Sequence[Scored],
    *,
    threshold: float = 1.0,
    per_problem: int = 1,
    dedupe: bool = True,
    min_margin: float = 0.0,
    pairs_per_problem: int = 1,
) -> FeedbackStats:
    """What :func:`sft_dataset` and :func:`preference_dataset` would keep (never raises)."""
    groups = _groups(scored)
    kept = _select_sft(scored, threshold, max(1, per_problem), dedupe)
    return FeedbackStats(
        scored=len(scored),
        passed=sum(_keeps(s, threshold) for s in scored),
        errors=sum(not s.verdict.ok for s in scored),
        problems=len(groups),
        problems_passed=len({s.problem_id for s in kept}),
        kept=len(kept),
        pairs=len(_select_pairs(scored, min_margin, max(1, pairs_per_problem))),
    )
