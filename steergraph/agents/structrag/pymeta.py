"""Python packages' core metadata (``*.dist-info/METADATA``) read as records with
relations, as pip reads it.

A METADATA header is an RFC 822 record whose ``Requires-Dist`` key repeats, one PEP 508
requirement per line (``requests[socks] (>=2.0); python_version >= "3.8"``).
:func:`requirement_names` reads the requirements of such a field (the repeated lines
joined by ``", "``, as :func:`~.parsers.parse_records` joins a repeated key) with
``packaging``, the library pip itself uses: the distribution each names, normalised as
PEP 503 says (``Typing_Extensions`` is ``typing-extensions``), keeping only the
requirements pip installs by default here (a marker that needs an extra, or that is false
on this interpreter, drops the requirement). :func:`canonical` is that normalisation, for
a record's own ``Name``.

Example:
    >>> requirement_names('idna (>=2.5), charset_normalizer<4,>=2, '
    ...                   'PySocks!=1.5.7,>=1.5.6; extra == "socks", '
    ...                   'colorama; python_version < "3"')
    ['idna', 'charset-normalizer']
    >>> canonical("Typing_Extensions")
    'typing-extensions'
"""

from __future__ import annotations

__all__ = ["canonical", "requirement_names"]


def canonical(name: str) -> str:
    """A distribution name as PEP 503 normalises it."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name.strip()))


def requirement_names(value: str) -> list[str]:
    """The distributions the requirements in ``value`` name and pip installs by default,
    in order, without repeats; parts that are not PEP 508 are skipped."""
    from packaging.requirements import InvalidRequirement, Requirement

    names: list[str] = []
    pending = ""
    for part in value.split(", "):  # a specifier may hold ", ": rejoin on failure
        req = None
        for text in ([f"{pending}, {part}"] if pending else []) + [part]:
            try:
                req = Requirement(text.strip())
                break
            except InvalidRequirement:
                continue
        if req is None:
            pending = f"{pending}, {part}" if pending and len(pending) < 400 else part
            continue
        pending = ""
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an optional extra, or not for this interpreter
        names.append(canonical(req.name))
    return list(dict.fromkeys(names))
