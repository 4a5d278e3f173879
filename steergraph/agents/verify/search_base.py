"""What every search strategy shares: candidates, results, and batched sampling.

A strategy (:mod:`steergraph.agents.verify.search`, :mod:`steergraph.agents.verify.search_steps`)
turns a :class:`~steergraph.agents.verify.Problem` into candidates, asks a verifier
about them, and returns a :class:`SearchResult` naming the one it selects. Sampling
goes through :func:`sample_texts`: one batched ``generate`` for ``n`` samples on local
models (:meth:`~steergraph.llm.local.LocalChatModel.sample`), ``abatch`` on any other
LangChain chat model.

Example:
    >>> r = SearchResult(strategy="demo", candidates=[Candidate(text="a"), Candidate(text="b")],
    ...                  best=1)
    >>> r.answer
    'b'
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, Field

from steergraph.agents.calls import with_budget
from steergraph.agents.verify.base import Problem, Verdict, Verifier
from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError

__all__ = [
    "Candidate",
    "MessagesFn",
    "SearchResult",
    "SearchStrategy",
    "best_index",
    "default_messages",
    "prefill",
    "require_positive",
    "sample_messages",
    "sample_steps",
    "sample_texts",
]

MessagesFn = Callable[[Problem], list[BaseMessage]]


def default_messages(problem: Problem) -> list[BaseMessage]:
    """The problem's prompt as one user message."""
    return [HumanMessage(problem.prompt)]


class Candidate(BaseModel):
    """One answer a search produced, with its verdict (None when not verified)."""

    text: str
    verdict: Verdict | None = None
    steps: list[str] = Field(default_factory=list)
    origin: str = "sample"  # sample | greedy | refine-<k> | beam | tree

    @property
    def value(self) -> float:
        """The verdict's value (0 when unverified)."""
        return self.verdict.value if self.verdict is not None else 0.0


class SearchResult(BaseModel):
    """Every candidate a strategy produced and the index of the one it selected."""

    strategy: str
    problem_id: str = ""
    candidates: list[Candidate]
    best: int = 0
    generations: int = 0
    verifications: int = 0
    seconds: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def answer(self) -> str:
        """The selected candidate's text ("" when there is none)."""
        return self.candidates[self.best].text if self.candidates else ""

    @property
    def selected(self) -> Candidate | None:
        """The selected candidate."""
        return self.candidates[self.best] if self.candidates else None


async def sample_messages(
    llm: BaseChatModel,
    messages: Sequence[BaseMessage],
    n: int,
    *,
    temperature: float = 0.8,
    max_new_tokens: int | None = None,
    stop: list[str] | None = None,
    seed: int | None = None,
) -> list[AIMessage]:
    """``n`` replies to ``messages``: one batched generate locally, ``abatch`` elsewhere.

    A trailing :class:`AIMessage` is a prefill (local models continue it). API models
    get ``temperature`` and ``max_new_tokens`` where they have those fields; ``seed`` is
    a local-model knob.
    """
    from steergraph.llm.local import LocalChatModel

    if n <= 0:
        return []
    if isinstance(llm, LocalChatModel):
        kwargs: dict[str, Any] = {"temperature": temperature}
        if max_new_tokens is not None:
            kwargs["max_new_tokens"] = max_new_tokens
        if stop:
            kwargs["stop"] = stop
        if seed is not None:
            kwargs["seed"] = seed
        return await asyncio.to_thread(llm.sample, list(messages), n, **kwargs)
    # the sync batch in a worker thread: API clients' async sessions are bound to the event
    # loop that first used them, and each graph node may run on a fresh loop
    if max_new_tokens is not None:
        llm = with_budget(llm, max_new_tokens)
    if "temperature" in type(llm).model_fields:  # API models: n draws need sampling
        llm = llm.model_copy(update={"temperature": temperature})
    replies = await asyncio.to_thread(llm.batch, [list(messages)] * n, stop=stop)
    return [r if isinstance(r, AIMessage) else AIMessage(str(r.content)) for r in replies]


async def sample_texts(
    llm: BaseChatModel, messages: Sequence[BaseMessage], n: int, **kwargs: Any
) -> list[str]:
    """The texts of :func:`sample_messages`."""
    return [str(m.content) for m in await sample_messages(llm, messages, n, **kwargs)]


async def sample_steps(
    llm: BaseChatModel, messages: Sequence[BaseMessage], n: int, delimiter: str, **kwargs: Any
) -> list[tuple[str, bool]]:
    """``n`` next steps (text up to ``delimiter``) and whether the answer goes on after each.

    A step "goes on" when generation stopped at the delimiter or ran out of its token
    budget (a long line is cut, not finished); a step that ended with the model's end of
    turn completes the answer. Models that do not report stop hits (API models) go on
    unless the step is empty.
    """
    replies = await sample_messages(llm, messages, n, stop=[delimiter], **kwargs)
    out = []
    for msg in replies:
        text = str(msg.content)
        hit = msg.response_metadata.get("stop_sequence_hit")
        if hit is None:
            goes_on = bool(text.strip())
        else:
            goes_on = bool(hit) or msg.response_metadata.get("finish_reason") == "length"
        out.append((text, goes_on))
    return out


class SearchStrategy(ABC):
    """A way of spending model calls and verifications on one problem.

    ``messages`` builds the prompt from a problem (default: its prompt as a user turn).
    """

    name: str = "search"

    def __init__(self, *, messages: MessagesFn | None = None) -> None:
        self.messages = messages or default_messages

    @abstractmethod
    async def _search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None
    ) -> SearchResult:
        """Run the search; subclasses fill candidates, best and counters."""

    async def asearch(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None = None
    ) -> SearchResult:
        """Search one problem; the result records its wall time."""
        start = time.perf_counter()
        result = await self._search(llm, problem, verifier)
        result.problem_id = problem.id
        result.seconds = time.perf_counter() - start
        return result

    def search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None = None
    ) -> SearchResult:
        """Synchronous :meth:`asearch`."""
        return run_sync(self.asearch(llm, problem, verifier))


def require_positive(**values: int) -> None:
    """Raise :class:`InputError` naming the first of ``values`` that is below 1."""
    for name, value in values.items():
        if value < 1:
            raise InputError(f"{name} must be >= 1, got {value}", fix=f"pass {name}=1 or more")


def prefill(messages: Sequence[BaseMessage], partial: str) -> list[BaseMessage]:
    """``messages`` plus a trailing assistant prefill holding ``partial``."""
    return [*messages, AIMessage(partial)] if partial else list(messages)


def best_index(candidates: Sequence[Candidate]) -> int:
    """Index of the highest-valued candidate (the first one on ties)."""
    if not candidates:
        return 0
    return max(range(len(candidates)), key=lambda i: (candidates[i].value, -i))
