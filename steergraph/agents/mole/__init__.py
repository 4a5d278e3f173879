"""Agents of the ``mole`` method: counterfactuals worse in one quality facet, made by an
LLM (:mod:`.rewrite`) and checked, or made by a perturbation (:mod:`.facets`)."""

from steergraph.agents.mole.facets import Check, check, facts, perturb, salient_words, sentences
from steergraph.agents.mole.rewrite import (
    INSTRUCTIONS,
    Counterfactual,
    counterfactual,
    rewrite_messages,
)

__all__ = [
    "INSTRUCTIONS",
    "Check",
    "Counterfactual",
    "check",
    "counterfactual",
    "facts",
    "perturb",
    "rewrite_messages",
    "salient_words",
    "sentences",
]
