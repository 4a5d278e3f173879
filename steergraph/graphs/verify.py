"""The verifier-engineering graph: search -> verify -> feedback, for a bounded number of rounds.

``search`` runs a :class:`~steergraph.agents.verify.search_base.SearchStrategy` (best-of-N,
self-consistency, beam, tree search, refinement) with the context's verifier on every
problem, a few problems at once; ``verify`` scores each problem's selected answer with
the evaluation verifier (e.g. HumanEval's hidden tests, never shown to the search) and
records the round's figures; ``feedback`` turns the verified candidates into training
data and, unless ``feedback="none"``, trains the policy with TRL (rejection-sampling
SFT, best-vs-worst DPO, or GRPO with the verifier as reward), exports it for llama.cpp,
and hands the new policy to the next round's search: the loop closes.

Every node is a LangGraph step, so with a checkpointer (``SqliteSaver``) each round is
checkpointed and a killed run resumes on its thread where it stopped; each round's
datasets and policy are written under ``workdir/round-<k>/``.

Example:
    >>> from steergraph.agents.verify.search import BestOfN
    >>> from steergraph.agents.verify import ExactMatch, Problem
    >>> from steergraph.testing import ScriptedChatModel
    >>> ctx = VerifyContext(model=ScriptedChatModel(responses=["4", "5"], cycle=True),
    ...                     strategy=BestOfN(n=2), verifier=ExactMatch(), feedback="none")
    >>> problems = [Problem(id="p1", prompt="2+2?", answer="4").model_dump(by_alias=True)]
    >>> out = build_verify_graph().invoke({"problems": problems}, context=ctx)
    >>> out["history"][0]["selected_pass_rate"], out["status"]
    (1.0, 'done')
"""

from __future__ import annotations

import asyncio
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from steergraph.agents.verify.base import Problem, Verifier
from steergraph.agents.verify.search import BestOfN
from steergraph.agents.verify.search_base import SearchResult, SearchStrategy
from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError
from steergraph.graphs.policies import round_policy
from steergraph.graphs.verify_feedback import apply_feedback

__all__ = [
    "FeedbackMode",
    "VerifyContext",
    "VerifyState",
    "build_verify_graph",
    "default_eval_verifier",
    "default_verifier",
    "feedback",
    "next_round",
    "search",
    "verify",
]

FeedbackMode = Literal["none", "sft", "dpo", "grpo"]


class VerifyState(TypedDict, total=False):
    """Serializable state: the problems, the round counter, the current policy folder.

    ``searched`` and ``evaluated`` hold the current round's search results and final
    verdicts; ``history`` one entry per finished round (figures and feedback summary).
    """

    problems: list[dict[str, Any]]
    round: int
    policy: str | None
    searched: list[dict[str, Any]]
    evaluated: list[dict[str, Any]]
    summary: dict[str, Any]
    history: Annotated[list[dict[str, Any]], operator.add]
    status: str


@dataclass
class VerifyContext:
    """Run-time dependencies and knobs (not checkpointed; pass the same on resume).

    ``verifier`` guides search (default: :func:`default_verifier` per problem);
    ``eval_verifier`` scores the selected answers only (default:
    :func:`default_eval_verifier`: hidden tests where a problem has them, else the
    search verifier). ``concurrency`` bounds the problems searched and evaluated at once.
    ``workdir`` is required when ``feedback`` trains. ``train`` overrides trainer
    settings (see :mod:`steergraph.training.recipes`).
    """

    model: str | BaseChatModel = "local"
    strategy: SearchStrategy = field(default_factory=lambda: BestOfN(n=8))
    verifier: Verifier | None = None
    eval_verifier: Verifier | None = None
    feedback: FeedbackMode = "sft"
    rounds: int = 1
    workdir: str | None = None
    train: dict[str, Any] = field(default_factory=dict)
    export: bool = True
    concurrency: int = 4
    progress: bool = False


_DEFAULTS: dict[str, Verifier] = {}  # shared: one sandbox (and its concurrency bound) per kind


def _shared(kind: str) -> Verifier:
    if kind not in _DEFAULTS:
        from steergraph.agents.verify.code import CodeTestVerifier
        from steergraph.agents.verify.rules import ExactMatch

        _DEFAULTS[kind] = {
            "visible": lambda: CodeTestVerifier(),
            "hidden": lambda: CodeTestVerifier(tests="hidden"),
            "exact": lambda: ExactMatch(),
        }[kind]()
    return _DEFAULTS[kind]


def default_verifier(problem: Problem) -> Verifier:
    """Visible code tests for problems with tests, else exact match on the reference answer.

    The exact match reads the reference answer, so selecting with it is oracle selection;
    the round summary says so (``selection_reads_reference``).
    """
    if problem.tests or problem.entry_point:
        return _shared("visible")
    if problem.answer is not None:
        return _shared("exact")
    raise InputError(
        f"problem {problem.id!r} has no tests and no answer, so no default verifier applies",
        fix="give it an answer or tests, or pass VerifyContext(verifier=...)",
    )


def default_eval_verifier(problem: Problem, ctx: VerifyContext) -> Verifier:
    """Hidden tests where the problem has them, else the search verifier."""
    if ctx.eval_verifier is not None:
        return ctx.eval_verifier
    if problem.hidden_tests:
        return _shared("hidden")
    return ctx.verifier or default_verifier(problem)


def _policy(state: VerifyState, ctx: VerifyContext) -> BaseChatModel:
    return round_policy(state.get("policy"), ctx.model)


def _describe(llm: BaseChatModel, folder: str | None) -> dict[str, Any]:
    """Which policy a round searched with (trained rounds are f16 GGUF exports)."""
    return {
        "policy": folder or getattr(llm, "model_name", type(llm).__name__),
        "engine": getattr(llm, "engine_name", "api"),
    }


def _problems(state: VerifyState) -> list[Problem]:
    raw = state.get("problems") or []
    if not raw:
        raise InputError("the verify graph got no problems", fix="pass {'problems': [...]}")
    return [Problem.model_validate(p) for p in raw]


async def _search_all(
    llm: BaseChatModel, problems: list[Problem], ctx: VerifyContext
) -> list[SearchResult]:
    gate = asyncio.Semaphore(max(1, ctx.concurrency))
    bar = None
    if ctx.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(problems), desc="search", unit="problem")

    async def one(p: Problem) -> SearchResult:
        async with gate:
            verifier = ctx.verifier or default_verifier(p)
            try:
                return await ctx.strategy.asearch(llm, p, verifier)
            except InputError:
                raise
            except Exception as exc:  # one problem's failure (context overflow, API error)
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                return SearchResult(
                    strategy=ctx.strategy.name,
                    problem_id=p.id,
                    candidates=[],
                    details={"error": error},
                )
            finally:
                if bar is not None:
                    bar.update(1)

    try:
        return list(await asyncio.gather(*(one(p) for p in problems)))
    finally:
        if bar is not None:
            bar.close()


def search(state: VerifyState, runtime: Runtime[VerifyContext]) -> dict[str, Any]:
    """Search every problem with the round's policy (best-of-n, self-consistency, ...)."""
    ctx = runtime.context or VerifyContext()
    if ctx.rounds < 1:
        raise InputError(f"rounds must be >= 1, got {ctx.rounds}", fix="pass rounds=1 or more")
    llm = _policy(state, ctx)
    results = run_sync(_search_all(llm, _problems(state), ctx))
    return {
        "searched": [r.model_dump() for r in results],
        "status": "searched",
        "summary": _describe(llm, state.get("policy")),
    }


async def _evaluate(
    problems: list[Problem], results: list[SearchResult], ctx: VerifyContext
) -> list[dict[str, Any]]:
    """Each selected answer through the evaluation verifier (hidden tests, reference)."""
    gate = asyncio.Semaphore(max(1, ctx.concurrency))

    async def one(p: Problem, r: SearchResult) -> dict[str, Any]:
        async with gate:
            verdict = await default_eval_verifier(p, ctx).averify(p, r.answer)
        return {
            "problem_id": p.id,
            "passed": bool(verdict.passed),
            "value": verdict.value,
            "error": verdict.error,
        }

    return list(await asyncio.gather(*(one(p, r) for p, r in zip(problems, results))))


def _round_summary(
    state: VerifyState,
    ctx: VerifyContext,
    problems: list[Problem],
    results: list[SearchResult],
    evaluated: list[dict[str, Any]],
) -> dict[str, Any]:
    n = max(len(results), 1)
    return {
        **(state.get("summary") or {}),
        "round": state.get("round", 0) + 1,
        "search_errors": sum(bool(r.details.get("error")) for r in results),
        "selection_reads_reference": ctx.verifier is None
        and any(not (p.tests or p.entry_point) for p in problems),
        "problems": len(results),
        "candidates": sum(len(r.candidates) for r in results),
        "generations": sum(r.generations for r in results),
        "search_seconds": round(sum(r.seconds for r in results), 3),
        "selected_pass_rate": sum(
            bool(r.selected and r.selected.verdict and r.selected.verdict.passed) for r in results
        )
        / n,
        "any_pass_rate": sum(
            any(c.verdict is not None and c.verdict.passed for c in r.candidates) for r in results
        )
        / n,
        "eval_pass_rate": sum(e["passed"] for e in evaluated) / n,
    }


def verify(state: VerifyState, runtime: Runtime[VerifyContext]) -> dict[str, Any]:
    """Score every selected answer with the evaluation verifier; the round's figures."""
    ctx = runtime.context or VerifyContext()
    problems = _problems(state)
    results = [SearchResult.model_validate(r) for r in state["searched"]]
    evaluated = run_sync(_evaluate(problems, results, ctx))
    summary = _round_summary(state, ctx, problems, results, evaluated)
    return {"evaluated": evaluated, "status": "verified", "summary": summary}


def feedback(state: VerifyState, runtime: Runtime[VerifyContext]) -> dict[str, Any]:
    """Apply the feedback strategy (e.g. SFT on verified answers); record the round."""
    ctx = runtime.context or VerifyContext()
    k = state.get("round", 0) + 1
    problems = _problems(state)
    results = [SearchResult.model_validate(r) for r in state["searched"]]
    workdir = Path(ctx.workdir) / f"round-{k}" if ctx.workdir else None
    outcome = apply_feedback(
        _policy(state, ctx),
        ctx.strategy,
        problems,
        results,
        ctx,
        workdir,
        verifier_for=lambda p: ctx.verifier or default_verifier(p),
    )
    update: dict[str, Any] = {"round": k, "status": "done" if k >= ctx.rounds else "next"}
    if outcome.policy is not None:
        update["policy"] = outcome.policy
    update["history"] = [{**(state.get("summary") or {}), "feedback": outcome.summary}]
    return update


def next_round(state: VerifyState) -> str:
    """Another round, or the end."""
    return END if state.get("status") == "done" else "search"


def build_verify_graph(*, checkpointer: Any = None) -> Any:
    """Compile the search -> verify -> feedback graph (see module docstring): only the wiring."""
    graph = StateGraph(VerifyState, context_schema=VerifyContext)
    graph.add_node("search", search)
    graph.add_node("verify", verify)
    graph.add_node("feedback", feedback)
    graph.add_edge(START, "search")
    graph.add_edge("search", "verify")
    graph.add_edge("verify", "feedback")
    graph.add_conditional_edges("feedback", next_round, ["search", END])
    return graph.compile(checkpointer=checkpointer, name="verify")
