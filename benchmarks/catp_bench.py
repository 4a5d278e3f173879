"""Offline OpenCATP benchmark: random, cost-unaware LLM, cost-aware LLM and oracle planners.

Runs the 56-task suite (14 families x 4 input sizes, real text and tables): each
planner's plan is executed for real and scored against the gold output; the oracle
searches each task's plan space exhaustively; the cost-aware planner also runs
through the CATP graph with 20% of tool calls raising and 5% hanging. Writes the
plan pool (``datasets``), a JSON report and a plot to ``--out``; the last line is
one JSON object (score, price, latency, QoP and invalid-plan rate per planner,
``price_reduction_cost_aware_vs_unaware``, ``completed_with_faults``).

Usage:
    python benchmarks/catp_bench.py            # full run (about half an hour on 2 cores)
    python benchmarks/catp_bench.py --quick    # one size level (a few minutes)
    python benchmarks/catp_bench.py --model openai:gpt-4o-mini   # any chat model spec
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "catp", "bench", *args]
    run_recorded("catp", main, args, results_folder(__file__))
