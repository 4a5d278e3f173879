"""``steergraph caorl`` and the CATP commands' ``--planner``: a tiny run and bad input."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from steergraph.testing import tiny_causal_lm

WORDS = "Count the words of the document."


@pytest.fixture(scope="module")
def setup(module_tmp):
    base = module_tmp("base")
    for part in tiny_causal_lm(seed=0):
        part.save_pretrained(base)
    rows = [{"task_id": "word-count-L1", "split": "train", "planner": "enumeration",
             "plan": "n = count_words(doc)\nreturn n", "valid": True, "score": 1.0,
             "measured": False, "description": WORDS}]  # fmt: skip
    pool = module_tmp("pool")
    Dataset.from_list(rows).save_to_disk(str(pool))
    return base, pool


def test_train_then_refuse_to_overwrite(cli, setup, tmp_path):
    base, pool = setup
    out = tmp_path / "planner"
    args = ("--pool", str(pool), "--out", str(out), "-m", str(base), "--steps", "1",
            "--max-length", "4096", "--no-export")  # fmt: skip
    done = cli("caorl", "train", *args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["steps"] == 1
    assert "1 training tasks" in done.stderr and "target return" in done.stderr
    again = cli("catp", "train", *args)  # the same command under catp
    assert again.returncode != 0 and "already holds a trained planner" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("caorl", "train", "--pool", "/no/pool", "--out", "x"), "no plan pool at"),
        (("caorl", "train", "--pool", "/no/pool", "--out", "x", "--steps", "0"), "--steps 0"),
        (("caorl", "train", "--pool", "/no", "--out", "x", "--variant", "dt"), "unknown CAORL"),
        (("caorl", "plan", "/no/planner", "word-count-L9"), "no CATP task"),
        (("caorl", "plan", "/no/planner", "word-count-L1"), "no trained CAORL planner"),
        (("caorl", "bench", "--steps", "0"), "--steps 0"),
        (("caorl", "bench", "--variants", "caorl,dt"), "unknown CAORL variant 'dt'"),
        (("catp", "plan", "Count", "-i", f"doc={__file__}", "--planner", "x"), "use trained:DIR"),
        (("catp", "plan", "Count", "-i", f"doc={__file__}", "--planner", "trained:/no"), "no trai"),
    ],
)
def test_bad_input_is_one_line(cli, args, message):
    done = cli(*args)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
