"""HumanEval on the embedded model tiers: our llama.cpp engine vs raw llama-cpp-python.

For each model (default: SmolLM2-135M and Qwen2.5-Coder-0.5B), on the HumanEval test
split (82 problems; hidden tests score every final answer), in one process:
  * our engine: greedy pass@1, pass@1 of best-of-8 selected by the visible docstring
    tests, oracle pass@8 (the verify benchmark's evaluation);
  * raw llama-cpp-python greedy on the same GGUF file and the same rendered prompt
    (the tier must not lose accuracy to its own wrapping), scored the same way;
  * seconds per problem for each.

Run: ``python benchmarks/llm_humaneval.py [--models smollm2,qwen-coder-0.5b] [--limit N]``
(``--quick``: 10 problems, 4 samples). The last line is one JSON object: per model its
figures and the ratio of our greedy pass@1 to raw llama-cpp-python's.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from steergraph.agents.verify import CodeTestVerifier
from steergraph.asyncio_utils import run_sync
from steergraph.bench.llm import raw_llama
from steergraph.bench.verify import BenchConfig, humaneval_eval, humaneval_messages
from steergraph.data.verify.humaneval import humaneval_split, load_humaneval
from steergraph.llm import load_chat_model
from steergraph.llm.embedded import EMBEDDED_MODELS, embedded_gguf
from steergraph.llm.prompting import render_prompt, to_chat_dicts


def raw_greedy(name: str, problems: list[Any], max_new_tokens: int) -> tuple[float, float]:
    """(pass@1, seconds per problem) of llama-cpp-python greedy on the model's GGUF."""
    llm = load_chat_model(f"local+gguf:{name}")  # for its tokenizer and chat template
    raw = raw_llama(embedded_gguf(name))
    hidden = CodeTestVerifier(tests="hidden")
    passed, started = [], time.perf_counter()
    for problem in problems:
        prompt = render_prompt(llm.tokenizer, to_chat_dicts(humaneval_messages(problem)))
        ids = llm.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        out = raw.create_completion(ids, max_tokens=max_new_tokens, temperature=0.0)
        passed.append(bool(hidden.verify(problem, out["choices"][0]["text"]).passed))
    seconds = (time.perf_counter() - started) / len(problems)
    return round(sum(passed) / len(passed), 4), round(seconds, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="smollm2,qwen-coder-0.5b")
    parser.add_argument("--limit", type=int, default=None, help="first N test problems")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=320)
    parser.add_argument("--quick", action="store_true", help="10 problems, 4 samples")
    args = parser.parse_args()
    limit, n = (10, 4) if args.quick else (args.limit, args.n)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in EMBEDDED_MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; use {sorted(EMBEDDED_MODELS)}")
    _, test = humaneval_split(load_humaneval())
    test = test[:limit]
    figures: dict[str, Any] = {"problems": len(test), "n": n}
    for name in names:
        cfg = BenchConfig(model=f"local+gguf:{name}", n=n, max_new_tokens=args.max_new_tokens)
        llm = load_chat_model(cfg.model)
        started = time.perf_counter()
        ours = run_sync(humaneval_eval(llm, test, cfg))
        ours_s = round((time.perf_counter() - started) / len(test), 2)
        raw_pass, raw_s = raw_greedy(name, test, args.max_new_tokens)
        ratio = round(ours["greedy_pass1"] / raw_pass, 3) if raw_pass else None
        figures[name] = {
            "greedy_pass1": ours["greedy_pass1"],
            f"best_of_{n}_visible_pass1": ours["best_of_n_visible_pass1"],
            f"oracle_pass{n}": ours["oracle_pass_n"],
            "raw_llamacpp_greedy_pass1": raw_pass,
            "greedy_over_raw_llamacpp": ratio,
            "seconds_per_problem_ours_greedy_and_best_of_n": ours_s,
            "seconds_per_problem_raw_greedy": raw_s,
        }
        print(f"{name}: {json.dumps(figures[name])}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
