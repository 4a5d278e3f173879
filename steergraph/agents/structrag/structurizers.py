"""StructRAG's structurizers: documents -> one typed structure of the routed kind.

:func:`structurize` builds one structure of the routed kind. Per kind:

* ``chunk`` -- the ``chunk_k`` best retrieved passages (:class:`Chunks`);
* ``table`` / ``graph`` / ``algorithm`` / ``catalogue`` -- each document goes through the
  deterministic parsers (:mod:`.parsers`: exact and free for documents that already carry
  structure) and/or the LLM (:mod:`.structurize_llm`), by ``mode``: ``"parse"`` parsers
  only, ``"llm"`` LLM only, ``"auto"`` the parser where it finds something, else the LLM
  (except for documents of key-value records, which the parser reads completely: no
  relations, steps or sections there means none, not a job for the model). Every
  document the parsers read is kept, for any number of documents: the computation runs
  over all of them. Only the documents left for the model are narrowed, to the
  ``max_docs`` most relevant to the question (a :class:`Retriever`; the StructRAG
  authors' advice for large knowledge bases).

The per-document parts are merged: one :class:`Table` (union of columns, each row's
source the document title); one :class:`KnowledgeGraph` (an empty graph falls back to
retrieved chunks); one :class:`Algorithm` (steps renumbered 1..n, the procedure of the
document that best matches the question first); one :class:`Catalogue` (a root per
document, its heading tree below, numbered ``1.2.1``). What went wrong is in
``issues``; nothing a model does raises.

Example:
    >>> from steergraph.agents.structrag.documents import docs_from_texts
    >>> docs = docs_from_texts({"status": "Package: a\\nInstalled-Size: 12\\n\\n"
    ...                                   "Package: b\\nInstalled-Size: 30"})
    >>> res = structurize("table", "which package is largest?", docs, None, mode="parse")
    >>> res.structure.to_frame().sort_values("Installed-Size")["name"].tolist()
    ['a', 'b']
    >>> res.built_by, res.issues, res.llm_calls
    ({'parser': 1}, [], 0)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from steergraph.agents.structrag.documents import Doc
from steergraph.agents.structrag.parsers import (
    build_tree,
    first_sentence,
    parse_outline,
    parse_records,
    parse_steps,
    parse_table,
    parse_triples,
    preamble,
)
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.agents.structrag.structures import (
    STRUCTURE_TYPES,
    Algorithm,
    Catalogue,
    CatalogueNode,
    Chunks,
    KnowledgeGraph,
    Step,
    Structure,
    StructureType,
    Table,
    Triple,
)
from steergraph.agents.structrag.structurize_llm import extract_with_llm
from steergraph.errors import InputError

__all__ = ["PARSERS", "StructureResult", "question_overlap", "structurize"]


class StructureResult(BaseModel):
    """A structure and how it was built."""

    structure: Structure
    #: documents built by "parser" / "llm", chunks by "retrieval"; "narrowed_from" is the
    #: count of documents needing the model before retrieval narrowed it to ``max_docs``
    built_by: dict[str, int] = Field(default_factory=dict)
    issues: list[str] = Field(default_factory=list)
    llm_calls: int = 0
    seconds: float = 0.0


def _parse_table(doc: Doc) -> Any:
    columns, rows = parse_table(doc.text)
    return (columns, rows) if rows else None


def _parse_outline(doc: Doc) -> Any:
    return parse_outline(doc.text) or None


#: kind -> parser of one document (None when the document holds nothing of that kind)
PARSERS: dict[str, Callable[[Doc], Any]] = {
    "table": _parse_table,
    "graph": lambda doc: parse_triples(doc.text, name=doc.title) or None,
    "algorithm": lambda doc: parse_steps(doc.text) or None,
    "catalogue": _parse_outline,
}

_STOP = frozenset(
    "the a an of to in on for and or is are was were be by with what which who how does do "
    "did this that these those from at as it its into than then there their when where why "
    "can could should would will".split()
)


def _tokens(text: str) -> set[str]:
    words = (w.rstrip(".-") for w in re.findall(r"[a-z0-9][a-z0-9_+.-]*", text.lower()))
    return {w for w in words if w and w not in _STOP}


def question_overlap(question: str, doc: Doc) -> float:
    """How well ``doc`` matches ``question``: shared words, title words counting double."""
    q = _tokens(question)
    if not q:
        return 0.0
    return (2 * len(q & _tokens(doc.title)) + len(q & _tokens(doc.text))) / (3 * len(q))


def _merge(kind: str, question: str, docs: list[Doc], parts: dict[str, Any]) -> Any:
    """One structure from the per-document parts (documents in ``docs`` order)."""
    have = [d for d in docs if d.id in parts]
    if kind == "table":
        columns = list(dict.fromkeys(c for d in have for c in parts[d.id][0]))
        rows, sources = [], []
        for d in have:
            rows += parts[d.id][1]
            sources += [d.title] * len(parts[d.id][1])
        return Table(title=question, columns=columns, rows=rows, sources=sources)
    if kind == "graph":
        keys = dict.fromkeys((h, r, t, d.title) for d in have for h, r, t in parts[d.id])
        triples = [Triple(head=h, relation=r, tail=t, source=s) for h, r, t, s in keys]
        return KnowledgeGraph(title=question, triples=triples)
    if kind == "algorithm":
        if have:
            best = max(have, key=lambda d: question_overlap(question, d))
            have = [best, *[d for d in have if d is not best]]
        steps = [(text, d.title) for d in have for text in parts[d.id]]
        return Algorithm(
            title=question,
            steps=[Step(number=n, text=t, source=s) for n, (t, s) in enumerate(steps, 1)],
        )
    roots = []
    for n, d in enumerate(have, 1):
        entries = parts[d.id]
        roots.append(
            CatalogueNode(
                number=str(n),
                title=d.title,
                summary=first_sentence(preamble(d.text)) or (entries[0][2] if entries else ""),
                source=d.title,
                children=build_tree(entries, prefix=str(n), source=d.title),
            )
        )
    return Catalogue(title=question, roots=roots)


def _narrow(
    question: str,
    docs: list[Doc],
    retriever: Retriever,
    max_docs: int,
    built_by: dict[str, int],
    issues: list[str],
) -> list[Doc]:
    """The ``max_docs`` of ``docs`` (those left for the model) most relevant to the
    question, said in ``issues``."""
    kept = {d.id for d in retriever.top_documents(question, max_docs, doc_ids=[d.id for d in docs])}
    issues.append(
        f"retrieval narrowed {len(docs)} documents needing the model to the {max_docs} most "
        "relevant to the question (every document the parsers read is kept)"
    )
    built_by["narrowed_from"] = len(docs)
    return [d for d in docs if d.id in kept]


def _compatible(retriever: Retriever | None, docs: Sequence[Doc]) -> Retriever:
    if retriever is not None and {d.id for d in docs} <= retriever.doc_ids:
        return retriever
    emb = retriever.embeddings if retriever is not None else None
    return Retriever(docs, emb)


def _check(kind: str, question: str, docs: Sequence[Doc], mode: str, **limits: int) -> None:
    if kind not in STRUCTURE_TYPES:
        raise InputError(f"unknown structure kind {kind!r}", fix=f"use one of {STRUCTURE_TYPES}")
    if mode not in ("auto", "parse", "llm"):
        raise InputError(f"unknown mode {mode!r}", fix="use 'auto', 'parse' or 'llm'")
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty", fix="pass the question to structure for")
    if not docs:
        raise InputError("no documents to structure", fix="pass at least one Doc")
    for name, value in limits.items():
        if value < 1:
            raise InputError(f"{name}={value} must be at least 1", fix=f"use a positive {name}")


def _parsed_parts(
    kind: StructureType,
    docs: Sequence[Doc],
    mode: str,
    built_by: dict[str, int],
    issues: list[str],
) -> tuple[dict[str, Any], list[Doc]]:
    """The parts the parsers build (counted in ``built_by``), and the documents left for
    the LLM; what neither can do is said in ``issues``."""
    parts: dict[str, Any] = {}
    for_llm: list[Doc] = []
    for doc in docs:
        part = PARSERS[kind](doc) if mode != "llm" else None
        if part:
            parts[doc.id] = part
            built_by["parser"] = built_by.get("parser", 0) + 1
        elif mode == "auto" and parse_records(doc.text):
            # a document of key-value records is fully structured already: no
            # relations/steps/sections in it means there are none to extract
            built_by["parser"] = built_by.get("parser", 0) + 1
            issues.append(f"{doc.title}: records with no {kind} content")
        elif mode == "parse":
            issues.append(f"{doc.title}: the {kind} parser found nothing")
        else:
            for_llm.append(doc)
    return parts, for_llm


def structurize(
    kind: StructureType,
    question: str,
    docs: Sequence[Doc],
    llm: BaseChatModel | None,
    *,
    mode: Literal["auto", "parse", "llm"] = "auto",
    retriever: Retriever | None = None,
    max_docs: int = 16,
    chunk_k: int = 6,
    max_llm_chunks: int = 8,
    max_input_tokens: int = 1500,
) -> StructureResult:
    """Build the ``kind`` structure of ``docs`` for ``question`` (see the module docstring).

    ``retriever`` (built when needed if None; it must cover the documents it ranks or a
    new one is built with its embeddings) narrows the documents left for the model,
    retrieves chunks, and ranks
    the pieces of long documents for the LLM.
    """
    start = time.perf_counter()
    _check(
        kind,
        question,
        docs,
        mode,
        max_docs=max_docs,
        chunk_k=chunk_k,
        max_llm_chunks=max_llm_chunks,
        max_input_tokens=max_input_tokens,
    )
    docs = list(docs)
    built_by: dict[str, int] = {}
    issues: list[str] = []
    llm_calls = 0

    def chunks(among: list[Doc]) -> Chunks:
        assert retriever is not None
        found = retriever.search(question, chunk_k, doc_ids={d.id for d in among})
        built_by["retrieval"] = len(found)
        return Chunks(title=question, chunks=found)

    if kind == "chunk":
        retriever = _compatible(retriever, docs)
        structure: Any = chunks(docs)  # the best chunks of all documents
    else:
        # every document the parsers read exactly is kept, however many there are: only
        # the ones left for the model are narrowed by retrieval
        parts, for_llm = _parsed_parts(kind, docs, mode, built_by, issues)
        if len(for_llm) > max_docs:
            retriever = _compatible(retriever, for_llm)
            for_llm = _narrow(question, for_llm, retriever, max_docs, built_by, issues)
        elif retriever is not None and not {d.id for d in for_llm} <= retriever.doc_ids:
            retriever = None  # it cannot rank these documents' pieces; keep document order
        if for_llm and llm is None:
            issues += [f"{d.title}: needs an LLM (the parsers found no {kind})" for d in for_llm]
        elif for_llm:
            found, llm_calls, llm_issues = extract_with_llm(
                kind,
                question,
                for_llm,
                llm,
                retriever=retriever,
                max_llm_chunks=max_llm_chunks,
                max_input_tokens=max_input_tokens,
            )
            parts.update(found)
            issues += llm_issues
            if found:
                built_by["llm"] = len(found)
        structure = _merge(kind, question, docs, parts)
        if kind == "graph" and not structure.triples:
            try:
                retriever = _compatible(retriever, docs)
                structure = chunks(docs)
                issues.append("the graph has no triples; fell back to retrieved chunks")
            except Exception as exc:  # an unloadable embedding model: keep the empty graph
                issues.append(f"the graph has no triples and retrieval failed ({exc})")
    return StructureResult(
        structure=structure,
        built_by=built_by,
        issues=issues,
        llm_calls=llm_calls,
        seconds=round(time.perf_counter() - start, 4),
    )
