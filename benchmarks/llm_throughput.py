"""LLM-layer throughput on the embedded SmolLM2-135M-Instruct (CPU).

Measures, in one process:
  * decode tokens/s for one sequence and for a batch of 8 samples (one generate);
  * cold load from the safetensors cache vs from the GGUF file;
  * structured-output tokens/s vs free generation tokens/s;
  * time of the second structured call with a schema vs the first (compile cache).

Run: ``python benchmarks/llm_throughput.py`` (about 3 minutes on 2 cores).
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Literal

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from steergraph.llm import LocalChatModel, ensure_converted
from steergraph.llm.embedded import load_from_gguf

PROMPT = "Write a short story about a lighthouse keeper."
NEW_TOKENS = 64
REPEATS = 3


class Review(BaseModel):
    label: Literal["positive", "negative", "neutral"]
    stars: int = Field(ge=1, le=5)
    summary: str = Field(max_length=120)


class Review2(BaseModel):
    verdict: Literal["keep", "drop"]
    note: str = Field(max_length=60)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def decode_rate(llm: LocalChatModel, n: int) -> float:
    tokens, seconds = 0, 0.0
    for rep in range(REPEATS):
        (gen,), secs = timed(
            lambda rep=rep: llm.engine.generate(
                [llm._prepare([HumanMessage(PROMPT)], {})[0]],  # same prompt text as invoke
                n=n,
                max_new_tokens=NEW_TOKENS,
                temperature=1.0,
                seed=rep,
            )
        )
        tokens += sum(gen.output_tokens)
        seconds += secs
    return tokens / seconds


REVIEWS = ["Great phone, long battery.", "Awful food.", "It is a table."]


def output_rate(call) -> float:
    """Output tokens/s of ``call(prompt, seed) -> AIMessage`` over the review prompts."""
    tokens, seconds = 0, 0.0
    for seed, text in enumerate(REVIEWS):
        msg, secs = timed(lambda text=text, seed=seed: call(f"Review: {text}", seed))
        tokens += msg.usage_metadata["output_tokens"]
        seconds += secs
    return tokens / seconds


def main() -> None:
    ensure_converted("smollm2")
    llm_cache, load_cache = timed(lambda: LocalChatModel.from_pretrained("smollm2"))
    with tempfile.TemporaryDirectory() as tmp:
        _, load_gguf = timed(lambda: load_from_gguf("smollm2", Path(tmp)))
    llm = llm_cache
    llm.engine.generate(["warm up"], max_new_tokens=4)

    single = decode_rate(llm, 1)
    batch8 = decode_rate(llm, 8)

    structured = llm.with_structured_output(Review, include_raw=True)
    structured_rate = output_rate(
        lambda text, seed: structured.invoke(text, temperature=1.0, seed=seed)["raw"]
    )
    free_rate = output_rate(
        lambda text, seed: llm.invoke(text, temperature=1.0, seed=seed, max_new_tokens=40)
    )

    first = llm.with_structured_output(Review2)
    _, t_first = timed(lambda: first.invoke("Should we keep this file?"))
    _, t_second = timed(
        lambda: llm.with_structured_output(Review2).invoke("Should we keep this file?")
    )

    figures = {
        "decode_tok_s_single": round(single, 2),
        "decode_tok_s_batch8": round(batch8, 2),
        "batch8_speedup": round(batch8 / single, 2),
        "load_s_from_cache": round(load_cache, 2),
        "load_s_from_gguf": round(load_gguf, 2),
        "gguf_vs_cache_load_ratio": round(load_gguf / load_cache, 2),
        "structured_tok_s": round(structured_rate, 2),
        "free_tok_s": round(free_rate, 2),
        "structured_vs_free_tok_s_ratio": round(structured_rate / free_rate, 3),
        "structured_first_call_s": round(t_first, 3),
        "structured_second_call_s": round(t_second, 3),
        "structured_second_vs_first_time_ratio": round(t_second / t_first, 3),
    }
    print(f"decode, 1 sequence : {single:7.1f} tok/s")
    print(f"decode, batch of 8 : {batch8:7.1f} tok/s  ({batch8 / single:.2f}x)")
    print(f"load from cache    : {load_cache:7.2f} s")
    print(f"load from GGUF     : {load_gguf:7.2f} s  ({load_gguf / load_cache:.1f}x slower)")
    print(
        f"structured output  : {structured_rate:7.1f} tok/s vs free {free_rate:.1f} tok/s "
        f"(ratio {structured_rate / free_rate:.2f})"
    )
    print(
        f"structured call    : first {t_first:.2f} s, second {t_second:.2f} s "
        f"(ratio {t_second / t_first:.2f})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
