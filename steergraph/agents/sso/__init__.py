"""Self-Steering Optimization (SSO): principles, on-policy sampling and filters.

The roles SSO asks of a model (Xiang et al. 2024, arXiv 2410.17131); the graph is
:mod:`steergraph.graphs.sso` and the trainer :mod:`steergraph.training.sso_trainer`.

* :mod:`.principles` -- features with good and bad principles (built in, extendable);
* :mod:`.selection` -- the policy picks features per query, or writes principles;
* :mod:`.sampling` -- y+ / y- / y0 on-policy, batched;
* :mod:`.filters` -- duplicate, log-prob order, on-policy and consistent-gap filters;
* :mod:`.checks` -- program checks of the checkable principles (evaluation only).
"""

from steergraph.agents.sso.checks import CHECKS, INSTRUCTIONS, adherence
from steergraph.agents.sso.filters import (
    FilterReport,
    ScoredTriplet,
    drop_duplicates,
    filter_triplets,
    score_triplets,
)
from steergraph.agents.sso.principles import (
    BUILTIN_FEATURES,
    Feature,
    PrincipleLibrary,
    steering_system,
)
from steergraph.agents.sso.sampling import (
    SteeredPrompt,
    Triplet,
    sample_triplets,
    steer_queries,
)
from steergraph.agents.sso.selection import Selection, select_features, write_principles

__all__ = [
    "BUILTIN_FEATURES",
    "CHECKS",
    "INSTRUCTIONS",
    "Feature",
    "FilterReport",
    "PrincipleLibrary",
    "ScoredTriplet",
    "Selection",
    "SteeredPrompt",
    "Triplet",
    "adherence",
    "drop_duplicates",
    "filter_triplets",
    "sample_triplets",
    "score_triplets",
    "select_features",
    "steer_queries",
    "steering_system",
    "write_principles",
]
