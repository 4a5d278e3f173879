import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from steergraph.errors import GraphNotFoundError
from steergraph.graphs import GRAPHS, build_graph
from steergraph.graphs.demo import DemoContext, build_demo_graph, run_demo
from steergraph.llm.usage import UsageTracker
from steergraph.testing import ScriptedChatModel


def scripted(tool="calculator", expression="6*7"):
    return ScriptedChatModel(
        responses=[
            {"tool": tool},
            {"tool_calls": [{"name": "calculator", "args": {"expression": expression}}]},
            {"answer": "done"},
        ]
    )


def test_route_call_answer_and_usage():
    tracker = UsageTracker()
    llm = scripted()
    out = build_demo_graph().invoke(
        {"question": "6*7?"}, config={"callbacks": [tracker]}, context=DemoContext(model=llm)
    )
    assert out["tool"] == "calculator" and out["tool_results"] == ["42"]
    assert out["answer"] == {"answer": "done"}
    assert tracker.llm_calls == 3 and tracker.tool_calls == 1
    # the answer node saw the tool result
    assert "42" in str(llm.prompts[-1][0].content)
    # the router was offered the tool names through structured output
    assert "calculator" in str(llm.prompts[0][0].content)


def test_tool_error_becomes_an_observation():
    out = build_demo_graph().invoke(
        {"question": "?"}, context=DemoContext(model=scripted(expression="import os"))
    )
    assert "Error" in out["tool_results"][0] and out["answer"]["answer"] == "done"


def test_none_route_skips_tools():
    llm = ScriptedChatModel(responses=[{"tool": "none"}, {"answer": "Paris"}])
    out = build_demo_graph().invoke({"question": "capital?"}, context=DemoContext(model=llm))
    assert "tool_results" not in out or out["tool_results"] == []
    assert out["answer"]["answer"] == "Paris"


def test_checkpointed_run_is_resumable_from_sqlite(tmp_path):
    db = tmp_path / "demo.sqlite"
    with SqliteSaver.from_conn_string(str(db)) as saver:
        graph = build_demo_graph(checkpointer=saver)
        config = {"configurable": {"thread_id": "t1"}}
        graph.invoke({"question": "6*7?"}, config=config, context=DemoContext(model=scripted()))
    with SqliteSaver.from_conn_string(str(db)) as saver:
        state = build_demo_graph(checkpointer=saver).get_state(
            {"configurable": {"thread_id": "t1"}}
        )
    assert state.values["tool_results"] == ["42"] and state.next == ()


def test_run_demo_report_rows():
    rows = run_demo(["6*7?"], model=scripted())
    assert rows[0]["calls"] == ["calculator(expression='6*7')"]
    assert rows[0]["results"] == ["42"] and rows[0]["llm_calls"] == 3


def test_registry():
    assert "demo" in GRAPHS
    with pytest.raises(GraphNotFoundError, match="demo"):
        build_graph("nope")
