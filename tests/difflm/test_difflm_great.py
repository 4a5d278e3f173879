"""The GReaT baseline's glue: its rows get DiffLM's unseen-value check, its figures reach
the final line, and the benchmark leaves it out when asked."""

from __future__ import annotations

import pandas as pd

from steergraph.agents.difflm.schema import TableSchema
from steergraph.bench.difflm import DiffLMBenchConfig
from steergraph.bench.difflm_great import GreatSettings, keep_seen
from steergraph.bench.difflm_report import final_line, table_lines


def _schema() -> TableSchema:
    train = pd.DataFrame(
        {
            "grade": [1, 2, 3] * 8,  # few whole numbers: categorical, read back as int
            "city": ["Oslo", "Rome", "Oslo"] * 8,
            "age": list(range(20, 44)),
            "wage": [10.5 + i for i in range(24)],
        }
    )
    return TableSchema.infer(train)


def test_sampled_text_is_typed_and_unseen_values_are_rejected():
    schema = _schema()
    kinds = {c.name: (c.kind, c.integer_levels) for c in schema.columns}
    assert kinds["grade"] == ("categorical", True) and kinds["age"][0] == "integer"
    sampled = pd.DataFrame(
        {
            "grade": ["2.0", "2", "7", "1", "x"],
            "city": [" Rome", "Oslo", "Oslo", "Paris", "Oslo"],
            "age": ["30.0", "21", "22", "23", "24"],
            "wage": ["11.25", "99", "12", "13", "14"],
        }
    )
    reasons: dict[str, int] = {}
    kept, rejected = keep_seen(sampled, schema, reasons)
    assert reasons == {"wage": 1, "grade": 2, "city": 1}
    # row 2: wage 99 outside [10.5, 33.5]; row 3: grade 7 unseen; row 4: Paris; row 5: "x"
    assert rejected == 4
    # typed as DiffLM's own rows are: a whole-number category reads back as int
    assert kept.to_dict("records") == [{"grade": 2, "city": "Rome", "age": 30, "wage": 11.25}]
    # an integer column refuses a fraction, as DiffLM's grammar does
    assert keep_seen(sampled.assign(age="30.4").head(1), schema)[1] == 1


def test_nothing_sampled_keeps_nothing():
    kept, rejected = keep_seen(pd.DataFrame(columns=["grade", "city", "age", "wage"]), _schema())
    assert len(kept) == 0 and rejected == 0 and list(kept.columns) == [
        "grade", "city", "age", "wage"
    ]  # fmt: skip


def test_great_figures_reach_the_final_line_and_the_table():
    entry = {"valid_rate": 1.0, "column_shapes": 0.8, "pair_trends": 0.7,
             "mle_auc": {"xgboost": 0.65, "logistic": 0.6}}  # fmt: skip
    great = {"kept": 90, "rejected_unseen": 10, "column_shapes": 0.75,
             "mle_auc": {"xgboost": 0.61, "logistic": 0.58}}  # fmt: skip
    run = {"tables": {"wage": {"real": {"mle_auc": {"xgboost": 0.7}},
                               "synthetic": {"diffusion": entry, "gaussian": entry},
                               "baselines": {"great": great}}}}  # fmt: skip
    line = final_line(run)
    assert (line["mle_auc_great"], line["column_shapes_great"], line["great_kept"]) == (
        0.61, 0.75, 90,
    )  # fmt: skip
    assert any("great" in t and "kept 90" in t for t in table_lines(run))


def test_quick_fits_great_small_and_it_can_be_left_out():
    assert DiffLMBenchConfig.quick().great == GreatSettings.quick()
    assert DiffLMBenchConfig().great == GreatSettings()
    assert DiffLMBenchConfig.quick(great=None).great is None
