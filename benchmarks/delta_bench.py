"""Delta-editing benchmark on the embedded SmolLM2 and its post-trained version.

For each editor at several strengths (DARE and its k extension, biased masks, BitDelta
1/2/4-bit and distilled, low rank, TIES pruning, extrapolation, delta quantization):
the Riemann-sum prediction of the loss change and the measured change on held-out
rows, their classes and the sign agreement outside the competitive band; compact
BitDelta files and their compression; our streamed DARE vs mergekit's DARE (wall time
and peak RSS ratios, same pair, same run). Writes report.json and a plot to --out;
the last line is one JSON object.

    python benchmarks/delta_bench.py --quick     # a reduced run, a few minutes
    python benchmarks/delta_bench.py             # 28 edits, 16 calibration rows
    python benchmarks/delta_bench.py -e dare:p=0.95 -e lowrank:rank=2
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "edit", "bench", *args]
    run_recorded("delta", main, args, results_folder(__file__))
