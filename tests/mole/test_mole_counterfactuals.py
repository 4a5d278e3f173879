"""Counterfactuals: each perturbation passes its own facet's check on real SummEval texts
and not the checks of facets it leaves alone; LLM rewrites are checked and fall back."""

from __future__ import annotations

import pytest

from steergraph.agents.mole import check, counterfactual, perturb
from steergraph.data.mole import FACETS, load_summeval
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel


@pytest.fixture(scope="module")
def sample():
    return load_summeval()[::9]  # 128 summaries of every article


@pytest.mark.parametrize("facet", FACETS)
def test_each_perturbation_passes_its_check(sample, facet):
    made = [perturb(facet, r.source, r.text, seed=3) for r in sample]
    passed = [check(facet, r.source, r.text, cf).passed for r, cf in zip(sample, made) if cf]
    assert len(passed) >= 0.9 * len(sample) and sum(passed) >= 0.9 * len(passed)


@pytest.mark.parametrize(
    ("made_for", "not_seen_by"),
    [("fluency", "consistency"), ("coherence", "consistency"), ("coherence", "relevance"),
     ("consistency", "coherence"), ("consistency", "fluency")],
)  # fmt: skip
def test_a_perturbation_is_not_mistaken_for_another_facet(sample, made_for, not_seen_by):
    made = [(r, perturb(made_for, r.source, r.text, seed=3)) for r in sample]
    seen = [check(not_seen_by, r.source, r.text, cf).passed for r, cf in made if cf]
    assert sum(seen) <= 0.1 * len(seen)


def test_llm_rewrites_are_checked_and_fall_back_to_perturbations(sample):
    row = sample[0]
    unchanged = counterfactual(
        ScriptedChatModel(responses=[row.text]), "coherence", row.source, row.text
    )
    assert unchanged.method == "perturbation" and unchanged.llm_reason == "unchanged"
    assert unchanged.check_passed and unchanged.text != row.text
    shuffled = perturb("coherence", row.source, row.text, seed=9)
    from_llm = counterfactual(
        ScriptedChatModel(responses=[shuffled]), "coherence", row.source, row.text
    )
    assert from_llm.method == "llm" and from_llm.text == shuffled and from_llm.llm_reason is None
    empty = counterfactual(None, "fluency", row.source, "   ")
    assert empty.method == "none" and not empty.check_passed and empty.text is None
    with pytest.raises(InputError, match="unknown facet"):
        counterfactual(None, "style", row.source, row.text)
