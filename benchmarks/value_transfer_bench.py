"""Value-network transfer: a value network trained on one base, attached to targets, vs
each target alone, proxy-tuning and the target fine-tuned on the same demonstrations.

Usage:
    python benchmarks/value_transfer_bench.py                  # SmolLM2, 200 steps
    python benchmarks/value_transfer_bench.py --quick          # 24 steps of 2 rows (<= 15 min)
    python benchmarks/value_transfer_bench.py --family qwen    # 0.5B -> 0.5B and 1.5B

The last line is one JSON object: ``gain_recovered_same_family_nll``,
``gain_recovered_same_family_task``, ``gain_recovered_cross_vocab_nll`` (the target of
another vocabulary, through the corpus-learned token alignment), ``value_decode_slowdown``,
``alignment_coverage`` and ``alignment_exact_coverage`` (held-out completion tokens mapped
exactly or by the corpus, and exactly), and each target's NLLs (proxy-tuning included,
across vocabularies too) and arithmetic accuracies.
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "value", "bench", *args]
    run_recorded("value_transfer", main, args, results_folder(__file__))
