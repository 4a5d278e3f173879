"""Composite verifiers: weighted score, all, any, majority vote.

Combining verifiers is how verifier engineering trades cost for reliability (a cheap
rule first, an expensive judge second). Children run concurrently on each candidate;
a child that fails to reach a verdict counts as failing, and its reason is kept in
``details["children"]``.

Example:
    >>> from steergraph.agents.verify import AllOf, ExactMatch, Problem, RegexMatch
    >>> both = AllOf([ExactMatch(), RegexMatch(r"^\\d+$")])
    >>> both.verify(Problem(prompt="2+2?", answer="4"), "4").passed
    True
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from steergraph.agents.verify.base import Problem, Verdict, Verifier
from steergraph.errors import InputError

__all__ = ["AllOf", "AnyOf", "Composite", "MajorityVote", "Weighted"]


class Composite(Verifier):
    """Base of the combinators: runs every child on the candidate at once."""

    name = "composite"

    def __init__(self, verifiers: Sequence[Verifier]) -> None:
        if not verifiers:
            raise InputError(
                "a composite verifier needs at least one child verifier",
                fix="pass a non-empty list of verifiers",
            )
        self.verifiers = list(verifiers)

    async def _children(self, problem: Problem, candidate: str) -> list[Verdict]:
        return list(await asyncio.gather(*(v.averify(problem, candidate) for v in self.verifiers)))

    def _combine(self, verdicts: list[Verdict]) -> tuple[bool, float]:
        raise NotImplementedError

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        verdicts = await self._children(problem, candidate)
        passed, score = self._combine(verdicts)
        feedback = "\n".join(v.feedback for v in verdicts if v.feedback and not v.passed)
        return Verdict(
            verifier=self.name,
            passed=passed,
            score=score,
            feedback=feedback,
            details={"children": [v.model_dump() for v in verdicts]},
        )


class Weighted(Composite):
    """Score = weighted mean of the children's values; passes at ``threshold``."""

    name = "weighted"

    def __init__(
        self, verifiers: Sequence[Verifier], weights: Sequence[float], threshold: float = 0.5
    ) -> None:
        super().__init__(verifiers)
        if len(weights) != len(self.verifiers) or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise InputError(
                f"need one non-negative weight per verifier ({len(self.verifiers)}), not all zero;"
                f" got {list(weights)}",
                fix="e.g. Weighted([a, b], [2, 1])",
            )
        self.weights = [float(w) for w in weights]
        self.threshold = threshold

    def _combine(self, verdicts: list[Verdict]) -> tuple[bool, float]:
        total = sum(w * v.value for w, v in zip(self.weights, verdicts)) / sum(self.weights)
        return total >= self.threshold, total


class AllOf(Composite):
    """Passes only when every child passes; score = the lowest child value."""

    name = "all"

    def _combine(self, verdicts: list[Verdict]) -> tuple[bool, float]:
        return all(bool(v.passed) for v in verdicts), min(v.value for v in verdicts)


class AnyOf(Composite):
    """Passes when some child passes; score = the highest child value."""

    name = "any"

    def _combine(self, verdicts: list[Verdict]) -> tuple[bool, float]:
        return any(bool(v.passed) for v in verdicts), max(v.value for v in verdicts)


class MajorityVote(Composite):
    """Passes when more than half of the children pass; score = the share that pass."""

    name = "vote"

    def _combine(self, verdicts: list[Verdict]) -> tuple[bool, float]:
        share = sum(bool(v.passed) for v in verdicts) / len(verdicts)
        return share > 0.5, share
