"""Verify benchmark pieces on tiny models (the real run is benchmarks/verify_bench.py)."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from steergraph.bench.verify import BenchConfig, _plot
from steergraph.bench.verify_throughput import bench_sampling


def test_quick_config_is_smaller_than_full():
    quick, full = BenchConfig.quick_config(), BenchConfig()
    assert quick.test_limit < 164 and full.test_limit is None and quick.n == full.n == 8


def test_sampling_measures_both_ways(tiny_llm):
    out = bench_sampling(
        tiny_llm, [[HumanMessage("count")]], n=3, max_new_tokens=6, log=lambda s: s
    )
    assert out["batched_tokens_per_s"] > 0 and out["sequential_tokens_per_s"] > 0
    ratio = out["batched_tokens_per_s"] / out["sequential_tokens_per_s"]
    assert abs(out["speedup"] - ratio) < 0.01 * ratio


def test_plot_is_written(tmp_path):
    final = {
        "samples_per_problem": 8, "humaneval_greedy_pass1": 0.1,
        "humaneval_best_of_8_visible_pass1": 0.2, "humaneval_oracle_pass8": 0.3,
        "humaneval_base_f16_greedy_pass1": 0.1, "humaneval_after_rft_pass1": 0.15,
        "humaneval_test_problems": 4, "arithmetic_greedy_accuracy": 0.2,
        "arithmetic_self_consistency_accuracy": 0.25, "arithmetic_oracle_pass8": 0.5,
    }  # fmt: skip
    path = _plot({"final": final}, tmp_path / "p.png")
    assert path.stat().st_size > 5000
