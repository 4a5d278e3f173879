"""Reward-model verifier: a sequence classifier (trained with TRL's RewardTrainer) scores answers.

Wraps :class:`~steergraph.agents.verify.reward_scorer.RewardModelScorer`. All candidates of
one problem are scored in padded batches in one call (in a worker thread, so the event
loop keeps running other verifications). The verdict's ``score`` is
``sigmoid((reward - threshold) / temperature)``, its ``passed`` is ``reward >
threshold``, and the raw reward is in ``details["reward"]``. Step granularity: a
partial answer is scored like a whole one (an outcome reward model read as a value).

Example:
    >>> from steergraph.agents.verify import Problem, RewardModelVerifier
    >>> from steergraph.testing import tiny_causal_lm
    >>> from steergraph.agents.verify.reward_scorer import RewardModelScorer
    >>> rm = RewardModelVerifier(RewardModelScorer.from_causal_lm(*tiny_causal_lm()))
    >>> [0.0 < v.score < 1.0 for v in rm.verify_many(Problem(prompt="2+2?"), ["4", "5"])]
    [True, True]
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steergraph.agents.verify.base import Problem, Verdict, Verifier, failed_verdict

__all__ = ["RewardModelVerifier"]


class RewardModelVerifier(Verifier):
    """Score candidates with a trained reward model (a folder or a scorer)."""

    name = "reward-model"

    def __init__(
        self, scorer: Any | str | Path, *, threshold: float = 0.0, temperature: float = 1.0
    ) -> None:
        from steergraph.agents.verify.reward_scorer import RewardModelScorer

        if isinstance(scorer, (str, Path)):
            scorer = RewardModelScorer.from_pretrained(scorer)
        self.scorer = scorer
        self.threshold = threshold
        self.temperature = temperature

    def _verdict(self, reward: float) -> Verdict:
        z = (reward - self.threshold) / self.temperature
        score = 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
        return Verdict(
            verifier=self.name,
            passed=reward > self.threshold,
            score=score,
            details={"reward": reward},
        )

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        (reward,) = await asyncio.to_thread(self.scorer.score, problem.prompt, [candidate])
        return self._verdict(float(reward))

    async def averify_many(self, problem: Problem, candidates: Sequence[str]) -> list[Verdict]:
        """Score every acceptable candidate in one batched call; bad ones fail as usual."""
        verdicts: list[Verdict | None] = [None] * len(candidates)
        good = []
        for i, c in enumerate(candidates):
            reason = self._precheck(c)
            if reason:
                verdicts[i] = await self.averify(problem, c)  # the usual failed verdict
            else:
                good.append(i)
        if good:
            try:
                rewards = await asyncio.to_thread(
                    self.scorer.score, problem.prompt, [candidates[i] for i in good]
                )
            except Exception:  # one bad batch: fall back to one at a time, each guarded
                rewards = None
            if rewards is None or len(rewards) != len(good):
                for i in good:
                    verdicts[i] = await self.averify(problem, candidates[i])
            else:
                for i, r in zip(good, rewards):
                    verdicts[i] = self._verdict(float(r))
        return [v if v is not None else self._missing() for v in verdicts]

    def _missing(self) -> Verdict:
        return failed_verdict(self.name, "the reward model returned no score for this candidate")
