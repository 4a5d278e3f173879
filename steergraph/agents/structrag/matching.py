"""Tolerant name matching for StructRAG's exact computations and plans.

A small model (or a user) names a column, an entity or a section a little differently
from how the structure spells it: ``"installed size"`` for ``installed_kb``, ``"GCC"``
for ``gcc``, ``"the python3 package"`` for ``python3``. :func:`match_name` resolves such a
name against the candidates: exact first, then equal after :func:`normalise`, then
containment either way.

Example:
    >>> match_name("Installed KB", ["package", "installed_kb"])
    'installed_kb'
    >>> match_name("the python3 package", ["python3", "perl"])
    'python3'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["given", "match_name", "normalise", "word_set"]

_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
_STOP = frozenset("a an and the of to in on for with then is are be it by from or at as".split())


def normalise(text: Any) -> str:
    """Lower case, punctuation and underscores as single spaces.

    >>> normalise("  Installed_KB (total) ")
    'installed kb total'
    """
    return " ".join(_WORD.findall(str(text).lower()))


def word_set(text: str) -> set[str]:
    """The normalised words of ``text`` without common stop words.

    >>> sorted(word_set("Run the tests, then commit"))
    ['commit', 'run', 'tests']
    """
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def given(name: str | None) -> str | None:
    """``None`` for a missing argument or a plan's ``"none"`` / ``"any"`` sentinel.

    >>> given("none") is None, given("size")
    (True, 'size')
    """
    return None if name is None or normalise(name) in ("", "none", "any") else name


def match_name(name: str | None, candidates: Iterable[Any]) -> str | None:
    """The candidate ``name`` means: exact, normalised equal, then containment either way.

    Containment prefers the shortest candidate containing ``name``, then the longest
    candidate contained in ``name`` as whole words.

    >>> match_name("python3", ["Python3-Minimal", "python3.11", "perl"])
    'python3.11'
    >>> match_name("the GCC compiler", ["gcc", "g++"])
    'gcc'
    >>> match_name("rust", ["gcc"]) is None
    True
    """
    if name is None:
        return None
    cands = list(dict.fromkeys(str(c) for c in candidates))
    if name in cands:
        return name
    needle = normalise(name)
    if not needle:
        return None
    norm = {c: normalise(c) for c in cands}
    for c in cands:
        if norm[c] == needle:
            return c
    inside = [c for c in cands if norm[c] and needle in norm[c]]
    if inside:
        return min(inside, key=lambda c: (len(norm[c]), cands.index(c)))
    within = [c for c in cands if norm[c] and re.search(rf"\b{re.escape(norm[c])}\b", needle)]
    if within:
        return max(within, key=lambda c: (len(norm[c]), -cands.index(c)))
    return None
