"""Verifiers: one async interface, verdicts in every form, batched and concurrent.

- :mod:`.base`: :class:`Problem`, :class:`Verdict`, :class:`Verifier`.
- :mod:`.rules`: exact match, numeric tolerance, regex, JSON schema.
- :mod:`.code`: code execution against tests in the sandbox.
- :mod:`.reward_model`: a sequence-classifier reward model (trained with TRL's RewardTrainer).
- :mod:`.judge`: an LLM judge on any chat model with a structured verdict.
- :mod:`.composite`: weighted, all, any, majority vote.

Example:
    >>> from steergraph.agents.verifiers import AnyOf, ExactMatch, NumericTolerance, Problem
    >>> AnyOf([ExactMatch(), NumericTolerance()]).verify(Problem(prompt="?", answer="4"),
    ...                                                  "4.0").passed
    True
"""

from steergraph.agents.verifiers.base import (
    Granularity,
    Problem,
    Verdict,
    Verifier,
    failed_verdict,
    ranked,
)
from steergraph.agents.verifiers.composite import AllOf, AnyOf, Composite, MajorityVote, Weighted
from steergraph.agents.verifiers.judge import LLMJudge
from steergraph.agents.verifiers.rules import (
    ExactMatch,
    JsonSchemaVerifier,
    NumericTolerance,
    RegexMatch,
    last_number,
)


def __getattr__(name: str):  # heavy imports (sandbox, transformers) only when used
    if name == "CodeTestVerifier":
        from steergraph.agents.verifiers.code import CodeTestVerifier

        return CodeTestVerifier
    if name == "RewardModelVerifier":
        from steergraph.agents.verifiers.reward_model import RewardModelVerifier

        return RewardModelVerifier
    raise AttributeError(name)


__all__ = [
    "AllOf",
    "AnyOf",
    "CodeTestVerifier",
    "Composite",
    "ExactMatch",
    "Granularity",
    "JsonSchemaVerifier",
    "LLMJudge",
    "MajorityVote",
    "NumericTolerance",
    "Problem",
    "RegexMatch",
    "RewardModelVerifier",
    "Verdict",
    "Verifier",
    "Weighted",
    "failed_verdict",
    "last_number",
    "ranked",
]
