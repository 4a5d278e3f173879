"""The MOLE evaluator: joint loss, baselines' switches, persistence, bad input."""

from __future__ import annotations

import pytest

from steergraph.agents.mole import perturb
from steergraph.data.mole import FACETS, load_summeval
from steergraph.errors import InputError, InputFileError
from steergraph.training.mole import MoleConfig, MoleEvaluator, train_mole


@pytest.fixture(scope="module")
def data():
    rows = load_summeval()[:32]  # two articles
    pairs = [
        {"source": r.source, "original": r.text, "facet": f,
         "text": perturb(f, r.source, r.text, seed=1)}
        for r in rows[:12] for f in FACETS
    ]  # fmt: skip
    return rows, [p for p in pairs if p["text"]]


@pytest.fixture(scope="module")
def trained(data):
    rows, pairs = data
    config = MoleConfig(epochs=3, batch_size=16, contrastive_weight=5.0, margin=0.2)
    return train_mole(rows, pairs, config)


def test_joint_training_orders_originals_above_their_counterfactuals(data, trained):
    _, pairs = data
    model, history = trained
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["contrastive"] < history[0]["contrastive"]
    good = model.score([p["source"] for p in pairs], [p["original"] for p in pairs])
    bad = model.score([p["source"] for p in pairs], [p["text"] for p in pairs])
    above = [g[p["facet"]] > b[p["facet"]] for p, g, b in zip(pairs, good, bad)]
    assert sum(above) >= 0.8 * len(above)
    assert all(1.0 <= v <= 5.0 for s in good for v in s.values())


def test_saved_evaluator_scores_the_same(trained, data, tmp_path):
    rows, _ = data
    model, _ = trained
    folder = model.save(tmp_path / "mole")
    again = MoleEvaluator.load(folder)
    a = model.score([r.source for r in rows[:4]], [r.text for r in rows[:4]])
    b = again.score([r.source for r in rows[:4]], [r.text for r in rows[:4]])
    assert all(x == pytest.approx(y) for x, y in zip(a, b, strict=True))


def test_single_score_baseline_gives_one_value_for_every_facet(data):
    rows, _ = data
    model, history = train_mole(rows[:16], (), MoleConfig(epochs=1, single_score=True))
    (scores,) = model.score([rows[0].source], [rows[0].text])
    assert len(set(scores.values())) == 1 and history[0]["contrastive"] == 0.0


def test_bad_input_is_a_clear_error(trained, tmp_path):
    model, _ = trained
    with pytest.raises(InputError, match="text 1 is empty"):
        model.score(["s", "s"], ["fine", "  "])
    with pytest.raises(InputError, match="2 sources for 1 texts"):
        model.score(["s", "s"], ["t"])
    with pytest.raises(InputError, match="unknown facet"):
        MoleConfig(facets=("clarity",))
    with pytest.raises(InputError, match="no rated summaries"):
        train_mole([], ())
    with pytest.raises(InputFileError, match="holds no MOLE evaluator"):
        MoleEvaluator.load(tmp_path)


def test_the_evaluator_is_a_verifier_with_per_facet_scores(trained, data):
    from steergraph.agents.verify.base import Problem
    from steergraph.training.mole_verifier import MoleVerifier

    model, _ = trained
    _, pairs = data
    verifier = MoleVerifier(model, threshold=1.0)
    problem = Problem(prompt="write a summary", metadata={"source": pairs[0]["source"]})
    good, bad = verifier.verify(problem, pairs[0]["original"]), verifier.verify(problem, "  ")
    assert good.passed and set(good.details["facets"]) == set(FACETS) and 0 <= good.score <= 1
    assert good.details["weakest"] in good.feedback
    assert bad.error == "empty candidate" and not bad.passed
