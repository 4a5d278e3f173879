"""Code as DiffLM's data: one Python function (or a few) per row, beside the tables of
:mod:`~steergraph.agents.difflm.schema`.

:class:`CodeSchema` has the interface the fit, sample and graph code use of
:class:`~steergraph.agents.difflm.schema.TableSchema` (``columns``, ``clean``,
``serialize``, ``parse``, ``check_row``, ``grammar``, ``to_dict``), for a table of one
text column, ``code``:

* the grammar starts every row with ``def `` and lets the decoder write the rest (a
  grammar of all Python is more than llguidance's lark dialect should carry for a 135M
  decoder, and Python's own parser says exactly what is valid);
* :meth:`CodeSchema.parse` is that check: the text must parse (:mod:`ast`) and define a
  function at top level, or it is "unparsed", as a table row that does not parse;
* :meth:`CodeSchema.check_row` rejects a function longer than any training function (the
  analogue of a number outside its training range), counted as DiffLM's unseen values.

Rows that do not parse are dropped from the training data and counted (as incomplete
table rows are). :func:`infer_schema` picks the schema for a frame (one ``code`` column:
code) and :func:`schema_from_dict` reads either back from a fitted model.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"code": ["def f(x):\\n    return x + 1", "def g():\\n    pass",
    ...                             "def broken(:"]})
    >>> schema = infer_schema(df)
    >>> schema.kind, schema.max_lines
    ('code', 2)
    >>> rows, dropped = schema.clean(df)
    >>> len(rows), dropped
    (2, 1)
    >>> schema.parse("def h(y):\\n    return y")["code"].splitlines()[0]
    'def h(y):'
    >>> schema.check_row({"code": "def h():\\n    a = 1\\n    return a"})
    'code of 3 lines, longer than any training function (2)'
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from steergraph.agents.difflm.schema import Column, TableSchema
from steergraph.errors import InputError

__all__ = ["CODE_COLUMN", "CodeSchema", "function_names", "infer_schema", "schema_from_dict"]

#: the one column of a code table
CODE_COLUMN = "code"


def function_names(text: str) -> list[str]:
    """The names of the top-level functions ``text`` defines (raises ValueError)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte
        raise ValueError(f"not Python: {str(exc).splitlines()[0]}") from None
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not names:
        raise ValueError("defines no function at top level")
    return names


@dataclass
class CodeSchema:
    """A table of Python functions, one per row; see the module docstring."""

    max_lines: int = 0
    max_chars: int = 0
    kind: str = "code"
    columns: list[Column] = field(default_factory=lambda: [Column(CODE_COLUMN, "text")])

    @classmethod
    def infer(cls, df: Any) -> CodeSchema:
        """The longest training function's size, from a frame with a ``code`` column."""
        if CODE_COLUMN not in getattr(df, "columns", []):
            raise InputError("a code table needs a 'code' column",
                             fix="give one function per row under the header 'code'")  # fmt: skip
        texts = [_from_def(str(t)) for t in df[CODE_COLUMN].dropna()]
        good = [t for t in texts if _parses(t)]
        if not good:
            raise InputError("no row of the 'code' column is a Python function",
                             fix="give each function's source, starting with 'def'")  # fmt: skip
        return cls(max(t.count("\n") + 1 for t in good), max(len(t) for t in good))

    def clean(self, df: Any) -> tuple[Any, int]:
        """(the rows that parse as functions, starting at ``def``; rows dropped)."""
        import pandas as pd

        texts = [_from_def(str(t)) for t in df[CODE_COLUMN].dropna()]
        kept = [t for t in texts if _parses(t)]
        if not kept:
            raise InputError("no row of the 'code' column is a Python function",
                             fix="give each function's source, starting with 'def'")  # fmt: skip
        return pd.DataFrame({CODE_COLUMN: kept}), len(df) - len(kept)

    def serialize(self, row: Any) -> str:
        """One row as the decoder writes it: the source itself."""
        return str(row[CODE_COLUMN]).strip()

    def parse(self, text: str) -> dict[str, Any]:
        """``{"code": text}`` when it parses and defines a function (else ValueError)."""
        code = text.strip()
        function_names(code)
        return {CODE_COLUMN: code}

    def check_row(self, row: dict[str, Any]) -> str | None:
        """Why a parsed function is rejected (longer than any training one), or None."""
        lines = row[CODE_COLUMN].count("\n") + 1
        if self.max_lines and lines > self.max_lines:
            return f"code of {lines} lines, longer than any training function ({self.max_lines})"
        return None

    def grammar(self) -> str:
        """The lark grammar of one row: ``def`` and then any text (see the docstring)."""
        return 'start: "def " /(.|\\n)+/'

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (saved with a fitted model)."""
        return {"kind": self.kind, "max_lines": self.max_lines, "max_chars": self.max_chars}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeSchema:
        """The inverse of :meth:`to_dict`."""
        return cls(int(data["max_lines"]), int(data["max_chars"]))


def _parses(text: str) -> bool:
    try:
        function_names(text)
    except ValueError:
        return False
    return text.startswith("def ")


def _from_def(text: str) -> str:
    """The source from its first top-level ``def`` on (imports and the like dropped)."""
    m = re.search(r"^def ", text, re.M)
    return text[m.start() :].strip() if m else text.strip()


def infer_schema(df: Any) -> TableSchema | CodeSchema:
    """A code schema for a frame whose only column is ``code``; a table schema otherwise."""
    if list(getattr(df, "columns", [])) == [CODE_COLUMN]:
        return CodeSchema.infer(df)
    return TableSchema.infer(df)


def schema_from_dict(data: dict[str, Any]) -> TableSchema | CodeSchema:
    """Either schema from its saved form."""
    return CodeSchema.from_dict(data) if data.get("kind") == "code" else TableSchema.from_dict(data)
