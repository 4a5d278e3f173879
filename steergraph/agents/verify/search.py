"""Whole-answer search: greedy, best-of-N, self-consistency vote, verifier-guided refinement.

- :class:`Greedy`: one temperature-0 answer (the baseline every search is compared to).
- :class:`BestOfN`: ``n`` samples in one batched generate, all verified concurrently,
  the best by verdict value selected (optionally with the greedy answer among them).
- :class:`SelfConsistency`: ``n`` samples, the final answers extracted and the most
  frequent one selected; a verifier, when given, only scores what was chosen.
- :class:`Refine`: answer, verify, and while the verdict fails feed its text feedback
  back to the model for another attempt (inference-time feedback).

Step-level beam search and tree search live in :mod:`steergraph.agents.verify.search_steps`.

Example:
    >>> from steergraph.agents.verify.search import BestOfN
    >>> from steergraph.agents.verify import ExactMatch, Problem
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=["3", "4", "5"])
    >>> r = BestOfN(n=3).search(llm, Problem(prompt="2+2?", answer="4"), ExactMatch())
    >>> (r.answer, sorted(c.value for c in r.candidates))
    ('4', [0.0, 0.0, 1.0])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage

from steergraph.agents.verify.base import Problem, Verifier
from steergraph.agents.verify.search_base import (
    Candidate,
    MessagesFn,
    SearchResult,
    SearchStrategy,
    best_index,
    require_positive,
    sample_texts,
)
from steergraph.errors import InputError

__all__ = ["BestOfN", "Greedy", "Refine", "SelfConsistency"]


class Greedy(SearchStrategy):
    """One greedy answer (temperature 0 on local models; API models answer with the
    temperature they were built with), verified when a verifier is given."""

    name = "greedy"

    def __init__(self, *, max_new_tokens: int | None = None, messages: MessagesFn | None = None):
        super().__init__(messages=messages)
        self.max_new_tokens = max_new_tokens

    async def _search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None
    ) -> SearchResult:
        (text,) = await sample_texts(
            llm, self.messages(problem), 1, temperature=0.0, max_new_tokens=self.max_new_tokens
        )
        verdict = await verifier.averify(problem, text) if verifier else None
        return SearchResult(
            strategy=self.name,
            candidates=[Candidate(text=text, verdict=verdict, origin="greedy")],
            generations=1,
            verifications=int(verifier is not None),
        )


class BestOfN(SearchStrategy):
    """Sample ``n`` answers at once, verify them concurrently, keep the best.

    ``with_greedy=True`` adds the greedy answer as candidate 0 (ties go to it).
    """

    name = "best-of-n"

    def __init__(
        self,
        n: int = 8,
        *,
        temperature: float = 0.8,
        max_new_tokens: int | None = None,
        with_greedy: bool = False,
        seed: int | None = None,
        messages: MessagesFn | None = None,
    ) -> None:
        super().__init__(messages=messages)
        require_positive(n=n)
        self.n = n
        self.temperature = temperature
        self.max_new_tokens = max_new_tokens
        self.with_greedy = with_greedy
        self.seed = seed

    async def _search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None
    ) -> SearchResult:
        msgs = self.messages(problem)
        texts: list[str] = []
        origins: list[str] = []
        if self.with_greedy:
            texts += await sample_texts(
                llm, msgs, 1, temperature=0.0, max_new_tokens=self.max_new_tokens
            )
            origins.append("greedy")
        texts += await sample_texts(
            llm,
            msgs,
            self.n,
            temperature=self.temperature,
            max_new_tokens=self.max_new_tokens,
            seed=self.seed,
        )
        origins += ["sample"] * self.n
        verdicts = await verifier.averify_many(problem, texts) if verifier else [None] * len(texts)
        candidates = [
            Candidate(text=t, verdict=v, origin=o) for t, v, o in zip(texts, verdicts, origins)
        ]
        return SearchResult(
            strategy=self.name,
            candidates=candidates,
            best=best_index(candidates),
            generations=len(texts),
            verifications=len(texts) if verifier else 0,
        )


class SelfConsistency(SearchStrategy):
    """Majority vote over the final answers of ``n`` samples.

    ``extract`` pulls the final answer from a reply (default: the stripped last line);
    replies with no extractable answer do not vote. The selected candidate is the first
    reply carrying the winning answer.
    """

    name = "self-consistency"

    def __init__(
        self,
        n: int = 8,
        *,
        extract: Callable[[str], str | None] | None = None,
        temperature: float = 0.8,
        max_new_tokens: int | None = None,
        seed: int | None = None,
        messages: MessagesFn | None = None,
    ) -> None:
        super().__init__(messages=messages)
        require_positive(n=n)
        self.n = n
        self.extract = extract or _last_line
        self.temperature = temperature
        self.max_new_tokens = max_new_tokens
        self.seed = seed

    async def _search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None
    ) -> SearchResult:
        texts = await sample_texts(
            llm,
            self.messages(problem),
            self.n,
            temperature=self.temperature,
            max_new_tokens=self.max_new_tokens,
            seed=self.seed,
        )
        answers = [self.extract(t) for t in texts]
        votes = Counter(a for a in answers if a is not None)
        candidates = [Candidate(text=t) for t in texts]
        best = 0
        if votes:
            winner, _ = votes.most_common(1)[0]
            best = answers.index(winner)
        if verifier and candidates:
            candidates[best].verdict = await verifier.averify(problem, texts[best])
        return SearchResult(
            strategy=self.name,
            candidates=candidates,
            best=best,
            generations=len(texts),
            verifications=int(verifier is not None and bool(candidates)),
            details={
                "votes": dict(votes),
                "agreement": max(votes.values()) / len(texts) if votes else 0.0,
            },
        )


def _last_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else None


class Refine(SearchStrategy):
    """Answer, verify, and feed failing verdicts' feedback back for up to ``rounds`` retries.

    Each retry sees the conversation so far: the previous answer and a user turn with the
    verifier's feedback. Stops at the first passing answer; selects the best by value.
    """

    name = "refine"

    def __init__(
        self,
        rounds: int = 3,
        *,
        temperature: float = 0.0,
        max_new_tokens: int | None = None,
        messages: MessagesFn | None = None,
        feedback_template: str = (
            "A check of your answer failed: {feedback}\nFix the problem and answer again, "
            "in the same format."
        ),
    ) -> None:
        super().__init__(messages=messages)
        require_positive(rounds=rounds)
        self.rounds = rounds
        self.temperature = temperature
        self.max_new_tokens = max_new_tokens
        self.feedback_template = feedback_template

    async def _search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None
    ) -> SearchResult:
        if verifier is None:
            raise InputError("Refine needs a verifier to give feedback", fix="pass a verifier")
        msgs = self.messages(problem)
        candidates: list[Candidate] = []
        for k in range(self.rounds + 1):
            (text,) = await sample_texts(
                llm, msgs, 1, temperature=self.temperature, max_new_tokens=self.max_new_tokens
            )
            verdict = await verifier.averify(problem, text)
            candidates.append(Candidate(text=text, verdict=verdict, origin=f"refine-{k}"))
            if verdict.passed:
                break
            note = verdict.feedback or verdict.error or "the answer is not correct"
            msgs = [
                *msgs,
                AIMessage(text),
                HumanMessage(self.feedback_template.format(feedback=note)),
            ]
        return SearchResult(
            strategy=self.name,
            candidates=candidates,
            best=best_index(candidates),
            generations=len(candidates),
            verifications=len(candidates),
        )
