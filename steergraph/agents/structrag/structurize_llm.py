"""The LLM half of StructRAG's structurizers: documents the parsers cannot read.

Each document is split into pieces that fit ``max_input_tokens`` of the model (its own
tokenizer counts), the pieces most relevant to the question are kept (retriever
similarity, else document order; every document gets its best piece before any gets a
second), at most ``max_llm_chunks`` in all, and each kept piece is one constrained
structured call (:func:`~steergraph.agents.calls.ask_structured`) into a small
schema whose lists and strings are bounded so decoding always ends:

=========  =========================================================  ========
kind       schema                                                     at most
=========  =========================================================  ========
table      ``{"title", "columns": [str], "rows": [[str]]}``            8 rows
graph      ``{"triples": [{"head", "relation", "tail"}]}``             10
algorithm  ``{"title", "steps": [str]}``                               10
catalogue  ``{"entries": [{"level": 1-3, "title", "summary"}]}``       10
=========  =========================================================  ========

Replies become the same plain parts the parsers give (see :func:`part_from_reply`);
a failed or empty reply is an issue string, never an exception.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> from steergraph.agents.structrag.documents import docs_from_texts
    >>> llm = ScriptedChatModel(responses=[{"triples": [
    ...     {"head": "apt", "relation": "uses", "tail": "dpkg"}]}])
    >>> parts, calls, issues = extract_with_llm(
    ...     "graph", "what does apt use?", docs_from_texts({"apt": "apt uses dpkg."}), llm)
    >>> parts, calls, issues
    ({'d0001': [('apt', 'uses', 'dpkg')]}, 1, [])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from steergraph.agents.calls import (
    ask_structured,
    context_tokens,
    count_tokens,
    truncate_tokens,
)
from steergraph.agents.structrag.documents import Doc, split_text
from steergraph.agents.structrag.retrieval import Retriever

__all__ = [
    "LLM_SCHEMAS",
    "AlgorithmReply",
    "CatalogueReply",
    "GraphReply",
    "TableReply",
    "extract_with_llm",
    "part_from_reply",
    "structurize_messages",
]

Short = Annotated[str, Field(max_length=100)]
Sentence = Annotated[str, Field(max_length=200)]


class TableReply(BaseModel):
    title: Short
    columns: list[Short] = Field(max_length=6)
    rows: list[Annotated[list[Short], Field(max_length=6)]] = Field(max_length=8)


class TripleReply(BaseModel):
    head: Short
    relation: Annotated[str, Field(max_length=40)]
    tail: Short


class GraphReply(BaseModel):
    triples: list[TripleReply] = Field(max_length=10)


class AlgorithmReply(BaseModel):
    title: Short
    steps: list[Sentence] = Field(max_length=10)


class EntryReply(BaseModel):
    level: int = Field(ge=1, le=3)
    title: Short
    summary: Sentence


class CatalogueReply(BaseModel):
    entries: list[EntryReply] = Field(max_length=10)


#: kind -> (reply schema, max_new_tokens, instruction)
LLM_SCHEMAS: dict[str, tuple[type[BaseModel], int, str]] = {
    "table": (
        TableReply,
        400,
        "Extract a table of the facts in the document that help answer the question: "
        "a title, the column names, and up to 8 rows of cell values (one cell per column).",
    ),
    "graph": (
        GraphReply,
        320,
        "List up to 10 facts from the document that help answer the question, each as a "
        "(head, relation, tail) triple with entity names written as in the document.",
    ),
    "algorithm": (
        AlgorithmReply,
        400,
        "Write the procedure the document describes that helps answer the question, as a "
        "title and up to 10 short steps in order.",
    ),
    "catalogue": (
        CatalogueReply,
        400,
        "Outline the document as up to 10 entries in order: level (1 section, 2 "
        "subsection, 3 sub-subsection), title, and a one-sentence summary.",
    ),
}


def structurize_messages(kind: str, question: str, title: str, piece: str) -> list[Any]:
    """The structurizer prompt for one piece of one document."""
    instruction = LLM_SCHEMAS[kind][2]
    return [
        SystemMessage(
            f"You turn documents into a {kind} for question answering. Use only what the "
            "document states. Reply in JSON."
        ),
        HumanMessage(f"Question: {question}\n\nDocument: {title}\n{piece}\n\n{instruction}"),
    ]


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def part_from_reply(kind: str, reply: BaseModel) -> Any:
    """A reply as the plain part the parsers give (empty when the reply holds nothing)."""
    if isinstance(reply, TableReply):
        columns: list[str] = []
        for n, col in enumerate(reply.columns, 1):
            col = _clean(col) or f"column {n}"
            while col in columns:
                col += "'"
            columns.append(col)
        rows = []
        for cells in reply.rows:
            cells = [_clean(c) for c in cells]
            if any(cells) and columns:
                rows.append(dict(zip(columns, (cells + [""] * len(columns))[: len(columns)])))
        return (columns, rows) if rows else ([], [])
    if isinstance(reply, GraphReply):
        triples = [(_clean(t.head), _clean(t.relation), _clean(t.tail)) for t in reply.triples]
        return list(dict.fromkeys(t for t in triples if all(t)))
    if isinstance(reply, AlgorithmReply):
        steps = [
            re.sub(r"^(step\s*)?\d{1,3}\s*[.):]\s*", "", _clean(s), flags=re.I) for s in reply.steps
        ]
        return [s for s in steps if s]
    if isinstance(reply, CatalogueReply):
        return [
            (e.level, _clean(e.title), _clean(e.summary)) for e in reply.entries if _clean(e.title)
        ]
    raise TypeError(f"no part for {type(reply).__name__} ({kind})")


def _empty(part: Any) -> bool:
    return not (part[1] if isinstance(part, tuple) else part)


def _join(kind: str, parts: list[Any]) -> Any:
    """One document's parts from several pieces (in document order)."""
    if kind == "table":
        rows = [row for _, r in parts for row in r]
        return list(dict.fromkeys(c for cols, _ in parts for c in cols)), rows
    if kind == "graph":
        return list(dict.fromkeys(t for p in parts for t in p))
    return [item for p in parts for item in p]


def _pieces(llm: BaseChatModel, text: str, max_tokens: int) -> list[str]:
    """``text`` in pieces of at most ``max_tokens`` tokens of ``llm`` (nothing dropped)."""
    chars = max(200, max_tokens * 4)
    out = []
    for piece in split_text(text, chunk_chars=chars, overlap=min(100, chars // 10)):
        n = count_tokens(llm, piece)
        if n <= max_tokens:
            out.append(piece)
            continue
        smaller = max(50, int(len(piece) * max_tokens / n * 0.9))
        for sub in split_text(piece, chunk_chars=smaller, overlap=0):
            fits = count_tokens(llm, sub) <= max_tokens
            out.append(sub if fits else truncate_tokens(llm, sub, max_tokens))
    return out


def _select(
    question: str,
    pieces: dict[str, list[str]],
    retriever: Retriever | None,
    budget: int,
) -> dict[str, list[int]]:
    """Piece indexes per doc id: best pieces first, round robin over docs, ``budget`` in all."""
    ranked: dict[str, list[tuple[float, int]]] = {}
    flat = [(doc_id, i, p) for doc_id, ps in pieces.items() for i, p in enumerate(ps)]
    scores = (
        retriever.similarities(question, [p for _, _, p in flat])
        if retriever is not None and len(flat) > budget
        else [-float(i) for _, i, _ in flat]
    )
    for (doc_id, i, _), score in zip(flat, scores):
        ranked.setdefault(doc_id, []).append((score, i))
    for doc_id in ranked:
        ranked[doc_id].sort(key=lambda si: (-si[0], si[1]))
    order = sorted(ranked, key=lambda d: -ranked[d][0][0])  # stable: doc order on ties
    chosen: dict[str, list[int]] = {d: [] for d in pieces}
    left = budget
    for level in range(max((len(v) for v in ranked.values()), default=0)):
        for doc_id in order:
            if left and level < len(ranked[doc_id]):
                chosen[doc_id].append(ranked[doc_id][level][1])
                left -= 1
    return {d: sorted(ix) for d, ix in chosen.items()}


def extract_with_llm(
    kind: str,
    question: str,
    docs: Sequence[Doc],
    llm: BaseChatModel,
    *,
    retriever: Retriever | None = None,
    max_llm_chunks: int = 8,
    max_input_tokens: int = 1500,
) -> tuple[dict[str, Any], int, list[str]]:
    """Structure ``docs`` with ``llm``: ``({doc_id: part}, llm_calls, issues)``.

    Only documents whose part is non-empty are in the dict; every document left out,
    cut short, or answered unusably has an issue.
    """
    schema, max_new, _ = LLM_SCHEMAS[kind]
    overhead = count_tokens(
        llm, "".join(str(m.content) for m in structurize_messages(kind, question, "", ""))
    )
    room = context_tokens(llm) - max_new - overhead - 64
    max_tokens = min(max_input_tokens, room)
    issues: list[str] = []
    if max_tokens < 32:
        return (
            {},
            0,
            [f"{d.title}: the model's context window leaves no room for text" for d in docs],
        )
    pieces = {d.id: _pieces(llm, d.text, max_tokens) for d in docs}
    chosen = _select(question, pieces, retriever, max_llm_chunks)
    parts: dict[str, Any] = {}
    calls = 0
    for doc in docs:
        total, picked = len(pieces[doc.id]), chosen[doc.id]
        if not picked:
            issues.append(f"{doc.title}: not structured (max_llm_chunks={max_llm_chunks} spent)")
            continue
        if len(picked) < total:
            issues.append(
                f"{doc.title}: {len(picked)} of {total} pieces structured "
                f"(max_llm_chunks={max_llm_chunks})"
            )
        got = []
        for i in picked:
            where = f"{doc.title} (piece {i + 1}/{total})" if total > 1 else doc.title
            messages = structurize_messages(kind, question, doc.title, pieces[doc.id][i])
            reply, reason = ask_structured(llm, schema, messages, max_new_tokens=max_new)
            calls += 1
            if reply is None:
                issues.append(f"{where}: unusable LLM reply ({reason})")
                continue
            part = part_from_reply(kind, reply)
            if _empty(part):
                issues.append(f"{where}: the LLM found no {kind} content")
            else:
                got.append(part)
        if got:
            parts[doc.id] = _join(kind, got)
    return parts, calls, issues
