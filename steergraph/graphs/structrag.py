"""The StructRAG graph: load -> route -> structurize -> (fall back to chunk) -> utilize.

StructRAG (Li et al., 2024, "StructRAG: Boosting Knowledge Intensive Reasoning of LLMs
via Inference-time Hybrid Information Structurization") as a LangGraph workflow:

* ``load`` takes the documents from the input (``documents``: Doc dicts) or reads
  ``paths`` (files, folders, JSON lines); empty, binary and unreadable files are kept as
  issues in the answer's metadata, never silently dropped; documents longer than the
  model's window are named there too (they are chunked, never cut).
* ``route``: documents of records route by what they can compute
  (:func:`~steergraph.agents.structrag.router.computable_route`, no model call);
  otherwise the :class:`~steergraph.agents.structrag.router.Router` picks one of the
  five structure types (``table``, ``graph``, ``algorithm``, ``catalogue``, ``chunk``)
  from the question and the document titles; ``StructRAGContext.structure`` forces a
  type instead (the router is then not called).
* ``structurize`` builds the typed structure (documents the parsers read are all kept;
  only those left for the model are narrowed by retrieval beyond ``max_docs``); an
  empty structure (no rows, no triples, ...) goes back to ``structurize`` once as
  ``chunk``, the fallback recorded in ``metadata``.
* ``utilize`` answers from the structure: an exact computation where the structure
  allows one (the model picks the operation, the program computes), else decompose ->
  extract -> merge.

Run-time dependencies (models, embeddings) come through the context; the state holds
only JSON-friendly values, so any checkpointer works (``SqliteSaver`` for long runs).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> docs = [{"id": "d1", "title": "pkgs", "text": "Package: a\\nInstalled-Size: 3\\n"}]
    >>> llm = ScriptedChatModel(responses=["a is 3 KiB"], cycle=True)
    >>> ctx = StructRAGContext(model=llm, structure="chunk", embeddings=_fake_embeddings())
    >>> out = build_structrag_graph().invoke(
    ...     {"question": "How big is a?", "documents": docs}, context=ctx)
    >>> out["answer"], out["metadata"]["structure"]
    ('a is 3 KiB', 'chunk')
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from steergraph.agents.calls import context_tokens, count_tokens
from steergraph.agents.structrag.documents import Doc, load_documents
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.agents.structrag.router import Router, computable_route
from steergraph.agents.structrag.structures import (
    STRUCTURE_TYPES,
    StructureType,
    structure_from_dict,
)
from steergraph.agents.structrag.structurizers import structurize
from steergraph.agents.structrag.utilizer import Utilizer
from steergraph.errors import InputError
from steergraph.llm.loading import load_chat_model

__all__ = [
    "StructRAGContext",
    "StructRAGState",
    "after_structurize",
    "build_structrag_graph",
    "is_empty_structure",
    "load",
    "route",
    "structurize_node",
    "utilize",
]


class StructRAGState(TypedDict, total=False):
    """Serializable state of one question: inputs, route, structure, answer, metadata.

    ``fallbacks``, ``timings`` and ``structure_info`` (one entry per structurizing pass)
    are rewritten by each node and reset by ``load``, so asking again on the same
    checkpoint thread reports only the new question.
    """

    question: str
    documents: list[dict[str, Any]]
    paths: list[str]
    doc_issues: list[dict[str, Any]]
    route: dict[str, Any]
    structure: dict[str, Any]
    structure_info: list[dict[str, Any]]
    result: dict[str, Any]
    answer: str
    fallbacks: list[str]
    timings: list[dict[str, Any]]
    metadata: dict[str, Any]


@dataclass
class StructRAGContext:
    """Run-time dependencies and knobs (not checkpointed; pass the same on resume).

    ``model`` answers and structures; ``router_model`` routes (default: ``model``; pass
    a DPO-trained router here). ``structure`` forces a type and skips the router;
    ``route_by_records``: documents of records route by what they can compute
    (:func:`~steergraph.agents.structrag.router.computable_route`) before the model.
    ``mode``: structurizers use parsers where a document already has structure and the
    model elsewhere (``auto``), or only one of them. ``exact``: let the utilizer compute
    aggregates and paths. ``embeddings``: for retrieval (default all-MiniLM-L6-v2).
    """

    model: str | BaseChatModel = "local"
    router_model: str | BaseChatModel | None = None
    structure: StructureType | None = None
    mode: Literal["auto", "parse", "llm"] = "auto"
    exact: bool = True
    route_by_records: bool = True
    embeddings: Embeddings | None = None
    max_docs: int = 16
    chunk_k: int = 6
    max_llm_chunks: int = 8
    max_input_tokens: int = 1500
    max_context_tokens: int = 2500
    max_subquestions: int = 3
    max_new_tokens: int = 96


def is_empty_structure(data: dict[str, Any]) -> bool:
    """True when a dumped structure holds nothing to answer from."""
    key = {"table": "rows", "graph": "triples", "algorithm": "steps"}.get(data.get("kind", ""))
    if key:
        return not data.get(key)
    if data.get("kind") == "catalogue":
        return not data.get("roots")
    return not data.get("chunks")


def _fake_embeddings() -> Embeddings:
    """Tiny deterministic embeddings for doctests (no model load)."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    return DeterministicFakeEmbedding(size=16)


def _docs(state: StructRAGState) -> list[Doc]:
    return [Doc.model_validate(d) for d in state.get("documents") or []]


def _given_docs(raw: Any) -> list[Doc]:
    """Validate user-given documents (a clear error, not pydantic's, for a bad one)."""
    if not isinstance(raw, list):
        raise InputError("documents must be a list", fix="pass [{'id', 'title', 'text'}, ...]")
    docs = []
    for i, item in enumerate(raw):
        try:
            docs.append(Doc.model_validate(item))
        except ValueError:
            raise InputError(
                f"document {i} is not a document: {str(item)[:80]!r}",
                fix="give each document 'id', 'title' and 'text' strings",
            ) from None
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise InputError(f"two documents have the id {doc.id!r}", fix="make ids unique")
        seen.add(doc.id)
    return docs


def _timing(state: StructRAGState, node: str, start: float, **extra: Any) -> list[dict[str, Any]]:
    entry = {"node": node, "seconds": round(time.perf_counter() - start, 3), **extra}
    return [*state.get("timings", []), entry]


def model_spec(spec: str | BaseChatModel) -> str | BaseChatModel:
    """A model spec, with a bare folder (e.g. a trained router) read as ``local:<folder>``."""
    if isinstance(spec, str) and ":" not in spec and Path(spec).is_dir():
        return f"local:{spec}"
    return spec


def _check(ctx: StructRAGContext) -> None:
    if ctx.structure is not None and ctx.structure not in STRUCTURE_TYPES:
        raise InputError(
            f"unknown structure {ctx.structure!r}", fix=f"use one of {', '.join(STRUCTURE_TYPES)}"
        )
    if ctx.mode not in ("auto", "parse", "llm"):
        raise InputError(f"unknown mode {ctx.mode!r}", fix="use auto, parse or llm")
    for name in (
        "max_docs",
        "chunk_k",
        "max_llm_chunks",
        "max_input_tokens",
        "max_context_tokens",
        "max_subquestions",
        "max_new_tokens",
    ):
        if getattr(ctx, name) < 1:
            raise InputError(f"{name} must be >= 1, got {getattr(ctx, name)}", fix="raise it")


def load(state: StructRAGState, runtime: Runtime[StructRAGContext]) -> dict[str, Any]:
    """Check the question, read the documents (given or from paths), note unusable ones."""
    ctx = runtime.context or StructRAGContext()
    _check(ctx)
    start = time.perf_counter()
    raw_question = state.get("question")
    if raw_question is not None and not isinstance(raw_question, str):
        raise InputError("the question must be a string", fix="pass {'question': '...'}")
    question = (raw_question or "").strip()
    if not question:
        raise InputError("the question is empty", fix="pass {'question': '...'}")
    issues: list[dict[str, Any]] = []
    if state.get("documents") and state.get("paths"):
        raise InputError(
            "both documents and paths were given", fix="pass one of them (load files first)"
        )
    if state.get("documents"):
        docs = _given_docs(state["documents"])
    elif state.get("paths"):
        docs, found = load_documents([Path(p) for p in state["paths"]])
        issues = [i.model_dump() for i in found]
    else:
        raise InputError(
            "no documents to answer from",
            fix="pass {'documents': [...]} (id, title, text) or {'paths': [...]}",
        )
    llm = load_chat_model(ctx.model)
    window = context_tokens(llm)
    for doc in docs:
        # cheap bound first: a text of at most `window` characters has at most
        # `window` tokens; only longer ones are tokenized
        if len(doc.text) > window and count_tokens(llm, doc.text) > window:
            issues.append(
                {
                    "source": doc.title,
                    "problem": f"longer than the model's {window}-token window; "
                    "it is chunked and retrieved from, not read whole",
                }
            )
    return {
        "question": question,
        "documents": [d.model_dump() for d in docs],
        "doc_issues": issues,
        "fallbacks": [],
        "structure_info": [],
        "timings": _timing({}, "load", start, documents=len(docs)),
    }


def route(state: StructRAGState, runtime: Runtime[StructRAGContext]) -> dict[str, Any]:
    """The structure to build: forced by the context or chosen by the router."""
    ctx = runtime.context or StructRAGContext()
    start = time.perf_counter()
    fixed = None
    if ctx.structure is None and ctx.route_by_records:
        fixed = computable_route(state["question"], [d.text for d in _docs(state)])
    if ctx.structure is not None:
        decision = {"structure": ctx.structure, "fallback": None, "forced": True, "by": "context"}
    elif fixed is not None:
        decision = {**fixed.model_dump(), "forced": False, "by": "records"}
    else:
        router = Router(load_chat_model(model_spec(ctx.router_model or ctx.model)))
        result = router.route(state["question"], [d.title for d in _docs(state)])
        decision = {**result.model_dump(), "forced": False, "by": "model"}
    fallbacks = [f"router: {decision['fallback']}"] if decision.get("fallback") else []
    return {
        "route": decision,
        "fallbacks": [*state.get("fallbacks", []), *fallbacks],
        "timings": _timing(state, "route", start, structure=decision["structure"]),
    }


def structurize_node(state: StructRAGState, runtime: Runtime[StructRAGContext]) -> dict[str, Any]:
    """Build the routed structure; an empty or fallen-back one is recorded and rerouted."""
    ctx = runtime.context or StructRAGContext()
    start = time.perf_counter()
    kind = state["route"]["structure"]
    docs = _docs(state)
    retriever = Retriever(docs, ctx.embeddings)
    result = structurize(
        kind,
        state["question"],
        docs,
        load_chat_model(ctx.model),
        mode=ctx.mode,
        retriever=retriever,
        max_docs=ctx.max_docs,
        chunk_k=ctx.chunk_k,
        max_llm_chunks=ctx.max_llm_chunks,
        max_input_tokens=ctx.max_input_tokens,
    )
    structure = result.structure.model_dump()
    info = {
        "kind": kind,
        "built_by": result.built_by,
        "issues": result.issues,
        "llm_calls": result.llm_calls,
    }
    update: dict[str, Any] = {
        "structure": structure,
        "structure_info": [*state.get("structure_info", []), info],
        "timings": _timing(state, "structurize", start, structure=kind, llm_calls=result.llm_calls),
    }
    why = "; ".join(result.issues[-3:]) or "nothing found"
    fallback = None
    if structure["kind"] != kind:  # the structurizer fell back by itself
        update["route"] = {**state["route"], "structure": structure["kind"], "from": kind}
        fallback = f"{kind} structurizer returned {structure['kind']} ({why})"
    elif is_empty_structure(structure) and kind != "chunk":
        update["route"] = {**state["route"], "structure": "chunk", "from": kind}
        fallback = f"{kind} structure came out empty ({why}); used chunk"
    if fallback:
        update["fallbacks"] = [*state.get("fallbacks", []), fallback]
    return update


def after_structurize(state: StructRAGState) -> str:
    """Build again when the structurizer fell back to another kind; else utilize."""
    if state["route"]["structure"] != state["structure"].get("kind"):
        return "structurize"
    return "utilize"


def utilize(state: StructRAGState, runtime: Runtime[StructRAGContext]) -> dict[str, Any]:
    """Answer from the structure (exact computation where it can) and gather metadata."""
    ctx = runtime.context or StructRAGContext()
    start = time.perf_counter()
    utilizer = Utilizer(
        load_chat_model(ctx.model),
        exact=ctx.exact,
        max_subquestions=ctx.max_subquestions,
        max_context_tokens=ctx.max_context_tokens,
        max_new_tokens=ctx.max_new_tokens,
    )
    result = utilizer.answer(state["question"], structure_from_dict(state["structure"]))
    all_timings = _timing(state, "utilize", start, method=result.method, llm_calls=result.llm_calls)
    route = state["route"]
    passes = state.get("structure_info", [])
    metadata = {
        "structure": state["structure"]["kind"],
        "routed": route.get("from", route["structure"]),
        "forced": route.get("forced", False),
        "routed_by": route.get("by", "model"),
        "route_reason": route.get("reason"),
        "method": result.method,
        "computation": result.computation,
        "subquestions": result.subquestions,
        "answer_from": "computation" if result.method == "exact" else "text",
        "fallbacks": [*state.get("fallbacks", []), *([result.fallback] if result.fallback else [])],
        "document_issues": state.get("doc_issues", []),
        "structure_issues": [i for p in passes for i in p["issues"]],
        "utilizer_issues": result.issues,
        "built_by": passes[-1]["built_by"] if passes else {},
        "documents": len(state.get("documents") or []),
        "llm_calls": int(route.get("by", "model") == "model")
        + sum(int(t.get("llm_calls", 0)) for t in all_timings),
        "seconds": round(sum(t["seconds"] for t in all_timings), 3),
    }
    return {
        "answer": result.answer,
        "result": result.model_dump(),
        "metadata": metadata,
        "timings": all_timings,
    }


def build_structrag_graph(*, checkpointer: Any = None) -> Any:
    """Compile the StructRAG graph (see the module docstring): only the wiring."""
    graph = StateGraph(StructRAGState, context_schema=StructRAGContext)
    graph.add_node("load", load)
    graph.add_node("route", route)
    graph.add_node("structurize", structurize_node)
    graph.add_node("utilize", utilize)
    graph.add_edge(START, "load")
    graph.add_edge("load", "route")
    graph.add_edge("route", "structurize")
    graph.add_conditional_edges("structurize", after_structurize, ["structurize", "utilize"])
    graph.add_edge("utilize", END)
    return graph.compile(checkpointer=checkpointer, name="structrag")
