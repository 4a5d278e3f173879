"""A scripted chat model that plays every StructRAG role, for fast graph tests.

Each call is recognised by its system prompt (the router's, the utilizer's planner's,
the decomposer's); everything else (extraction, merge, baseline answers, LLM
structurizing) gets ``text``. ``plan`` may be a dict or a callable of the messages.

Example:
    >>> llm = scripted_structrag(route="graph", text="42")
    >>> from steergraph.agents.structrag.router import Router
    >>> Router(llm).route("What links a to b?", ["a", "b"]).structure
    'graph'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage

from steergraph.testing.scripted import ScriptedChatModel

__all__ = ["scripted_structrag"]

Plan = dict[str, Any] | Callable[[list[BaseMessage]], Any] | None


def scripted_structrag(
    route: str = "table", plan: Plan = None, text: str = "scripted answer"
) -> ScriptedChatModel:
    """Route to ``route``; plan with ``plan`` (None: an unparsable reply); answer ``text``.

    Decomposition keeps the question as its single sub-question.
    """

    def reply(messages: list[BaseMessage]) -> Any:
        system = messages[0].content if isinstance(messages[0], SystemMessage) else ""
        if str(system).startswith("Pick the knowledge structure"):
            return {"structure": route}
        if str(system).startswith("Choose an operation"):
            if plan is None:
                return "not json"
            return plan(messages) if callable(plan) else plan
        if str(system).startswith("Split the question"):
            return {"subquestions": [str(messages[-1].content).removeprefix("Question: ")]}
        return text

    return ScriptedChatModel(responses=[reply], cycle=True)
