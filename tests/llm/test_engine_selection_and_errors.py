"""Engine choice, GGUF export errors, bad GGUF files, fast inference copies, sampling."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from steergraph.errors import (
    CapabilityError,
    InputError,
    ModelLoadError,
    ModelSpecError,
    UnsupportedSchemaError,
)
from steergraph.llm import parse_spec
from steergraph.llm.engines.llamacpp import LlamaCppEngine
from steergraph.llm.engines.select import build_engine, default_engine


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local+hf", ("local+hf", "smollm2")),
        ("local+gguf:gemma3", ("local+gguf", "gemma3")),
        ("local+gguf:/m/model.gguf", ("local+gguf", "/m/model.gguf")),
    ],
)
def test_engine_specs(spec, expected):
    assert parse_spec(spec) == expected


def test_bad_engine_env_is_a_spec_error(monkeypatch):
    monkeypatch.setenv("STEERGRAPH_ENGINE", "vllm")
    with pytest.raises(ModelSpecError, match="STEERGRAPH_ENGINE"):
        default_engine()
    with pytest.raises(ModelSpecError, match="unknown engine"):
        build_engine("smollm2", "tensorrt")


def test_missing_gguf_names_the_file(tmp_path, tiny_gguf):
    _, _, tok = tiny_gguf
    with pytest.raises(ModelLoadError, match=r"nothing\.gguf' does not exist"):
        LlamaCppEngine(tmp_path / "nothing.gguf", tok)


def test_not_a_gguf_file(tmp_path, tiny_gguf):
    _, _, tok = tiny_gguf
    bad = tmp_path / "weights.gguf"
    bad.write_bytes(b"PK\x03\x04 this is a zip")
    with pytest.raises(ModelLoadError, match="is not a GGUF file"):
        LlamaCppEngine(bad, tok)


def test_truncated_gguf_names_the_file(tmp_path, tiny_gguf):
    folder, _, tok = tiny_gguf
    data = (folder / "model.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match=r"could not load '.*cut\.gguf'") as info:
        LlamaCppEngine(cut, tok)
    assert "not within the file bounds" in str(info.value)


def test_unknown_architecture_gguf_quotes_llama_cpp(tmp_path, tiny_gguf):
    import gguf

    _, _, tok = tiny_gguf
    path = tmp_path / "alien.gguf"
    writer = gguf.GGUFWriter(str(path), "alienformer")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelLoadError, match="alienformer") as info:
        LlamaCppEngine(path, tok)
    assert "alien.gguf" in str(info.value)


def test_export_of_an_unsupported_architecture(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    from steergraph.llm.gguf_export import export_gguf
    from steergraph.testing import tiny_tokenizer

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=384))
    with pytest.raises(CapabilityError, match="GPT2LMHeadModel"):
        export_gguf(model, tmp_path, tokenizer=tiny_tokenizer())
    with pytest.raises(InputError, match=r"no config\.json"):
        export_gguf(tmp_path / "empty")
    with pytest.raises(InputError, match="unknown GGUF dtype"):
        export_gguf(tmp_path, dtype="q2")
    assert not list(tmp_path.glob("*.gguf*"))


def test_uncompilable_grammar_on_llamacpp(tiny_gguf):
    folder, _, tok = tiny_gguf
    engine = LlamaCppEngine(folder / "model.gguf", tok, n_ctx=256, n_seq_max=2)
    with pytest.raises(UnsupportedSchemaError, match="cannot compile"):
        engine.generate(["x"], grammar="start: undefined_rule", max_new_tokens=4)


def test_context_overflow_is_a_clear_error(tiny_gguf):
    folder, _, tok = tiny_gguf
    engine = LlamaCppEngine(folder / "model.gguf", tok, n_ctx=64, n_seq_max=2)
    with pytest.raises(ModelLoadError, match="cache cells"):
        engine.generate(["hello"], n=2, max_new_tokens=engine.runtime.n_ctx // 2)
    with pytest.raises(ModelLoadError, match="cache cells"):
        engine.generate(["hello"], n=3, max_new_tokens=2)


def test_forced_gguf_without_llama_cpp_fails_but_auto_falls_back(tiny_gguf, monkeypatch, capsys):
    import steergraph.llm.engines.llamacpp_runtime as runtime

    folder, _, _ = tiny_gguf
    monkeypatch.setattr(runtime, "llama_cpp_available", lambda: False)
    with pytest.raises(CapabilityError, match="llama-cpp-python"):
        build_engine(str(folder), "gguf")
    engine, _ = build_engine(str(folder), "auto")
    assert engine.name == "hf"


def test_auto_falls_back_with_one_line_when_the_gguf_is_broken(tiny_gguf, tmp_path, capsys):
    folder, _, _ = tiny_gguf
    broken = tmp_path / "model"
    shutil.copytree(folder, broken)
    (broken / "model.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    engine, _ = build_engine(str(broken), "auto")
    assert engine.name == "hf"
    lines = capsys.readouterr().err.strip().splitlines()
    err = [line for line in lines if line.startswith("steergraph:")]  # not load progress bars
    assert len(err) == 1 and "using transformers" in err[0] and "model.gguf" in err[0]
    with pytest.raises(ModelLoadError, match=r"model\.gguf"):
        build_engine(str(broken), "gguf")
    with pytest.raises(ModelLoadError, match="has no GGUF file"):
        build_engine(str(tmp_path), "gguf")


def test_fast_copy_follows_training():
    import torch

    from steergraph.llm.engines.fast_copy import FastCopy
    from steergraph.testing import tiny_causal_lm

    model, _ = tiny_causal_lm(seed=1)
    assert FastCopy(model, "fp32").get() is model
    fast = FastCopy(model, "bf16")
    first = fast.get()
    assert first is not model and next(first.parameters()).dtype == torch.bfloat16
    assert fast.get() is first and fast.rebuilds == 1
    with torch.no_grad():
        model.lm_head.weight.add_(1.0)  # what an optimizer step does
    second = fast.get()
    assert second is not first and fast.rebuilds == 2
    assert torch.allclose(second.lm_head.weight.float(), model.lm_head.weight, atol=0.05)
    with pytest.raises(ModelSpecError, match="precision"):
        FastCopy(model, "fp8")


def test_bf16_engine_generates_and_scores_in_fp32():
    from steergraph.llm.engines.hf import HFEngine
    from steergraph.testing import tiny_causal_lm

    model, tok = tiny_causal_lm(seed=2)
    exact, fast = HFEngine(model, tok), HFEngine(model, tok, precision="bf16")
    assert fast.generate(["hello"], max_new_tokens=6)[0].output_tokens == [6]
    assert exact.score("hello", ["world"])[0].logprobs == fast.score("hello", ["world"])[0].logprobs


def test_bitmask_and_sampling_helpers():
    import llguidance.numpy as llnp

    from steergraph.llm.engines.sampling import apply_bitmask, apply_repetition_penalty, pick_tokens

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 70)).astype(np.float32)
    mask = llnp.allocate_token_bitmask(2, 70)
    mask[0, 0] = 0b101  # row 0 allows tokens 0 and 2 of the first word, plus words 2-3
    mask[1, :] = 0
    mask[1, 2] = 1 << 3  # row 1 allows token 67 only
    ours, theirs = logits.copy(), logits.copy()
    apply_bitmask(ours, mask)
    llnp.apply_token_bitmask_inplace(theirs, mask)
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    assert pick_tokens(ours, temperature=0, top_p=1, rng=rng)[1] == 67
    draws = pick_tokens(np.repeat(ours[1:], 50, 0), temperature=1.0, top_p=0.9, rng=rng)
    assert set(draws.tolist()) == {67}
    pen = np.array([[2.0, -2.0, 1.0]], dtype=np.float32)
    apply_repetition_penalty(pen, [[0, 1]], 2.0)
    assert pen.tolist() == [[1.0, -4.0, 1.0]]
