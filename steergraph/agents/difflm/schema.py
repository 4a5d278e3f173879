"""A table's schema as DiffLM's decoder writes it: rows as text, parsed back, and a grammar
that makes every decoded row parse.

A row is written GReaT-style, every column in the table's order:
``age is 45, maritl is 2. Married, wage is 130.982``. Columns are

* **categorical** (text, booleans, or whole numbers with at most ``max_int_levels``
  distinct values): the grammar offers exactly the training values;
* **integer**: digits (a sign only when the training minimum is negative), as many whole
  digits as the training range spans (Wage's ``age`` in [18, 80]: two);
* **number**: the same whole part, a point and exactly ``decimals`` digits (the most the
  column shows, at most ``max_decimals``).

The grammar (llguidance's lark dialect) fixes the column order and each value's shape, so
every decoded row parses; numbers outside the training range are not excluded by it and
are DiffLM's "unseen values", counted and rejected by :meth:`TableSchema.check_row`.
No library writes tables as constrained text this way (GReaT samples free text and
drops what fails to parse), hence this module.

Missing values: rows with any are dropped and counted (:meth:`TableSchema.clean`); a
column mixing numbers and text is read as categorical when it has few distinct values and
refused otherwise, as is free text (too many distinct strings to enumerate).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"age": [18, 45, 60], "job": ["a b", "c", "a b"],
    ...                    "wage": [75.04, 130.9, 99.5]})
    >>> schema = TableSchema.infer(df, max_int_levels=2)
    >>> [(c.name, c.kind) for c in schema.columns]
    [('age', 'integer'), ('job', 'categorical'), ('wage', 'number')]
    >>> text = schema.serialize(df.iloc[1])
    >>> text
    'age is 45, job is c, wage is 130.90'
    >>> schema.parse(text)
    {'age': 45, 'job': 'c', 'wage': 130.9}
    >>> schema.check_row({"age": 99, "job": "c", "wage": 100.0})
    'age 99 outside the training range [18, 60]'
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from steergraph.errors import InputError

__all__ = ["Column", "TableSchema"]

#: a categorical column with more distinct values than this is free text, not a category
MAX_LEVELS = 200


@dataclass
class Column:
    """One column: ``kind`` categorical / integer / number, with its levels or range (or
    ``text``: the one column of a code table, see :mod:`.code_schema`)."""

    name: str
    kind: str
    levels: list[str] = field(default_factory=list)
    low: float = 0.0
    high: float = 0.0
    decimals: int = 0
    integer_levels: bool = False  # a categorical column of whole numbers reads back as int

    def write(self, value: Any) -> str:
        """The value as the row text shows it."""
        if self.kind in ("categorical", "text"):
            return str(value)
        if self.kind == "integer":
            return str(int(value))
        return f"{float(value):.{self.decimals}f}"

    def read(self, text: str) -> Any:
        """The value of ``text`` (raises ValueError when it is not one)."""
        if self.kind == "text":
            return text
        if self.kind == "categorical":
            if text not in self.levels:
                raise ValueError(f"{self.name}: unknown level {text!r}")
            return int(text) if self.integer_levels else text
        return int(text) if self.kind == "integer" else float(text)

    def check(self, value: Any) -> str | None:
        """Why a read value is rejected (a number outside the training range), or None."""
        if self.kind in ("categorical", "text"):
            return None
        if not (self.low <= value <= self.high) or math.isnan(value):
            return (f"{self.name} {self.write(value)} outside the training range "
                    f"[{self.write(self.low)}, {self.write(self.high)}]")  # fmt: skip
        return None

    def terminal(self) -> str:
        """The value's lark rule body."""
        if self.kind == "categorical":
            return " | ".join(json.dumps(level) for level in self.levels)
        sign = "-?" if self.low < 0 else ""
        digits = max(1, len(str(int(max(abs(self.low), abs(self.high))))))
        # no leading zeros; a column whose values all have >= k whole digits gets >= k
        least = len(str(int(self.low))) if self.low >= 1 else 1
        whole = f"{sign}(0|[1-9][0-9]{{0,{digits - 1}}})"
        if least > 1:
            whole = f"[1-9][0-9]{{{least - 1},{digits - 1}}}"
        if self.kind == "integer":
            return f"/{whole}/"
        return f"/{whole}\\.[0-9]{{{self.decimals}}}/"


def _decimals(values: Any, cap: int) -> int:
    shown = 0
    for v in values:
        text = repr(float(v))
        if "e" in text or "E" in text:
            return cap
        shown = max(shown, len(text.split(".")[1].rstrip("0")) if "." in text else 0)
        if shown >= cap:
            return cap
    return max(1, shown)


@dataclass
class TableSchema:
    """The columns of a table, in order; see the module docstring."""

    columns: list[Column]
    kind = "table"  # a class attribute, not a field (code tables: ``CodeSchema.kind``)

    @classmethod
    def infer(cls, df: Any, *, max_int_levels: int = 10, max_decimals: int = 3) -> TableSchema:
        """Read the schema off a DataFrame (missing values ignored here; see ``clean``)."""
        import pandas as pd

        if len(df.columns) == 0:
            raise InputError("the table has no columns", fix="give a CSV with a header row")
        columns = []
        for name in df.columns:
            if ", " in str(name) or " is " in f" {name} ":
                raise InputError(f"column name {name!r} contains ', ' or ' is '",
                                 fix="rename the column")  # fmt: skip
            values = df[name].dropna()
            if values.empty:
                raise InputError(f"column {name!r} has no values", fix="drop the column")
            numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
                values
            )
            whole = numeric and bool((values == values.round()).all())
            if numeric and not (whole and values.nunique() <= max_int_levels):
                kind = "integer" if whole else "number"
                dec = 0 if whole else _decimals(values, max_decimals)
                # the range as written: a value inside it rounds inside it
                low, high = round(float(values.min()), dec), round(float(values.max()), dec)
                columns.append(Column(str(name), kind, low=low, high=high, decimals=dec))
                continue
            levels = sorted({str(int(v)) if whole else str(v) for v in values})
            if len(levels) > MAX_LEVELS:
                raise InputError(
                    f"column {name!r} has {len(levels)} distinct texts: free text or mixed "
                    "numbers and text, which the row grammar cannot enumerate",
                    fix=f"clean the column to numbers or at most {MAX_LEVELS} categories, "
                    "or drop it",
                )
            bad = [lv for lv in levels if ", " in lv or "\n" in lv]
            if bad:
                raise InputError(f"column {name!r} has the value {bad[0]!r} (', ' or a newline)",
                                 fix="replace those characters in the data")  # fmt: skip
            columns.append(Column(str(name), "categorical", levels=levels, integer_levels=whole))
        return cls(columns)

    def clean(self, df: Any) -> tuple[Any, int]:
        """(the rows without missing values, as the schema's values; rows dropped)."""
        kept = df[[c.name for c in self.columns]].dropna()
        if kept.empty:
            raise InputError("every row has a missing value", fix="fill or drop those columns")
        return kept.reset_index(drop=True), len(df) - len(kept)

    def serialize(self, row: Any) -> str:
        """One row as text."""
        return ", ".join(f"{c.name} is {c.write(_plain(row[c.name], c))}" for c in self.columns)

    def parse(self, text: str) -> dict[str, Any]:
        """A row's values from its text (raises ValueError when it does not parse)."""
        out, rest = {}, text.strip()
        for i, col in enumerate(self.columns):
            head = f"{col.name} is "
            if not rest.startswith(head):
                raise ValueError(f"expected {head!r} at {rest[:30]!r}")
            rest = rest[len(head) :]
            if i + 1 < len(self.columns):
                stop = rest.find(f", {self.columns[i + 1].name} is ")
                if stop < 0:
                    raise ValueError(f"no {self.columns[i + 1].name!r} after {col.name!r}")
                value, rest = rest[:stop], rest[stop + 2 :]
            else:
                value, rest = rest, ""
            out[col.name] = col.read(value)
        return out

    def check_row(self, row: dict[str, Any]) -> str | None:
        """Why a parsed row is rejected (a number outside the training range), or None."""
        return next((why for c in self.columns if (why := c.check(row[c.name]))), None)

    def grammar(self) -> str:
        """The lark grammar of one row (llguidance's dialect)."""
        parts = []
        for i, col in enumerate(self.columns):
            sep = "" if i == 0 else ", "
            parts.append(f"{json.dumps(f'{sep}{col.name} is ')} v{i}")
        rules = [f"start: {' '.join(parts)}"]
        rules += [f"v{i}: {col.terminal()}" for i, col in enumerate(self.columns)]
        return "\n".join(rules)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (saved with a fitted model)."""
        return {"columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSchema:
        """The inverse of :meth:`to_dict`."""
        return cls([Column(**c) for c in data["columns"]])


def _plain(value: Any, col: Column) -> Any:
    if col.kind == "categorical" and isinstance(value, float) and value == int(value):
        return int(value)
    return value
