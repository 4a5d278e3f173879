from hypothesis import given
from hypothesis import strategies as st

from steergraph.llm.tool_calls import parse_tool_calls, render_tool_call


def test_parses_hermes_blocks_and_keeps_text():
    text = 'Let me add. <tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>'
    calls, rest = parse_tool_calls(text, {"add"})
    assert [(c["name"], c["args"]) for c in calls] == [("add", {"a": 1, "b": 2})]
    assert rest == "Let me add."


def test_parses_bare_json_call_and_string_arguments():
    calls, _ = parse_tool_calls('{"name": "add", "arguments": "{\\"a\\": 3}"}', {"add"})
    assert calls[0]["args"] == {"a": 3}


def test_unknown_tools_and_broken_json_stay_text():
    for text in [
        '<tool_call>{"name": "rm", "arguments": {}}</tool_call>',
        "<tool_call>{oops</tool_call>",
        "plain",
    ]:
        calls, rest = parse_tool_calls(text, {"add"})
        assert calls == [] and rest == text


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=8), max_size=4
    )
)
def test_render_parse_round_trip(args):
    calls, rest = parse_tool_calls(render_tool_call("f", args), {"f"})
    assert calls[0]["args"] == args and rest == ""
