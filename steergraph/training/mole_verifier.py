"""A trained MOLE evaluator as a :class:`~steergraph.agents.verify.base.Verifier`.

Plugs MOLE into the verify graph's verify stage (search selection, feedback): the
problem's ``prompt`` is the source document (``problem.metadata["source"]`` wins when
given), the candidate is the text written from it. The verdict's ``score`` is the
mean facet score mapped to [0, 1], ``passed`` says whether every facet reaches
``threshold`` (1-5 scale), ``details`` holds the per-facet scores and ``feedback`` names
the weakest facet, for refinement.

Example:
    >>> from steergraph.agents.verify.base import Problem
    >>> class Fixed:  # any object with MoleEvaluator's score()
    ...     def score(self, sources, texts):
    ...         return [{"coherence": 4.5, "fluency": 2.0} for _ in texts]
    >>> v = MoleVerifier(Fixed(), threshold=3.0).verify(Problem(prompt="src"), "a text")
    >>> v.passed, v.details["weakest"], round(v.score, 3)
    (False, 'fluency', 0.562)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from steergraph.agents.verify.base import Problem, Verdict, Verifier

__all__ = ["MoleVerifier"]


class MoleVerifier(Verifier):
    """Per-facet quality scores of a candidate text against its source."""

    name = "mole"

    def __init__(self, evaluator: Any, *, threshold: float = 3.5) -> None:
        if isinstance(evaluator, (str, Path)):
            from steergraph.training.mole import MoleEvaluator

            evaluator = MoleEvaluator.load(evaluator)
        self.evaluator = evaluator
        self.threshold = threshold

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        source = str(problem.metadata.get("source") or problem.prompt)
        (scores,) = await asyncio.to_thread(self.evaluator.score, [source], [candidate])
        weakest = min(scores, key=scores.get)
        mean = sum(scores.values()) / len(scores)
        return Verdict(
            verifier=self.name,
            passed=all(v >= self.threshold for v in scores.values()),
            score=(mean - 1) / 4,
            feedback=f"weakest facet: {weakest} ({scores[weakest]:.2f} of 5)",
            details={"facets": scores, "weakest": weakest},
        )
