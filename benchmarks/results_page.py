"""Regenerate ``benchmarks/RESULTS.md`` from the recorded results in ``benchmarks/results/``.

Every benchmark script here records its final JSON line there (with the model, arguments,
date and commit); this page is made from those files only, never edited by hand.

Usage:
    python benchmarks/results_page.py            # writes benchmarks/RESULTS.md
    python benchmarks/results_page.py --check    # exit 1 when the page is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from steergraph.bench.results import load_results, results_page

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--page", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args()
    page = results_page(load_results(args.results))
    if args.check:
        current = args.page.exists() and args.page.read_text() == page
        print(f"{args.page}: {'current' if current else 'out of date'}")
        sys.exit(0 if current else 1)
    args.page.write_text(page)
    print(f"wrote {args.page}")


if __name__ == "__main__":
    main()
