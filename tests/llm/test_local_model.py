import asyncio
from typing import Literal

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from steergraph.errors import (
    EmptyPromptError,
    InputError,
    StructuredOutputError,
    UnsupportedSchemaError,
)
from steergraph.llm.prompting import render_prompt, to_chat_dicts


class Ticket(BaseModel):
    priority: Literal["low", "high"]
    count: int = Field(ge=0, le=999)
    urgent: bool
    title: str = Field(max_length=20)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def test_invoke_returns_text_and_usage(tiny_llm):
    msg = tiny_llm.invoke("hello")
    assert isinstance(msg, AIMessage)
    assert msg.usage_metadata["output_tokens"] >= 1
    assert msg.usage_metadata["input_tokens"] > 1
    assert msg.response_metadata["finish_reason"] in {"stop", "length"}


def test_greedy_is_deterministic_and_stream_matches_invoke(tiny_llm):
    a = tiny_llm.invoke("hello").content
    b = "".join(str(c.content) for c in tiny_llm.stream("hello"))
    assert a == b == tiny_llm.invoke("hello").content


def test_async_invoke_matches_sync(tiny_llm):
    assert asyncio.run(tiny_llm.ainvoke("hello")).content == tiny_llm.invoke("hello").content


def test_n_samples_come_from_one_batched_generate(tiny_llm, monkeypatch):
    calls = []
    original = tiny_llm.hf_model.generate

    def spy(*args, **kwargs):
        calls.append(kwargs["num_return_sequences"])
        return original(*args, **kwargs)

    monkeypatch.setattr(tiny_llm.hf_model, "generate", spy)
    samples = tiny_llm.sample("tell me", n=5, temperature=1.0, seed=1)
    assert len(samples) == 5 and calls == [5]
    assert len({s.content for s in samples}) > 1  # sampling, not 5 copies


def test_stop_strings_cut_the_answer(tiny_llm):
    full = tiny_llm.invoke("hello", max_new_tokens=24).content
    assert len(full) > 3
    stop = full[2:4]
    cut = tiny_llm.invoke("hello", max_new_tokens=24, stop=[stop]).content
    assert stop not in cut and full.startswith(cut)


def test_score_equals_a_manual_forward_pass(tiny_llm):
    messages = [HumanMessage("what is 2+3?")]
    response = "The answer is 5."
    (scored,) = tiny_llm.score(messages, response)
    tok = tiny_llm.tokenizer
    prompt = render_prompt(tok, to_chat_dicts(messages))
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    r_ids = tok(response, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p_ids + r_ids])
    with torch.no_grad():
        logp = torch.log_softmax(tiny_llm.hf_model(ids).logits[0].float(), -1)
    manual = [logp[len(p_ids) - 1 + i, t].item() for i, t in enumerate(r_ids)]
    assert scored.token_ids == r_ids
    assert scored.logprobs == pytest.approx(manual, abs=1e-4)
    assert scored.total == pytest.approx(sum(manual), abs=1e-3)


def test_batched_scoring_matches_one_by_one(tiny_llm):
    responses = ["short", "a much longer response here", "x"]
    together = tiny_llm.score("hi", responses)
    alone = [tiny_llm.score("hi", r)[0] for r in responses]
    for a, b in zip(together, alone):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), question=st.text(min_size=1, max_size=30).filter(str.strip))
def test_structured_output_always_validates(tiny_llm, seed, question):
    out = tiny_llm.with_structured_output(Ticket).invoke(
        question, temperature=1.0, seed=seed, max_new_tokens=120
    )
    assert isinstance(out, Ticket)
    Ticket.model_validate(out.model_dump())


def test_structured_output_with_dict_schema_and_include_raw(tiny_llm):
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    out = tiny_llm.with_structured_output(schema, include_raw=True).invoke("ok?", max_new_tokens=40)
    assert out["parsing_error"] is None
    assert isinstance(out["parsed"]["ok"], bool)
    assert isinstance(out["raw"], AIMessage)


def test_compiled_constraint_is_cached(tiny_llm):
    cache = tiny_llm.engine.constraints

    class Once(BaseModel):
        flag: bool

    compiled = cache.compiled
    tiny_llm.with_structured_output(Once).invoke("a", max_new_tokens=20)
    assert cache.compiled == compiled + 1
    hits = cache.hits
    tiny_llm.with_structured_output(Once).invoke("b", max_new_tokens=20)
    assert cache.compiled == compiled + 1 and cache.hits > hits


def test_unsupported_schema_is_rejected_up_front(tiny_llm):
    bad = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    with pytest.raises(UnsupportedSchemaError, match="cannot compile"):
        tiny_llm.with_structured_output(bad)


def test_forced_tool_call_is_valid(tiny_llm):
    msg = tiny_llm.bind_tools([add, shout], tool_choice="any").invoke(
        "add 2 and 3", max_new_tokens=700
    )
    assert len(msg.tool_calls) == 1
    call = msg.tool_calls[0]
    assert call["name"] in {"add", "shout"}
    if call["name"] == "add":
        assert isinstance(call["args"]["a"], int) and isinstance(call["args"]["b"], int)
    else:
        assert isinstance(call["args"]["text"], str)


def test_named_tool_choice_forces_that_tool(tiny_llm):
    msg = tiny_llm.bind_tools([add, shout], tool_choice="shout").invoke("x", max_new_tokens=700)
    assert [c["name"] for c in msg.tool_calls] == ["shout"]


def test_truncated_forced_call_raises_a_clear_error(tiny_llm):
    with pytest.raises(StructuredOutputError, match="max_new_tokens"):
        tiny_llm.bind_tools([shout], tool_choice="shout").invoke("x", max_new_tokens=3)


def test_unknown_tool_choice_is_an_input_error(tiny_llm):
    with pytest.raises(InputError, match="not among the bound tools"):
        tiny_llm.bind_tools([add], tool_choice="multiply")


def test_tool_history_renders(tiny_llm):
    history = [
        SystemMessage("be brief"),
        HumanMessage("add 1 and 2"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}]),
        ToolMessage("3", tool_call_id="c1"),
    ]
    bound = tiny_llm.bind_tools([add])
    prompt, _, names = tiny_llm._prepare(history, dict(bound.kwargs))
    assert names == {"add"}
    # the earlier call, its result and the system prompt all reach the model, in order
    call = '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>'
    assert prompt.index("be brief") < prompt.index("add 1 and 2") < prompt.index(call)
    assert prompt.rstrip().endswith("<|im_start|>tool\n3<|im_end|>\n<|im_start|>assistant")
    out = bound.invoke(history)
    assert out.usage_metadata["input_tokens"] == len(tiny_llm.tokenizer(prompt)["input_ids"])


@pytest.mark.parametrize("prompt", ["", "   ", [SystemMessage("only a system prompt")]])
def test_empty_prompt_is_rejected(tiny_llm, prompt):
    with pytest.raises(EmptyPromptError):
        tiny_llm.invoke(prompt)
