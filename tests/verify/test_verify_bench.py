"""Verify benchmark pieces on tiny models (the real run is benchmarks/verify_bench.py)."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from steergraph.bench.verify import BenchConfig, _plot, select_problems
from steergraph.bench.verify_throughput import bench_sampling


def test_quick_config_takes_the_first_test_problems_and_the_easiest_training_ones():
    quick, full = BenchConfig.quick_config(), BenchConfig()
    q_train, q_test = select_problems(quick)
    f_train, f_test = select_problems(full)
    train_ids, test_ids = {p.id for p in f_train}, {p.id for p in f_test}
    assert len(train_ids) + len(test_ids) == 164 and not train_ids & test_ids
    assert [p.id for p in q_test] == [p.id for p in f_test[: quick.test_limit]]  # never reordered
    assert len(q_train) == quick.train_limit and {p.id for p in q_train} <= train_ids
    lengths = sorted(len(p.metadata["canonical_solution"]) for p in f_train)
    assert [len(p.metadata["canonical_solution"]) for p in q_train] == lengths[: len(q_train)]
    assert quick.n == full.n == 8  # the quick run still samples best-of-8


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
