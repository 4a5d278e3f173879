"""DiffLM benchmark: synthetic tables from a VAE + latent diffusion steering a frozen LLM.

Per table (ISLP Wage -> health_ins, Carseats -> Urban): fit on the training rows, decode
rows through the diffusion prior and through N(0, I), and measure valid rows, sdmetrics'
column shapes and pair trends, train-on-synthetic / test-on-real AUC (XGBoost, logistic
regression) next to the real rows' AUC, and the DCR ratio against held-out real rows.
SDV's TVAE and GaussianCopula join when the optional ``sdv`` package is installed.
Writes report.json and a plot to --out; the last line is one JSON object.

Usage:
    python benchmarks/difflm_bench.py --quick        # <= 15 minutes on 2 cores
    python benchmarks/difflm_bench.py                # the full run
    python benchmarks/difflm_bench.py --decoder local:qwen-coder-0.5b
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "difflm", "bench", *args]
    run_recorded("difflm", main, args, results_folder(__file__))
