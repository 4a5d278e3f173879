"""Agents of the ``caorl`` method (cost-aware offline RL of the CATP planner): rewards and
returns-to-go over plan lines (:mod:`.returns`) and the return-conditioned planner
(:mod:`.planner`).

Example:
    >>> from steergraph.agents.caorl import VARIANTS
    >>> VARIANTS
    ('caorl', 'no_cost', 'sft_best')
"""

from steergraph.agents.caorl.planner import VARIANTS, CAORLPlanner, plan_lines
from steergraph.agents.caorl.returns import (
    INVALID_RETURN,
    ReturnSpec,
    cost_scale,
    plan_return,
    returns_to_go,
    step_rewards,
)

__all__ = [
    "INVALID_RETURN",
    "VARIANTS",
    "CAORLPlanner",
    "ReturnSpec",
    "cost_scale",
    "plan_lines",
    "plan_return",
    "returns_to_go",
    "step_rewards",
]
