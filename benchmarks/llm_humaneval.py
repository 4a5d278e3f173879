"""HumanEval on the embedded model tiers: our llama.cpp engine vs raw llama-cpp-python.

For each model (default: SmolLM2-135M and Qwen2.5-Coder-0.5B), on the HumanEval test
split (82 problems; hidden tests score every final answer), in one process:
  * our engine: greedy pass@1, pass@1 of best-of-8 selected by the visible docstring
    tests, oracle pass@8 (the verify benchmark's evaluation);
  * raw llama-cpp-python greedy on the same GGUF file and the same rendered prompt
    (the tier must not lose accuracy to its own wrapping), scored the same way;
  * seconds per problem for each.

Run: ``python benchmarks/llm_humaneval.py [--models smollm2,qwen-coder-0.5b] [--limit N]``
(``--quick``: 10 problems, 4 samples; ``--record DIR`` keeps each problem's outcome as it
is known, and a rerun goes on from there). The last line is one JSON object: per model its
figures and the ratio of our greedy pass@1 to raw llama-cpp-python's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from steergraph.agents.verify import CodeTestVerifier
from steergraph.asyncio_utils import run_sync
from steergraph.bench.humaneval import humaneval_messages, humaneval_problem, humaneval_summary
from steergraph.bench.llm import raw_llama
from steergraph.bench.results import results_folder, run_recorded
from steergraph.bench.verify import BenchConfig
from steergraph.data.verify.humaneval import humaneval_split, load_humaneval
from steergraph.llm import load_chat_model
from steergraph.llm.embedded import EMBEDDED_MODELS, embedded_gguf
from steergraph.llm.prompting import render_prompt, to_chat_dicts


def raw_greedy_one(llm: Any, raw: Any, problem: Any, max_new_tokens: int) -> bool:
    """Whether llama-cpp-python's greedy answer on the model's GGUF passes the hidden tests
    (``llm`` lends its tokenizer and chat template, so the prompt is ours token for token)."""
    prompt = render_prompt(llm.tokenizer, to_chat_dicts(humaneval_messages(problem)))
    ids = llm.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    out = raw.create_completion(ids, max_tokens=max_new_tokens, temperature=0.0)
    return bool(CodeTestVerifier(tests="hidden").verify(problem, out["choices"][0]["text"]).passed)


def read_records(path: Path | None, settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-problem records of an earlier run with the same settings, by task id (a run
    stopped half-way goes on from there; records with other settings are ignored)."""
    if path is None or not path.exists():
        return {}
    done = {}
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a kill: that problem runs again
            continue
        if row.get("settings") == settings:
            done[row["task_id"]] = row
    return done


def run_model(name: str, test: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """One model's figures; each problem's outcome is appended to the record file as soon
    as it is known."""
    settings = {"model": name, "n": args.n, "max_new_tokens": args.max_new_tokens}
    path = args.record / f"{name}-n{args.n}-t{args.max_new_tokens}.jsonl" if args.record else None
    done = read_records(path, settings)
    todo = [p for p in test if p.id not in done]
    if done:
        print(f"{name}: {len(test) - len(todo)} of {len(test)} problems read from {path}",
              file=sys.stderr)  # fmt: skip
    if todo:
        cfg = BenchConfig(model=f"local+gguf:{name}", n=args.n, max_new_tokens=args.max_new_tokens)
        llm = load_chat_model(cfg.model)
        raw = raw_llama(embedded_gguf(name))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and not path.read_bytes().endswith(b"\n"):
                with path.open("a") as fh:
                    fh.write("\n")  # a line cut by a kill stays apart from the next record
        for problem in tqdm(todo, desc=f"{name} humaneval", unit="problem"):
            started = time.perf_counter()
            ours = run_sync(humaneval_problem(llm, problem, cfg))
            middle = time.perf_counter()
            raw_pass = raw_greedy_one(llm, raw, problem, args.max_new_tokens)
            row = {"task_id": problem.id, "settings": settings, **ours, "raw_greedy": raw_pass,
                   "seconds_ours": round(middle - started, 2),
                   "seconds_raw": round(time.perf_counter() - middle, 2)}  # fmt: skip
            done[problem.id] = row
            if path:
                with path.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
    rows = [done[p.id] for p in test]
    summary = humaneval_summary(rows, test)
    raw_pass = round(sum(r["raw_greedy"] for r in rows) / len(rows), 4)
    n = args.n
    return {
        "greedy_pass1": summary["greedy_pass1"],
        f"best_of_{n}_visible_pass1": summary["best_of_n_visible_pass1"],
        f"oracle_pass{n}": summary["oracle_pass_n"],
        "raw_llamacpp_greedy_pass1": raw_pass,
        "greedy_over_raw_llamacpp": (
            round(summary["greedy_pass1"] / raw_pass, 3) if raw_pass else None
        ),
        "seconds_per_problem_ours_greedy_and_best_of_n": round(
            sum(r["seconds_ours"] for r in rows) / len(rows), 2
        ),
        "seconds_per_problem_raw_greedy": round(sum(r["seconds_raw"] for r in rows) / len(rows), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="smollm2,qwen-coder-0.5b")
    parser.add_argument("--limit", type=int, default=None, help="first N test problems")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=320)
    parser.add_argument("--quick", action="store_true", help="10 problems, 4 samples")
    parser.add_argument(
        "--record", type=Path, default=None,
        help="folder for per-problem records (JSON lines); a rerun goes on where they stop",
    )  # fmt: skip
    args = parser.parse_args()
    if args.quick:
        args.limit, args.n = 10, 4
    if (args.limit is not None and args.limit < 1) or args.n < 1:
        parser.error("--limit and --n must be 1 or more")
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in EMBEDDED_MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; use {sorted(EMBEDDED_MODELS)}")
    _, test = humaneval_split(load_humaneval())
    test = test[: args.limit]
    figures: dict[str, Any] = {"problems": len(test), "n": args.n}
    for name in names:
        figures[name] = run_model(name, test, args)
        print(f"{name}: {json.dumps(figures[name])}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    run_recorded("llm_humaneval", main, sys.argv[1:], results_folder(__file__),
                 default_model="smollm2,qwen-coder-0.5b")  # fmt: skip
