"""Editors on single tensors: what each does, seeding, encodings, bad settings."""

from __future__ import annotations

import pytest
import torch

from steergraph.editing.editors import (
    BiasedDare,
    BitDelta,
    Dare,
    EditContext,
    Extrapolate,
    LowRank,
    QuantizeDelta,
    Ties,
)
from steergraph.editing.encoding import decode, encode_auto, pack_bits, unpack_bits
from steergraph.editing.specs import editor_from_dict, parse_editor
from steergraph.errors import EditingError

CTX = EditContext()


def _delta(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_dare_drops_at_rate_p_and_keeps_the_expected_delta():
    delta = torch.ones(200_000)
    out = Dare(p=0.9, seed=3).edit("w", delta, CTX)
    assert out.unique().tolist() == pytest.approx([0.0, 10.0])
    assert (out == 0).float().mean().item() == pytest.approx(0.9, abs=0.005)
    assert out.mean().item() == pytest.approx(1.0, abs=0.02)


def test_dare_k_extension_values_and_expectation():
    delta = torch.full((100_000,), 2.0)
    out = Dare(p=0.6, k=0.5, seed=0).edit("w", delta, CTX)
    assert sorted(out.unique().tolist()) == pytest.approx([1.0, 2.0 * (1 - 0.5 * 0.6) / 0.4])
    assert out.mean().item() == pytest.approx(2.0, rel=0.01)


def test_dare_is_seeded_per_tensor_and_order_free():
    delta = _delta(64, 64)
    a = Dare(p=0.5, seed=1).edit("layer.0", delta, CTX)
    Dare(p=0.5, seed=1).edit("layer.1", delta, CTX)
    assert torch.equal(a, Dare(p=0.5, seed=1).edit("layer.0", delta, CTX))
    assert not torch.equal(a, Dare(p=0.5, seed=1).edit("layer.1", delta, CTX))
    assert not torch.equal(a, Dare(p=0.5, seed=2).edit("layer.0", delta, CTX))
    assert torch.equal(Dare(p=0.0).edit("w", delta, CTX), delta)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dare_rejects_p_outside_unit_interval(p):
    with pytest.raises(EditingError, match=r"outside \[0, 1\)"):
        Dare(p=p)


def test_biased_dare_by_delta_scales_negative_entries_by_k():
    delta = torch.tensor([1.0, -1.0, 2.0, -2.0])
    out = BiasedDare(k=0.5, by="delta").edit("w", delta, CTX)
    p = 0.5
    keep = (1 - 0.5 * p) / (1 - p)
    assert out.tolist() == pytest.approx([keep, -0.5, 2 * keep, -1.0])


def test_biased_dare_by_gradient_needs_the_gradient():
    with pytest.raises(EditingError, match="gradient"):
        BiasedDare(by="delta_grad").edit("w", torch.ones(3), CTX)
    grads = {"w": torch.tensor([1.0, -1.0, 1.0])}
    out = BiasedDare(k=0.0, by="delta_grad").edit("w", torch.ones(3), EditContext(grads=grads))
    assert out.tolist() == pytest.approx([1.5, 0.0, 1.5])


def test_bitdelta_one_bit_is_sign_times_mean_magnitude():
    delta = _delta(32, 16)
    out = BitDelta(bits=1).edit("w", delta, CTX)
    expected = torch.where(delta >= 0, 1.0, -1.0) * delta.abs().mean()
    assert torch.allclose(out, expected)


def test_multibit_bitdelta_uses_block_means_and_gets_closer():
    delta = _delta(64, 64)
    errors = []
    for bits in (1, 2, 3, 4):
        out = BitDelta(bits=bits).edit("w", delta, CTX)
        assert out.abs().unique().numel() == 2 ** (bits - 1)
        assert torch.equal(torch.sign(out), torch.where(delta >= 0, 1.0, -1.0))
        errors.append(float((out - delta).norm()))
    assert errors == sorted(errors, reverse=True) and errors[-1] < 0.3 * errors[0]
    two = BitDelta(bits=2).edit("w", delta, CTX).abs()
    small = delta.abs() <= delta.abs().median()
    assert two[small].unique().item() == pytest.approx(delta.abs()[small].mean().item(), rel=1e-5)


@pytest.mark.parametrize("bits", [0, 9, 1.5])
def test_bitdelta_rejects_bits_out_of_range(bits):
    with pytest.raises(EditingError, match="bits"):
        BitDelta(bits=bits)


def test_lowrank_is_exact_on_a_low_rank_delta_and_refuses_too_large_ranks():
    delta = _delta(20, 3, seed=1) @ _delta(3, 12, seed=2)
    assert torch.allclose(LowRank(rank=3).edit("w", delta, CTX), delta, atol=1e-5)
    assert not torch.allclose(LowRank(rank=2).edit("w", delta, CTX), delta, atol=1e-3)
    with pytest.raises(EditingError, match=r"tensor 'w'.*rank 13 is larger.*at most 12"):
        LowRank(rank=13).check("w", (20, 12))
    assert not LowRank(rank=2).applies("norm.weight", (20,))
    with pytest.raises(EditingError, match="positive integer"):
        LowRank(rank=0)


def test_ties_trims_and_elects_signs():
    delta = torch.tensor([0.1, -3.0, 0.2, 4.0, -0.05])
    assert Ties(density=0.4).edit("w", delta, CTX).tolist() == pytest.approx([0, -3.0, 0, 4.0, 0])
    a = torch.tensor([1.0, 2.0, -1.0])
    b = torch.tensor([3.0, -4.0, -3.0])
    merged = Ties(density=1.0).edit_many("w", [a, b], CTX)
    # entry 0: both +, mean 2; entry 1: sum -2 elects -, only b agrees; entry 2: both -, mean -2
    assert merged.tolist() == pytest.approx([2.0, -4.0, -2.0])
    with pytest.raises(EditingError, match="density"):
        Ties(density=0.0)


def test_extrapolate_and_quantize():
    delta = _delta(8, 8)
    assert torch.allclose(Extrapolate(alpha=1.5).edit("w", delta, CTX), 1.5 * delta)
    q = QuantizeDelta(bits=4).edit("w", delta, CTX)
    scale = delta.abs().amax(dim=1, keepdim=True) / 7
    assert ((q - delta).abs() <= scale / 2 + 1e-6).all()
    assert q.unique().numel() > 8
    with pytest.raises(EditingError, match="finite"):
        Extrapolate(alpha=float("nan"))
    with pytest.raises(EditingError, match=r"2\.\.8"):
        QuantizeDelta(bits=1)


@pytest.mark.parametrize(
    "editor",
    [
        Dare(p=0.7),
        Dare(p=0.5, k=0.3),
        BitDelta(bits=1),
        BitDelta(bits=3),
        LowRank(rank=4),
        Ties(density=0.3),
        Extrapolate(alpha=0.7),
        QuantizeDelta(bits=3),
    ],
    ids=lambda e: e.label(),
)
def test_decoding_an_encoding_gives_exactly_the_edit(editor):
    delta = _delta(24, 40, seed=5)
    enc = editor.encode("w", delta, CTX)
    assert torch.equal(decode(enc), editor.edit("w", delta, CTX))
    assert enc.nbytes <= delta.numel() * 4 + 8


def test_bit_packing_round_trips_and_auto_encoding_picks_sparse():
    codes = torch.randint(0, 8, (1001,))
    packed = pack_bits(codes, 3)
    assert packed.numel() == (1001 * 3 + 7) // 8
    assert torch.equal(unpack_bits(packed, 3, 1001), codes)
    sparse = torch.zeros(1000)
    sparse[[3, 500]] = torch.tensor([1.0, -2.0])
    enc = encode_auto(sparse, "F32")
    assert enc.kind == "sparse" and torch.equal(decode(enc), sparse)
    assert encode_auto(_delta(10, 10), "F32").kind == "dense"


def test_targets_select_tensors():
    assert BitDelta().applies("model.embed_tokens.weight", (10, 4))
    assert not BitDelta(targets="linear").applies("model.embed_tokens.weight", (10, 4))
    assert BitDelta(targets="linear").applies("model.layers.0.mlp.up_proj.weight", (10, 4))
    assert Dare(targets=r"\.mlp\.").applies("model.layers.0.mlp.up_proj.weight", (4,))
    assert not Dare(targets=r"\.mlp\.").applies("model.norm.weight", (4,))
    with pytest.raises(EditingError, match="regular expression"):
        Dare(targets="(")


def test_specs_round_trip_and_bad_specs_are_named():
    assert parse_editor("dare:p=0.9,k=0.5") == Dare(p=0.9, k=0.5)
    assert parse_editor("bitdelta:bits=4,targets=linear") == BitDelta(bits=4, targets="linear")
    for editor in (Dare(p=0.2, seed=4), LowRank(rank=3), Ties(density=0.5, lam=0.9)):
        assert editor_from_dict(editor.to_dict()) == editor
    with pytest.raises(EditingError, match="unknown editing method 'drop'"):
        parse_editor("drop:p=0.5")
    with pytest.raises(EditingError, match="has no setting"):
        parse_editor("dare:q=0.5")
    with pytest.raises(EditingError, match="cannot read"):
        parse_editor("dare:p")
