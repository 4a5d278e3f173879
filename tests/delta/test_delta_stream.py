"""Streamed editing of model folders: results, sharding, atomic output, bad pairs."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

from steergraph.editing.checkpoint import Checkpoint, check_pair
from steergraph.editing.editors import BitDelta, Dare, EditContext, Extrapolate, LowRank, Ties
from steergraph.editing.stream import edit_checkpoint, edited_deltas, merge_checkpoints
from steergraph.editing.writer import CheckpointWriter
from steergraph.errors import EditingError


def _weights(folder):
    ck = Checkpoint(folder)
    return {n: ck.get(n) for n in ck.names()}


def _leftovers(parent):
    return [p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_edit_writes_base_plus_edited_delta_and_a_loadable_model(tiny_pair, tmp_path):
    base, post = tiny_pair
    editor = Dare(p=0.5, seed=7)
    result = edit_checkpoint(base, post, editor, tmp_path / "out", progress=False)
    b, p, out = _weights(base), _weights(post), _weights(tmp_path / "out")
    assert set(out) == set(p) and result.edited == len(p)
    for name in p:
        expected = b[name] + editor.edit(name, p[name] - b[name], EditContext())
        assert torch.equal(out[name], expected), name
    record = json.loads((tmp_path / "out" / "steergraph-edit.json").read_text())
    assert record["editor"] == {"method": "dare", "seed": 7, "p": 0.5, "k": 0.0}
    assert (tmp_path / "out" / "tokenizer.json").is_file()
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    assert model(torch.tensor([[1, 2, 3]])).logits.shape[-1] == model.config.vocab_size


def test_extrapolation_endpoints_are_the_two_models(tiny_pair, tmp_path):
    base, post = tiny_pair
    edit_checkpoint(base, post, Extrapolate(alpha=0.0), tmp_path / "a0", progress=False)
    edit_checkpoint(base, post, Extrapolate(alpha=1.0), tmp_path / "a1", progress=False)
    b, p = _weights(base), _weights(post)
    for name, t in _weights(tmp_path / "a0").items():
        assert torch.equal(t, b[name])
    for name, t in _weights(tmp_path / "a1").items():
        assert torch.allclose(t, p[name], atol=1e-7)


def test_sharded_output_and_sharded_input(tiny_pair, tmp_path):
    base, post = tiny_pair
    edit_checkpoint(
        base,
        post,
        Extrapolate(alpha=1.2),
        tmp_path / "sharded",
        progress=False,
        max_shard_bytes=40_000,
    )
    index = json.loads((tmp_path / "sharded" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 2
    again = edit_checkpoint(
        tmp_path / "sharded",
        tmp_path / "sharded",
        Extrapolate(alpha=3.0),
        tmp_path / "again",
        progress=False,
    )
    assert again.tensors == len(index["weight_map"])
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "sharded")
    ref = _weights(tmp_path / "again")
    for name, param in model.named_parameters():
        assert torch.allclose(param, ref[name]), name


def test_merge_two_post_models_with_ties(tiny_pair, tmp_path):
    base, post = tiny_pair
    other = tmp_path / "other"
    edit_checkpoint(base, post, Dare(p=0.5, seed=3), other, progress=False)
    merged = merge_checkpoints(
        base, [post, other], Ties(density=0.3), tmp_path / "m", progress=False
    )
    b, p, o, m = (_weights(f) for f in (base, post, other, tmp_path / "m"))
    name = next(iter(p))
    expected = b[name] + Ties(density=0.3).edit_many(
        name, [p[name] - b[name], o[name] - b[name]], EditContext()
    )
    assert torch.equal(m[name], expected) and merged.edited == len(p)


def test_edited_deltas_are_changes_to_the_post_weights(tiny_pair):
    base, post = tiny_pair
    b, p = _weights(base), _weights(post)
    for name, change in edited_deltas(base, post, Extrapolate(alpha=1.5)):
        assert torch.allclose(change, 0.5 * (p[name] - b[name]), atol=1e-7)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_different_architectures_and_shapes_are_refused(tiny_pair, tmp_path):
    from steergraph.testing.tiny import tiny_causal_lm

    base, _ = tiny_pair
    model, _tok = tiny_causal_lm(hidden=32)
    model.save_pretrained(tmp_path / "narrow")
    with pytest.raises(EditingError, match=r"tensor '.*'.*shape \[.*\] in the base but \[.*\]"):
        edit_checkpoint(base, tmp_path / "narrow", Dare(p=0.5), tmp_path / "o", progress=False)
    other = _copy(base, tmp_path / "gemma-like")
    config = json.loads((other / "config.json").read_text())
    config["model_type"] = "gemma3_text"
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(EditingError, match="differ in architecture"):
        edit_checkpoint(base, other, Dare(p=0.5), tmp_path / "o", progress=False)
    # an embedded model's declared family is checked before it is converted
    with pytest.raises(EditingError, match=r"base gemma3_text \(embedded gemma3\), post llama"):
        edit_checkpoint("gemma3", base, Dare(p=0.5), tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists() and not _leftovers(tmp_path)


def test_missing_tensor_and_dtype_mismatch_name_the_tensor(tiny_pair, tmp_path):
    base, post = tiny_pair
    broken = _copy(post, tmp_path / "missing")
    weights = load_file(broken / "model.safetensors")
    dropped = sorted(weights)[3]
    del weights[dropped]
    save_file(weights, broken / "model.safetensors")
    with pytest.raises(EditingError, match=f"tensor '{dropped}': only the base model has"):
        check_pair(Checkpoint(base), Checkpoint(broken))
    half = _copy(post, tmp_path / "half")
    weights = load_file(half / "model.safetensors")
    weights = {k: v.to(torch.bfloat16) for k, v in weights.items()}
    save_file(weights, half / "model.safetensors")
    with pytest.raises(EditingError, match=r"tensor '.*': dtype F32 in the base but BF16"):
        edit_checkpoint(base, half, Dare(p=0.5), tmp_path / "o", progress=False)
    with pytest.raises(EditingError, match="model folder not found"):
        Checkpoint(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EditingError, match=r"no \*\.safetensors"):
        Checkpoint(tmp_path / "empty")


def test_bad_settings_fail_before_writing_and_failures_leave_nothing(tiny_pair, tmp_path):
    base, post = tiny_pair
    with pytest.raises(EditingError, match=r"tensor '.*': rank 1000 is larger"):
        edit_checkpoint(base, post, LowRank(rank=1000), tmp_path / "lr", progress=False)
    with pytest.raises(EditingError, match="targets none"):
        edit_checkpoint(
            base, post, BitDelta(targets="no-such-tensor"), tmp_path / "x", progress=False
        )

    class Exploding(Dare):
        def edit(self, name, delta, ctx):
            if "layers.1" in name:
                raise RuntimeError("boom in the middle")
            return super().edit(name, delta, ctx)

    with pytest.raises(RuntimeError, match="boom"):
        edit_checkpoint(base, post, Exploding(p=0.5), tmp_path / "half-done", progress=False)
    assert not (tmp_path / "half-done").exists()
    assert not _leftovers(tmp_path)
    edit_checkpoint(base, post, Dare(p=0.1), tmp_path / "done", progress=False)
    with pytest.raises(EditingError, match="already exists"):
        edit_checkpoint(base, post, Dare(p=0.1), tmp_path / "done", progress=False)
    edit_checkpoint(base, post, Dare(p=0.2), tmp_path / "done", progress=False, overwrite=True)
    record = json.loads((tmp_path / "done" / "steergraph-edit.json").read_text())
    assert record["editor"]["p"] == 0.2 and not _leftovers(tmp_path)


def test_writer_checks_what_it_is_given(tmp_path):
    layout = [("a", (2,), "F32"), ("b", (3,), "F32")]
    with pytest.raises(EditingError, match="never written"):
        with CheckpointWriter(tmp_path / "w", layout) as w:
            w.write("a", torch.zeros(2))
    with pytest.raises(EditingError, match="layout says"):
        with CheckpointWriter(tmp_path / "w", layout) as w:
            w.write("a", torch.zeros(3))
    assert not (tmp_path / "w").exists() and not _leftovers(tmp_path)


def test_gradient_editors_duplicate_tensors_and_distilled_records(tiny_pair, tmp_path):
    from steergraph.editing.editors import BiasedDare
    from steergraph.editing.specs import editor_from_dict

    base, post = tiny_pair
    with pytest.raises(EditingError, match="needs the loss gradient"):
        edit_checkpoint(base, post, BiasedDare(by="delta_grad"), tmp_path / "g", progress=False)
    assert not (tmp_path / "g").exists() and not _leftovers(tmp_path)
    doubled = _copy(post, tmp_path / "doubled")
    weights = load_file(doubled / "model.safetensors")
    name = sorted(weights)[0]
    save_file({name: weights[name]}, doubled / "stray.safetensors")
    with pytest.raises(EditingError, match=f"tensor '{name}'.*in both"):
        Checkpoint(doubled)
    tuned = BitDelta(bits=2, levels={"w": (0.1, 0.2)}, distilled=True)
    again = editor_from_dict(json.loads(json.dumps(tuned.to_dict())))
    assert again.levels == {"w": [0.1, 0.2]} and again.distilled
    edit = again.edit("w", torch.tensor([0.01, -1.0]), EditContext())
    assert edit.tolist() == pytest.approx([0.1, -0.2])
