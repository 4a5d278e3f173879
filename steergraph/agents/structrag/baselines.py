"""The two baselines StructRAG is measured against: chunk RAG and long context.

* :func:`chunk_rag_answer` -- FAISS top-``k`` passages of the documents (the same
  :class:`~steergraph.agents.structrag.retrieval.Retriever` StructRAG's chunk structure
  uses) in the prompt, one answer call.
* :func:`long_context_answer` -- every document in the prompt, in order, cut to what fits
  the model's window after the question and the answer budget (the cut is reported).

Both return a :class:`BaselineAnswer` (answer, seconds, prompt tokens, what was cut).

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from steergraph.agents.structrag.documents import Doc
    >>> from steergraph.testing import ScriptedChatModel
    >>> docs = [Doc(id="d1", title="a", text="Package: a\\nSection: admin")]
    >>> llm = ScriptedChatModel(responses=["admin", "admin"])
    >>> fake = DeterministicFakeEmbedding(size=8)
    >>> chunk_rag_answer(llm, "Section of a?", docs, embeddings=fake).answer
    'admin'
    >>> long_context_answer(llm, "Section of a?", docs).truncated
    False
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from steergraph.agents.calls import (
    ask_text,
    context_tokens,
    count_tokens,
    truncate_tokens,
)
from steergraph.agents.structrag.documents import Doc
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.errors import InputError

__all__ = ["BaselineAnswer", "answer_messages", "chunk_rag_answer", "long_context_answer"]

_SYSTEM = (
    "Answer the question from the documents. Reply with the answer only: a name, a number, "
    "a short phrase or a comma-separated list."
)


class BaselineAnswer(BaseModel):
    """A baseline's answer and what it cost."""

    answer: str
    seconds: float
    prompt_tokens: int
    truncated: bool = False
    documents_in_prompt: int = 0


def answer_messages(question: str, context: str) -> list[BaseMessage]:
    """The answer prompt both baselines use: documents, then the question."""
    return [
        SystemMessage(_SYSTEM),
        HumanMessage(f"Documents:\n{context}\n\nQuestion: {question}\nAnswer:"),
    ]


def _require(question: str, docs: Sequence[Doc]) -> None:
    if not question.strip():
        raise InputError("the question is empty", fix="pass a question")
    if not docs:
        raise InputError("no documents given", fix="pass at least one document")


def _answer(
    llm: BaseChatModel,
    question: str,
    context: str,
    start: float,
    max_new_tokens: int,
    **extra: Any,
) -> BaselineAnswer:
    answer = ask_text(llm, answer_messages(question, context), max_new_tokens=max_new_tokens)
    return BaselineAnswer(
        answer=answer,
        seconds=round(time.perf_counter() - start, 3),
        prompt_tokens=count_tokens(llm, context),
        **extra,
    )


def chunk_rag_answer(
    llm: BaseChatModel,
    question: str,
    docs: Sequence[Doc],
    *,
    k: int = 6,
    embeddings: Embeddings | None = None,
    retriever: Retriever | None = None,
    max_new_tokens: int = 96,
) -> BaselineAnswer:
    """Answer from the ``k`` passages most similar to the question."""
    _require(question, docs)
    start = time.perf_counter()
    retriever = retriever or Retriever(docs, embeddings)
    chunks = retriever.search(question, k)
    context = "\n\n".join(f"[{c.source}]\n{c.text}" for c in chunks)
    return _answer(
        llm,
        question,
        context,
        start,
        max_new_tokens,
        documents_in_prompt=len({c.source for c in chunks}),
    )


def long_context_answer(
    llm: BaseChatModel,
    question: str,
    docs: Sequence[Doc],
    *,
    max_new_tokens: int = 96,
    reserve_tokens: int = 256,
) -> BaselineAnswer:
    """Answer with every document in the prompt, cut to the model's window."""
    _require(question, docs)
    start = time.perf_counter()
    full = "\n\n".join(f"[{d.title}]\n{d.text}" for d in docs)
    budget = context_tokens(llm) - max_new_tokens - reserve_tokens - count_tokens(llm, question)
    context = truncate_tokens(llm, full, budget)
    return _answer(
        llm,
        question,
        context,
        start,
        max_new_tokens,
        truncated=len(context) < len(full),
        documents_in_prompt=sum(1 for d in docs if f"[{d.title}]\n" in context),
    )
