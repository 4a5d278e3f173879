"""Lazy package exports: ``from pkg import Name`` imports the defining module on first use.

A package whose members pull torch, transformers or TRL declares its exports as
``{"Name": "module.path"}`` and gets a module ``__getattr__``/``__dir__`` (PEP 562), so
``import steergraph.graphs`` or ``steergraph --help`` stays light. Written by hand because
the one library for this (``lazy_loader``) is not a dependency and needs a stub file.

Example:
    >>> getattr_, dir_ = lazy_exports("mypkg", {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0)
    3.0
    >>> "sqrt" in dir_()
    True
    >>> getattr_("nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'mypkg' has no attribute 'nope'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports", "resolve"]


def resolve(target: str) -> Any:
    """Import ``"module:attr"`` (or ``"module"``) and return the attribute (or module)."""
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` exporting ``name -> defining module``."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
