"""DiffLM on code: the schema of a table of functions, the code measures, HumanEval's
training functions as data, and the graph end to end on a tiny decoder."""

from __future__ import annotations

import pandas as pd
import pytest

from steergraph.agents.difflm.code_eval import (
    code_dcr_ratio,
    code_fidelity,
    code_figures,
    doctest_pass_rate,
    novelty,
)
from steergraph.agents.difflm.code_schema import (
    CodeSchema,
    infer_schema,
    schema_from_dict,
)
from steergraph.agents.difflm.schema import TableSchema
from steergraph.data.difflm import CODE_TABLE, load_table
from steergraph.errors import InputError
from steergraph.graphs.difflm import DiffLMContext, build_difflm_graph
from steergraph.testing import tiny_causal_lm

GOOD = '''def double(x):
    """Twice x.
    >>> double(2)
    4
    """
    return 2 * x'''
WRONG = GOOD.replace("2 * x", "x + 1")  # double(2) == 3: its own example fails
PLAIN = "def noop():\n    pass"


def test_schema_keeps_functions_counts_the_rest_and_round_trips():
    df = pd.DataFrame({"code": ["import math\n\n" + GOOD, PLAIN, "def broken(:", None,
                                "x = 1"]})  # fmt: skip
    schema = infer_schema(df)
    assert isinstance(schema, CodeSchema) and schema.max_lines == GOOD.count("\n") + 1
    rows, dropped = schema.clean(df)
    assert list(rows["code"]) == [GOOD, PLAIN] and dropped == 3  # the import is dropped
    assert schema.parse(schema.serialize(rows.iloc[0])) == {"code": GOOD}
    again = schema_from_dict(schema.to_dict())
    assert again == schema and again.grammar().startswith('start: "def "')
    # a table keeps its own schema; a saved table schema reads back as one
    table = pd.DataFrame({"code": ["a", "b"], "n": [1, 2]})
    assert isinstance(infer_schema(table), TableSchema)
    assert isinstance(schema_from_dict(infer_schema(table).to_dict()), TableSchema)


@pytest.mark.parametrize("text", ["def f(:\n    pass", "x = 1", "", "def f():\n    return 1\x00"])
def test_text_that_is_not_a_function_does_not_parse(text):
    with pytest.raises(ValueError):
        CodeSchema(2, 40).parse(text)


def test_a_function_longer_than_any_training_one_is_rejected():
    schema = CodeSchema(max_lines=2, max_chars=40)
    assert schema.check_row({"code": PLAIN}) is None
    assert "longer than any training function (2)" in schema.check_row({"code": GOOD})


@pytest.mark.parametrize(
    "df, match",
    [
        (pd.DataFrame({"source": [GOOD]}), "needs a 'code' column"),
        (pd.DataFrame({"code": ["x = 1", "def (:"]}), "no row of the 'code' column"),
    ],
)
def test_bad_code_tables_are_refused(df, match):
    with pytest.raises(InputError, match=match):
        CodeSchema.infer(df)


def test_measures_tell_copies_from_new_code_and_working_from_broken_code():
    train = [GOOD, PLAIN, "def add(a, b):\n    return a + b"]
    assert code_fidelity(train, train) == {"ast_shapes": 1.0, "length_shapes": 1.0}
    assert code_fidelity(train, [PLAIN] * 3)["ast_shapes"] < 1.0
    assert novelty([GOOD, GOOD, "def new():\n    return 7"], train=train) == {
        "distinct_rate": 0.6667, "copy_rate": 0.6667}  # fmt: skip
    # copies sit at distance 0 from the training data: a ratio of 0 against new code
    assert code_dcr_ratio([GOOD, PLAIN], train, ["def other(q):\n    return q * q"]) == 0.0
    runs = doctest_pass_rate([GOOD, WRONG, PLAIN])
    assert runs == {"pass_rate": 0.5, "with_examples": 0.6667}
    assert doctest_pass_rate([PLAIN]) == {"pass_rate": None, "with_examples": 0.0}
    figures = code_figures([GOOD], train, [PLAIN])
    assert figures["doctests"]["pass_rate"] == 1.0 and figures["copy_rate"] == 1.0
    with pytest.raises(InputError, match="no synthetic functions"):
        code_fidelity(train, [])


def test_humaneval_training_functions_are_the_code_data():
    df = load_table(CODE_TABLE)
    assert list(df.columns) == ["code"] and 50 <= len(df) <= 86
    assert all(CodeSchema().parse(t) for t in df["code"])
    assert df["code"].str.len().max() <= 700
    # the real functions do what their docstrings show (the reference of the measure)
    assert doctest_pass_rate(list(df["code"][:12]))["pass_rate"] == 1.0


def test_graph_fits_samples_and_measures_code_on_a_tiny_decoder(tmp_path):
    table = tmp_path / "funcs.csv"
    pd.DataFrame({"code": [GOOD, PLAIN, "def add(a, b):\n    return a + b"] * 4}).to_csv(
        table, index=False
    )
    out = build_difflm_graph().invoke(
        {"table": str(table), "out_dir": str(tmp_path / "run"), "n": 3},
        context=DiffLMContext(decoder=tiny_causal_lm(), fit={"steps": 2, "prior_steps": 5}),
    )
    report = out["report"]
    assert report["kind"] == "code" and report["split"]["target"] is None
    assert report["split"]["train"] == 10
    assert report["real"]["doctests"]["with_examples"] >= 0.0
    for prior in ("diffusion", "gaussian"):
        counts = report["synthetic"][prior]["counts"]
        # a random decoder writes "def " and then noise: whatever it wrote is counted
        assert counts["kept"] + counts["rejected_unseen"] + counts["unparsed"] == 3
    written = pd.read_csv(tmp_path / "run" / "synthetic-diffusion.csv")
    assert list(written.columns) == ["code"]


def test_the_benchmark_line_reports_code_with_its_own_figures():
    from steergraph.bench.difflm_report import final_line, table_lines

    def entry(ast):
        return {"valid_rate": 0.5, "ast_shapes": ast, "length_shapes": 0.7, "copy_rate": 0.0,
                "distinct_rate": 1.0, "dcr_ratio_vs_holdout": 1.2,
                "doctests": {"pass_rate": 0.25, "with_examples": 0.8}}  # fmt: skip

    real = {"doctests": {"pass_rate": 1.0, "with_examples": 0.95}}
    synthetic = {"diffusion": entry(0.8), "gaussian": entry(0.7)}
    code = {"kind": "code", "real": real, "synthetic": synthetic, "baselines": {}}
    run = {"tables": {"humaneval-code": code}}
    line = final_line(run)
    assert line["diffusion_vs_gaussian_prior_ast"] == 0.1 and line["doctest_pass_rate"] == 0.25
    assert line["doctest_pass_rate_real"] == 1.0 and "mle_auc_synthetic" not in line
    assert any("doctests_pass 0.25" in row for row in table_lines(run))
