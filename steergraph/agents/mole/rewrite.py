"""Counterfactuals by an LLM: rewrite a text so that one quality facet gets worse.

Each facet has its own instruction (MOLE's "variations in critical quality facets"):
consistency -- change a fact against the source; coherence -- break the order and the
links between sentences; fluency -- damage the grammar; relevance -- swap important
content for unimportant details of the source. The rewrite is checked
(:func:`~steergraph.agents.mole.facets.check`); a rewrite that fails, or an LLM call
that fails, falls back to the programmatic perturbation, and the record says which
made it and why, so the fallback rate is counted, never hidden. Works with any LangChain
chat model (the embedded one by default).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=["Paris said 40 were hurt."])
    >>> src = "Officials in Paris said 12 people were hurt. The Mayor of Paris spoke."
    >>> cf = counterfactual(llm, "consistency", src, "Paris said 12 were hurt.")
    >>> cf.method, cf.check_passed, cf.text
    ('llm', True, 'Paris said 40 were hurt.')
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from steergraph.agents.calls import ask_text, truncate_tokens
from steergraph.agents.mole.facets import check, perturb
from steergraph.data.mole.summeval import check_facet

__all__ = ["INSTRUCTIONS", "Counterfactual", "counterfactual", "rewrite_messages"]

INSTRUCTIONS = {
    "consistency": "Change one or two facts so they contradict the article: a number, a "
    "name, a place or who did what. Keep everything else, including the wording.",
    "coherence": "Keep every sentence but put them in a confusing order and break the links "
    "between them, so the text no longer reads as one connected piece.",
    "fluency": "Keep the content but damage the grammar: drop small words, break agreement, "
    "swap words around, repeat a word.",
    "relevance": "Replace the most important point with a minor detail taken from the "
    "article, so the summary misses what matters. Keep the length.",
}
_SOURCE_TOKENS = 600


class Counterfactual(BaseModel):
    """One counterfactual: its facet, its text, who made it and what its check saw."""

    facet: str
    original: str
    text: str | None
    method: str  # "llm", "perturbation" or "none" (neither could make one)
    check_passed: bool
    check_reason: str
    llm_reason: str | None = None  # why the LLM's rewrite was not used


def rewrite_messages(llm: BaseChatModel, facet: str, source: str, original: str) -> list[Any]:
    """The rewrite prompt: the instruction, the (truncated) article and the text."""
    article = truncate_tokens(llm, source, _SOURCE_TOKENS)
    return [
        SystemMessage(
            "You make deliberately flawed versions of summaries for training a quality "
            f"evaluator. {INSTRUCTIONS[facet]} Reply with the rewritten summary only."
        ),
        HumanMessage(f"Article:\n{article}\n\nSummary:\n{original}\n\nRewritten summary:"),
    ]


def counterfactual(
    llm: BaseChatModel | None,
    facet: str,
    source: str,
    original: str,
    *,
    seed: int = 0,
    max_new_tokens: int | None = None,
) -> Counterfactual:
    """The LLM's checked rewrite of ``original`` worse in ``facet``, else a perturbation.

    ``llm=None`` uses the perturbation alone. Errors of the model service propagate;
    a reply that is empty, unchanged or fails its check is recorded in ``llm_reason``.
    """
    check_facet(facet)
    if not original.strip():
        return Counterfactual(
            facet=facet, original=original, text=None, method="none",
            check_passed=False, check_reason="the original text is empty",
        )  # fmt: skip
    llm_reason = "no LLM given"
    if llm is not None:
        budget = max_new_tokens or min(512, 2 * len(original.split()) + 32)
        text = ask_text(llm, rewrite_messages(llm, facet, source, original), max_new_tokens=budget)
        seen = check(facet, source, original, text) if text else None
        if seen is not None and seen.passed:
            return Counterfactual(
                facet=facet, original=original, text=text, method="llm",
                check_passed=True, check_reason=seen.reason,
            )  # fmt: skip
        llm_reason = "empty reply" if seen is None else seen.reason
    text = perturb(facet, source, original, seed=seed)
    seen = check(facet, source, original, text) if text else None
    return Counterfactual(
        facet=facet, original=original, text=text if seen and seen.passed else None,
        method="perturbation" if seen and seen.passed else "none",
        check_passed=bool(seen and seen.passed),
        check_reason=seen.reason if seen else "the text allows no perturbation",
        llm_reason=llm_reason,
    )  # fmt: skip
