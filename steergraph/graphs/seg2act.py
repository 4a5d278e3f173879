"""Seg2Act as a LangGraph graph: segment -> act (a bounded loop over windows) -> export.

``segment`` splits the input text into segments (non-blank lines) unless segments are
given; ``act`` runs up to ``windows_per_step`` windows of the generation loop
(:class:`~steergraph.agents.seg2act.structurer.Structurer`) and loops back to itself
until the document is done, so a checkpointer records progress every few windows and a
killed run resumes mid-document (the tree is rebuilt from the committed actions, which
is exact and cheap); ``export`` writes the tree as nested dicts and as an outline text
(one line per node, ``#`` per heading level) that StructRAG's catalogue can read.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=["+", "*", "="])
    >>> out = build_seg2act_graph().invoke({"text": "Intro\\nHello there\\nand more."},
    ...                                    context=Seg2ActContext(model=llm, window=1))
    >>> out["actions"], out["outline"]
    (['+', '*', '='], '# Intro\\nHello there and more.')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from steergraph.errors import InputError

__all__ = [
    "Seg2ActContext",
    "Seg2ActState",
    "act",
    "build_seg2act_graph",
    "export",
    "segment",
    "tree_dict",
]


@dataclass
class Seg2ActContext:
    """The model, the window and stride, the global context switch and the step size."""

    model: str | BaseChatModel = "local"
    window: int = 3
    stride: int = 1
    context: bool = True
    windows_per_step: int = 32


class Seg2ActState(TypedDict):
    """Input: ``text`` or ``segments``; the run adds the committed actions, repairs and the
    exported tree."""

    text: NotRequired[str]
    segments: NotRequired[list[str]]
    actions: NotRequired[list[str]]
    repairs: NotRequired[list[str]]
    calls: NotRequired[int]
    tree: NotRequired[dict[str, Any]]
    outline: NotRequired[str]


def _structurer(ctx: Seg2ActContext) -> Any:
    from steergraph.agents.seg2act.structurer import Structurer
    from steergraph.llm.loading import load_chat_model

    return Structurer(
        load_chat_model(ctx.model), window=ctx.window, stride=ctx.stride, context=ctx.context
    )


def _rebuild(segments: list[str], actions: list[str]) -> Any:
    from steergraph.agents.seg2act.actions import DocTree
    from steergraph.agents.seg2act.structurer import StructureResult

    return StructureResult(DocTree.build(actions, segments), actions=list(actions))


def segment(state: Seg2ActState) -> dict[str, Any]:
    """The segments: given, or the text's non-blank lines; refuses binary or empty input."""
    if state.get("segments"):
        segs = [str(s) for s in state["segments"]]
    else:
        text = state.get("text") or ""
        if "\x00" in text:
            raise InputError("the text holds NUL bytes: binary input", fix="give plain text")
        segs = [line for line in text.splitlines() if line.strip()]
    if not segs:
        raise InputError("the document has no text segments", fix="give non-empty text")
    return {"segments": segs, "actions": [], "repairs": [], "calls": 0}


def act(state: Seg2ActState, runtime: Runtime[Seg2ActContext]) -> dict[str, Any]:
    """Up to ``windows_per_step`` windows; commit their actions."""
    ctx = runtime.context or Seg2ActContext()
    structurer = _structurer(ctx)
    segs = structurer.check(state["segments"])
    result = _rebuild(segs, state.get("actions") or [])
    result.repairs = list(state.get("repairs") or [])
    result.calls = state.get("calls", 0)
    start = len(result.actions)
    for _ in range(max(1, ctx.windows_per_step)):
        if start >= len(segs):
            break
        start = structurer.step(result, segs, start)
    return {"actions": result.actions, "repairs": result.repairs, "calls": result.calls}


def more(state: Seg2ActState) -> str:
    """Loop while segments are left."""
    return "act" if len(state.get("actions") or []) < len(state["segments"]) else "export"


def tree_dict(node: Any) -> dict[str, Any]:
    """A node and its children as plain dicts."""
    return {
        "kind": node.kind,
        "level": node.level,
        "text": node.text,
        "children": [tree_dict(c) for c in node.children],
    }


def export(state: Seg2ActState) -> dict[str, Any]:
    """The tree as nested dicts and as an outline (``#`` per heading level)."""
    result = _rebuild(state["segments"], state["actions"])
    lines = [
        f"{'#' * n.level} {n.text}" if n.kind == "heading" else n.text
        for n in result.tree.root.walk()
    ]
    return {"tree": tree_dict(result.tree.root), "outline": "\n".join(lines)}


def build_seg2act_graph(*, checkpointer: Any = None) -> Any:
    """Compile segment -> act (loop) -> export."""
    graph = StateGraph(Seg2ActState, context_schema=Seg2ActContext)
    graph.add_node("segment", segment)
    graph.add_node("act", act)
    graph.add_node("export", export)
    graph.add_edge(START, "segment")
    graph.add_edge("segment", "act")
    graph.add_conditional_edges("act", more, ["act", "export"])
    graph.add_edge("export", END)
    return graph.compile(checkpointer=checkpointer)
