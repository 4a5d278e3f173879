"""StructRAG's structured knowledge utilizer: answer a question from a built structure.

Two paths, tried in order:

a. **exact** (``exact=True``; tables, graphs, algorithms, catalogues): the model picks a
   computation plan in a schema built for THIS structure
   (:func:`~steergraph.agents.structrag.plans.plan_schema`: ops, column names, entity
   names and section titles are enum choices under constrained decoding), seeing only
   a compact view (columns and three rows, a few triples, step list, section titles).
   The program then computes the answer over the whole structure
   (:mod:`~steergraph.agents.structrag.exact`), so a tiny model can answer "which of
   400 packages is largest" without reading 400 rows. A plan of ``"none"``, a failed
   reply or a computation that does not apply is recorded in ``issues`` and path b runs.
b. **llm** (as in the paper): decompose the question into sub-questions, extract an
   answer to each from the structure's text (cut to ``max_context_tokens``), merge the
   extractions into a final short answer. With one sub-question equal to the question
   the merge is skipped. Chunks always take this path.

A structure with nothing in it is answered through path b over its (empty) text with
the issue ``"empty structure"`` recorded, so the calling graph's fallback logic
decides what to do with the answer.

Example:
    >>> from steergraph.agents.structrag.structures import Table
    >>> from steergraph.testing import ScriptedChatModel
    >>> table = Table(columns=["package", "installed_kb"],
    ...               rows=[{"package": "gcc", "installed_kb": 50},
    ...                     {"package": "perl", "installed_kb": 70}])
    >>> plan = {"op": "argmax", "column": "installed_kb", "filter_column": "none", "value": ""}
    >>> result = Utilizer(ScriptedChatModel(responses=[plan])).answer("Largest?", table)
    >>> result.answer, result.method, result.llm_calls
    ('perl', 'exact', 1)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, create_model

from steergraph.agents.calls import ask_structured, ask_text, truncate_tokens
from steergraph.agents.structrag.exact import compute
from steergraph.agents.structrag.matching import normalise
from steergraph.agents.structrag.plans import (
    plan_call,
    plan_messages,
    plan_schema,
    question_ops,
    rank,
    structure_view,
)
from steergraph.agents.structrag.structures import (
    Algorithm,
    Catalogue,
    Chunks,
    KnowledgeGraph,
    Table,
    structure_from_dict,
)
from steergraph.errors import InputError, UnsupportedSchemaError

__all__ = ["SUBQUESTION_PATTERN", "Utilizer", "UtilizerResult"]

_STRUCTURES = (Table, KnowledgeGraph, Algorithm, Catalogue, Chunks)
#: A sub-question is one line starting with a capital and ending with "?": without
#: this a tiny model fills the list with section numbers and punctuation.
SUBQUESTION_PATTERN = r"^[A-Z][^\n]{3,190}\?$"
#: Least tokens for a structured reply (a cut JSON reply is a failed reply).
_PLAN_TOKENS = 128
_TOKENS_PER_SUBQUESTION = 64


class UtilizerResult(BaseModel):
    """The answer and how it was reached.

    ``computation`` (exact path): the plan and :func:`exact.compute`'s result.
    ``extractions`` (llm path): ``{"subquestion", "answer"}`` per sub-question.
    ``issues``: what did not work (kept, never raised). ``llm_calls``: model calls made.
    ``fallback``: set when no computation applied to a structure that could compute and
    the model answered from its text instead (why, in one line).
    """

    answer: str
    method: Literal["exact", "llm"]
    computation: dict[str, Any] | None = None
    subquestions: list[str] = Field(default_factory=list)
    extractions: list[dict[str, Any]] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list)
    llm_calls: int = 0
    fallback: str | None = None


def _positive(name: str, value: int) -> int:
    if not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}", fix="use e.g. 3")
    return value


def _names(question: str, column: str | None) -> bool:
    """Whether ``question`` shares a word with ``column`` (``Version`` in "the version")."""
    ranked = rank([column or ""], question)
    return bool(ranked) and ranked[0][1] > 0


def _is_empty(structure: Any) -> bool:
    if isinstance(structure, Table):
        return not structure.rows
    if isinstance(structure, KnowledgeGraph):
        return not structure.triples
    if isinstance(structure, Algorithm):
        return not structure.steps
    if isinstance(structure, Catalogue):
        return not structure.roots
    return not structure.chunks


class Utilizer:
    """Answers questions from StructRAG structures with ``llm`` (any LangChain chat model).

    ``max_new_tokens`` bounds each text reply; structured replies (plan, decomposition)
    get at least 128 tokens (64 per sub-question) since a cut JSON reply is lost.
    ``max_context_tokens`` bounds the structure text (and the plan view) in a prompt.
    """

    def __init__(
        self,
        llm: BaseChatModel,
        *,
        exact: bool = True,
        max_subquestions: int = 3,
        max_context_tokens: int = 2500,
        max_new_tokens: int = 96,
    ) -> None:
        self.llm = llm
        self.exact = exact
        self.max_subquestions = _positive("max_subquestions", max_subquestions)
        self.max_context_tokens = _positive("max_context_tokens", max_context_tokens)
        self.max_new_tokens = _positive("max_new_tokens", max_new_tokens)
        item = Annotated[str, Field(pattern=SUBQUESTION_PATTERN)]
        self._decomposition = create_model(
            "Decomposition",
            subquestions=(list[item], Field(min_length=1, max_length=max_subquestions)),
        )

    # ------------------------------------------------------------------ public
    def answer(self, question: str, structure: Any) -> UtilizerResult:
        """Answer ``question`` from ``structure`` (a structure object or its dict dump)."""
        if not isinstance(question, str) or not question.strip():
            raise InputError(
                f"the question to answer is empty ({question!r})",
                fix="pass the user's question as a non-empty string",
            )
        question = question.strip()
        if isinstance(structure, dict):
            structure = structure_from_dict(structure)
        if not isinstance(structure, _STRUCTURES):
            raise InputError(
                f"cannot answer from a {type(structure).__name__}",
                fix="pass a Table, KnowledgeGraph, Algorithm, Catalogue or Chunks",
            )
        issues: list[str] = []
        calls = 0
        if _is_empty(structure):
            issues.append("empty structure")
        elif self.exact and not isinstance(structure, Chunks):
            done, calls = self._exact(question, structure, issues)
            if done is not None:
                return done
            result = self._llm(question, structure, issues, calls)
            why = issues[-1].removeprefix("exact: ") if issues else "no plan"
            result.fallback = (
                f"no computation applied ({why}); the model answered from the "
                f"{structure.kind}'s text"
            )
            return result
        return self._llm(question, structure, issues, calls)

    # ------------------------------------------------------------------ exact path
    def _exact(
        self, question: str, structure: Any, issues: list[str]
    ) -> tuple[UtilizerResult | None, int]:
        schema = plan_schema(structure, question)
        if schema is None:
            issues.append(f"exact: nothing to plan over in this {structure.kind}")
            return None, 0
        view = truncate_tokens(self.llm, structure_view(structure), self.max_context_tokens)
        budget = max(self.max_new_tokens, _PLAN_TOKENS)
        try:
            plan, reason = ask_structured(
                self.llm, schema, plan_messages(question, structure, view), max_new_tokens=budget
            )
        except UnsupportedSchemaError as exc:
            issues.append(f"exact: plan schema not supported by the model: {exc.message}")
            return None, 0
        if plan is None:
            issues.append(f"exact: plan failed: {reason}")
            return None, 1
        op, args = plan_call(structure, plan)
        if op == "none":
            issues.append("exact: the plan chose no operation")
            return None, 1
        if op == "lookup" and not _names(question, args.get("column")):
            # a field no document has: the schema offers only existing columns, and a
            # small model then looks up whichever comes first
            issues.append(
                f"exact: the question names none of the table's columns (a lookup of "
                f"{args.get('column')!r} was refused)"
            )
            return None, 1
        result = compute(structure, op, **args)
        if result is None:
            issues.append(f"exact: {op}({args}) gave no result")
            return None, 1
        computation = {"plan": plan.model_dump(), **result}
        allowed = question_ops(question, structure.kind)
        if allowed is not None:
            computation["allowed_ops"] = list(allowed)  # what the question's form allowed
        return UtilizerResult(
            answer=result["answer"],
            method="exact",
            computation=computation,
            issues=issues,
            llm_calls=1,
        ), 1

    # ------------------------------------------------------------------ llm path
    def _decompose(self, question: str, structure: Any, issues: list[str]) -> list[str]:
        name = f" ({structure.title})" if structure.title else ""
        system = (
            f"Split the question into at most {self.max_subquestions} simple sub-questions "
            f"that a {structure.kind}{name} can answer. Keep a simple question as it is."
        )
        budget = max(_PLAN_TOKENS, _TOKENS_PER_SUBQUESTION * self.max_subquestions)
        messages = [SystemMessage(system), HumanMessage(f"Question: {question}")]
        reply, reason = ask_structured(
            self.llm, self._decomposition, messages, max_new_tokens=budget
        )
        if reply is None:
            issues.append(f"decompose failed: {reason}")
            return [question]
        subs = list(dict.fromkeys(s.strip() for s in reply.subquestions if s.strip()))
        if not subs:
            issues.append("decompose gave no sub-questions")
            return [question]
        return subs[: self.max_subquestions]

    def _llm(self, question: str, structure: Any, issues: list[str], calls: int) -> UtilizerResult:
        subquestions = self._decompose(question, structure, issues)
        calls += 1
        raw = structure.to_text(max_chars=self.max_context_tokens * 8)
        knowledge = truncate_tokens(self.llm, raw, self.max_context_tokens)
        extractions = []
        for sub in subquestions:
            prompt = f"{knowledge}\n\nQuestion: {sub}\nAnswer briefly from the knowledge above."
            text = ask_text(self.llm, [HumanMessage(prompt)], max_new_tokens=self.max_new_tokens)
            calls += 1
            extractions.append({"subquestion": sub, "answer": text})
        if len(subquestions) == 1 and normalise(subquestions[0]) == normalise(question):
            answer = extractions[0]["answer"]
        else:
            pairs = "\n".join(
                f"Sub-question: {e['subquestion']}\nAnswer: {e['answer']}" for e in extractions
            )
            prompt = f"Question: {question}\n{pairs}\nGive the final short answer to the question."
            answer = ask_text(self.llm, [HumanMessage(prompt)], max_new_tokens=self.max_new_tokens)
            calls += 1
        return UtilizerResult(
            answer=answer,
            method="llm",
            subquestions=subquestions,
            extractions=extractions,
            issues=issues,
            llm_calls=calls,
        )
