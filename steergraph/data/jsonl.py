"""Reading JSON-lines files a user gave us, with errors that name the line.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
    >>> _ = path.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
    >>> [(n, row["a"]) for n, row in read_jsonl(path)]
    [(1, 1), (3, 2)]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steergraph.errors import InputFileError

__all__ = ["read_jsonl"]


def read_jsonl(path: str | Path, *, what: str = "row") -> list[tuple[int, Any]]:
    """``(line number, value)`` of every non-blank line; a missing file, text that is not
    UTF-8 or a line that is not JSON raises :class:`InputFileError` naming it."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"'{p}' does not exist", fix=f"pass a .jsonl file, one {what} a line")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(f"'{p}' is not UTF-8 text", fix="save it as UTF-8") from err
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as err:
            raise InputFileError(
                f"'{p}' line {n} is not JSON: {err}", fix=f"write one JSON {what} a line"
            ) from err
    return rows
