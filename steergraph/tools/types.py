"""The data types that flow between planned tools, and how big a value is.

A plan is type-checked before it runs: each tool declares the types of its inputs
and of its output, by name. Four types are built in -- ``text`` (``str``),
``table`` (:class:`Table`), ``number`` (``float``) and ``words`` (``list[str]``) --
and users add their own with :func:`register_type`. Each type knows how to check a
value (a tool returning the wrong type is a recorded failure) and how to measure its
size (cost profiles are measured at input-size levels and looked up by size).

Example:
    >>> t = Table(["city", "pop"], [["Oslo", 709.0], ["Bergen", 286.0]], target="pop")
    >>> DATA_TYPES["table"].size(t), DATA_TYPES["text"].check("hi")
    (2, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steergraph.errors import ToolDefinitionError

__all__ = [
    "DATA_TYPES",
    "DataType",
    "Table",
    "decode_value",
    "encode_value",
    "register_type",
    "type_of_annotation",
]


@dataclass
class Table:
    """A small typed table: column names, rows, and the numeric column tasks ask about."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    target: str | None = None

    def column(self, name: str) -> list[Any]:
        """The values of one column."""
        idx = self.columns.index(name)
        return [row[idx] for row in self.rows]

    def numeric_target(self) -> str:
        """``target`` if set, else the last column whose values are all numbers."""
        if self.target:
            return self.target
        for name in reversed(self.columns):
            values = self.column(name)
            if values and all(isinstance(v, (int, float)) for v in values):
                return name
        raise ValueError("the table has no numeric column")

    def to_csv(self) -> str:
        """The table as CSV text (no quoting of commas: cells are plain)."""
        lines = [",".join(self.columns)]
        lines += [",".join(str(v) for v in row) for row in self.rows]
        return "\n".join(lines)


@dataclass(frozen=True)
class DataType:
    """A named type: how to recognise a value and how to measure its size."""

    name: str
    check: Callable[[Any], bool]
    size: Callable[[Any], int]
    python: tuple[type, ...] = ()


DATA_TYPES: dict[str, DataType] = {
    "text": DataType("text", lambda v: isinstance(v, str), lambda v: len(v), (str,)),
    "table": DataType("table", lambda v: isinstance(v, Table), lambda v: len(v.rows), (Table,)),
    "number": DataType(
        "number",
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        lambda v: 1,
        (float, int),
    ),
    "words": DataType(
        "words",
        lambda v: isinstance(v, list) and all(isinstance(w, str) for w in v),
        lambda v: len(v),
        (list,),
    ),
}


def register_type(kind: DataType) -> DataType:
    """Add a user data type (its name must be new)."""
    if kind.name in DATA_TYPES:
        raise ToolDefinitionError(
            f"data type '{kind.name}' already exists", fix="pick another name for your type"
        )
    DATA_TYPES[kind.name] = kind
    return kind


def type_of_annotation(annotation: Any, where: str) -> str:
    """Map a Python annotation (``str``, ``Table``, ``float``, ``list[str]``...) to a type name."""
    if isinstance(annotation, str) and annotation in DATA_TYPES:
        return annotation
    origin = getattr(annotation, "__origin__", None)
    if origin is list and getattr(annotation, "__args__", (None,))[0] is str:
        return "words"
    for kind in DATA_TYPES.values():
        if annotation in kind.python and kind.name != "words":
            return kind.name
    names = ", ".join(sorted(DATA_TYPES))
    raise ToolDefinitionError(
        f"{where}: cannot map the annotation {annotation!r} to a plan data type",
        fix=f"annotate with str, float, Table or list[str], or pass types=... ({names})",
    )


def encode_value(value: Any) -> Any:
    """A JSON-friendly form of a plan value (tables become tagged dicts)."""
    if isinstance(value, Table):
        return {"__table__": {"columns": value.columns, "rows": value.rows, "target": value.target}}
    return value


def decode_value(data: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if isinstance(data, dict) and "__table__" in data:
        return Table(**data["__table__"])
    return data
