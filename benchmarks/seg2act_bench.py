"""Seg2Act on held-out installed manuals: the trained model vs the rules, the untrained
model and the model trained without the global context.

Usage:
    python benchmarks/seg2act_bench.py            # 64 training / 16 test manuals
    python benchmarks/seg2act_bench.py --quick    # 24 / 5 manuals, 20 steps (<= 15 min)
    python benchmarks/seg2act_bench.py --model local:qwen-coder-0.5b

The last line is one JSON object: ``heading_f1``, ``text_f1``, ``teds`` of the trained
model, ``heading_f1_*`` and ``teds_*`` of each baseline (``rules``, ``untrained``,
``no_context``), the ratios against the rules and ``segments_per_s``.
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "seg2act", "bench", *args]
    run_recorded("seg2act", main, args, results_folder(__file__))
