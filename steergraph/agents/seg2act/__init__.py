"""Agents of the ``seg2act`` method (in progress): the action language and the document
tree it builds (:mod:`.actions`), and the windowed generation loop (:mod:`.structurer`)."""

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
from steergraph.agents.seg2act.structurer import (
    Structurer,
    StructureResult,
    window_grammar,
    window_messages,
)

__all__ = [
    "ACTION_GRAMMAR",
    "MAX_LEVEL",
    "Action",
    "ActionError",
    "DocTree",
    "Node",
    "StructureResult",
    "Structurer",
    "gold_actions",
    "parse_action",
    "window_grammar",
    "window_messages",
]
