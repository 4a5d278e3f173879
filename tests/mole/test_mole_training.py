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


def test_alignment_reads_the_source_token_by_token(data, trained):
    rows, _ = data
    model, _ = trained
    source = rows[0].source
    copied = " ".join(source.split()[:40])
    unrelated = "Bake the bread at two hundred degrees until golden and serve it warm."
    states = model._frozen([copied, unrelated], "text")
    per_token, stats = model._alignment([source, source], states)
    assert per_token.shape[0] == 2 and stats.shape == (2, 3)
    assert float(stats[0, 0]) > 0.9 > float(stats[1, 0])  # precision: copied words match
    assert float(per_token[0, 1 : len(states[0]) - 1].min()) > float(per_token[1].min())
    # a source with no sentence punctuation, or a blank one, is still read
    assert model._source_tokens(["no full stop here", " "])[0].shape[-1] == 384


def test_the_alignment_switch_changes_the_head_and_survives_saving(data, tmp_path):
    rows, _ = data
    plain, _ = train_mole(rows[:16], (), MoleConfig(epochs=1, align_tokens=0))
    assert plain.heads[0].in_features == 4 * 384
    plain.save(tmp_path)
    again = MoleEvaluator.load(tmp_path)
    assert again.config.align_tokens == 0 and again.heads[0].in_features == 4 * 384
    pair = ([rows[0].source], [rows[0].text])
    assert again.score(*pair) == plain.score(*pair)
