"""Babel Tower's probes on the real embedded SmolLM2, through the command line: reading
JavaScript, its last layers decode to JavaScript-specific tokens more than to Python's,
and LAPE finds language neurons."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def test_smollm2_works_in_the_language_it_reads(cli, tmp_path) -> None:
    r = cli("babel", "corpus", "--languages", "python,javascript", "--max-files", "80",
            "--out", str(tmp_path / "c"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = cli("babel", "probe", "smollm2", "--corpus", str(tmp_path / "c"),
            "--languages", "python,javascript", "--texts", "3", "--max-tokens", "96")  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    shares = out["working_language"]
    assert len(shares["javascript"]) == 31  # embeddings + 30 layers
    assert shares["javascript"][-1] > shares["python"][-1]
    assert shares["javascript"][-1] > shares["javascript"][0]  # read off the output, not input
    neurons = out["neurons_per_layer"]
    assert sum(neurons["python"]) + sum(neurons["javascript"]) > 0
    assert len(neurons["python"]) == 30
