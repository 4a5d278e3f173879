"""Deterministic parsers for documents that already carry their structure.

Many documents a StructRAG system meets are structured already: dpkg status stanzas and
other ``Key: Value`` records, CSV/TSV files, markdown tables, dependency fields, numbered
procedures, headed sections. Reading that structure with a parser is exact (nothing is
invented or dropped the way a small model's extraction can) and free (no LLM call, no
tokens); the structurizer uses these parsers where they find something and leaves the
rest to the LLM. Each parser returns plain Python data (empty when the text is not of
its kind); :mod:`~steergraph.agents.structrag.structurizers` turns it into structures.

* :func:`parse_records` -- ``Key: Value`` stanzas (continuation lines appended);
* :func:`parse_table` -- rows of records, a CSV/TSV file or markdown pipe tables;
* :func:`parse_triples` -- ``(name, field, item)`` from list-valued record fields
  (``Depends``, ``Recommends``, ...) and ``SEE ALSO`` lines;
* :func:`parse_steps` / :func:`parse_outline` (in :mod:`.outline`, re-exported here) --
  numbered procedures and heading trees.

Example:
    >>> text = "Package: a\\nDepends: b (>= 1.2), c:any | d\\n\\nPackage: b\\nVersion: 1.3"
    >>> parse_table(text)[1]
    [{'name': 'a', 'Package': 'a', 'Depends': 'b (>= 1.2), c:any | d'}, {'name': 'b', 'Package': 'b', 'Version': '1.3'}]
    >>> parse_triples(text)
    [('a', 'depends', 'b'), ('a', 'depends', 'c')]
"""  # noqa: E501

from __future__ import annotations

import csv
import io
import re

from steergraph.agents.structrag.debian import relation_names
from steergraph.agents.structrag.outline import (
    build_tree,
    first_sentence,
    parse_outline,
    parse_steps,
    preamble,
)
from steergraph.agents.structrag.pymeta import canonical, requirement_names

__all__ = [
    "LIST_FIELDS",
    "build_tree",
    "first_sentence",
    "parse_delimited",
    "parse_markdown_tables",
    "parse_outline",
    "parse_records",
    "parse_steps",
    "parse_table",
    "parse_triples",
    "preamble",
    "record_name",
]

#: Record fields whose values are comma-separated lists of other entities.
LIST_FIELDS = frozenset(
    {
        "depends",
        "pre-depends",
        "recommends",
        "suggests",
        "enhances",
        "breaks",
        "provides",
        "replaces",
        "conflicts",
        "built-using",
        "requires-dist",
        "see also",
        "see-also",
        "related",
    }
)
_NAME_KEYS = ("package", "name", "title", "source")
_KEY_LINE = re.compile(
    r"^([A-Za-z][A-Za-z0-9_.-]*(?: [A-Za-z0-9_.-]+){0,2}):(?:[ \t]+(.*)|[ \t]*)$"
)
_SEE_ALSO = re.compile(r"^\s*see\s+also\b\s*:?\s*(.*)$", re.IGNORECASE)


# ----------------------------------------------------------------------------- records
def parse_records(text: str, *, min_coverage: float = 0.6) -> list[dict[str, str]]:
    """``Key: Value`` records (blank-line separated stanzas, RFC 822 / dpkg style).

    Lines starting with whitespace continue the previous value (dpkg's lone ``.`` is a
    paragraph mark and is dropped). A stanza is a record when it starts with a key line
    and has at least two keys; the text is key-value only when record stanzas hold at
    least ``min_coverage`` of its non-blank lines (else ``[]``, so prose that happens to
    contain a ``Note: ...`` line is left to the LLM).
    """
    records: list[dict[str, str]] = []
    covered = total = 0
    for stanza in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [ln for ln in stanza.split("\n") if ln.strip()]
        total += len(lines)
        if not lines or not _KEY_LINE.match(lines[0]):
            continue
        rec: dict[str, str] = {}
        key = None
        stray = 0
        for line in lines:
            m = _KEY_LINE.match(line) if not line[0].isspace() else None
            if m:
                key, value = m.group(1), (m.group(2) or "").strip()
                # a repeated key (METADATA's Requires-Dist, Classifier) lists its values
                rec[key] = ", ".join(v for v in (rec.get(key, ""), value) if v)
            elif line[0].isspace() and key is not None:
                part = line.strip()
                if part != ".":
                    rec[key] = f"{rec[key]} {part}".strip()
            else:
                stray += 1
        if len(rec) >= 2 and stray <= len(lines) // 4:
            records.append(rec)
            covered += len(lines) - stray
    return records if total and covered / total >= min_coverage else []


def record_name(record: dict[str, str]) -> str | None:
    """The record's name: its Package / Name / Title / Source field (case-insensitive)."""
    lower = {k.lower(): v for k, v in record.items()}
    for key in _NAME_KEYS:
        if lower.get(key):
            return lower[key]
    return None


# ----------------------------------------------------------------------------- tables
def parse_delimited(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV / TSV / semicolon file as ``(columns, rows)``; ``([], [])`` if it is not one.

    The delimiter is the one (tab, comma, semicolon) that splits the header into 2+
    cells and gives at least 90% of the lines the header's cell count.
    """
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if len(lines) < 2:
        return [], []
    for delim in ("\t", ",", ";"):
        try:
            table = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        header = [h.strip() for h in table[0]]
        if len(header) < 2 or any(not h or len(h) > 60 for h in header):
            continue
        body = table[1:]
        fitting = [r for r in body if len(r) == len(header)]
        if len(fitting) < max(1, 0.9 * len(body)):
            continue
        rows = [dict(zip(header, (c.strip() for c in r))) for r in fitting]
        return header, rows
    return [], []


_SEPARATOR = re.compile(
    r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$|^\s*\|\s*:?-{3,}:?\s*\|\s*$"
)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def parse_markdown_tables(text: str) -> list[tuple[list[str], list[dict[str, str]]]]:
    """Every markdown pipe table (header, ``---`` separator, rows) as ``(columns, rows)``."""
    lines = text.splitlines()
    out = []
    i = 1
    while i < len(lines):
        if _SEPARATOR.match(lines[i]) and "|" in lines[i - 1]:
            header = _cells(lines[i - 1])
            rows = []
            j = i + 1
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                cells = _cells(lines[j])
                cells = (cells + [""] * len(header))[: len(header)]
                rows.append(dict(zip(header, cells)))
                j += 1
            if rows and len(header) >= 1:
                out.append((header, rows))
            i = j
        else:
            i += 1
    return out


def parse_table(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """``(columns, rows)`` from key-value records, else CSV/TSV, else markdown tables.

    Records get a ``name`` column first (from Package / Name / Title); columns are the
    union of keys in first-seen order. ``([], [])`` when the text holds no table.
    """
    records = parse_records(text)
    if records:
        rows = []
        for rec in records:
            name = record_name(rec)
            rows.append({"name": name, **rec} if name is not None else dict(rec))
        return _union_columns(rows), rows
    columns, rows = parse_delimited(text)
    if rows:
        return columns, rows
    rows = [row for _, table_rows in parse_markdown_tables(text) for row in table_rows]
    return (_union_columns(rows), rows) if rows else ([], [])


def _union_columns(rows: list[dict[str, str]]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


# ----------------------------------------------------------------------------- triples
#: list fields with Debian's relationship syntax (Debian Policy 7.1)
_DEBIAN_RELATIONS = LIST_FIELDS - {"see also", "see-also", "related", "requires-dist"}


def _items(value: str, field: str = "") -> list[str]:
    """Entity names of a comma-separated dependency-style list (a Debian relationship
    field as Debian reads it: the first alternative of each relation)."""
    if field in _DEBIAN_RELATIONS:
        return relation_names(value)
    if field == "requires-dist":  # PEP 508, as pip reads it
        return requirement_names(value)
    out = []
    for part in value.split(","):
        first = part.split("|")[0]
        first = re.sub(r"\([^)]*\)|\[[^\]]*\]|<[^>]*>", " ", first)
        first = first.strip().strip(".;").strip()
        first = re.sub(r":[a-z0-9-]+$", "", first)
        if first and len(first) <= 60:
            out.append(first)
    return out


def _head(rec: dict[str, str], name: str | None) -> str:
    head = record_name(rec) or name or "document"
    if any(k.lower() == "metadata-version" for k in rec):  # Python: PEP 503 names
        return canonical(head)
    return head


def parse_triples(text: str, *, name: str | None = None) -> list[tuple[str, str, str]]:
    """``(head, relation, tail)`` facts the text states in list-valued fields.

    From key-value records: each item of a list field (:data:`LIST_FIELDS`: Depends,
    Recommends, Provides, ...) gives ``(record name, lowercased field, item)`` with
    Debian's relationship fields read by :func:`~.debian.parse_relations` (version
    constraints, ``:any``/architecture qualifiers and ``[arch]``/``<profile>`` lists
    dropped, ``a | b`` read as ``a``, the alternative apt tries first) and Python's
    ``Requires-Dist`` by :func:`~.pymeta.requirement_names` (PEP 508; a METADATA record's
    own name normalised as PEP 503 says). ``SEE ALSO`` lines (and the
    lines below such a heading) give ``(name, "see also", item)``. ``name`` is the head
    for facts outside records (default: the record name, else ``"document"``).
    """
    triples: list[tuple[str, str, str]] = []
    for rec in parse_records(text):
        head = _head(rec, name)
        for key, value in rec.items():
            if key.lower() in LIST_FIELDS:
                triples += [(head, key.lower(), item) for item in _items(value, key.lower())]
    if not triples:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            m = _SEE_ALSO.match(line)
            if not m or (len(line) > 120 and not m.group(1)):
                continue
            rest = m.group(1)
            if not rest:  # a "SEE ALSO" heading: the items are on the lines below
                block = []
                for nxt in lines[i + 1 :]:
                    if not nxt.strip():
                        if block:
                            break
                        continue
                    if block and not nxt[0].isspace() and nxt.strip().isupper():
                        break
                    block.append(nxt.strip())
                rest = " ".join(block)
            triples += [(name or "document", "see also", item) for item in _items(rest)]
    return list(dict.fromkeys(triples))
