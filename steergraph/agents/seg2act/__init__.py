"""Agents of the ``seg2act`` method (in progress): the action language and the document
tree it builds (:mod:`.actions`)."""

from steergraph.agents.seg2act.actions import (
    ACTION_GRAMMAR,
    MAX_LEVEL,
    Action,
    ActionError,
    DocTree,
    Node,
    gold_actions,
    parse_action,
)

__all__ = [
    "ACTION_GRAMMAR",
    "MAX_LEVEL",
    "Action",
    "ActionError",
    "DocTree",
    "Node",
    "gold_actions",
    "parse_action",
]
