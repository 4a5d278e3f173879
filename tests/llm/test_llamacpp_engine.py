"""The llama.cpp engine on a tiny Llama exported to GGUF: parity with transformers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steergraph.llm.engines.hf import HFEngine
from steergraph.llm.engines.llamacpp import LlamaCppEngine
from steergraph.llm.local import LocalChatModel


@pytest.fixture(scope="module")
def engines(tiny_gguf):
    folder, model, tok = tiny_gguf
    return LlamaCppEngine(folder / "model.gguf", tok, n_ctx=1024, n_seq_max=16), HFEngine(
        model, tok
    )


PROMPTS = ["hello world", "The quick brown fox", '{"name": "add"']


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_text_and_scores_match_transformers(engines, prompt):
    gguf, hf = engines
    ours = gguf.generate([prompt], max_new_tokens=16)[0]
    theirs = hf.generate([prompt], max_new_tokens=16)[0]
    assert ours.texts == theirs.texts
    assert ours.output_tokens == theirs.output_tokens
    assert ours.prompt_tokens == theirs.prompt_tokens
    a = gguf.score(prompt, ["the cat", "x", ""])
    b = hf.score(prompt, ["the cat", "x", ""])
    for x, y in zip(a, b):
        assert x.token_ids == y.token_ids
        assert np.allclose(x.logprobs, y.logprobs, atol=1e-3)


def test_batched_prompts_give_the_same_greedy_text_as_one_at_a_time(engines):
    gguf, _ = engines
    together = gguf.generate(PROMPTS, n=2, max_new_tokens=12)
    for prompt, gen in zip(PROMPTS, together):
        alone = gguf.generate([prompt], max_new_tokens=12)[0].texts[0]
        assert gen.texts == [alone, alone]


def test_sampling_is_seeded_and_gives_n_texts(engines):
    gguf, _ = engines
    first = gguf.generate(["hello"], n=6, max_new_tokens=10, temperature=1.0, seed=3)[0]
    again = gguf.generate(["hello"], n=6, max_new_tokens=10, temperature=1.0, seed=3)[0]
    other = gguf.generate(["hello"], n=6, max_new_tokens=10, temperature=1.0, seed=4)[0]
    assert len(first.texts) == 6 and first.texts == again.texts
    assert first.texts != other.texts
    assert len(set(first.texts)) > 1


def test_stop_strings_and_length_reasons(engines):
    gguf, _ = engines
    full = gguf.generate(["hello"], max_new_tokens=16)[0]
    assert full.finish_reasons == ["length"]
    stop = full.texts[0][3:5]
    cut = gguf.generate(["hello"], max_new_tokens=16, stop=[stop])[0]
    assert cut.finish_reasons == ["stop"]
    assert stop not in cut.texts[0] and full.texts[0].startswith(cut.texts[0])


def test_stream_pieces_join_into_the_greedy_text(engines):
    gguf, _ = engines
    pieces = list(gguf.stream("The quick brown fox", max_new_tokens=16))
    assert len(pieces) > 1
    assert "".join(pieces) == gguf.generate(["The quick brown fox"], max_new_tokens=16)[0].texts[0]


def test_grammar_constrains_every_sample(engines):
    from steergraph.llm.constrained import json_schema_grammar

    gguf, _ = engines
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}},
        "required": ["ok", "n"],
    }
    gen = gguf.generate(
        ["answer:"],
        n=4,
        max_new_tokens=60,
        temperature=1.0,
        seed=0,
        grammar=json_schema_grammar(schema),
    )[0]
    for text in gen.texts:
        value = json.loads(text)
        assert isinstance(value["ok"], bool) and isinstance(value["n"], int)


def test_transformers_logits_processors_apply(engines):
    import torch

    gguf, _ = engines
    forced = (
        gguf.tokenizer.convert_tokens_to_ids("fox") if "fox" in gguf.tokenizer.get_vocab() else 100
    )

    def only_forced(input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        out = torch.full_like(scores, float("-inf"))
        out[:, forced] = 0.0
        return out

    gen = gguf.generate(["hello"], max_new_tokens=5, logits_processors=[only_forced])[0]
    assert gen.output_tokens == [5]
    assert gen.texts[0] == gguf.tokenizer.decode([forced] * 5)


def test_chat_model_tools_and_structured_output_on_llamacpp(engines):
    from pydantic import BaseModel

    gguf, _ = engines
    llm = LocalChatModel(engine=gguf, max_new_tokens=80, model_name="tiny")
    assert llm.engine_name == "gguf"

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    msg = llm.bind_tools([add], tool_choice="add").invoke("add 2 and 3")
    assert msg.tool_calls and msg.tool_calls[0]["name"] == "add"
    assert set(msg.tool_calls[0]["args"]) == {"a", "b"}

    class Verdict(BaseModel):
        ok: bool

    out = llm.with_structured_output(Verdict).invoke("is it ok?")
    assert isinstance(out, Verdict)
    assert msg.response_metadata["engine"] == "gguf"


def test_hf_twin_is_loaded_on_demand(tiny_gguf):
    from steergraph.llm.engines.select import build_engine

    folder, model, _ = tiny_gguf
    engine, _ = build_engine(str(folder), "gguf")
    assert engine.name == "gguf" and engine._hf_model is None
    twin = engine.model
    assert type(twin).__name__ == "LlamaForCausalLM"
    assert twin.config.hidden_size == model.config.hidden_size


PLAN_GRAMMAR = r"""
start: step ("\n" step){1,4}
step: NAME " = " TOOL "(" args ")"
args: (NAME (", " NAME)*)?
NAME: /[a-z][a-z0-9]{0,5}/
TOOL: "search" | "summarize" | "join" | "count"
"""


@pytest.mark.parametrize("which", ["gguf", "hf"])
def test_a_plan_like_lark_grammar_constrains_both_engines(engines, which):
    import re

    gguf, hf = engines
    engine = gguf if which == "gguf" else hf
    llm = LocalChatModel(engine=engine, max_new_tokens=120, temperature=1.0, seed=0)
    plan = llm.with_grammar(PLAN_GRAMMAR)
    line = re.compile(r"[a-z][a-z0-9]{0,5} = (search|summarize|join|count)\(([a-z0-9, ]*)\)")
    for seed in range(3):
        text = plan.invoke("write a plan", seed=seed).content
        steps = text.split("\n")
        assert 2 <= len(steps) <= 5
        assert all(line.fullmatch(s) for s in steps), text


def test_an_invalid_grammar_fails_when_bound(engines):
    from steergraph.errors import UnsupportedSchemaError

    gguf, _ = engines
    with pytest.raises(UnsupportedSchemaError, match="grammar"):
        LocalChatModel(engine=gguf).with_grammar("start: missing_rule")


@pytest.mark.slow
def test_a_policy_trained_by_trl_is_served_by_llama_cpp(tmp_path, monkeypatch):
    """SFT a tiny Llama with TRL, export the saved folder, serve it with local+gguf."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from steergraph.llm import load_chat_model
    from steergraph.llm.gguf_check import check_export
    from steergraph.llm.gguf_export import export_gguf
    from steergraph.testing import tiny_causal_lm

    model, tok = tiny_causal_lm(seed=5)
    before = model.lm_head.weight.detach().clone()
    data = Dataset.from_list(
        [
            {
                "messages": [
                    {"role": "user", "content": "add 2 and 3"},
                    {"role": "assistant", "content": "The answer is 5."},
                ]
            }
        ]
        * 8
    )
    args = SFTConfig(
        output_dir=str(tmp_path / "run"),
        max_steps=3,
        per_device_train_batch_size=4,
        learning_rate=1e-2,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        logging_steps=1,
    )
    SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tok).train()
    assert not model.lm_head.weight.detach().allclose(before)  # training changed the policy
    folder = tmp_path / "policy"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    path = export_gguf(folder, dtype="f32")
    assert path == folder / "model.gguf"
    report = check_export(model.eval(), tok, path, dtype="f32", max_new_tokens=12)
    assert report.ok, report.summary()
    monkeypatch.setenv("STEERGRAPH_HF_PRECISION", "fp32")  # compare with exact transformers
    llm = load_chat_model(f"local+gguf:{folder}", max_new_tokens=8)
    assert llm.engine_name == "gguf"
    assert (
        llm.invoke("add 2 and 3").content
        == load_chat_model(f"local+hf:{folder}", max_new_tokens=8).invoke("add 2 and 3").content
    )


def test_gbnf_grammars_use_llama_cpps_own_sampler(engines):
    from steergraph.errors import CapabilityError, UnsupportedSchemaError
    from steergraph.llm.engines.gbnf import gbnf_from_json_schema

    gguf, hf = engines
    llm = LocalChatModel(engine=gguf, max_new_tokens=60, temperature=1.0)
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}},
        "required": ["ok", "n"],
    }
    as_json = llm.with_grammar(gbnf_from_json_schema(schema).text, syntax="gbnf")
    for seed in range(3):
        text = as_json.invoke("answer", seed=seed).content
        value = json.loads(text)
        assert isinstance(value["ok"], bool) and isinstance(value["n"], int)
    yes_no = llm.with_grammar('root ::= ("yes" | "no") "!"', syntax="gbnf")
    assert {yes_no.invoke("ok?", seed=s).content for s in range(4)} <= {"yes!", "no!"}
    streamed = "".join(c.content for c in yes_no.stream("ok?", seed=0))
    assert streamed in {"yes!", "no!"}
    with pytest.raises(UnsupportedSchemaError, match="GBNF") as info:
        llm.with_grammar('root ::= "a" undefined-rule', syntax="gbnf")
    assert "undefined-rule" in str(info.value)
    with pytest.raises(CapabilityError, match=r"llama\.cpp engine only"):
        LocalChatModel(engine=hf).with_grammar('root ::= "a"', syntax="gbnf")


def test_prefix_cache_reuses_shared_prompt_tokens_without_changing_results(tiny_gguf):
    folder, _model, tok = tiny_gguf
    cached = LlamaCppEngine(folder / "model.gguf", tok, n_ctx=1024, n_seq_max=16)
    base = "The quick brown fox jumps over the lazy dog. " * 4
    prompts = [base + "Then", base + "Then it", "hello world", base + "Then"]
    got = []
    reused = []
    for prompt in prompts:
        got.append(cached.generate([prompt], n=2, max_new_tokens=8, temperature=0.0)[0].texts)
        reused.append(cached.runtime.reused_tokens)
    for prompt, texts in zip(prompts, got):
        fresh = LlamaCppEngine(folder / "model.gguf", tok, n_ctx=1024, n_seq_max=16)
        assert fresh.generate([prompt], n=2, max_new_tokens=8, temperature=0.0)[0].texts == texts
    assert reused[0] == 0 and reused[1] > 20 and reused[2] == 0 and reused[3] == 0
    # scoring after generation reuses the shared prompt too, and matches a fresh engine
    a = cached.score(base, ["x y", "the end"])
    assert cached.runtime.reused_tokens > 20
    fresh = LlamaCppEngine(folder / "model.gguf", tok, n_ctx=1024, n_seq_max=16)
    b = fresh.score(base, ["x y", "the end"])
    assert fresh.runtime.reused_tokens == 0
    for x, y in zip(a, b):
        assert np.allclose(x.logprobs, y.logprobs, atol=1e-4)
