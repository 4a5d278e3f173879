"""StructRAG on plain folders of records: exact match per question form, three methods.

For each record source and folder size, the folder of dpkg records
(:func:`~steergraph.data.structrag.folders.dpkg_records`, one file per package), of
Python packages' METADATA (:mod:`~steergraph.data.structrag.pyfolders`) or of man pages
(:mod:`~steergraph.data.structrag.manfolders`: NAME, SYNOPSIS, SEE ALSO links) is read
with :func:`~steergraph.agents.structrag.documents.load_documents` as a user's
``--docs DIR`` would be, and every question of the source's generator is answered by StructRAG,
chunk RAG and long context on the same model. Reported: exact match per form and
overall per method, StructRAG's seconds per question (the distribution), how it routed
and whether it computed.

Example (the summary of two scored rows):
    >>> rows = [{"method": "structrag", "form": "total", "em": 1.0, "seconds": 2.0},
    ...         {"method": "structrag", "form": "largest", "em": 0.0, "seconds": 4.0}]
    >>> summarize_folders(rows)["structrag"]["exact"]
    0.5
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from steergraph.agents.structrag.baselines import chunk_rag_answer, long_context_answer
from steergraph.agents.structrag.documents import load_documents
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.data.structrag.folders import (
    archive_list,
    dpkg_records,
    folder_questions,
    write_folder,
)
from steergraph.data.structrag.manfolders import man_questions, man_records, write_man_folder
from steergraph.data.structrag.pyfolders import (
    python_questions,
    python_records,
    write_python_folder,
)
from steergraph.data.structrag.scoring import score_answer
from steergraph.errors import InputError
from steergraph.graphs.structrag import StructRAGContext, build_structrag_graph
from steergraph.llm.loading import load_chat_model

__all__ = ["METHODS", "SOURCES", "final_folders", "run_folder_suite", "summarize_folders"]

METHODS = ("structrag", "chunk_rag", "long_context")
#: record sources: (records(n, seed), write(records, folder), questions(records, seed))
SOURCES: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
    "dpkg": (dpkg_records, write_folder, folder_questions),
    "apt": (
        lambda n, seed: dpkg_records(n, seed=seed, status=archive_list()),
        write_folder,
        folder_questions,
    ),
    "python": (python_records, write_python_folder, python_questions),
    "man": (man_records, write_man_folder, man_questions),
}


def _answer(method: str, llm: Any, question: str, folder: Path, embeddings: Any) -> dict:
    start = time.perf_counter()
    meta: dict[str, Any] = {}
    if method == "structrag":
        ctx = StructRAGContext(model=llm, embeddings=embeddings)
        out = build_structrag_graph().invoke({"question": question, "paths": [str(folder)]},
                                             context=ctx)  # fmt: skip
        answer, meta = out["answer"], out["metadata"]
    else:
        docs, _ = load_documents([folder])
        if method == "chunk_rag":
            answer = chunk_rag_answer(llm, question, docs, retriever=Retriever(docs, embeddings))
        else:
            answer = long_context_answer(llm, question, docs)
        answer = answer.answer
    return {"answer": answer, "seconds": round(time.perf_counter() - start, 3),
            "structure": meta.get("structure"), "routed_by": meta.get("routed_by"),
            "computed": meta.get("method") == "exact",
            "op": (meta.get("computation") or {}).get("op")}  # fmt: skip


def run_folder_suite(
    model: Any = "local",
    *,
    sizes: Sequence[int] = (70,),
    sources: Sequence[str] = ("dpkg",),
    seed: int = 0,
    methods: Sequence[str] = METHODS,
    forms: Sequence[str] | None = None,
    embeddings: Any = None,
    workdir: str | None = None,
    log: Callable[[str], Any] = print,
) -> list[dict[str, Any]]:
    """One scored row per (source, folder size, question, method); ``forms``: only those.
    A size larger than a source holds (Python distributions: a few hundred) is skipped."""
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise InputError(f"unknown record source {unknown[0]!r}", fix=f"use {', '.join(SOURCES)}")
    llm = load_chat_model(model)
    root = Path(workdir or tempfile.mkdtemp(prefix="structrag-folders-"))
    rows = []
    for source, n in ((s, n) for s in sources for n in sizes):
        make, write, ask = SOURCES[source]
        try:
            records = make(n, seed=seed)
        except InputError as exc:
            log(f"[{source} {n}] skipped: {exc}")
            continue
        folder = write(records, root / f"{source}-{n}")
        for q in ask(records, seed=seed):
            if forms is not None and q.form not in forms:
                continue
            for method in methods:
                got = _answer(method, llm, q.question, folder, embeddings)
                score = score_answer(got["answer"], q.gold, q.answer_type)
                rows.append({"source": source, "records": n, "form": q.form, "method": method,
                             "question": q.question, "gold": q.gold, **got, **score})  # fmt: skip
                log(f"[{source} {n}] {method:<12} {q.form:<14} em={score['em']:.0f} "
                    f"{got['seconds']:6.1f}s {str(got['answer'])[:60]!r}")  # fmt: skip
    return rows


def summarize_folders(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per method: exact match overall and per form; seconds per question (median, max)."""
    out: dict[str, Any] = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        forms = dict.fromkeys(r["form"] for r in mine)
        secs = [r["seconds"] for r in mine]
        out[method] = {
            "exact": round(statistics.fmean(r["em"] for r in mine), 4),
            "per_form": {
                f: round(statistics.fmean(r["em"] for r in mine if r["form"] == f), 4)
                for f in forms
            },
            "per_source": {
                src: round(statistics.fmean(r["em"] for r in mine if r.get("source") == src), 4)
                for src in dict.fromkeys(r.get("source") for r in mine)
            },
            "seconds_median": round(statistics.median(secs), 3),
            "seconds_max": round(max(secs), 3),
            "questions": len(mine),
        }
    return out


def final_folders(summary: dict[str, Any]) -> dict[str, Any]:
    """The keys the benchmark's final JSON line gains (null for a method not run)."""
    get = lambda m, k: summary.get(m, {}).get(k)  # noqa: E731
    return {
        "folders_exact_structrag": get("structrag", "exact"),
        "folders_exact_chunk_rag": get("chunk_rag", "exact"),
        "folders_exact_long_context": get("long_context", "exact"),
        "folders_seconds_per_question": get("structrag", "seconds_median"),
        "folders_per_form": {m: s["per_form"] for m, s in summary.items()},
        "folders_per_source": {m: s["per_source"] for m, s in summary.items()},
    }
