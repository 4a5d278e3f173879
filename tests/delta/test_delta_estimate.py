"""The Riemann-sum estimator against measured loss changes on the tiny pair."""

from __future__ import annotations

import pytest
import torch

from steergraph.editing.bitdelta import distill_bitdelta
from steergraph.editing.calibration import CalibrationSet
from steergraph.editing.editors import BiasedDare, BitDelta, Dare, Extrapolate, LowRank, Ties
from steergraph.editing.estimate import LossProbe, classify, evaluate_edits, riemann_estimate
from steergraph.editing.stream import edited_deltas
from steergraph.errors import InputError
from steergraph.testing import TINY_ROWS


@pytest.fixture(scope="module")
def probe(tiny_pair):
    return LossProbe.load(tiny_pair[1], TINY_ROWS, max_length=64)


def test_classify_by_band():
    assert classify(0.01, 0.02) == "competitive"
    assert classify(0.03, 0.02) == "decreased"
    assert classify(-0.03, 0.02) == "improved"


def test_shifting_restores_the_weights_exactly(tiny_pair, probe):
    before = {n: p.detach().clone() for n, p in probe.params.items()}
    direction = dict(edited_deltas(*tiny_pair, Dare(p=0.9)))
    loss = probe.loss()
    with probe.shifted(direction, 0.7):
        assert probe.loss() != loss
    for name, p in probe.params.items():
        assert torch.equal(p, before[name])
    assert probe.loss() == loss


def test_estimate_matches_finite_change_and_converges_with_more_steps(tiny_pair, probe):
    loss = probe.loss()
    tiny = dict(edited_deltas(*tiny_pair, Extrapolate(alpha=1.002)))
    predicted, terms = riemann_estimate(probe, tiny, steps=1)
    with probe.shifted(tiny, 1.0):
        measured = probe.loss() - loss
    assert len(terms) == 1 and predicted == pytest.approx(measured, rel=0.05)
    big = dict(edited_deltas(*tiny_pair, Extrapolate(alpha=0.6)))
    with probe.shifted(big, 1.0):
        measured = probe.loss() - loss
    coarse, _ = riemann_estimate(probe, big, steps=2, rule="left")
    fine, _ = riemann_estimate(probe, big, steps=12, rule="midpoint")
    assert abs(fine - measured) < abs(coarse - measured)
    assert fine == pytest.approx(measured, rel=0.03)


def test_evaluate_edits_predicts_the_measured_sign(tiny_pair):
    editors = [
        Dare(p=0.3),
        Dare(p=0.95),
        BitDelta(bits=1),
        BitDelta(bits=4),
        LowRank(rank=2),
        Ties(density=0.1),
        Extrapolate(alpha=0.5),
        Extrapolate(alpha=1.2),
        BiasedDare(k=0.5, by="delta_grad"),
    ]
    report = evaluate_edits(*tiny_pair, editors, TINY_ROWS, max_length=64, progress=False)
    assert report.loss_base > report.loss_post  # post-training lowered the loss
    assert report.band == pytest.approx(0.05 * (report.loss_base - report.loss_post))
    to_base = next(e for e in report.estimates if e.label == "extrapolate alpha=0.5")
    assert to_base.measured > 0 and to_base.predicted_class == "decreased"
    assert report.outside_band and report.sign_agreement == 1.0
    ext = next(e for e in report.estimates if e.label == "extrapolate alpha=1.2")
    assert ext.measured < 0  # the tiny post model is undertrained: extrapolating helps
    assert all(len(e.terms) == 5 for e in report.estimates)
    data = report.to_dict()
    assert data["sign_agreement"] == 1.0 and len(data["estimates"]) == len(editors)


def test_bad_estimator_settings(tiny_pair, probe):
    with pytest.raises(InputError, match="C >= 1"):
        riemann_estimate(probe, {}, steps=0)
    with pytest.raises(InputError, match="unknown rule"):
        riemann_estimate(probe, {}, rule="right")  # type: ignore[arg-type]


def test_calibration_formats_and_errors(tiny_pair):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_pair[1])
    chat = CalibrationSet.from_rows(tok, TINY_ROWS, max_length=64, batch_size=4)
    assert len(chat.batches) == 2 and chat.rows == len(TINY_ROWS)
    prompt_tokens = len(
        tok.apply_chat_template(
            TINY_ROWS[0]["prompt"], add_generation_prompt=True, return_dict=False
        )
    )
    assert (chat.batches[0]["labels"][0, :prompt_tokens] == -100).all()
    text = CalibrationSet.from_rows(tok, [{"text": "The quick brown fox."}])
    plain = CalibrationSet.from_rows(tok, [{"prompt": "2 + 3 =", "completion": " 5"}])
    messages = CalibrationSet.from_rows(
        tok, [{"messages": TINY_ROWS[0]["prompt"] + TINY_ROWS[0]["completion"]}]
    )
    assert (
        text.tokens > plain.tokens > 0
        and messages.tokens == CalibrationSet.from_rows(tok, TINY_ROWS[:1]).tokens
    )
    with pytest.raises(InputError, match="empty"):
        CalibrationSet.from_rows(tok, [])
    with pytest.raises(InputError, match="needs prompt"):
        CalibrationSet.from_rows(tok, [{"question": "?"}])
    with pytest.raises(InputError, match="no calibration row has a completion token"):
        CalibrationSet.from_rows(tok, TINY_ROWS, max_length=4)
    partial = CalibrationSet.from_rows(
        tok,
        [*TINY_ROWS, {"prompt": [{"role": "user", "content": "x " * 80}], "completion": "y"}],
        max_length=40,
    )
    assert partial.dropped == 1 and partial.rows == len(TINY_ROWS)


def test_distilled_bitdelta_scales_lower_the_logits_error(tiny_pair):
    result = distill_bitdelta(
        *tiny_pair, BitDelta(bits=2), TINY_ROWS, steps=12, lr=0.05, progress=False
    )
    assert result.losses[-1] < 0.9 * result.losses[0]
    editor = result.editor
    assert editor.distilled and editor.label() == "bitdelta 2-bit distilled"
    name = next(iter(editor.levels))
    assert len(editor.levels[name]) == 2
    base, post = tiny_pair
    from steergraph.editing.checkpoint import Checkpoint

    b, p = Checkpoint(base), Checkpoint(post)
    delta = p.get(name) - b.get(name)
    plain = BitDelta(bits=2).edit(name, delta, None)
    tuned = editor.edit(name, delta, None)
    assert not torch.equal(plain, tuned)
    assert sorted(tuned.abs().unique().tolist()) == pytest.approx(
        sorted(editor.levels[name]), rel=1e-6
    )
    with pytest.raises(InputError):
        distill_bitdelta(*tiny_pair, BitDelta(bits=1), TINY_ROWS, steps=0)


def test_tied_aliases_and_buffers_in_a_checkpoint_move_each_parameter_once(tmp_path):
    """A checkpoint may hold ``lm_head.weight`` beside the embeddings it is tied to, and
    float buffers; the estimator moves each parameter once and skips buffers."""
    from safetensors.torch import load_file, save_file
    from transformers import LlamaConfig, LlamaForCausalLM

    from steergraph.testing.tiny import tiny_tokenizer

    tok = tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    folders = []
    for k in range(2):
        if k:
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(0.01 * torch.randn_like(p))
        folder = tmp_path / f"m{k}"
        model.save_pretrained(folder)
        tok.save_pretrained(folder)
        weights = load_file(folder / "model.safetensors")
        weights["lm_head.weight"] = weights["model.embed_tokens.weight"].clone()
        weights["model.rotary_extra.buffer"] = torch.ones(4)
        save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
        folders.append(folder)
    report = evaluate_edits(
        *folders, [Extrapolate(alpha=1.5)], TINY_ROWS, max_length=64, progress=False
    )
    est = report.estimates[0]
    assert est.predicted == pytest.approx(est.measured, rel=0.5)
    probe = LossProbe.load(folders[1], TINY_ROWS, max_length=64)
    x = torch.zeros(len(tok), 32)
    kept = probe.restrict(
        [
            ("model.embed_tokens.weight", x),
            ("lm_head.weight", x),
            ("model.rotary_extra.buffer", torch.ones(4)),
        ]
    )
    assert list(kept) == ["model.embed_tokens.weight"]
