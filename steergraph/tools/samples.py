"""Real sample inputs at four size levels, for measuring tool costs.

Text comes from Python's own documentation (``pydoc_data.topics``, part of every
CPython), tables from the committed dpkg fixture (the packages of a Debian system).
Level ``k`` (1-4) is 4**(k-1) times the smallest size: 2k/8k/32k/128k characters of
text, 40/160/640/2560 table rows, 10/40/160/640 words.

Example:
    >>> [len(sample_value("text", level)) for level in (1, 2)]
    [2000, 8000]
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path
from typing import Any

from steergraph.errors import ToolDefinitionError
from steergraph.tools.types import Table

__all__ = ["DPKG_COLUMNS", "DPKG_FIXTURE", "SIZE_LEVELS", "corpus_text", "packages_table",
           "sample_value"]  # fmt: skip

#: a real table of Debian packages (built by :mod:`steergraph.data.dpkg_fixture`)
DPKG_FIXTURE = Path(__file__).parent / "fixtures" / "dpkg_packages.csv"
DPKG_COLUMNS = ("package", "section", "priority", "architecture", "installed_kb", "n_depends")

SIZE_LEVELS = (1, 2, 3, 4)
_TEXT_CHARS = 2000
_TABLE_ROWS = 40
_WORDS = 10


@functools.lru_cache(maxsize=1)
def corpus_text() -> str:
    """Python's documentation topics as one text (about 460k characters)."""
    import pydoc_data.topics as topics

    return "\n\n".join(topics.topics[key] for key in sorted(topics.topics))


@functools.lru_cache(maxsize=1)
def packages_table() -> Table:
    """The dpkg fixture as a :class:`Table` (target column ``installed_kb``)."""
    with DPKG_FIXTURE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    numeric = {"installed_kb", "n_depends"}
    data = [[float(r[c]) if c in numeric else r[c] for c in DPKG_COLUMNS] for r in rows]
    return Table(list(DPKG_COLUMNS), data, target="installed_kb")


def sample_value(kind: str, level: int) -> Any:
    """A real value of data type ``kind`` at size ``level`` (1-4)."""
    scale = 4 ** (level - 1)
    if kind == "text":
        text = corpus_text()
        return (text * (1 + _TEXT_CHARS * scale // len(text)))[: _TEXT_CHARS * scale]
    if kind == "table":
        base = packages_table()
        n = _TABLE_ROWS * scale
        rows = [list(base.rows[i % len(base.rows)]) for i in range(n)]
        return Table(list(base.columns), rows, target=base.target)
    if kind == "number":
        return float(42 * scale)
    if kind == "words":
        words = re.findall(r"[a-z]{4,}", corpus_text()[:20000].lower())
        return words[: _WORDS * scale]
    raise ToolDefinitionError(
        f"no sample values for the data type '{kind}'",
        fix="give the tool a `samples` function (level -> input values) to measure it",
    )
