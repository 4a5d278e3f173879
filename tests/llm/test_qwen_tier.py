"""The Qwen2.5-Coder tier on both engines (runs when `make models-extra` installed it).

Marked ``qwen`` (skipped with the reason when the packages are absent) and ``e2e`` (a real
model: not in the fast tier).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
from pydantic import BaseModel

from steergraph.llm import load_chat_model
from steergraph.tools import BASIC_TOOLS

pytestmark = [pytest.mark.qwen, pytest.mark.e2e]

CODE_QUESTION = "Write a Python function add(a, b) that returns a + b. Only the code."


class Verdict(BaseModel):
    language: Literal["python", "javascript", "rust"]
    lines: int


@pytest.fixture(scope="module")
def qwen():
    return load_chat_model("local+gguf:qwen-coder-0.5b", max_new_tokens=48)


def test_the_assembled_file_is_the_recorded_one_and_llama_cpp_serves_it(qwen):
    from steergraph.llm.embedded import EMBEDDED_MODELS, embedded_gguf
    from steergraph.llm.gguf_parts import read_gguf_header

    spec = EMBEDDED_MODELS["qwen-coder-0.5b"].split
    path = embedded_gguf("qwen-coder-0.5b")
    assert path.stat().st_size == spec.size
    assert read_gguf_header(path) == spec.expected_header()
    out = qwen.invoke(CODE_QUESTION)
    assert out.response_metadata["engine"] == "gguf"
    assert "def add" in out.content and "return" in out.content


def test_the_chat_template_comes_from_the_gguf(qwen):
    rendered = qwen.tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert "<|im_start|>user\nhi<|im_end|>" in rendered
    assert rendered.rstrip().endswith("<|im_start|>assistant")


def test_tool_calls_structured_output_and_samples(qwen):
    msg = qwen.bind_tools(BASIC_TOOLS, tool_choice="calculator").invoke("What is 37 * 89?")
    (call,) = msg.tool_calls
    assert call["name"] == "calculator"
    {t.name: t for t in BASIC_TOOLS}["calculator"].args_schema.model_validate(call["args"])
    verdict = qwen.with_structured_output(Verdict).invoke(
        "Which language is this, and how many lines?\n\ndef f(x):\n    return x"
    )
    assert isinstance(verdict, Verdict) and verdict.language == "python"
    samples = qwen.sample("Name a sorting algorithm.", n=4, temperature=1.0, max_new_tokens=12)
    assert len(samples) == 4 and all(s.content.strip() for s in samples)


def test_both_engines_give_close_logprobs_of_the_same_answer(qwen):
    """llama.cpp on the Q4_K_M file vs transformers on its de-quantized (bf16-stored) weights."""
    hf = load_chat_model("local+hf:qwen-coder-0.5b", max_new_tokens=32)
    answer = qwen.invoke(CODE_QUESTION).content
    a = np.array(qwen.score(CODE_QUESTION, [answer])[0].logprobs)
    b = np.array(hf.score(CODE_QUESTION, [answer])[0].logprobs)
    assert len(a) == len(b) > 5
    assert np.abs(a - b).mean() < 0.15
    own, other = hf.score(CODE_QUESTION, [answer, "Bananas are purple on Tuesdays."])
    assert own.mean > other.mean


@pytest.mark.slow
def test_a_trained_0_5b_goes_back_to_llama_cpp(tmp_path):
    """Two TRL SFT steps on the 0.5B, exported to GGUF (f16) and checked against transformers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from steergraph.llm.gguf_check import check_export
    from steergraph.llm.gguf_export import export_gguf
    from steergraph.training import train_sft

    rows = [
        {
            "prompt": [{"role": "user", "content": f"What is {i} + {i}?"}],
            "completion": [{"role": "assistant", "content": f"{2 * i}"}],
        }
        for i in range(8)
    ]
    result = train_sft(
        "qwen-coder-0.5b",
        rows,
        output_dir=tmp_path / "sft",
        max_steps=2,
        per_device_train_batch_size=2,
        learning_rate=1e-5,
        disable_tqdm=True,
    )
    assert len(result.losses) >= 1
    path = export_gguf(result.output_dir, dtype="f16")
    tokenizer = AutoTokenizer.from_pretrained(result.output_dir)
    model = AutoModelForCausalLM.from_pretrained(result.output_dir).eval()
    report = check_export(model, tokenizer, path, dtype="f16", prompts=["What is 3 + 3?"])
    assert report.ok, report.summary()
