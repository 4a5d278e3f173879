"""An LLM judge: any LangChain chat model returns a structured verdict.

The judge is asked for ``{"correct": bool, "score": 0-10, "feedback": str}`` through
``with_structured_output`` (grammar-constrained on local models, the provider's
structured output on API models). A reply that cannot be parsed, a score out of range,
or a model error becomes a failed verdict with the reason; it never raises into the
search or training loop.

Example:
    >>> from steergraph.agents.verify import LLMJudge, Problem
    >>> from steergraph.testing import ScriptedChatModel
    >>> judge = LLMJudge(ScriptedChatModel(responses=[
    ...     '{"correct": true, "score": 9, "feedback": "right"}']))
    >>> v = judge.verify(Problem(prompt="2+2?"), "4")
    >>> (v.passed, v.score)
    (True, 0.9)
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError, field_validator

from steergraph.agents.calls import structured_model, with_budget
from steergraph.agents.verify.base import Problem, Verdict, Verifier, failed_verdict
from steergraph.errors import StructuredOutputError

__all__ = ["JUDGE_SYSTEM", "JudgeReply", "LLMJudge"]

JUDGE_SYSTEM = (
    "You are a strict grader. Read the task and the candidate answer. Decide whether the "
    "answer is correct and complete, give a score from 0 (wrong) to 10 (perfect), and one "
    "short sentence of feedback saying what to fix."
)


class JudgeReply(BaseModel):
    """What the judge must return."""

    correct: bool
    score: int = Field(ge=0, le=10)
    # the length bound guides constrained decoding; longer text from an API is cut, not refused
    feedback: str = Field(default="", json_schema_extra={"maxLength": 200})

    @field_validator("feedback", mode="after")
    @classmethod
    def _cut(cls, text: str) -> str:
        return text[:200]


class LLMJudge(Verifier):
    """Grade candidates with a chat model; ``criteria`` adds task-specific instructions.

    ``reference=True`` shows the problem's reference answer to the judge (when set).
    The verdict's ``score`` is the judge's score / 10; ``passed`` is its ``correct``.
    """

    name = "llm-judge"
    concurrency = 4

    def __init__(
        self,
        llm: BaseChatModel,
        *,
        criteria: str = "",
        reference: bool = True,
        max_new_tokens: int = 256,
    ) -> None:
        self.llm = llm
        self.criteria = criteria
        self.reference = reference
        self.max_new_tokens = max_new_tokens

    def _messages(self, problem: Problem, candidate: str) -> list[Any]:
        parts = [f"Task:\n{problem.prompt}"]
        if self.reference and problem.answer is not None:
            parts.append(f"Reference answer:\n{problem.answer}")
        parts.append(f"Candidate answer:\n{candidate}")
        system = JUDGE_SYSTEM + (f"\nCriteria: {self.criteria}" if self.criteria else "")
        return [SystemMessage(system), HumanMessage("\n\n".join(parts))]

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        llm = with_budget(self.llm, self.max_new_tokens)
        try:
            # sync invoke in a thread: API clients' async sessions are bound to one event loop
            reply = await asyncio.to_thread(
                structured_model(llm, JudgeReply).invoke, self._messages(problem, candidate)
            )
        except (StructuredOutputError, ValidationError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return failed_verdict(self.name, f"malformed judge verdict: {first}")
        if isinstance(reply, dict):  # providers may hand back a dict
            try:
                reply = JudgeReply.model_validate(reply)
            except ValidationError as exc:
                return failed_verdict(self.name, f"malformed judge verdict: {exc.errors()[0]}")
        if not isinstance(reply, JudgeReply):
            return failed_verdict(
                self.name, f"judge returned {type(reply).__name__}, not a verdict"
            )
        return Verdict(
            verifier=self.name,
            passed=reply.correct,
            score=reply.score / 10.0,
            feedback=reply.feedback,
            details={"judge_score": reply.score},
        )
