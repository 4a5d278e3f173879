"""Built-in table tools: parse, clean, exact-vs-sampled statistics, rank, render.

``mean_sampled`` reads every tenth row (cheap, approximate) where ``mean_exact``
reads all; ``top_rows`` sorts the whole table where ``top_rows_scan`` keeps a bounded
heap; ``drop_incomplete`` and ``dedupe_rows`` are optional clean-ups that change the
statistics computed after them. Statistics use the table's numeric target column.

Example:
    >>> t = parse_csv("name,kb\\na,1\\nb,3\\nb,3")
    >>> mean_exact(t), mean_exact(dedupe_rows(t))
    (2.3333333333333335, 2.0)
"""

from __future__ import annotations

import csv
import heapq
import io
import statistics

from steergraph.tools.types import Table

__all__ = [
    "dedupe_rows",
    "describe_table",
    "drop_incomplete",
    "extract_numbers",
    "mean_exact",
    "mean_sampled",
    "median_exact",
    "parse_csv",
    "table_to_text",
    "top_rows",
    "top_rows_scan",
]

TOP_K = 10
SAMPLE_EVERY = 10


def _cell(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value.strip()


def parse_csv(text: str) -> Table:
    """Parse CSV text (first line = header); numeric cells become numbers."""
    reader = csv.reader(io.StringIO(text.strip()))
    header = next(reader, [])
    rows = [[_cell(v) for v in row] for row in reader if len(row) == len(header)]
    return Table([h.strip() for h in header], rows)


def _target_values(table: Table, every: int = 1) -> list[float]:
    if not table.rows:
        return []
    idx = table.columns.index(table.numeric_target())
    return [float(r[idx]) for r in table.rows[::every] if isinstance(r[idx], (int, float))]


def drop_incomplete(table: Table) -> Table:
    """Drop rows with an empty cell or a non-positive target value."""
    if not table.rows:
        return table
    idx = table.columns.index(table.numeric_target())
    rows = [
        r
        for r in table.rows
        if all(v != "" for v in r) and isinstance(r[idx], (int, float)) and r[idx] > 0
    ]
    return Table(list(table.columns), rows, table.target)


def dedupe_rows(table: Table) -> Table:
    """Drop exact duplicate rows, keeping the first."""
    seen: set[tuple[object, ...]] = set()
    rows = []
    for row in table.rows:
        key = tuple(row)
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return Table(list(table.columns), rows, table.target)


def mean_exact(table: Table) -> float:
    """Mean of the target column over every row."""
    values = _target_values(table)
    return statistics.fmean(values) if values else 0.0


def mean_sampled(table: Table) -> float:
    """Approximate mean of the target column from every tenth row."""
    values = _target_values(table, SAMPLE_EVERY)
    return statistics.fmean(values) if values else 0.0


def median_exact(table: Table) -> float:
    """Median of the target column."""
    values = _target_values(table)
    return float(statistics.median(values)) if values else 0.0


def top_rows(table: Table) -> Table:
    """The ten rows with the largest target value (full sort)."""
    if not table.rows:
        return table
    idx = table.columns.index(table.numeric_target())
    ranked = sorted(table.rows, key=lambda r: (-float(r[idx]), str(r[0])))
    return Table(list(table.columns), ranked[:TOP_K], table.target)


def top_rows_scan(table: Table) -> Table:
    """The ten rows with the largest target value (one pass with a bounded heap)."""
    if not table.rows:
        return table
    idx = table.columns.index(table.numeric_target())
    best = heapq.nsmallest(TOP_K, table.rows, key=lambda r: (-float(r[idx]), str(r[0])))
    return Table(list(table.columns), best, table.target)


def describe_table(table: Table) -> str:
    """A one-paragraph description: size, columns, target statistics."""
    values = _target_values(table)
    if not values:
        return f"{len(table.rows)} rows; columns {', '.join(table.columns)}."
    return (
        f"{len(table.rows)} rows; columns {', '.join(table.columns)}. "
        f"{table.numeric_target()}: min {min(values):g}, mean {statistics.fmean(values):.1f}, "
        f"max {max(values):g}."
    )


def table_to_text(table: Table) -> str:
    """The table as CSV text."""
    return table.to_csv()


def extract_numbers(text: str) -> Table:
    """Every number in the text, as a one-column table (target ``value``)."""
    import re

    values = [float(v) for v in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text)]
    return Table(["value"], [[v] for v in values], target="value")
