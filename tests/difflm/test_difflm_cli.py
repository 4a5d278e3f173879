"""The DiffLM commands refuse bad input in one line, before loading any model."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [(["difflm", "sample", "/no/model", "--out", "x.txt"], "name a .csv or .jsonl file"),
     (["difflm", "sample", "/no/model"], "holds no DiffLM model"),
     (["difflm", "fit", "/no/such.csv"], "no table"),
     (["difflm", "fit", "wage", "--decoder", "openai:gpt-4o"], "cannot train the API model")],
)  # fmt: skip
def test_bad_input_is_one_line(cli, args, message):
    r = cli(*args)
    assert r.returncode == 2 and message in r.stderr
    assert r.stderr.count("\n") == 1
