"""Throughput parts of the verify benchmark: the sandbox and batched sampling.

- :func:`run_battery`: every hostile program bare in the sandbox (kernel layers alone)
  and as a code candidate through the verifier (contained *and* a failed verdict).
- :func:`bench_sandbox`: the battery, then the canonical HumanEval solutions with their
  tests run one at a time vs concurrently (programs per second, same run).
- :func:`bench_sampling`: ``n`` samples in one batched generate vs ``n`` sequential
  generates of the same prompt (output tokens per second, same run).

Example:
    >>> sorted(bench_sandbox.__code__.co_varnames[:2])
    ['log', 'n_programs']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from steergraph.agents.verify import CodeTestVerifier, Problem
from steergraph.asyncio_utils import run_sync

__all__ = ["bench_sampling", "bench_sandbox", "run_battery"]


def run_battery(limits: Any = None) -> list[dict[str, Any]]:
    """Every hostile program twice: bare in the sandbox with the audit policy off (the
    kernel layers alone must contain it), and as a code candidate (attack, then a correct
    function) through :class:`CodeTestVerifier` (it must be contained *and* get a failed
    verdict). One record per program."""
    from steergraph.tools.sandbox import Sandbox, SandboxLimits
    from steergraph.tools.sandbox_hostile import HOSTILE_PROGRAMS, HostileProbe, violations

    limits = limits or SandboxLimits(wall_s=3.0, cpu_s=2, memory_mb=256)
    wall, verifier = Sandbox(limits, policy=False), CodeTestVerifier(sandbox=Sandbox(limits))
    problem = Problem(prompt="def add(a, b):\n", entry_point="add", tests=["assert add(2, 3) == 5"])
    records = []
    for name, _ in HOSTILE_PROGRAMS:
        with HostileProbe(name) as probe:
            result = wall.run(probe.code)
            found = violations(result, probe)
        with HostileProbe(name) as probe:
            verdict = verifier.verify(
                problem, probe.code + "\n\ndef add(a, b):\n    return a + b\n"
            )
            seen = SimpleNamespace(
                stdout=verdict.details.get("stdout", ""), stderr=verdict.details.get("stderr", "")
            )
            leaked = violations(seen, probe, expect=False)
        records.append(
            {
                "name": name,
                "kernel_contained": not found,
                "kernel_violations": found,
                "kernel_reason": result.reason,
                "verdict_failed": verdict.passed is False,
                "verdict_reason": verdict.error or verdict.feedback,
                "verdict_leaks": leaked,
                "contained": not found and not leaked and verdict.passed is False,
            }
        )
    return records


def bench_sandbox(n_programs: int, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Hostile battery containment and concurrent vs sequential sandbox throughput."""
    from steergraph.data.verify.humaneval import load_humaneval, program_with_counted_tests
    from steergraph.tools.sandbox import Sandbox, SandboxLimits

    battery = run_battery()
    contained = sum(1 for r in battery if r["contained"])
    kernel = sum(1 for r in battery if r["kernel_contained"])
    log(
        f"sandbox: {contained}/{len(battery)} hostile programs contained with failed verdicts "
        f"({kernel}/{len(battery)} contained by the kernel layers alone, policy off)"
    )
    programs = [
        program_with_counted_tests(p.prompt + p.metadata["canonical_solution"], p.hidden_tests)
        for p in load_humaneval()[:n_programs]
    ]
    limits = SandboxLimits(wall_s=20.0, cpu_s=10)
    start = time.perf_counter()
    one = Sandbox(limits, concurrency=1)
    seq = [one.run(code) for code in programs]
    seq_s = time.perf_counter() - start
    many = Sandbox(limits)
    start = time.perf_counter()
    conc = run_sync(many.arun_many(programs))
    conc_s = time.perf_counter() - start
    ok_seq, ok_conc = sum(r.ok for r in seq), sum(r.ok for r in conc)
    log(
        f"sandbox throughput: {len(programs)} programs sequential {seq_s:.2f}s, concurrent "
        f"{conc_s:.2f}s (x{seq_s / conc_s:.2f}); passing {ok_seq}/{ok_conc}"
    )
    return {
        "hostile": battery,
        "hostile_contained": contained,
        "hostile_kernel_contained": kernel,
        "hostile_total": len(battery),
        "programs": len(programs),
        "sequential_s": round(seq_s, 3),
        "concurrent_s": round(conc_s, 3),
        "concurrency": many.concurrency,
        "speedup": round(seq_s / conc_s, 3),
        "canonical_pass_sequential": ok_seq,
        "canonical_pass_concurrent": ok_conc,
        "isolation": list(Sandbox.isolation_available()),
    }


# ----------------------------------------------------------------------- sampling
def bench_sampling(
    llm: Any,
    prompts: list[list[Any]],
    *,
    n: int = 8,
    temperature: float = 0.8,
    max_new_tokens: int = 256,
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Tokens/s of ``n`` samples in one batched generate vs ``n`` sequential calls."""
    batched_tokens = seq_tokens = 0
    batched_s = seq_s = 0.0
    for i, msgs in enumerate(prompts):
        start = time.perf_counter()
        out = llm.sample(msgs, n, temperature=temperature, max_new_tokens=max_new_tokens, seed=i)
        batched_s += time.perf_counter() - start
        batched_tokens += sum(m.usage_metadata["output_tokens"] for m in out)
        start = time.perf_counter()
        for k in range(n):
            (m,) = llm.sample(
                msgs, 1, temperature=temperature, max_new_tokens=max_new_tokens, seed=1000 * i + k
            )
            seq_tokens += m.usage_metadata["output_tokens"]
        seq_s += time.perf_counter() - start
    batched, seq = batched_tokens / batched_s, seq_tokens / seq_s
    ratio = batched / seq
    log(f"sampling: batched {batched:.1f} tok/s vs sequential {seq:.1f} tok/s (x{ratio:.2f})")
    return {
        "batched_tokens_per_s": round(batched, 2),
        "sequential_tokens_per_s": round(seq, 2),
        "speedup": round(ratio, 3),
        "prompts": len(prompts),
        "samples": n,
        "engine": getattr(llm, "engine_name", type(llm).__name__),
    }
