"""CAORL benchmark: prompted (cost-unaware, cost-aware), SFT-best, CAORL (and its no-cost
ablation) and oracle CATP planners, on the test split and on all tasks.

Runs the CATP benchmark for the plan pool (or reuses one with ``--catp-dir``), fine-tunes
the embedded model (or ``--model local:qwen-coder-0.5b``) once per trained planner on the
training tasks' plans, exports each to llama.cpp, plans every task with it and runs the
plan for real. Writes planners, ``report.json``, ``outcomes.jsonl`` and a bar chart to
``--out``; the last line is one JSON object (``qop_0.5_test`` per planner,
``price_reduction_caorl_vs_unaware``, ``score_caorl``, ``score_sft_best``, ...).

Usage:
    python benchmarks/caorl_bench.py            # 56 tasks, 3 planners x 150 steps (~2 h here)
    python benchmarks/caorl_bench.py --quick    # size level 2 (14 tasks), CAORL + SFT-best
    python benchmarks/caorl_bench.py --quick --model local:qwen-coder-0.5b
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "caorl", "bench", *args]
    run_recorded("caorl", main, args, results_folder(__file__))
