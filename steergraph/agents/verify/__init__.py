"""The ``verify`` method's agents: verifiers (one async interface, verdicts in every form,
batched and concurrent) and the search strategies that spend model calls to find
candidates for them.

- :mod:`.base`: :class:`Problem`, :class:`Verdict`, :class:`Verifier`.
- :mod:`.rules`: exact match, numeric tolerance, regex, JSON schema.
- :mod:`.code`: code execution against tests in the sandbox.
- :mod:`.reward_model`: a sequence-classifier reward model (trained with TRL's RewardTrainer).
- :mod:`.judge`: an LLM judge on any chat model with a structured verdict.
- :mod:`.composite`: weighted, all, any, majority vote.
- :mod:`.search_base`, :mod:`.search`, :mod:`.search_steps`: greedy, best-of-N,
  self-consistency, refinement with feedback; step-level beam search and MCTS.

The exports load lazily (the code verifier pulls the sandbox, the reward model
transformers).

Example:
    >>> from steergraph.agents.verify import AnyOf, ExactMatch, NumericTolerance, Problem
    >>> AnyOf([ExactMatch(), NumericTolerance()]).verify(Problem(prompt="?", answer="4"),
    ...                                                  "4.0").passed
    True
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.agents.verify.base import (
        Granularity,
        Problem,
        Verdict,
        Verifier,
        failed_verdict,
        ranked,
    )
    from steergraph.agents.verify.code import CodeTestVerifier
    from steergraph.agents.verify.composite import (
        AllOf,
        AnyOf,
        Composite,
        MajorityVote,
        Weighted,
    )
    from steergraph.agents.verify.judge import LLMJudge
    from steergraph.agents.verify.reward_model import RewardModelVerifier
    from steergraph.agents.verify.rules import (
        ExactMatch,
        JsonSchemaVerifier,
        NumericTolerance,
        RegexMatch,
        last_number,
    )
    from steergraph.agents.verify.search import BestOfN, Greedy, Refine, SelfConsistency
    from steergraph.agents.verify.search_base import Candidate, SearchResult, SearchStrategy
    from steergraph.agents.verify.search_steps import BeamSearch, TreeSearch

_P = "steergraph.agents.verify."
_EXPORTS = {
    **dict.fromkeys(
        ["Granularity", "Problem", "Verdict", "Verifier", "failed_verdict", "ranked"], _P + "base"
    ),
    "CodeTestVerifier": _P + "code",
    **dict.fromkeys(["AllOf", "AnyOf", "Composite", "MajorityVote", "Weighted"], _P + "composite"),
    "LLMJudge": _P + "judge",
    "RewardModelVerifier": _P + "reward_model",
    **dict.fromkeys(
        ["ExactMatch", "JsonSchemaVerifier", "NumericTolerance", "RegexMatch", "last_number"],
        _P + "rules",
    ),
    **dict.fromkeys(["BestOfN", "Greedy", "Refine", "SelfConsistency"], _P + "search"),
    **dict.fromkeys(["Candidate", "SearchResult", "SearchStrategy"], _P + "search_base"),
    **dict.fromkeys(["BeamSearch", "TreeSearch"], _P + "search_steps"),
}
__all__ = [
    "AllOf",
    "AnyOf",
    "BeamSearch",
    "BestOfN",
    "Candidate",
    "CodeTestVerifier",
    "Composite",
    "ExactMatch",
    "Granularity",
    "Greedy",
    "JsonSchemaVerifier",
    "LLMJudge",
    "MajorityVote",
    "NumericTolerance",
    "Problem",
    "Refine",
    "RegexMatch",
    "RewardModelVerifier",
    "SearchResult",
    "SearchStrategy",
    "SelfConsistency",
    "TreeSearch",
    "Verdict",
    "Verifier",
    "Weighted",
    "failed_verdict",
    "last_number",
    "ranked",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
