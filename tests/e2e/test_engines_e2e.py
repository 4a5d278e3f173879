"""Both engines on the embedded models, and GGUF export of the embedded SmolLM2."""

from __future__ import annotations

import numpy as np
import pytest

from steergraph.llm import load_chat_model

pytestmark = pytest.mark.e2e

QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about rain.",
    "List three colors.",
    "Name a famous painter.",
]


def test_plain_local_spec_picks_llama_cpp():
    assert load_chat_model("local").engine_name == "gguf"


def test_engines_agree_on_token_logprobs():
    """The Q4_1 GGUF on llama.cpp and its de-quantized weights on transformers.

    llama.cpp multiplies Q4_1 weights by 8-bit-quantized activations, so the two are
    close, not identical (measured: mean |diff| 0.026-0.052 nats per token).
    """
    gguf, hf = load_chat_model("local+gguf"), load_chat_model("local+hf")
    for question in QUESTIONS:
        answer = hf.invoke(question, max_new_tokens=32).content
        a = np.array(gguf.score(question, [answer])[0].logprobs)
        b = np.array(hf.score(question, [answer])[0].logprobs)
        assert len(a) == len(b) > 5
        assert np.abs(a - b).mean() < 0.1


def test_best_of_eight_on_llama_cpp():
    llm = load_chat_model("local+gguf", temperature=1.0, max_new_tokens=24, seed=0)
    samples = llm.sample("Give me a name for a cat.", n=8)
    assert len(samples) == 8 and all(s.content.strip() for s in samples)
    assert len({s.content for s in samples}) > 1


def test_gemma3_on_llama_cpp():
    llm = load_chat_model("local+gguf:gemma3", max_new_tokens=12)
    out = llm.invoke("The capital of France is")
    assert out.content.strip() and out.response_metadata["engine"] == "gguf"


def test_export_of_the_embedded_model_matches_transformers(tmp_path):
    """f32 export of SmolLM2: greedy text equal on every prompt, log-probs within 0.05."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from steergraph.llm.embedded import ensure_converted
    from steergraph.llm.gguf_check import check_export
    from steergraph.llm.gguf_export import export_gguf

    folder = ensure_converted("smollm2")
    path = export_gguf(folder, tmp_path / "smol", dtype="f32")
    tok = AutoTokenizer.from_pretrained(path.parent)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    report = check_export(model, tok, path, dtype="f32")
    assert all(report.greedy_equal), report.summary()
    assert max(report.max_abs_logprob_diff) <= report.tolerance
    # the exported folder is served by the llama.cpp engine through a plain spec
    llm = load_chat_model(f"local:{path.parent}", max_new_tokens=16)
    assert llm.engine_name == "gguf" and llm.invoke("Say hi.").content.strip()


def test_cli_export_and_chat_on_the_export(tmp_path, cli):
    """In this process, as the console script runs (a subprocess costs ~6 s of imports)."""
    out = tmp_path / "smol16"
    run = cli("models", "export", "smollm2", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert '"ok": true' in run.stdout and (out / "model.gguf").is_file()
    chat = cli("chat", "--model", f"local+gguf:{out}", "--max-new-tokens", "12", "What is 2+2?")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.strip()
    bad = cli("chat", "--model", f"local+gguf:{tmp_path / 'missing.gguf'}", "hi")
    assert bad.returncode == 2 and "missing.gguf' does not exist" in bad.stderr
