"""HumanEval on any chat model: the prompt, and per problem greedy pass@1, best-of-n
selected by the visible docstring tests and oracle pass@n, each scored by the hidden
tests (used by the verify benchmark and ``benchmarks/llm_humaneval.py``).

Example:
    >>> humaneval_summary([{"greedy": True, "best_visible": False, "oracle": True,
    ...                     "visible_selected_passes_visible": True}], [])["oracle_pass_n"]
    1.0
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from steergraph.agents.verify import CodeTestVerifier, Problem
from steergraph.agents.verify.search import BestOfN, Greedy

__all__ = [
    "humaneval_eval",
    "humaneval_messages",
    "humaneval_problem",
    "humaneval_summary",
    "rate",
]


def humaneval_messages(problem: Problem) -> list[Any]:
    """The problem as one user message (the chat prompt of the HumanEval data)."""
    from steergraph.data.verify.humaneval import chat_prompt

    return [HumanMessage(chat_prompt(problem))]


def rate(flags: list[bool]) -> float:
    """Share of True flags, 4 decimals (0.0 for none)."""
    return round(sum(flags) / len(flags), 4) if flags else 0.0


async def humaneval_problem(llm: Any, problem: Problem, cfg: Any) -> dict[str, bool]:
    """One test problem's outcomes, each scored by the hidden tests: ``greedy`` (the greedy
    answer passes), ``best_visible`` (the best-of-n sample the visible tests select passes),
    ``oracle`` (some sample passes) and ``visible_selected_passes_visible``."""
    hidden, visible = CodeTestVerifier(tests="hidden"), CodeTestVerifier(tests="visible")
    greedy = await Greedy(max_new_tokens=cfg.max_new_tokens, messages=humaneval_messages).asearch(
        llm, problem, hidden
    )
    bon = await BestOfN(
        cfg.n,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
        seed=0,
        messages=humaneval_messages,
    ).asearch(llm, problem, visible)
    verdicts = await hidden.averify_many(problem, [c.text for c in bon.candidates])
    chosen = bon.selected
    return {
        "greedy": bool(greedy.candidates[0].verdict.passed),
        "best_visible": bool(verdicts[bon.best].passed),
        "oracle": any(bool(v.passed) for v in verdicts),
        "visible_selected_passes_visible": bool(
            chosen and chosen.verdict and chosen.verdict.passed
        ),
    }


def humaneval_summary(outcomes: list[dict[str, bool]], test: list[Problem]) -> dict[str, Any]:
    """The rates :func:`humaneval_eval` reports, from per-problem outcomes."""
    return {
        "greedy_pass1": rate([o["greedy"] for o in outcomes]),
        "best_of_n_visible_pass1": rate([o["best_visible"] for o in outcomes]),
        "oracle_pass_n": rate([o["oracle"] for o in outcomes]),
        "visible_selected_pass_visible": rate(
            [o["visible_selected_passes_visible"] for o in outcomes]
        ),
        "problems_with_visible_tests": sum(bool(p.tests) for p in test),
    }


async def humaneval_eval(llm: Any, test: list[Problem], cfg: Any) -> dict[str, Any]:
    """Greedy pass@1, best-of-n selected by the visible tests, oracle pass@n on ``test``."""
    from tqdm.auto import tqdm

    outcomes = []
    for problem in tqdm(test, desc=f"humaneval greedy + best-of-{cfg.n}", unit="problem"):
        outcomes.append(await humaneval_problem(llm, problem, cfg))
    return humaneval_summary(outcomes, test)
