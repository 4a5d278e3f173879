"""The verifier-engineering benchmark: HumanEval and arithmetic on one model, in one run.

1. **Sandbox**: the hostile battery (:mod:`steergraph.tools.sandbox_hostile`) must be
   contained; throughput of the concurrent sandbox vs one program at a time on the
   canonical HumanEval solutions with their tests.
2. **Sampling**: best-of-8 in one batched generate vs 8 sequential samples (tokens/s).
3. **HumanEval** (test split, hidden tests score every final answer): greedy pass@1,
   pass@1 of best-of-8 selected by the visible-test verifier (the docstring examples
   only), oracle pass@8 (some sample passes the hidden tests), and greedy pass@1 after
   one round of rejection-sampling fine-tuning -- the verify graph samples 8 answers per
   training-split problem, keeps those passing that split's tests, trains with TRL's
   SFTTrainer and exports the policy for llama.cpp. Because the trained policy is served
   from an f16 GGUF while the shipped model is Q4_1, the base model's greedy pass@1 is
   also measured from the same f16 export, so the RFT delta compares like with like.
4. **Arithmetic** (generated word problems, exact answers): greedy accuracy,
   self-consistency@8 accuracy, oracle pass@8.

Writes ``report.json`` and ``verify_bench.png`` into the output folder; the CLI prints
the final JSON line.

Example:
    >>> BenchConfig.quick_config().test_limit
    5
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from steergraph.agents.verify import CodeTestVerifier, ExactMatch, Problem, Verifier
from steergraph.agents.verify.search import BestOfN, Greedy, SelfConsistency
from steergraph.agents.verify.search_base import SearchResult, SearchStrategy
from steergraph.asyncio_utils import run_sync
from steergraph.bench.humaneval import (
    humaneval_eval,
    humaneval_messages,
    humaneval_problem,
    humaneval_summary,
    rate,
)
from steergraph.bench.verify_throughput import bench_sampling, bench_sandbox

__all__ = [
    "BenchConfig",
    "humaneval_eval",
    "humaneval_messages",
    "humaneval_problem",
    "humaneval_summary",
    "run_verify_bench",
    "select_problems",
]

ARITH_SYSTEM = "Solve the problem. Finish with a line 'The answer is N.' where N is a number."


@dataclass(frozen=True)
class BenchConfig:
    """What to run; :meth:`quick_config` is the few-minutes variant."""

    model: str = "local"
    test_limit: int | None = None
    train_limit: int | None = None
    n: int = 8
    max_new_tokens: int = 320
    temperature: float = 0.8
    arithmetic: int = 60
    sandbox_programs: int = 64
    throughput_prompts: int = 3
    rft_epochs: int = 2
    # take the training problems with the shortest reference solutions first (a curriculum
    # on the training split only; the test split is never reordered)
    train_easiest_first: bool = False
    out: Path = Path("verify-bench")

    @classmethod
    def quick_config(cls) -> BenchConfig:
        """5 test and 8 training problems (shortest solutions first), 6 arithmetic problems,
        24 sandbox programs."""
        return cls(
            test_limit=5,
            train_limit=8,
            arithmetic=6,
            sandbox_programs=24,
            throughput_prompts=1,
            max_new_tokens=256,
            rft_epochs=2,
            train_easiest_first=True,
        )


def select_problems(cfg: BenchConfig) -> tuple[list[Problem], list[Problem]]:
    """The (train, test) HumanEval problems ``cfg`` runs: the test split in its order,
    cut to ``test_limit``; the training split (shortest reference solutions first when
    ``train_easiest_first``), cut to ``train_limit``."""
    from steergraph.data.verify.humaneval import humaneval_split, load_humaneval

    train, test = humaneval_split(load_humaneval())
    if cfg.train_easiest_first:
        train = sorted(train, key=lambda p: len(p.metadata["canonical_solution"]))
    return train[: cfg.train_limit], test[: cfg.test_limit]


def _arith_messages(problem: Problem) -> list[Any]:
    return [HumanMessage(f"{ARITH_SYSTEM}\n\n{problem.prompt}")]


async def _search_many(
    strategy: SearchStrategy,
    llm: Any,
    problems: list[Problem],
    verifier: Verifier | None,
    desc: str,
) -> list[SearchResult]:
    from tqdm.auto import tqdm

    results = []
    for p in tqdm(problems, desc=desc, unit="problem", leave=False):
        results.append(await strategy.asearch(llm, p, verifier))
    return results


# ---------------------------------------------------------------------- humaneval
async def _greedy_hidden(llm: Any, test: list[Problem], cfg: BenchConfig, desc: str) -> float:
    results = await _search_many(
        Greedy(max_new_tokens=cfg.max_new_tokens, messages=humaneval_messages),
        llm,
        test,
        CodeTestVerifier(tests="hidden"),
        desc,
    )
    return rate([bool(r.candidates[0].verdict.passed) for r in results])


def bench_rft(
    train: list[Problem], test: list[Problem], cfg: BenchConfig, log: Callable[[str], Any]
) -> dict[str, Any]:
    """One verify-graph round with SFT feedback on the training split, then greedy on test."""
    from steergraph.graphs.verify import VerifyContext, build_verify_graph
    from steergraph.llm.gguf_export import export_gguf
    from steergraph.llm.loading import load_chat_model
    from steergraph.llm.local import LocalChatModel

    base = load_chat_model(cfg.model)
    slug = "".join(c if c.isalnum() else "-" for c in cfg.model).strip("-")
    f16_dir = cfg.out / f"base-f16-{slug}"
    if not (f16_dir / "model.gguf").is_file():
        export_gguf(base.hf_model, f16_dir, tokenizer=base.tokenizer, dtype="f16")
    base_f16 = LocalChatModel.from_pretrained(str(f16_dir))
    base_f16_pass = run_sync(_greedy_hidden(base_f16, test, cfg, "greedy base f16"))
    ctx = VerifyContext(
        model=base_f16,
        strategy=BestOfN(
            cfg.n,
            temperature=cfg.temperature,
            max_new_tokens=cfg.max_new_tokens,
            seed=1,
            messages=humaneval_messages,
        ),
        verifier=CodeTestVerifier(tests="hidden"),  # the training split's own tests
        feedback="sft",
        rounds=1,
        workdir=str(cfg.out / "rft"),
        train={"num_train_epochs": cfg.rft_epochs},
        progress=True,
    )
    start = time.perf_counter()
    out = build_verify_graph().invoke(
        {"problems": [p.model_dump(by_alias=True) for p in train]}, context=ctx
    )
    loop_s = time.perf_counter() - start
    round1 = out["history"][0]
    fb = round1["feedback"]
    log(
        f"rft round: train pass (any of {cfg.n}) {round1['any_pass_rate']:.3f}, "
        f"sft rows {fb.get('sft_rows', 0)}, trained={fb.get('trained')}"
    )
    if out.get("policy"):
        policy = LocalChatModel.from_pretrained(out["policy"])
        after = run_sync(_greedy_hidden(policy, test, cfg, "greedy after RFT"))
    else:
        after = base_f16_pass  # nothing passed: the policy is unchanged
    return {
        "base_f16_greedy_pass1": base_f16_pass,
        "after_rft_pass1": after,
        "train_problems": len(train),
        "train_any_pass": round1["any_pass_rate"],
        "feedback": fb,
        "loop_seconds": round(loop_s, 1),
        "policy": out.get("policy"),
    }


# --------------------------------------------------------------------- arithmetic
async def _arithmetic(llm: Any, cfg: BenchConfig) -> dict[str, Any]:
    from steergraph.data.verify.arithmetic import arithmetic_problems, extract_number

    problems = arithmetic_problems(cfg.arithmetic, seed=7)
    exact = ExactMatch(extract=extract_number)
    greedy = await _search_many(
        Greedy(max_new_tokens=192, messages=_arith_messages), llm, problems, exact, "arith greedy"
    )
    sc = await _search_many(
        SelfConsistency(
            cfg.n,
            extract=extract_number,
            temperature=cfg.temperature,
            max_new_tokens=192,
            seed=0,
            messages=_arith_messages,
        ),
        llm,
        problems,
        exact,
        "arith self-consistency",
    )
    oracle = []
    for p, r in zip(problems, sc):
        verdicts = await exact.averify_many(p, [c.text for c in r.candidates])
        oracle.append(any(bool(v.passed) for v in verdicts))
    return {
        "problems": len(problems),
        "greedy_accuracy": rate([bool(r.candidates[0].verdict.passed) for r in greedy]),
        "self_consistency_accuracy": rate(
            [bool(r.selected and r.selected.verdict and r.selected.verdict.passed) for r in sc]
        ),
        "oracle_pass_n": rate(oracle),
    }


# -------------------------------------------------------------------------- main
def run_verify_bench(cfg: BenchConfig, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Run every part; return the report (``report["final"]`` is the JSON line)."""
    import json

    from steergraph.errors import CapabilityError
    from steergraph.llm.loading import load_chat_model
    from steergraph.llm.local import LocalChatModel

    llm = load_chat_model(cfg.model)
    if not isinstance(llm, LocalChatModel):
        raise CapabilityError(
            f"the verify benchmark needs a local model (batched sampling, RFT training); "
            f"{cfg.model!r} is {type(llm).__name__}",
            fix="use a 'local...' spec; API models run in the verify graph and CLI instead",
        )
    cfg.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {"config": {k: str(v) for k, v in asdict(cfg).items()}}
    report["sandbox"] = bench_sandbox(cfg.sandbox_programs, log)
    train, test = select_problems(cfg)
    report["sampling"] = bench_sampling(
        llm,
        [humaneval_messages(p) for p in test[: cfg.throughput_prompts]],
        n=cfg.n,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
        log=log,
    )
    he = run_sync(humaneval_eval(llm, test, cfg))
    log(
        f"humaneval ({len(test)} test problems): greedy {he['greedy_pass1']:.3f}, "
        f"best-of-{cfg.n} visible {he['best_of_n_visible_pass1']:.3f}, "
        f"oracle pass@{cfg.n} {he['oracle_pass_n']:.3f}"
    )
    he.update(bench_rft(train, test, cfg, log))
    log(
        f"humaneval after RFT {he['after_rft_pass1']:.3f} "
        f"(base from the same f16 export {he['base_f16_greedy_pass1']:.3f})"
    )
    report["humaneval"] = {**he, "test_problems": len(test)}
    report["arithmetic"] = run_sync(_arithmetic(llm, cfg))
    a = report["arithmetic"]
    log(
        f"arithmetic ({a['problems']}): greedy {a['greedy_accuracy']:.3f}, self-consistency "
        f"{a['self_consistency_accuracy']:.3f}, oracle pass@{cfg.n} {a['oracle_pass_n']:.3f}"
    )
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["final"] = {
        "humaneval_greedy_pass1": he["greedy_pass1"],
        "humaneval_best_of_8_visible_pass1": he["best_of_n_visible_pass1"],
        "humaneval_oracle_pass8": he["oracle_pass_n"],
        "humaneval_after_rft_pass1": he["after_rft_pass1"],
        "humaneval_base_f16_greedy_pass1": he["base_f16_greedy_pass1"],
        "humaneval_test_problems": len(test),
        "arithmetic_greedy_accuracy": a["greedy_accuracy"],
        "arithmetic_self_consistency_accuracy": a["self_consistency_accuracy"],
        "arithmetic_oracle_pass8": a["oracle_pass_n"],
        "batched_vs_sequential_speedup": report["sampling"]["speedup"],
        "sandbox_concurrent_speedup": report["sandbox"]["speedup"],
        "sandbox_hostile_contained": report["sandbox"]["hostile_contained"],
        "sandbox_hostile_total": report["sandbox"]["hostile_total"],
        "samples_per_problem": cfg.n,
        "seconds": report["seconds"],
    }
    (cfg.out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    _plot(report, cfg.out / "verify_bench.png")
    return report


def _plot(report: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = report["final"]
    n = f["samples_per_problem"]
    labels = [
        "greedy",
        f"best-of-{n}\n(visible tests)",
        f"oracle\npass@{n}",
        "base f16",
        "after RFT",
    ]
    values = [
        f["humaneval_greedy_pass1"],
        f["humaneval_best_of_8_visible_pass1"],
        f["humaneval_oracle_pass8"],
        f["humaneval_base_f16_greedy_pass1"],
        f["humaneval_after_rft_pass1"],
    ]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.bar(labels, values, color=["#888", "#3a7", "#bbb", "#888", "#37a"])
    ax1.set_title(f"HumanEval pass@1 ({f['humaneval_test_problems']} test problems)")
    ax1.set_ylim(0, max(0.05, max(values) * 1.3))
    for i, v in enumerate(values):
        ax1.text(i, v, f"{v:.3f}", ha="center", va="bottom")
    arith = [
        f["arithmetic_greedy_accuracy"],
        f["arithmetic_self_consistency_accuracy"],
        f["arithmetic_oracle_pass8"],
    ]
    ax2.bar(
        ["greedy", f"self-consistency@{n}", f"oracle pass@{n}"],
        arith,
        color=["#888", "#3a7", "#bbb"],
    )
    ax2.set_title("Arithmetic word problems (exact answers)")
    ax2.set_ylim(0, max(0.05, max(arith) * 1.3))
    for i, v in enumerate(arith):
        ax2.text(i, v, f"{v:.3f}", ha="center", va="bottom")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def with_overrides(cfg: BenchConfig, **kw: Any) -> BenchConfig:
    """``cfg`` with some fields replaced (None values ignored)."""
    return replace(cfg, **{k: v for k, v in kw.items() if v is not None})
