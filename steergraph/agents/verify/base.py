"""The one verifier interface: a problem, a candidate, and a :class:`Verdict`.

Verifier engineering (search -> verify -> feedback) needs verdicts of every form the
survey lists: binary (pass/fail), score, ranking among candidates, and text feedback a
model can act on, at trajectory or step granularity. A :class:`Verdict` carries all of
them at once (unused forms stay ``None``) plus details and, when no verdict could be
reached, an ``error`` saying why. Every verifier is async and batched:
:meth:`Verifier.averify_many` checks candidates concurrently (bounded), and turns
empty or oversized candidates and verifiers that raise into failed verdicts with a
reason, so a search or training loop keeps going.

Subclasses implement only :meth:`Verifier._check`.

Example:
    >>> from steergraph.agents.verify import ExactMatch, Problem
    >>> v = ExactMatch()
    >>> [x.passed for x in v.verify_many(Problem(prompt="2+2?", answer="4"), ["4", "5", ""])]
    [True, False, False]
    >>> v.verify(Problem(prompt="2+2?", answer="4"), "").error
    'empty candidate'
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError

__all__ = ["Granularity", "Problem", "Verdict", "Verifier", "failed_verdict", "ranked"]

Granularity = Literal["trajectory", "step"]


class Problem(BaseModel):
    """What a candidate answers: the prompt and whatever its verifiers need.

    ``answer`` is a reference answer (rules), ``tests`` are tests a candidate may be
    checked against during search (for HumanEval: the docstring examples visible in the
    prompt), ``hidden_tests`` score only the final answer, ``entry_point`` names the
    function code must define, ``schema`` is a JSON schema for structured answers.
    """

    model_config = ConfigDict(frozen=True)

    prompt: str
    id: str = ""
    answer: str | None = None
    tests: list[str] = Field(default_factory=list)
    hidden_tests: list[str] = Field(default_factory=list)
    entry_point: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    metadata: dict[str, Any] = Field(default_factory=dict)


class Verdict(BaseModel):
    """A verifier's judgement of one candidate, in every form it can give.

    ``passed`` (binary), ``score`` (higher is better, usually in [0, 1]), ``rank``
    (0 = best among the candidates judged together), ``feedback`` (text for
    refinement). ``error`` is set when no verdict could be reached (the candidate was
    empty, not code, too large; the verifier raised; a judge replied nonsense); such a
    verdict has ``passed=False`` and ``score=0``.
    """

    verifier: str
    passed: bool | None = None
    score: float | None = None
    rank: int | None = None
    feedback: str = ""
    granularity: Granularity = "trajectory"
    step: int | None = None
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the verifier reached a verdict (passed or not)."""
        return self.error is None

    @property
    def value(self) -> float:
        """One number for selection: the score, else 1/0 for pass/fail, else 0."""
        if self.score is not None:
            return float(self.score)
        return 1.0 if self.passed else 0.0


def failed_verdict(verifier: str, reason: str, **details: Any) -> Verdict:
    """A verdict recording that ``verifier`` could not accept the candidate, and why."""
    return Verdict(
        verifier=verifier, passed=False, score=0.0, feedback=reason, error=reason, details=details
    )


def ranked(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The same verdicts with ``rank`` set by value (0 = best; ties keep input order).

    >>> [v.rank for v in ranked([Verdict(verifier="v", score=s) for s in (0.2, 0.9, 0.5)])]
    [2, 0, 1]
    """
    order = sorted(range(len(verdicts)), key=lambda i: -verdicts[i].value)
    ranks = {i: r for r, i in enumerate(order)}
    return [v.model_copy(update={"rank": ranks[i]}) for i, v in enumerate(verdicts)]


class Verifier(ABC):
    """Base class: async, batched, concurrent, never raising for a bad candidate.

    A check that raises becomes a failed verdict with the reason; only
    :class:`~steergraph.errors.InputError` (the problem itself is unusable, e.g. no
    reference answer for an answer check) propagates, so a misconfigured run stops at
    once instead of reporting 0%.

    ``max_chars`` rejects huge candidates before any work; ``concurrency`` bounds how
    many checks run at once in :meth:`averify_many`.
    """

    name: str = "verifier"
    max_chars: int = 50_000
    concurrency: int = 8

    @abstractmethod
    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        """Judge one non-empty candidate of acceptable size (may raise)."""

    def _precheck(self, candidate: Any) -> str | None:
        if not isinstance(candidate, str):
            return f"candidate is {type(candidate).__name__}, not text"
        if not candidate.strip():
            return "empty candidate"
        if len(candidate) > self.max_chars:
            return f"candidate too large: {len(candidate)} characters > max_chars={self.max_chars}"
        return None

    async def averify(self, problem: Problem, candidate: str) -> Verdict:
        """Judge one candidate; a bad candidate or a raising check is a failed verdict."""
        reason = self._precheck(candidate)
        if reason:
            return failed_verdict(self.name, reason)
        try:
            verdict = await self._check(problem, candidate)
        except (asyncio.CancelledError, InputError):  # a misconfigured problem is the user's
            raise
        except Exception as exc:  # a verifier that raises must not stop the loop
            return failed_verdict(self.name, f"verifier raised {type(exc).__name__}: {exc}")
        return verdict

    async def averify_many(self, problem: Problem, candidates: Sequence[str]) -> list[Verdict]:
        """Judge several candidates concurrently (at most ``concurrency`` at once)."""
        gate = asyncio.Semaphore(max(1, self.concurrency))

        async def one(c: str) -> Verdict:
            async with gate:
                return await self.averify(problem, c)

        return list(await asyncio.gather(*(one(c) for c in candidates)))

    async def averify_steps(self, problem: Problem, steps: Sequence[str]) -> Verdict:
        """Judge a partial trajectory (the steps so far) as a step-level verdict.

        The default judges the steps joined by newlines; step-aware verifiers override.
        """
        verdict = await self.averify(problem, "\n".join(steps))
        return verdict.model_copy(update={"granularity": "step", "step": len(steps) - 1})

    def verify(self, problem: Problem, candidate: str) -> Verdict:
        """Synchronous :meth:`averify`."""
        return run_sync(self.averify(problem, candidate))

    def verify_many(self, problem: Problem, candidates: Sequence[str]) -> list[Verdict]:
        """Synchronous :meth:`averify_many`."""
        return run_sync(self.averify_many(problem, candidates))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
