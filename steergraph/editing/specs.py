"""Editors from plain data: a dict (records, JSON) or a ``method:key=value`` string (CLI).

Example:
    >>> parse_editor("dare:p=0.9,k=0.5")
    Dare(targets=None, seed=0, p=0.9, k=0.5)
    >>> editor_from_dict(parse_editor("lowrank:rank=8").to_dict())
    LowRank(targets=None, seed=0, rank=8)
    >>> parse_editor("dare:p=0.5,targets=layers.[0-9]{1,2}.mlp").targets
    'layers.[0-9]{1,2}.mlp'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from steergraph.editing.editors import (
    BiasedDare,
    BitDelta,
    Dare,
    DeltaEditor,
    Extrapolate,
    LowRank,
    QuantizeDelta,
    Ties,
)
from steergraph.errors import EditingError

__all__ = ["EDITORS", "editor_from_dict", "parse_editor"]

#: every editor by its ``method`` name
EDITORS: dict[str, type[DeltaEditor]] = {
    cls.method: cls
    for cls in (Dare, BiasedDare, BitDelta, LowRank, Ties, Extrapolate, QuantizeDelta)
}


def editor_from_dict(spec: Mapping[str, Any]) -> DeltaEditor:
    """Rebuild an editor from :meth:`DeltaEditor.to_dict` (or a user's JSON/YAML)."""
    data = dict(spec)
    method = data.pop("method", None)
    if method not in EDITORS:
        raise EditingError(
            f"unknown editing method {method!r}", fix=f"use one of {', '.join(sorted(EDITORS))}"
        )
    cls = EDITORS[method]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise EditingError(
            f"{method} has no setting(s) {', '.join(unknown)}",
            fix=f"its settings are {', '.join(sorted(names))}",
        )
    return cls(**data)


def _value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def parse_editor(spec: str) -> DeltaEditor:
    """An editor from ``"method:key=value,key=value"`` (e.g. ``"dare:p=0.9,k=0.5"``)."""
    method, _, args = spec.strip().partition(":")
    data: dict[str, Any] = {"method": method.strip()}
    # split at commas that start a new key=value (a regex may hold commas: {1,2})
    for item in filter(None, (a.strip() for a in re.split(r",(?=\s*\w+\s*=)", args))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise EditingError(
                f"cannot read {item!r} in the editor spec {spec!r}",
                fix="write method:key=value,key=value, e.g. dare:p=0.9,k=0.5",
            )
        data[key.strip()] = _value(value.strip())
    return editor_from_dict(data)
