"""MOLE on SummEval: the joint evaluator vs supervised-only, single-score, ROUGE-L and an
LLM judge, summary-level Spearman/Kendall per facet on held-out articles.

Usage:
    python benchmarks/mole_bench.py            # every training article, 24 LLM originals
    python benchmarks/mole_bench.py --quick    # 20 articles, 4 LLM originals (<= 15 min)
    python benchmarks/mole_bench.py --model openai:NAME --judge openai:NAME

The last line is one JSON object: ``spearman_mole``, ``spearman_supervised_only``,
``spearman_single_score``, ``spearman_rouge_l``, ``spearman_llm_judge``, ``per_facet``,
``counterfactuals_checked_rate`` and the differences against the baselines.
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "mole", "bench", *args]
    run_recorded("mole", main, args, results_folder(__file__))
