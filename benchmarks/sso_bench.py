"""SSO benchmark: SSO vs plain DPO on unfiltered pairs, on the embedded model.

Adherence to held-out principle checks (base, after SSO, after DPO on unfiltered pairs
with the same optimizer steps), win rate against the base policy by a pairwise judge,
reward-model accuracy on program-verified held-out pairs (SSO pairs vs as many
unfiltered pairs), trainer time per pair (SSO trainer vs TRL's DPOTrainer, same run)
and pairs kept per 100 generated. Writes report.json and a plot to --out; the last
line is one JSON object.

    python benchmarks/sso_bench.py --quick           # a reduced run, a few minutes
    python benchmarks/sso_bench.py                   # 32 prompts x 2 rounds
    python benchmarks/sso_bench.py --judge local:gemma3
"""

from __future__ import annotations

import sys

from steergraph.bench.results import results_folder, run_recorded
from steergraph.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.argv = [sys.argv[0], "sso", "bench", *args]
    run_recorded("sso", main, args, results_folder(__file__))
