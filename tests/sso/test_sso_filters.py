"""SSO's filters: duplicates, log-prob order, on-policy, consistent gap; counts of drops."""

from __future__ import annotations

import pytest

from steergraph.agents.sso import (
    PrincipleLibrary,
    ScoredTriplet,
    SteeredPrompt,
    Triplet,
    drop_duplicates,
    filter_triplets,
    score_triplets,
)
from steergraph.agents.sso.filters import logprob_filters
from steergraph.errors import CapabilityError, InputError
from steergraph.testing import ScriptedChatModel, tiny_chat_model

BASE = {"query": "q", "features": ["brevity"], "good_system": "g", "bad_system": "b"}


def trip(plus="a", minus="b", zero="c"):
    return Triplet(**BASE, y_plus=plus, y_minus=minus, y0=zero)


def scored(pg, pp, pb, mg, mp, mb, tag="x"):
    return ScoredTriplet(
        **BASE,
        y_plus=f"p{tag}",
        y_minus=f"m{tag}",
        y0=f"z{tag}",
        plus_good=pg,
        plus_plain=pp,
        plus_bad=pb,
        minus_good=mg,
        minus_plain=mp,
        minus_bad=mb,
    )


def test_duplicates_are_dropped_with_reasons():
    kept, reasons = drop_duplicates(
        [
            trip(),
            trip("same", "Same "),
            trip("x", "y", " x"),
            trip("x", "y", "y"),
            trip("", "y", "z"),
        ]
    )
    assert len(kept) == 1
    assert reasons == {"y+ == y-": 1, "y+ == y0": 1, "y- == y0": 1, "empty reply": 1}


def test_logprob_stages_in_order():
    rows = [
        scored(-1.0, -2.0, -3.0, -3.0, -2.0, -1.0, "a"),  # in order, on-policy, big gap
        scored(-1.5, -2.0, -2.5, -2.5, -2.0, -1.5, "b"),  # in order, on-policy, small gap
        scored(-1.0, -3.0, -5.0, -5.0, -3.0, -1.0, "c"),  # in order, off-policy (low plain)
        scored(-2.0, -1.0, -3.0, -3.0, -2.0, -1.0, "d"),  # y+ out of order
        scored(-1.0, -2.0, -3.0, -1.0, -2.0, -3.0, "e"),  # y- out of order
    ]
    kept, stages = logprob_filters(rows)
    assert [s["stage"] for s in stages] == ["logprob order", "on-policy", "consistent gap"]
    assert stages[0]["in"] == 5 and stages[0]["out"] == 3
    assert stages[0]["dropped"] == {"y+ out of order": 1, "y- out of order (y+ in order)": 1}
    assert stages[1]["out"] == 2  # c's plain log-probs are below the mean
    assert [k.y_plus for k in kept] == ["pa"]  # a's gaps are above the mean of a and b
    assert stages[2]["dropped"] == {"gap not above mean": 1}


def test_gap_order_ignores_the_plain_prompt():
    plain_lowest = scored(-1.0, -4.0, -2.0, -2.0, -4.0, -1.0, "p")  # plain below both sides
    wrong_way = scored(-2.0, -4.0, -1.0, -2.0, -4.0, -1.0, "w")
    _, stages = logprob_filters([plain_lowest, wrong_way], order="strict")
    assert stages[0]["out"] == 0
    _, stages = logprob_filters([plain_lowest, wrong_way], order="gap")
    assert stages[0]["out"] == 1 and stages[0]["dropped"] == {"y+ out of order": 1}
    with pytest.raises(InputError, match="unknown log-prob order"):
        logprob_filters([plain_lowest], order="loose")


def test_filter_report_counts_add_up_on_a_local_model():
    lib = PrincipleLibrary.builtin()
    llm = tiny_chat_model()
    prompts = [SteeredPrompt.build(q, lib.select(["brevity"])) for q in ("Hi?", "Bye?")]
    triplets = [
        Triplet(**prompts[0].model_dump(), y_plus="short", y_minus="long long", y0="mid"),
        Triplet(**prompts[1].model_dump(), y_plus="a b", y_minus="c d e", y0="f"),
        Triplet(**prompts[1].model_dump(), y_plus="dup", y_minus="dup", y0="f"),
    ]
    report = filter_triplets(llm, triplets)
    assert report.generated == 3
    for before, after in zip(report.stages, report.stages[1:]):
        assert after["in"] == before["out"]
        assert before["in"] - before["out"] == sum(before["dropped"].values())
    assert report.stages[-1]["out"] == len(report.kept)
    assert report.as_dict()["kept_per_100"] == round(100 * len(report.kept) / 3, 2)
    # the scores are the policy's own mean token log-probs
    (s,) = score_triplets(llm, triplets[:1])
    expected = llm.score(prompts[0].bad(), ["short"])[0].mean
    assert s.plus_bad == pytest.approx(expected)


def test_api_models_cannot_be_logprob_filtered():
    with pytest.raises(CapabilityError, match="log-probs"):
        filter_triplets(ScriptedChatModel(), [trip()])
    report = filter_triplets(ScriptedChatModel(), [trip(), trip("s", "s")], logprob=False)
    assert len(report.kept) == 1 and report.stages[0]["dropped"] == {"y+ == y-": 1}
