"""DiffLM's tables and row schema: real tables read from wheels, rows written and read
back, the grammar every decoded row follows, and bad tables refused in one line."""

from __future__ import annotations

import pandas as pd
import pytest

from steergraph.agents.difflm.schema import TableSchema
from steergraph.data.difflm import TABLES, load_table, split_table
from steergraph.errors import InputError, InputFileError


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_named_table_round_trips_through_its_text(name):
    df = load_table(name)
    assert TABLES[name].target in df.columns and len(df) > 300
    schema = TableSchema.infer(df)
    rows, dropped = schema.clean(df)
    assert dropped == (11 if name == "penguins" else 0)  # penguins has missing values
    for i in range(0, len(rows), max(1, len(rows) // 50)):
        parsed = schema.parse(schema.serialize(rows.iloc[i]))
        assert schema.check_row(parsed) is None
        for col in schema.columns:
            raw = rows.iloc[i][col.name]
            if col.kind == "number":
                assert parsed[col.name] == pytest.approx(float(raw), abs=10**-col.decimals)
            elif col.kind == "integer":
                assert parsed[col.name] == int(raw)


def test_grammar_accepts_real_rows_and_nothing_off_schema():
    from steergraph.llm.constrained import ConstraintCache, lark_grammar
    from steergraph.testing import tiny_tokenizer

    df = load_table("wage")
    schema = TableSchema.infer(df)
    grammar, tok = lark_grammar(schema.grammar()), tiny_tokenizer()
    ok = schema.serialize(df.iloc[0])
    for text, accepted in [
        (ok, True),
        (schema.serialize(df.iloc[2999]), True),
        (ok.replace("2. Middle Atlantic", "9. Mars"), False),  # not a level
        (ok.replace("age is 18", "age is 018"), False),  # a leading zero
        (ok.replace("age is 18", "age is 5"), False),  # fewer digits than any training age
        (ok.replace("wage is 75.043", "wage is 4.533"), False),
        (ok[: -len("75.043")] + "75.04", False),  # too few decimals (and unfinished)
        (ok.replace("year is 2006, ", ""), False),  # a column missing
    ]:
        matcher = ConstraintCache().matcher(tok, grammar)
        fits = matcher.consume_tokens(tok(text, add_special_tokens=False)["input_ids"])
        assert (fits and matcher.is_accepting()) is accepted, text


def test_split_is_by_seed_and_disjoint():
    df = load_table("carseats")
    a, b = split_table(df, test=0.25, seed=3)
    assert len(a) + len(b) == len(df) and len(b) == 100
    again = split_table(df, test=0.25, seed=3)[1]
    assert b.equals(again)
    with pytest.raises(InputError, match="cannot fill a test share"):
        split_table(df.head(1), test=0.2)


def test_bad_tables_are_refused_in_one_line(tmp_path):
    mixed = pd.DataFrame({"x": [str(i) if i % 2 else f"v{i}" for i in range(400)]})
    with pytest.raises(InputError, match="free text or mixed numbers and text"):
        TableSchema.infer(mixed)
    few_mixed = pd.DataFrame({"x": ["1", "two", "3", "1"]})  # few levels: categorical
    assert TableSchema.infer(few_mixed).columns[0].kind == "categorical"
    one = pd.DataFrame({"c": ["same"] * 5, "n": [1.5, 2.5, 3.5, 4.5, 5.5]})
    assert TableSchema.infer(one).columns[0].levels == ["same"]  # kept, fixed by the grammar
    empty = pd.DataFrame({"a": [None, None], "b": [1, 2]})
    with pytest.raises(InputError, match="has no values"):
        TableSchema.infer(empty)
    with pytest.raises(InputError, match="every row has a missing value"):
        TableSchema.infer(pd.DataFrame({"a": [1, None], "b": [None, 2]})).clean(
            pd.DataFrame({"a": [1, None], "b": [None, 2]})
        )
    with pytest.raises(InputError, match="contains ', '"):
        TableSchema.infer(pd.DataFrame({"a, b": [1, 2]}))
    with pytest.raises(InputFileError, match="no table"):
        load_table(tmp_path / "missing.csv")
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 50)
    with pytest.raises(InputFileError, match="not a readable CSV"):
        load_table(binary)
