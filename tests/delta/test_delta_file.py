"""Compact delta files: exact round trips, sizes, and refusing the wrong base."""

from __future__ import annotations

import shutil

import pytest
import torch
from safetensors.torch import save_file

from steergraph.editing.checkpoint import Checkpoint
from steergraph.editing.delta_file import DeltaFile, apply_delta, write_delta
from steergraph.editing.editors import (
    BitDelta,
    Dare,
    Extrapolate,
    LowRank,
    QuantizeDelta,
    Ties,
)
from steergraph.editing.stream import edit_checkpoint
from steergraph.errors import EditingError

EDITORS = [
    BitDelta(bits=1),
    BitDelta(bits=4),
    Dare(p=0.9),
    LowRank(rank=4),
    Ties(density=0.1),
    QuantizeDelta(bits=4),
    Extrapolate(alpha=1.3),
    BitDelta(bits=1, targets="linear"),
]


@pytest.mark.parametrize("editor", EDITORS, ids=lambda e: f"{e.label()} {e.targets or ''}")
def test_applying_a_delta_file_equals_editing_the_folder(tiny_pair, tmp_path, editor):
    base, post = tiny_pair
    info = write_delta(base, post, editor, tmp_path / "d.safetensors", progress=False)
    apply_delta(base, tmp_path / "d.safetensors", tmp_path / "applied", progress=False)
    edit_checkpoint(base, post, editor, tmp_path / "edited", progress=False)
    a, e = Checkpoint(tmp_path / "applied"), Checkpoint(tmp_path / "edited")
    for name in e.names():
        assert torch.equal(a.get(name), e.get(name)), name
    assert info.nbytes == (tmp_path / "d.safetensors").stat().st_size
    assert DeltaFile(tmp_path / "d.safetensors").editor == editor.to_dict()


def test_compact_kinds_and_compression(tiny_pair, tmp_path):
    base, post = tiny_pair
    one = write_delta(base, post, BitDelta(bits=1), tmp_path / "b1.safetensors", progress=False)
    four = write_delta(base, post, BitDelta(bits=4), tmp_path / "b4.safetensors", progress=False)
    dare = write_delta(base, post, Dare(p=0.95), tmp_path / "dare.safetensors", progress=False)
    dense = write_delta(
        base, post, Extrapolate(alpha=2.0), tmp_path / "x.safetensors", progress=False
    )
    assert one.kinds["signs"] > 0 and dare.kinds.get("sparse", 0) > 0
    # 1 bit of 32 per matrix entry (norm vectors are stored exactly)
    assert one.compression > 20 and 6 < four.compression < 8
    # extrapolation keeps every changed entry; only rows training never touched
    # (embeddings of unseen tokens) are zero and stored sparse
    assert dare.compression > 5 and dense.kinds["dense"] > 0 and 0.95 < dense.compression < 1.5
    assert one.compression > four.compression


def test_wrong_base_other_files_and_existing_outputs_are_refused(tiny_pair, tmp_path):
    base, post = tiny_pair
    write_delta(base, post, BitDelta(bits=1), tmp_path / "d.safetensors", progress=False)
    with pytest.raises(EditingError, match="different base"):
        apply_delta(post, tmp_path / "d.safetensors", tmp_path / "x", progress=False)
    with pytest.raises(EditingError, match="already exists"):
        write_delta(base, post, BitDelta(bits=1), tmp_path / "d.safetensors", progress=False)
    save_file({"w": torch.zeros(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(EditingError, match="not a steergraph delta file"):
        DeltaFile(tmp_path / "plain.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors at all")
    with pytest.raises(EditingError, match="not a readable delta file"):
        DeltaFile(tmp_path / "junk.safetensors")
    assert not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def bf16_pair(tiny_pair, module_tmp):
    """The tiny pair saved in bfloat16 (edits and delta files must agree bit for bit)."""
    from safetensors.torch import load_file

    root = module_tmp("bf16")
    out = []
    for folder in tiny_pair:
        dst = root / folder.name
        shutil.copytree(folder, dst)
        weights = load_file(dst / "model.safetensors")
        save_file({k: v.to(torch.bfloat16) for k, v in weights.items()}, dst / "model.safetensors")
        out.append(dst)
    return tuple(out)


@pytest.mark.parametrize(
    "editor",
    [Dare(p=0.9), BitDelta(bits=2, targets="linear"), Extrapolate(alpha=1.5), LowRank(rank=3)],
    ids=lambda e: e.label(),
)
def test_bf16_models_round_trip_exactly(bf16_pair, tmp_path, editor):
    base, post = bf16_pair
    write_delta(base, post, editor, tmp_path / "d.safetensors", progress=False)
    apply_delta(base, tmp_path / "d.safetensors", tmp_path / "applied", progress=False)
    edit_checkpoint(base, post, editor, tmp_path / "edited", progress=False)
    a, e = (Checkpoint(tmp_path / n) for n in ("applied", "edited"))
    p = Checkpoint(post)
    for name in e.names():
        assert a.get(name).dtype == torch.bfloat16
        assert torch.equal(a.get(name), e.get(name)), name
        if not editor.applies(name, e.info(name).shape):
            assert torch.equal(e.get(name), p.get(name)), name  # left alone: W_post exactly
