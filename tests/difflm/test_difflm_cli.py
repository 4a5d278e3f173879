"""The DiffLM commands refuse bad input in one line, before loading any model."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [(["difflm", "sample", "/no/model", "--out", "x.txt"], "name a .csv or .jsonl file"),
     (["difflm", "sample", "/no/model"], "holds no DiffLM model"),
     (["difflm", "fit", "/no/such.csv"], "no table"),
     (["difflm", "fit", "wage", "--decoder", "openai:gpt-4o"], "cannot train the API model"),
     (["difflm", "bench", "--table", "nope"], "name one of wage,"),
     (["difflm", "bench", "--n", "0"], "use positive sizes"),
     (["difflm", "bench", "--temperature", "-1"], "use 0 (greedy) or more"),
     (["difflm", "tool-table", "plans.txt"], "name a .csv file"),
     (["difflm", "tool-table", "plans.csv", "--level", "7"], "use levels 1-4")],
)  # fmt: skip
def test_bad_input_is_one_line(cli, args, message):
    r = cli(*args)
    assert r.returncode == 2 and message in r.stderr
    assert r.stderr.count("\n") == 1


def test_tool_table_writes_catp_plans_a_schema_can_describe(cli, tmp_path):
    import pandas as pd

    from steergraph.agents.difflm.schema import TableSchema

    r = cli("difflm", "tool-table", str(tmp_path / "plans.csv"), "--level", "1")
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(tmp_path / "plans.csv")
    assert df["family"].nunique() == 14 and (df["level"] == 1).all()
    assert set(df["calls"]) <= {1, 2, 3} and df["score"].between(-1, 1).all()
    tools = set(df["tool_1"]) | set(df["tool_2"]) | set(df["tool_3"])
    assert "parse_csv" in tools and "none" in tools  # shorter plans are padded
    kinds = {c.name: c.kind for c in TableSchema.infer(df).columns}
    assert kinds["tool_2"] == "categorical" and kinds["score"] == "number"
