"""Babel Tower benchmark: a tiny multilingual code model pre-trained in stages, probed,
and the corpus optimiser's mixture against uniform and original at one token budget.

Python (the interpreter's standard library) first, then continued pre-training on Go
(Debian's golang-1.19-src: `make babel-corpora`) and JavaScript (npm's sources); the
held-out loss per language, the working language of the middle layers by the logit lens
and LAPE's language neurons at every checkpoint; writes report.json and babel.png to
--out; the last line is one JSON object with the issue's keys.

Usage:
    python benchmarks/babel_bench.py --quick        # <= 15 minutes on 2 cores
    python benchmarks/babel_bench.py                # the full run (about 30 minutes)
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "babel", "bench", *args]
    run_recorded("babel", main, args, results_folder(__file__), default_model="none")
