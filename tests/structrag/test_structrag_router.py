"""StructRAG router: the routing prompt, decisions, fallbacks to chunks, bad input."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from steergraph.agents.structrag.router import (
    ROUTER_SYSTEM,
    Router,
    RouteResult,
    router_messages,
)
from steergraph.agents.structrag.structures import STRUCTURE_TYPES
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel


def test_prompt_describes_every_type_and_lists_titles():
    system, human = router_messages("Which package is largest?", ["gcc", " perl ", "gcc"])
    assert isinstance(system, SystemMessage) and isinstance(human, HumanMessage)
    for kind in STRUCTURE_TYPES:
        assert f"\n{kind}: " in f"\n{system.content}"
    assert system.content == ROUTER_SYSTEM
    lines = human.content.splitlines()
    assert lines[0] == "Question: Which package is largest?"
    assert lines[1] == "Documents (2):"  # duplicates listed once, titles stripped
    assert lines[2:4] == ["- gcc", "- perl"]
    assert "not listed" not in human.content
    assert '{"structure": ...}' in lines[-1]


def test_prompt_says_how_many_titles_were_omitted():
    titles = [f"doc {i}" for i in range(25)]
    human = router_messages("q?", titles, max_titles=20)[1].content
    assert "- doc 19" in human and "- doc 20" not in human
    assert "(5 more documents not listed)" in human
    assert "Documents (25):" in human
    assert (
        "(1 more document not listed)" in router_messages("q?", titles[:3], max_titles=2)[1].content
    )
    none_shown = router_messages("q?", titles[:3], max_titles=0)[1].content
    assert "- doc" not in none_shown and "(3 more documents not listed)" in none_shown


def test_prompt_is_a_pure_function_and_cuts_long_titles():
    a = router_messages("q?", ["x" * 200, "y"])
    b = router_messages("q?", ["x" * 200, "y"])
    assert [m.content for m in a] == [m.content for m in b]
    longest = max(a[1].content.splitlines(), key=len)
    assert longest.endswith("...") and len(longest) <= 82


def test_route_returns_the_models_choice_with_the_same_prompt():
    llm = ScriptedChatModel(responses=[{"structure": "graph"}])
    result = Router(llm, max_titles=1).route("What links a to b?", ["t1", "t2"])
    assert result == RouteResult(structure="graph", fallback=None)
    expected = router_messages("What links a to b?", ["t1", "t2"], max_titles=1)
    assert [m.content for m in llm.prompts[0]] == [m.content for m in expected]


@pytest.mark.parametrize("reply", ["not json at all", {"structure": "tree"}, {"other": 1}])
def test_garbage_routes_to_chunk_with_the_reason(reply):
    result = Router(ScriptedChatModel(responses=[reply])).route("What is X?", ["doc"])
    assert result.structure == "chunk"
    assert result.fallback and len(result.fallback) > 5


def test_route_many_in_order():
    llm = ScriptedChatModel(
        responses=[{"structure": "table"}, "garbage", {"structure": "algorithm"}]
    )
    results = Router(llm).route_many([("a?", ["x"]), ("b?", []), ("c?", ["y"])])
    assert [r.structure for r in results] == ["table", "chunk", "algorithm"]
    assert results[1].fallback and results[0].fallback is None


@pytest.mark.parametrize("question", ["", "   ", None])
def test_empty_question_is_an_input_error(question):
    llm = ScriptedChatModel(responses=[{"structure": "table"}])
    with pytest.raises(InputError, match="empty"):
        Router(llm).route(question, ["doc"])
    assert llm.prompts == []
    with pytest.raises(InputError):
        router_messages(question, ["doc"])


def test_bad_titles_and_limits_are_input_errors():
    with pytest.raises(InputError, match="list of document titles"):
        router_messages("q?", "one title")
    with pytest.raises(InputError, match="max_titles"):
        router_messages("q?", ["a"], max_titles=-1)
    with pytest.raises(InputError, match="max_titles"):
        Router(ScriptedChatModel(), max_titles=-2)
