"""Verifier engineering benchmark: HumanEval and arithmetic on the embedded model.

In one run: HumanEval (test split; hidden tests score every final answer) greedy pass@1,
pass@1 of best-of-8 selected by the visible docstring tests, oracle pass@8, and greedy
pass@1 after one round of rejection-sampling fine-tuning (the verify graph with SFT
feedback on the training split); arithmetic word problems (greedy, self-consistency@8,
oracle pass@8); batched best-of-8 vs 8 sequential samples (tokens/s); concurrent vs
one-at-a-time sandbox throughput; the hostile-program battery. Writes report.json and a
plot to --out; the last line is one JSON object.

Usage:
    python benchmarks/verify_bench.py --quick          # a subset, a few minutes
    python benchmarks/verify_bench.py                  # the full test split (long on 2 cores)
    python benchmarks/verify_bench.py --test-limit 32 --train-limit 32 --arithmetic 40
    python benchmarks/verify_bench.py --model local:/path/to/model   # any local model
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "verify", "bench", *args]
    run_recorded("verify", main, args, results_folder(__file__))
