"""The ``catp`` method's agents: the cost-aware planner (:mod:`.planner`: constrained
line-by-line decoding on local models, parse-and-repair on API models) and the
planners it is compared with (:mod:`.plan_search`: random and fixed planners, the
exhaustive enumeration behind the oracle and the plan pool).

Example:
    >>> from steergraph.agents.catp import PlanTask
    >>> PlanTask("Count the words.", {"doc": "text"}, ["number"]).outputs
    ['number']
"""

from steergraph.agents.catp.plan_search import (
    Expr,
    FixedPlanner,
    RandomPlanner,
    enumerate_expressions,
    plan_from_expressions,
)
from steergraph.agents.catp.planner import Planner, PlannerResult, PlanTask, plan_price

__all__ = [
    "Expr",
    "FixedPlanner",
    "PlanTask",
    "Planner",
    "PlannerResult",
    "RandomPlanner",
    "enumerate_expressions",
    "plan_from_expressions",
    "plan_price",
]
