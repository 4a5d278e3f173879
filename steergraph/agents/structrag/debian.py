"""Debian relationship fields (Depends, Pre-Depends, Recommends, ...) read as Debian does.

Debian Policy section 7.1: a field is a comma-separated list of relations; a relation is
one or more alternatives separated by ``|``; an alternative is a package name with an
optional architecture qualifier (``:any``, ``:native``, ``:amd64``), an optional version
constraint in parentheses (``(>= 1.2)``, with ``<<``, ``<=``, ``=``, ``>=``, ``>>``), an
optional architecture restriction list in brackets (``[amd64 !i386]``) and optional
build-profile restriction lists in angle brackets (``<!nocheck>``). Whitespace is free.

Written here rather than taken from ``python-debian`` (``PkgRelation.parse_relations``),
which is GPL-2+ and so not a dependency of this Apache-2.0 package; the grammar is small.

Example:
    >>> groups = parse_relations("libc6 (>= 2.34), perl:any | perl-base, foo [!i386] <!nocheck>")
    >>> [[a.name for a in group] for group in groups]
    [['libc6'], ['perl', 'perl-base'], ['foo']]
    >>> groups[0][0].constraint, groups[1][0].arch_qualifier, groups[2][0].architectures
    ('>= 2.34', 'any', ['!i386'])
    >>> parse_relations("not a (relation") == []  # unreadable alternatives are skipped
    True
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

__all__ = ["Alternative", "parse_relations", "relation_names"]

_ALTERNATIVE = re.compile(
    r"""^\s*
    (?P<name>[a-z0-9][a-z0-9+.-]*)            # package name (Policy 5.6.1)
    (?::(?P<qual>[a-z0-9-]+))?                # :any / :native / :<arch>
    \s*(?:\(\s*(?P<op><<|<=|=|>=|>>|<|>)\s*(?P<version>[^)\s]+)\s*\))?
    \s*(?:\[(?P<arches>[^\]]*)\])?
    \s*(?P<profiles>(?:<[^>]*>\s*)*)
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


class Alternative(BaseModel):
    """One alternative of a relation: ``name[:qual] (op version) [arches] <profiles>``."""

    name: str
    arch_qualifier: str = ""
    op: str = ""
    version: str = ""
    architectures: list[str] = Field(default_factory=list)
    profiles: list[str] = Field(default_factory=list)

    @property
    def constraint(self) -> str:
        """``"op version"`` (empty without a version constraint)."""
        return f"{self.op} {self.version}" if self.op else ""


def _alternative(text: str) -> Alternative | None:
    m = _ALTERNATIVE.match(text)
    if m is None:
        return None
    op = {"<": "<=", ">": ">="}.get(m["op"] or "", m["op"] or "")  # obsolete forms (7.1)
    profiles = re.findall(r"<([^>]*)>", m["profiles"] or "")
    return Alternative(
        name=m["name"].lower(),
        arch_qualifier=(m["qual"] or "").lower(),
        op=op,
        version=m["version"] or "",
        architectures=(m["arches"] or "").split(),
        profiles=[p.strip() for p in profiles if p.strip()],
    )


def parse_relations(value: str) -> list[list[Alternative]]:
    """The relations of a field: one list of alternatives per comma-separated relation
    (an alternative that does not follow the syntax is skipped, an empty relation too)."""
    groups = []
    for relation in value.replace("\n", " ").split(","):
        group = [a for a in map(_alternative, relation.split("|")) if a is not None]
        if group:
            groups.append(group)
    return groups


def relation_names(value: str) -> list[str]:
    """The package each relation names first (the alternative apt tries first), in order,
    without repeats.

    >>> relation_names("a (>= 1) | b, c:any, a")
    ['a', 'c']
    """
    return list(dict.fromkeys(group[0].name for group in parse_relations(value)))
