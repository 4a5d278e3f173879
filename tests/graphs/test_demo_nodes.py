"""Each node of the demo graph called alone with a state dict and a context (fast)."""

from __future__ import annotations

from types import SimpleNamespace

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from steergraph.graphs.demo import (
    DemoContext,
    act,
    after_act,
    after_route,
    answer,
    collect,
    route,
)
from steergraph.testing import ScriptedChatModel
from steergraph.tools.basic import BASIC_TOOLS


def _rt(*responses):
    return SimpleNamespace(context=DemoContext(model=ScriptedChatModel(responses=list(responses))))


def test_route_picks_a_tool_and_routes_on_it():
    out = route({"question": "6*7?"}, _rt({"tool": "calculator"}))
    assert out["tool"] == "calculator" and isinstance(out["messages"][0], HumanMessage)
    assert after_route(out) == "act"
    assert after_route({"tool": "none"}) == "answer"
    assert after_route({"tool": "calculator"}, tools=BASIC_TOOLS[1:]) == "answer"


def test_act_writes_a_tool_call():
    call = {"tool_calls": [{"name": "calculator", "args": {"expression": "6*7"}}]}
    out = act({"tool": "calculator", "messages": [HumanMessage("6*7?")]}, _rt(call))
    assert out["messages"][0].tool_calls[0]["name"] == "calculator"
    assert after_act({"messages": out["messages"]}) == "tools"
    assert after_act({"messages": [AIMessage("no call")]}) == "answer"


def test_collect_keeps_the_last_tool_result_and_answer_uses_it():
    messages = [ToolMessage("41", tool_call_id="a"), ToolMessage("42", tool_call_id="b")]
    assert collect({"messages": messages}) == {"tool_results": ["42"]}
    out = answer({"question": "6*7?", "tool_results": ["42"]}, _rt({"answer": "42"}))
    assert out["answer"] == {"answer": "42"} and out["messages"][0].content == "42"
