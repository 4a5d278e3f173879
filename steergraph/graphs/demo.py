"""The demo graph: route a question to a tool, call it, answer in a fixed schema.

``route`` asks the model (structured output) which tool fits; ``act`` makes the model
write a call to that tool (a forced, schema-valid tool call); LangGraph's ``ToolNode``
runs it (a tool error becomes an observation); ``answer`` asks for the final answer as
a :class:`FinalAnswer`. It exercises what every later method uses: structured output,
tool calling, conditional edges, run-time context and checkpointing.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=[
    ...     {"tool": "calculator"},
    ...     {"tool_calls": [{"name": "calculator", "args": {"expression": "6*7"}}]},
    ...     {"answer": "42"},
    ... ])
    >>> out = build_demo_graph().invoke({"question": "6*7?"}, context=DemoContext(model=llm))
    >>> out["answer"]["answer"], out["tool_results"]
    ('42', ['42'])
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model
from typing_extensions import TypedDict

from steergraph.agents.calls import structured_model
from steergraph.llm.loading import load_chat_model
from steergraph.tools.basic import BASIC_TOOLS

__all__ = [
    "DEMO_QUESTIONS",
    "DemoContext",
    "DemoState",
    "FinalAnswer",
    "act",
    "after_act",
    "after_route",
    "answer",
    "build_demo_graph",
    "collect",
    "route",
    "run_demo",
]


class FinalAnswer(BaseModel):
    """The demo's final answer."""

    answer: str = Field(max_length=200, description="the answer in a few words")


class DemoState(TypedDict, total=False):
    """Serializable state of one demo run."""

    question: str
    tool: str
    messages: Annotated[list[AnyMessage], add_messages]
    tool_results: Annotated[list[str], operator.add]
    answer: dict[str, Any]


@dataclass
class DemoContext:
    """Run-time dependencies: the chat model (a spec or an instance)."""

    model: str | BaseChatModel = "local"


def _model(runtime: Runtime[DemoContext]) -> BaseChatModel:
    ctx = runtime.context or DemoContext()
    return load_chat_model(ctx.model)


@functools.lru_cache(maxsize=16)
def _route_schema(names: tuple[str, ...]) -> type[BaseModel]:
    return create_model(
        "Route",
        tool=(Literal[(*names, "none")], Field(description="the tool that answers the question")),  # type: ignore[valid-type]
    )


def route(
    state: DemoState, runtime: Runtime[DemoContext], *, tools: Sequence[BaseTool] = BASIC_TOOLS
) -> dict[str, Any]:
    """Ask the model (structured output) which of ``tools`` answers the question, or none."""
    catalogue = "\n".join(f"- {t.name}: {t.description}" for t in tools)
    prompt = [
        SystemMessage(f"Pick the tool that answers the question, or none.\nTools:\n{catalogue}"),
        HumanMessage(state["question"]),
    ]
    schema = _route_schema(tuple(t.name for t in tools))
    choice = structured_model(_model(runtime), schema).invoke(prompt)
    return {"tool": choice.tool, "messages": [HumanMessage(state["question"])]}


def act(
    state: DemoState, runtime: Runtime[DemoContext], *, tools: Sequence[BaseTool] = BASIC_TOOLS
) -> dict[str, Any]:
    """Make the model write a call to the chosen tool (forced, schema-valid)."""
    llm = _model(runtime).bind_tools(list(tools), tool_choice=state["tool"])
    return {"messages": [llm.invoke(state["messages"])]}


def collect(state: DemoState) -> dict[str, Any]:
    """The last tool result, as text."""
    results = [m.content for m in state["messages"] if isinstance(m, ToolMessage)]
    return {"tool_results": [str(r) for r in results[-1:]]}


def answer(state: DemoState, runtime: Runtime[DemoContext]) -> dict[str, Any]:
    """The final answer as a :class:`FinalAnswer`, given the tool result if any."""
    facts = "; ".join(state.get("tool_results", []))
    prompt = [
        SystemMessage(
            "Answer the question in a few words." + (f" Tool result: {facts}" if facts else "")
        ),
        HumanMessage(state["question"]),
    ]
    final = structured_model(_model(runtime), FinalAnswer).invoke(prompt)
    return {"answer": final.model_dump(), "messages": [AIMessage(final.answer)]}


def after_route(state: DemoState, *, tools: Sequence[BaseTool] = BASIC_TOOLS) -> str:
    """A known tool -> act; none -> answer."""
    return "act" if state.get("tool") in {t.name for t in tools} else "answer"


def after_act(state: DemoState) -> str:
    """A tool call -> run it; otherwise answer."""
    last = state["messages"][-1]
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else "answer"


def build_demo_graph(*, tools: list[BaseTool] | None = None, checkpointer: Any = None) -> Any:
    """Compile the demo graph over ``tools`` (default: calculator and word_count): only the
    wiring (the nodes that need the tools get them bound)."""
    tools = list(tools or BASIC_TOOLS)
    graph = StateGraph(DemoState, context_schema=DemoContext)
    graph.add_node("route", functools.partial(route, tools=tools))
    graph.add_node("act", functools.partial(act, tools=tools))
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=True))
    graph.add_node("collect", collect)
    graph.add_node("answer", answer)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", functools.partial(after_route, tools=tools),
                                ["act", "answer"])  # fmt: skip
    graph.add_conditional_edges("act", after_act, ["tools", "answer"])
    graph.add_edge("tools", "collect")
    graph.add_edge("collect", "answer")
    graph.add_edge("answer", END)
    return graph.compile(checkpointer=checkpointer, name="demo")


DEMO_QUESTIONS = [
    "What is 37 * 89?",
    "How many words are in the sentence 'LangGraph turns LLM calls into state machines'?",
    "What is the capital of France?",
]


def run_demo(
    questions: list[str] | None = None, model: str | BaseChatModel = "local"
) -> list[dict[str, Any]]:
    """Run the demo graph on each question; return one report row per question."""
    import time

    from langgraph.checkpoint.memory import InMemorySaver

    from steergraph.llm.usage import UsageTracker

    graph = build_demo_graph(checkpointer=InMemorySaver())
    rows = []
    for idx, question in enumerate(questions or DEMO_QUESTIONS):
        tracker = UsageTracker()
        started = time.perf_counter()
        out = graph.invoke(
            {"question": question},
            config={"configurable": {"thread_id": f"demo-{idx}"}, "callbacks": [tracker]},
            context=DemoContext(model=model),
        )
        calls = [
            f"{c['name']}({', '.join(f'{k}={v!r}' for k, v in c['args'].items())})"
            for m in out["messages"]
            if isinstance(m, AIMessage)
            for c in m.tool_calls
        ]
        rows.append(
            {
                "question": question,
                "tool": out.get("tool"),
                "calls": calls,
                "results": out.get("tool_results", []),
                "answer": out["answer"]["answer"],
                "seconds": round(time.perf_counter() - started, 2),
                **tracker.summary(),
            }
        )
    return rows
