"""LLM-layer throughput of an embedded model (default SmolLM2-135M-Instruct; CPU), both engines.

In one process, on the same prompt (64 new tokens, all cores):
  * raw llama-cpp-python (``Llama.create_completion``) vs our llama.cpp engine;
  * raw transformers (fp32 ``generate``) vs our transformers engine (bf16 inference
    copy where the CPU has bf16, else fp32);
  * single-sequence greedy decoding and best-of-8 sampling (raw llama-cpp-python
    has no batched sampling: 8 calls);
  * structured-output vs free tokens/s per engine (llguidance on both; llama.cpp's
    native GBNF sampler too); first vs second structured call;
  * greedy agreement of the faster transformers copy with fp32, and the int8 and
    static-cache options that were measured and not adopted;
  * 8 different prompts one after another vs ``llm.batch`` (micro-batched into one
    ``generate``; ``multi_prompt_batch_speedup``), per engine;
  * cold load from the safetensors cache vs from the GGUF file.

Run: ``python benchmarks/llm_throughput.py [--model NAME] [--quick]``. ``--quick`` (alias
``--llamacpp-only``) gives the llama.cpp figures alone, under a minute per model; the full
run takes about 4 minutes for SmolLM2 on 2 cores (``--model qwen-coder-0.5b`` or
``qwen-coder-1.5b`` after ``make models-extra``; needs the llama.cpp extra, ``make
install-llamacpp``). The last line is one JSON object (the model's name and the process's
peak RSS included).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, Field

from steergraph.bench.llm import raw_llama
from steergraph.bench.results import results_folder, run_recorded
from steergraph.llm import LocalChatModel, ensure_converted
from steergraph.llm.embedded import embedded_gguf, load_from_gguf
from steergraph.llm.engines.hf import HFEngine
from steergraph.llm.prompting import render_prompt

PROMPT = "Write a short story about a lighthouse keeper."
QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about rain.",
    "List three colors.",
    "Explain gravity in one sentence.",
    "Name a famous painter.",
    "What is 12 times 7?",
]
NEW_TOKENS = 64
REPEATS = 2


class Review(BaseModel):
    label: Literal["positive", "negative", "neutral"]
    stars: int = Field(ge=1, le=5)
    summary: str = Field(max_length=120)


class Review2(BaseModel):
    verdict: Literal["keep", "drop"]
    note: str = Field(max_length=60)


REVIEWS = ["Great phone, long battery.", "Awful food.", "It is a table."]


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def rate(runs) -> float:
    """tokens/s over ``runs``: callables returning a token count."""
    tokens = seconds = 0.0
    for run in runs:
        count, secs = timed(run)
        tokens += count
        seconds += secs
    return tokens / seconds


def engine_rates(engine, prompt: str) -> tuple[float, float]:
    single = rate(
        lambda: sum(engine.generate([prompt], max_new_tokens=NEW_TOKENS)[0].output_tokens)
        for _ in range(REPEATS)
    )
    best8 = rate(
        lambda rep=rep: sum(
            engine.generate([prompt], n=8, max_new_tokens=NEW_TOKENS, temperature=1.0, seed=rep)[
                0
            ].output_tokens
        )
        for rep in range(REPEATS)
    )
    return single, best8


def raw_llama_rates(path: Path, ids: list[int]) -> tuple[float, float]:
    raw = raw_llama(path)
    raw.create_completion(ids, max_tokens=4, temperature=0)

    def one(temperature: float, seed: int) -> int:
        out = raw.create_completion(ids, max_tokens=NEW_TOKENS, temperature=temperature, seed=seed)
        return out["usage"]["completion_tokens"]

    single = rate(lambda: one(0.0, 0) for _ in range(REPEATS))
    best8 = rate(
        lambda rep=rep: sum(one(1.0, rep * 8 + k) for k in range(8)) for rep in range(REPEATS)
    )
    return single, best8


def raw_transformers_rates(model, enc) -> tuple[float, float]:
    width = enc["input_ids"].shape[1]

    def gen(n: int, seed: int) -> int:
        torch.manual_seed(seed)
        with torch.inference_mode():
            out = model.generate(
                **enc,
                max_new_tokens=NEW_TOKENS,
                num_return_sequences=n,
                do_sample=n > 1,
                temperature=1.0 if n > 1 else None,
                top_p=None,
                top_k=0 if n > 1 else None,
            )
        return int((out[:, width:] != model.generation_config.pad_token_id).sum())

    return rate(lambda: gen(1, 0) for _ in range(REPEATS)), rate(
        lambda rep=rep: gen(8, rep) for rep in range(REPEATS)
    )


def structured_rates(llm: LocalChatModel) -> dict[str, float]:
    structured = llm.with_structured_output(Review, include_raw=True)
    s_rate = rate(
        lambda text=text, seed=seed: structured.invoke(
            f"Review: {text}", temperature=1.0, seed=seed
        )["raw"].usage_metadata["output_tokens"]
        for seed, text in enumerate(REVIEWS)
    )
    f_rate = rate(
        lambda text=text, seed=seed: llm.invoke(
            f"Review: {text}", temperature=1.0, seed=seed, max_new_tokens=40
        ).usage_metadata["output_tokens"]
        for seed, text in enumerate(REVIEWS)
    )
    _, first = timed(lambda: llm.with_structured_output(Review2).invoke("Keep this file?"))
    _, second = timed(lambda: llm.with_structured_output(Review2).invoke("Keep this file?"))
    return {
        "structured_tok_s": round(s_rate, 2),
        "free_tok_s": round(f_rate, 2),
        "structured_vs_free": round(s_rate / f_rate, 3),
        "structured_second_vs_first_time": round(second / first, 3),
    }


MULTI_PROMPTS = [*QUESTIONS, "Describe a cat.", "Why is the sky blue?"]


def multi_prompt_rates(llm: LocalChatModel) -> dict[str, float]:
    """tok/s of 8 different prompts one after another vs ``llm.batch`` (micro-batched)."""
    greedy = llm.model_copy(
        update={"max_new_tokens": NEW_TOKENS, "temperature": 0.0, "microbatch_ms": 5.0}
    )
    alone = greedy.model_copy(update={"microbatch_ms": 0})

    def count(replies) -> int:
        return sum(r.usage_metadata["output_tokens"] for r in replies)

    greedy.batch(MULTI_PROMPTS[:2])  # warm
    sequential = rate(lambda: count([alone.invoke(p) for p in MULTI_PROMPTS]) for _ in range(1))
    batched = rate(
        lambda: count(greedy.batch(MULTI_PROMPTS, config={"max_concurrency": 8})) for _ in range(1)
    )
    return {
        "sequential_tok_s": round(sequential, 2),
        "batched_tok_s": round(batched, 2),
        "speedup": round(batched / sequential, 2),
    }


def greedy_agreement(fast: HFEngine, exact: HFEngine, tok) -> float:
    same = 0
    for question in QUESTIONS:
        prompt = render_prompt(tok, [{"role": "user", "content": question}])
        a = fast.generate([prompt], max_new_tokens=32)[0].texts[0]
        b = exact.generate([prompt], max_new_tokens=32)[0].texts[0]
        same += a == b
    return same / len(QUESTIONS)


def llamacpp_figures(name: str, engine, llm: LocalChatModel, load_s: float) -> dict:
    """The llama.cpp engine's figures alone, raw llama-cpp-python beside them."""
    tok = llm.tokenizer
    prompt = render_prompt(tok, [{"role": "user", "content": PROMPT}])
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    raw = raw_llama_rates(embedded_gguf(name), ids)
    engine.generate([prompt], max_new_tokens=4)
    ours = engine_rates(engine, prompt)
    multi = multi_prompt_rates(llm)
    return {
        "model": name,
        "llamacpp_raw_tok_s": round(raw[0], 2),
        "llamacpp_ours_tok_s": round(ours[0], 2),
        "ours_llamacpp_over_raw_llamacpp": round(ours[0] / raw[0], 3),
        "llamacpp_raw_best_of_8_tok_s": round(raw[1], 2),
        "ours_best_of_8_tok_s": round(ours[1], 2),
        "ours_best_of_8_over_raw_llamacpp_best_of_8": round(ours[1] / raw[1], 2),
        "multi_prompt_batch_speedup": multi["speedup"],
        "multi_prompt_llamacpp": multi,
        "load_s_llamacpp": round(load_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    from steergraph.llm.embedded import EMBEDDED_MODELS
    from steergraph.llm.engines.fast_copy import default_precision
    from steergraph.llm.engines.select import build_engine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", choices=sorted(EMBEDDED_MODELS))
    parser.add_argument(
        "--llamacpp-only",
        "--quick",
        dest="llamacpp_only",
        action="store_true",
        help="only the llama.cpp figures (no transformers conversion: the Qwen tier's "
        "GGUF de-quantisation alone takes over ten minutes here)",
    )
    args = parser.parse_args()
    name = args.model
    embedded_gguf(name)  # assembled / located before any timing
    gguf_engine, load_llama = timed(lambda: build_engine(name, "gguf")[0])
    gguf_llm = LocalChatModel(engine=gguf_engine, model_name=name)
    if args.llamacpp_only:
        print(json.dumps(llamacpp_figures(name, gguf_engine, gguf_llm, load_llama)))
        return
    folder = ensure_converted(name)
    hf_llm, load_cache = timed(lambda: LocalChatModel.from_pretrained(name, engine="hf"))
    with tempfile.TemporaryDirectory() as tmp:
        _, load_gguf_tf = timed(lambda: load_from_gguf(name, Path(tmp)))
    model, tok = hf_llm.hf_model, hf_llm.tokenizer
    prompt = render_prompt(tok, [{"role": "user", "content": PROMPT}])
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    enc = tok([prompt], return_tensors="pt", add_special_tokens=False)

    llama_raw = raw_llama_rates(embedded_gguf(name), ids)
    gguf_engine.generate([prompt], max_new_tokens=4)
    llama_ours = engine_rates(gguf_engine, prompt)
    tf_raw = raw_transformers_rates(model, enc)
    precision = default_precision()
    ours_hf = HFEngine(model, tok, precision=precision)
    ours_hf.generate([prompt], max_new_tokens=4)
    tf_ours = engine_rates(ours_hf, prompt)
    int8 = HFEngine(model, tok, precision="int8")
    int8.generate([prompt], max_new_tokens=4)
    int8_single = engine_rates(int8, prompt)[0]
    static = rate(
        lambda: sum(
            ours_hf.fast.get()
            .generate(
                **enc, max_new_tokens=NEW_TOKENS, do_sample=False, cache_implementation="static"
            )[0, enc["input_ids"].shape[1] :]
            .ne(-1)
            .tolist()
        )
        for _ in range(REPEATS)
    )
    exact = HFEngine(model, tok)
    agree_fast = greedy_agreement(ours_hf, exact, tok)
    agree_int8 = greedy_agreement(int8, exact, tok)
    struct_gguf = structured_rates(gguf_llm)
    from steergraph.llm.engines.gbnf import gbnf_from_json_schema

    gbnf = gguf_llm.with_grammar(
        gbnf_from_json_schema(Review.model_json_schema()).text, syntax="gbnf"
    )
    struct_gguf["gbnf_structured_tok_s"] = round(
        rate(
            lambda text=text, seed=seed: gbnf.invoke(
                f"Review: {text}", temperature=1.0, seed=seed, max_new_tokens=120
            ).usage_metadata["output_tokens"]
            for seed, text in enumerate(REVIEWS)
        ),
        2,
    )
    hf_llm.engine = ours_hf
    struct_hf = structured_rates(hf_llm)
    multi_gguf = multi_prompt_rates(gguf_llm)
    multi_hf = multi_prompt_rates(hf_llm)

    figures = {
        "model": name,
        "llamacpp_raw_tok_s": round(llama_raw[0], 2),
        "llamacpp_ours_tok_s": round(llama_ours[0], 2),
        "ours_llamacpp_over_raw_llamacpp": round(llama_ours[0] / llama_raw[0], 3),
        "llamacpp_raw_best_of_8_tok_s": round(llama_raw[1], 2),
        "ours_best_of_8_tok_s": round(llama_ours[1], 2),
        "ours_best_of_8_over_raw_llamacpp_best_of_8": round(llama_ours[1] / llama_raw[1], 2),
        "transformers_raw_tok_s": round(tf_raw[0], 2),
        "transformers_ours_tok_s": round(tf_ours[0], 2),
        "transformers_ours_precision": precision,
        "transformers_ours_over_raw": round(tf_ours[0] / tf_raw[0], 2),
        "raw_transformers_best_of_8_tok_s": round(tf_raw[1], 2),
        "transformers_ours_best_of_8_tok_s": round(tf_ours[1], 2),
        "ours_llamacpp_over_raw_transformers": round(llama_ours[0] / tf_raw[0], 2),
        "ours_best_of_8_over_raw_transformers_best_of_8": round(llama_ours[1] / tf_raw[1], 2),
        "transformers_int8_tok_s": round(int8_single, 2),
        "transformers_static_cache_tok_s": round(static, 2),
        "greedy_agreement_ours_hf_vs_fp32": round(agree_fast, 3),
        "greedy_agreement_int8_vs_fp32": round(agree_int8, 3),
        "structured_llamacpp": struct_gguf,
        "structured_transformers": struct_hf,
        "multi_prompt_batch_speedup": multi_gguf["speedup"],
        "multi_prompt_llamacpp": multi_gguf,
        "multi_prompt_batch_speedup_transformers": multi_hf["speedup"],
        "multi_prompt_transformers": multi_hf,
        "load_s_llamacpp": round(load_llama, 2),
        "load_s_transformers_cache": round(load_cache, 2),
        "load_s_transformers_from_gguf": round(load_gguf_tf, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(f"{'':28}{'single tok/s':>14}{'best-of-8 tok/s':>18}")
    for label, pair in [
        ("llama-cpp-python (raw)", llama_raw),
        ("steergraph llama.cpp", llama_ours),
        ("transformers fp32 (raw)", tf_raw),
        (f"steergraph transformers {precision}", tf_ours),
    ]:
        print(f"{label:28}{pair[0]:14.1f}{pair[1]:18.1f}")
    print(f"ours llama.cpp / raw llama.cpp: {llama_ours[0] / llama_raw[0]:.3f} (goal >= 0.9)")
    print(f"int8 transformers: {int8_single:.1f} tok/s, greedy agreement {agree_int8:.2f}")
    print(f"static KV cache: {static:.1f} tok/s; {precision} greedy agreement {agree_fast:.2f}")
    print(f"structured (llama.cpp): {struct_gguf}")
    print(f"structured (transformers): {struct_hf}")
    print(f"8 prompts, sequential vs batch: llama.cpp {multi_gguf}, transformers {multi_hf}")
    del folder
    print(json.dumps(figures))


if __name__ == "__main__":
    run_recorded("llm_throughput", main, sys.argv[1:], results_folder(__file__))
