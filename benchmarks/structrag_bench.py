"""StructRAG benchmark: StructRAG vs chunk RAG vs long context, on the same model, one run.

Loong-style tasks (spotlight locating, comparison, clustering, chain of reasoning) over
real documents (Debian package records, Python's docs, installed packages' READMEs;
committed fixture), each with a gold answer computed by a program; all five structure
types. Trains the router with DPO on simulated preferences first and reports routing
accuracy before and after. Writes report.json and a plot to --out; the last line is one
JSON object (structrag_score, chunk_rag_score, long_context_score,
router_accuracy_before/after, seconds_per_question, per_task, ...).

Usage:
    python benchmarks/structrag_bench.py --quick          # a subset, a few minutes
    python benchmarks/structrag_bench.py                  # 6 test tasks per family
    python benchmarks/structrag_bench.py --model openai:gpt-4o-mini --no-train-router
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "structrag", "bench", *args]
    run_recorded("structrag", main, args, results_folder(__file__))
