"""Tool data for DiffLM: records of tool-call plans from the CATP plan pool, as a table.

DiffLM is measured on tabular, code and tool data. The tool records here are the plans
CATP's plan-space search enumerates and executes for real (:mod:`.catp_oracle`): one row
per plan, holding the task family and input-size level it solves, how many tool calls it
makes, the tools in execution order (``tool_1`` ... ``tool_k``, ``none`` past its length),
and the score its output got against the task's gold answer. At levels 1-2 with plans of
up to 2 searched calls that is 1,658 plans over 22 tools and 14 families. The ML-efficiency
target is ``family``: a synthetic table is useful when a classifier trained on its plans
recognises which task real plans solve.

Prices and latencies are left out: they are profiled wall times of this machine, so the
table would change from run to run. Scores are rounded to 3 decimals.

Built here, not in :mod:`steergraph.data`, because it runs the benchmark's plan search.

Example:
    >>> df = tool_plan_table(levels=(1,), families=("word-count",))
    >>> list(df.columns)[:4], TOOL_TARGET
    (['family', 'level', 'calls', 'tool_1'], 'family')
    >>> bool((df["family"] == "word-count").all()), int(df["calls"].max()) <= 3
    (True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["TOOL_TABLE", "TOOL_TARGET", "tool_plan_table", "write_tool_plan_table"]

#: the name the DiffLM benchmark and CLI give this table
TOOL_TABLE = "catp-plans"
#: the column the benchmark's classifiers predict
TOOL_TARGET = "family"


def tool_plan_table(
    *,
    levels: Sequence[int] = (1, 2),
    oracle_size: int = 2,
    families: Sequence[str] | None = None,
) -> Any:
    """Every enumerated plan of CATP's tasks at ``levels``, one row each (a DataFrame)."""
    import pandas as pd

    from steergraph.bench.catp import oracle_job
    from steergraph.data.catp.tasks import build_tasks
    from steergraph.errors import InputError

    tasks = build_tasks(levels=tuple(levels), families=tuple(families) if families else None)
    if not tasks:
        raise InputError(f"no CATP tasks at levels {list(levels)}", fix="use levels 1-4")
    records = []
    for task in tasks:
        for row in oracle_job(task.id, oracle_size)["rows"]:
            records.append({"family": task.family, "level": task.level, "tools": row["node_tools"],
                            "score": round(float(row["score"]), 3)})  # fmt: skip
    width = max(len(r["tools"]) for r in records)
    rows = [
        {"family": r["family"], "level": r["level"], "calls": len(r["tools"]),
         **{f"tool_{i + 1}": (r["tools"][i] if i < len(r["tools"]) else "none")
            for i in range(width)},
         "score": r["score"]}
        for r in records
    ]  # fmt: skip
    return pd.DataFrame(rows)


def write_tool_plan_table(path: str | Path, **kwargs: Any) -> Path:
    """:func:`tool_plan_table` written as CSV to ``path`` (its folder is made)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tool_plan_table(**kwargs).to_csv(out, index=False)
    return out
