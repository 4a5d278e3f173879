"""StructRAG's hybrid structure router: which knowledge structure suits this question?

The router sees the question and the titles of the documents and picks one of the five
structure types (Li et al. 2024): a table for statistics and comparisons over many
items, a graph for relations and chains between entities, an algorithm for procedures,
a catalogue for summaries and sections of long documents, chunks for a single fact.

:func:`router_messages` is THE routing prompt, a pure function of (question, titles):
the same messages build the router's DPO training rows, so training and inference
see identical prompts. :class:`Router` asks the model for a :class:`RouteDecision`
under constrained decoding (the ``structure`` field is an enum, so even a tiny model
answers with a valid type); a model that fails anyway routes to ``"chunk"`` and the
reason is kept in :attr:`RouteResult.fallback`.

Before any model call, :func:`computable_route` routes by what the documents' records
can compute: records that carry relations (Depends, Pre-Depends, Recommends, SEE ALSO,
...) and a question about dependencies go to the graph; records and a question whose
form fixes a table operation (largest, how many, total, ...) go to the table. The
reason is kept in :attr:`RouteResult.reason`.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> router = Router(ScriptedChatModel(responses=[{"structure": "table"}]))
    >>> router.route("Which package is largest?", ["gcc", "perl"])
    RouteResult(structure='table', fallback=None, reason=None)
    >>> computable_route("How many packages does a need, directly or indirectly?",
    ...                  ["Package: a\\nDepends: b"]).structure
    'graph'
    >>> router_messages("Q?", ["a", "b", "c"], max_titles=2)[1].content.splitlines()[-3]
    '(1 more document not listed)'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from steergraph.agents.calls import ask_structured
from steergraph.agents.structrag.parsers import LIST_FIELDS, parse_records
from steergraph.agents.structrag.plans import question_ops
from steergraph.agents.structrag.structures import StructureType
from steergraph.errors import InputError

__all__ = [
    "ROUTER_SYSTEM",
    "RouteDecision",
    "RouteResult",
    "Router",
    "computable_route",
    "router_messages",
]

#: One line per structure type, each with a tiny example question.
ROUTER_SYSTEM = (
    "Pick the knowledge structure that best answers the question.\n"
    'table: statistics or comparison over many items (e.g. "Which package is largest?")\n'
    'graph: relations or chains between entities (e.g. "What links A to B?")\n'
    'algorithm: procedures, how-to, steps (e.g. "How do I install X?")\n'
    'catalogue: summaries or sections of long documents (e.g. "What does part 2 cover?")\n'
    'chunk: one fact looked up in one place (e.g. "What version is X?")'
)
_MAX_TITLE_CHARS = 80
_DEPENDENCY_QUESTION = re.compile(
    r"\b(depend\w*|pre-depends|requires?|required by|needs?|recommends?|between|chain|"
    r"path|directly or indirectly|indirectly|transitively)\b",
    re.IGNORECASE,
)
_ROUTE_TOKENS = 32


class RouteDecision(BaseModel):
    """The model's reply: one of the five structure types."""

    structure: StructureType


class RouteResult(BaseModel):
    """The chosen structure; ``fallback`` says why it is ``"chunk"`` by default."""

    structure: StructureType
    fallback: str | None = None
    reason: str | None = None  # why the route is fixed without the model


def _check_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError(
            f"the question to route is empty ({question!r})",
            fix="pass the user's question as a non-empty string",
        )
    return question.strip()


def router_messages(
    question: str, titles: Sequence[str], *, max_titles: int = 20
) -> list[BaseMessage]:
    """The routing prompt: the type descriptions, the question and up to ``max_titles``
    document titles (how many more there are is said, not listed).

    Titles are stripped, cut at 80 characters and listed once each in their order.
    """
    question = _check_question(question)
    if max_titles < 0:
        raise InputError(f"max_titles must be >= 0, got {max_titles}", fix="use e.g. 20")
    if isinstance(titles, str):
        raise InputError(
            "titles must be a list of document titles, not one string",
            fix="wrap it in a list: [title]",
        )
    unique = list(dict.fromkeys(t for t in (str(t).strip() for t in titles) if t))
    shown = [t if len(t) <= _MAX_TITLE_CHARS else t[: _MAX_TITLE_CHARS - 3] + "..." for t in unique]
    lines = [f"Question: {question}", f"Documents ({len(unique)}):"]
    lines += [f"- {t}" for t in shown[:max_titles]]
    if len(unique) > max_titles:
        extra = len(unique) - max_titles
        lines.append(f"({extra} more document{'s' if extra > 1 else ''} not listed)")
    lines.append("Which structure fits best?")
    lines.append('Answer with JSON {"structure": ...}.')
    return [SystemMessage(ROUTER_SYSTEM), HumanMessage("\n".join(lines))]


class Router:
    """Routes a question to a structure type with ``llm`` (any LangChain chat model)."""

    def __init__(self, llm: BaseChatModel, *, max_titles: int = 20) -> None:
        if max_titles < 0:
            raise InputError(f"max_titles must be >= 0, got {max_titles}", fix="use e.g. 20")
        self.llm = llm
        self.max_titles = max_titles

    def route(self, question: str, titles: Sequence[str]) -> RouteResult:
        """The structure for ``question`` over documents titled ``titles``.

        An empty question raises :class:`~steergraph.errors.InputError`; a model that
        gives no valid decision yields ``"chunk"`` with the reason in ``fallback``.
        """
        messages = router_messages(question, titles, max_titles=self.max_titles)
        decision, reason = ask_structured(
            self.llm, RouteDecision, messages, max_new_tokens=_ROUTE_TOKENS
        )
        if decision is None:
            return RouteResult(structure="chunk", fallback=reason or "no decision")
        return RouteResult(structure=decision.structure)

    def route_many(
        self, questions_and_titles: Sequence[tuple[str, Sequence[str]]]
    ) -> list[RouteResult]:
        """:meth:`route` for each ``(question, titles)`` pair, in order."""
        return [self.route(q, titles) for q, titles in questions_and_titles]


def computable_route(question: str, texts: Sequence[str]) -> RouteResult | None:
    """The structure that can compute the answer from the documents' records (texts),
    or ``None`` when the records fix nothing (the model then routes)."""
    question = _check_question(question)
    records = [rec for text in texts for rec in parse_records(text)]
    if not records:
        return None
    relations = sorted({k.lower() for rec in records for k in rec if k.lower() in LIST_FIELDS})
    if relations and _DEPENDENCY_QUESTION.search(question):
        return RouteResult(
            structure="graph",
            reason=f"{len(records)} records carry relations ({', '.join(relations)}) and the "
            "question asks about them",
        )
    ops = question_ops(question, "table")
    if ops:
        return RouteResult(
            structure="table",
            reason=f"{len(records)} records parse exactly and the question's form asks for "
            f"{' or '.join(ops)}",
        )
    return None
