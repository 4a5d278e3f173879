"""Measuring synthetic tables: fidelity, machine-learning efficiency and privacy.

* :func:`fidelity` -- sdmetrics' quality report: column shapes (KS / TV complement per
  column) and column pair trends (correlation / contingency similarity), each in [0, 1];
* :func:`mle_auc` -- train on one table, test on real held-out rows: ROC AUC of an
  XGBoost classifier (``xgboost-cpu``) and of a logistic regression (scikit-learn) for the
  benchmark's target column (one-vs-rest macro AUC for more than two classes);
* :func:`dcr_ratio` -- sdmetrics' distance to the closest record: the median DCR of the
  synthetic rows to the training rows over that of real held-out rows to the training rows
  (>= 1: the synthetic rows are no closer to the training data than unseen real rows).

Example (a table against itself):
    >>> import pandas as pd
    >>> from steergraph.agents.difflm.schema import TableSchema
    >>> df = pd.DataFrame({"k": ["a", "b", "a", "b"] * 10, "x": [1.0, 2.5, 1.5, 3.0] * 10})
    >>> schema = TableSchema.infer(df)
    >>> fidelity(df, df, schema)
    {'column_shapes': 1.0, 'pair_trends': 1.0}
"""

from __future__ import annotations

import contextlib
import io
import statistics
from typing import Any

from steergraph.errors import InputError

__all__ = ["dcr_ratio", "fidelity", "mle_auc", "sdv_metadata"]


def sdv_metadata(schema: Any) -> dict[str, Any]:
    """sdmetrics' single-table metadata for a :class:`TableSchema`."""
    sdtype = {"categorical": "categorical", "integer": "numerical", "number": "numerical"}
    return {"columns": {c.name: {"sdtype": sdtype[c.kind]} for c in schema.columns}}


def _typed(df: Any, schema: Any) -> Any:
    """The schema's columns with one dtype each (categories as text)."""
    out = df[[c.name for c in schema.columns]].copy()
    for c in schema.columns:
        out[c.name] = (
            out[c.name].astype(str) if c.kind == "categorical" else out[c.name].astype(float)
        )
    return out


def fidelity(real: Any, synthetic: Any, schema: Any) -> dict[str, float]:
    """Column shapes and column pair trends of sdmetrics' quality report."""
    from sdmetrics.reports import QualityReport

    if len(synthetic) == 0:
        raise InputError("no synthetic rows to evaluate", fix="sample more rows")
    report = QualityReport()
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a progress summary
        report.generate({"table": _typed(real, schema)}, {"table": _typed(synthetic, schema)},
                        {"tables": {"table": sdv_metadata(schema)}}, verbose=False)  # fmt: skip
    scores = dict(zip(report.get_properties()["Property"], report.get_properties()["Score"]))
    return {
        "column_shapes": round(float(scores["Column Shapes"]), 4),
        "pair_trends": round(float(scores["Column Pair Trends"]), 4),
    }


def _features(train: Any, test: Any, schema: Any, target: str) -> tuple[Any, ...]:
    import pandas as pd

    names = [c.name for c in schema.columns if c.name != target]
    cats = [c.name for c in schema.columns if c.kind == "categorical" and c.name != target]
    both = pd.get_dummies(_typed(pd.concat([train, test]), schema)[names], columns=cats)
    # plain arrays: one-hot names like "education_1. < HS Grad" are not valid XGBoost names
    x_train = both.iloc[: len(train)].to_numpy(dtype=float)
    x_test = both.iloc[len(train) :].to_numpy(dtype=float)
    return x_train, x_test, train[target].astype(str), test[target].astype(str)


def mle_auc(train: Any, test: Any, schema: Any, target: str, *, seed: int = 0) -> dict:
    """Train on ``train`` (real or synthetic), score on real ``test``: ROC AUC of XGBoost
    and of a logistic regression (None when ``train`` lacks a class)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import LabelEncoder, StandardScaler
    from xgboost import XGBClassifier

    if target not in [c.name for c in schema.columns]:
        raise InputError(f"no column {target!r}", fix="name a column of the table")
    x_train, x_test, y_train, y_test = _features(train, test, schema, target)
    classes = sorted(set(y_test))
    if set(y_train) != set(classes) or len(classes) < 2:
        return {"xgboost": None, "logistic": None}
    labels = LabelEncoder().fit(classes)
    y_tr, y_te = labels.transform(y_train), labels.transform(y_test)
    out = {}
    for name, model in (
        ("xgboost", XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1,
                                  random_state=seed, n_jobs=2, verbosity=0)),
        ("logistic", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
    ):  # fmt: skip
        model.fit(x_train, y_tr)
        proba = model.predict_proba(x_test)
        auc = (roc_auc_score(y_te, proba[:, 1]) if len(classes) == 2
               else roc_auc_score(y_te, proba, multi_class="ovr"))  # fmt: skip
        out[name] = round(float(auc), 4)
    return out


def dcr_ratio(synthetic: Any, train: Any, holdout: Any, schema: Any) -> float:
    """Median DCR(synthetic -> train) / median DCR(holdout -> train) (sdmetrics' DCR)."""
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    meta = sdv_metadata(schema)
    typed_train = _typed(train, schema)
    synth = statistics.median(calculate_dcr(_typed(synthetic, schema), typed_train, meta))
    real = statistics.median(calculate_dcr(_typed(holdout, schema), typed_train, meta))
    return round(synth / real, 4) if real > 0 else float("inf")
