"""StructRAG's documents: load them from files, build them from strings, split them into chunks.

A :class:`Doc` is one document (``id``, ``title``, ``text``, ``source``). Loading never
loses what the user gave silently: a file that cannot be used (binary, not UTF-8,
empty, unreadable, too large, a JSON line without ``text``) becomes a :class:`DocIssue`
saying why, and a loader that ends with no usable document raises
:class:`~steergraph.errors.InputFileError` naming the first problems.

* :func:`load_documents` -- files, folders (recursive, sorted, hidden entries skipped) or
  a list of them; ``.jsonl`` / ``.json`` files of records with ``"text"`` (optional
  ``"title"`` / ``"id"``) give one document per record.
* :func:`docs_from_texts` -- documents from ``{title: text}`` or a list of texts.
* :func:`split_text` -- chunks of about ``chunk_chars`` characters that end at paragraph,
  then sentence/line, then word boundaries, with ``overlap`` characters carried over;
  no text is dropped.

Example:
    >>> docs = docs_from_texts({"apt": "apt installs packages.", "dpkg": "dpkg unpacks."})
    >>> [(d.id, d.title) for d in docs]
    [('d0001', 'apt'), ('d0002', 'dpkg')]
    >>> split_text("One. Two.\\n\\nThree is here.", chunk_chars=12, overlap=0)
    ['One. Two.', 'Three is', 'here.']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from steergraph.errors import InputError, InputFileError

__all__ = ["Doc", "DocIssue", "docs_from_texts", "load_documents", "split_text"]

_BINARY_PROBE = 8192
_RECORD_SUFFIXES = {".jsonl", ".json"}


class Doc(BaseModel):
    """One document: a unique ``id``, a ``title``, its ``text`` and where it came from."""

    id: str
    title: str
    text: str
    source: str = ""


class DocIssue(BaseModel):
    """An input that did not become a document, and why."""

    source: str
    problem: str


# ----------------------------------------------------------------------------- loading
def _files_of(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    out = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).parts
        if any(part.startswith(".") for part in rel):
            continue
        if p.is_file():
            out.append(p)
    return out


def _read_text(path: Path, max_bytes: int) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, problem)``."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, f"file is {size:,} bytes, over max_bytes={max_bytes:,}"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read ({type(exc).__name__}: {exc.strerror or exc})"
    if b"\x00" in data[:_BINARY_PROBE]:
        return None, "binary file (NUL byte in the first 8 KB), not text"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (undecodable byte at offset {exc.start})"
    if not text.strip():
        return None, "empty file (no text)" if not text else "whitespace-only file (no text)"
    return text, None


def _record(obj: Any) -> tuple[str, str | None, str | None] | None:
    """``(text, title, id)`` of a JSON record with a non-empty ``text``, else None."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return None
    if not obj["text"].strip():
        return None
    title = obj.get("title")
    rid = obj.get("id")
    return (
        obj["text"],
        str(title).strip() if title not in (None, "") else None,
        str(rid).strip() if rid not in (None, "") else None,
    )


def _records_of(path: Path, text: str) -> tuple[list[tuple[str, str, str | None, str]], str | None]:
    """Records of a ``.jsonl``/``.json`` file as ``(text, title, id, locator)`` and a problem."""
    found: list[tuple[str, str, str | None, str]] = []
    bad: list[str] = []
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = _record(json.loads(line))
            except json.JSONDecodeError:
                rec = None
            if rec is None:
                bad.append(str(n))
            else:
                found.append((rec[0], rec[1] or f"{path.name}:{n}", rec[2], f"{path}:{n}"))
        what = "lines"
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], f"invalid JSON (line {exc.lineno}: {exc.msg})"
        items = data if isinstance(data, list) else [data]
        if not any(_record(item) for item in items):  # JSON data, not records: keep as text
            return [(text, path.name, None, str(path))], None
        for n, item in enumerate(items):
            rec = _record(item)
            if rec is None:
                bad.append(str(n))
            else:
                found.append((rec[0], rec[1] or f"{path.name}[{n}]", rec[2], f"{path}[{n}]"))
        what = "items"
    if not bad:
        return found, None
    shown = ", ".join(bad[:10]) + (", ..." if len(bad) > 10 else "")
    return found, f"{len(bad)} {what} ({shown}) are not JSON objects with a non-empty 'text'"


def _as_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    out = [Path(p) for p in paths]
    if not out:
        raise InputFileError("no input paths given", fix="pass a file, a folder or a list of them")
    return out


def _unique(docs: list[tuple[str, str, str | None, str, str]]) -> list[Doc]:
    """Docs with unique ids (given ones kept) and unique titles (alt title, then ``(n)``)."""
    title_count: dict[str, int] = {}
    for _, title, _, _, _ in docs:
        title_count[title] = title_count.get(title, 0) + 1
    given = [d[2] for d in docs if d[2]]
    used_ids: set[str] = set()
    used_titles: set[str] = set()
    out = []
    for n, (text, title, rid, source, alt) in enumerate(docs, 1):
        if title_count[title] > 1 and alt:
            title = alt
        base, k = title, 2
        while title in used_titles:
            title, k = f"{base} ({k})", k + 1
        used_titles.add(title)
        doc_id = rid if rid and rid not in used_ids and given.count(rid) == 1 else f"d{n:04d}"
        while doc_id in used_ids or (doc_id != rid and doc_id in given):
            doc_id += "x"
        used_ids.add(doc_id)
        out.append(Doc(id=doc_id, title=title, text=text, source=source))
    return out


def load_documents(
    paths: str | Path | Sequence[str | Path], *, max_bytes: int = 20_000_000
) -> tuple[list[Doc], list[DocIssue]]:
    """Load documents from files/folders; return ``(docs, issues)`` (see the module doc).

    Raises :class:`~steergraph.errors.InputFileError` for a path that does not exist and
    when no usable document remains.
    """
    found: list[tuple[str, str, str | None, str, str]] = []
    issues: list[DocIssue] = []
    n_files = 0
    for root in _as_paths(paths):
        if not root.exists():
            raise InputFileError(
                f"input path {str(root)!r} does not exist",
                fix="check the path (files, folders, or .jsonl/.json record files)",
            )
        base = root if root.is_dir() else root.parent
        for path in _files_of(root):
            n_files += 1
            text, problem = _read_text(path, max_bytes)
            if text is None:
                issues.append(DocIssue(source=str(path), problem=problem or "unusable"))
                continue
            alt = str(path.relative_to(base))
            if path.suffix.lower() in _RECORD_SUFFIXES:
                records, problem = _records_of(path, text)
                if problem:
                    issues.append(DocIssue(source=str(path), problem=problem))
                found += [(t, title, rid, src, "") for t, title, rid, src in records]
            else:
                found.append((text, path.name, None, str(path), alt))
    if not found:
        first = "; ".join(f"{i.source}: {i.problem}" for i in issues[:3])
        raise InputFileError(
            f"no usable document in {n_files} input file(s)" + (f" ({first})" if first else ""),
            fix="give UTF-8 text files, or .jsonl/.json records with a non-empty 'text'",
        )
    return _unique(found), issues


def docs_from_texts(items: Mapping[str, str] | Sequence[str]) -> list[Doc]:
    """Documents from ``{title: text}`` or a list of texts (titled ``text 1``, ...)."""
    if isinstance(items, str):
        items = [items]
    pairs = (
        list(items.items())
        if isinstance(items, Mapping)
        else [(f"text {n}", t) for n, t in enumerate(items, 1)]
    )
    if not pairs:
        raise InputError("no texts given", fix="pass {title: text} or a non-empty list of texts")
    for title, text in pairs:
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"document {title!r} has no text", fix="drop it or give its text")
    return [
        Doc(id=f"d{n:04d}", title=str(title), text=text, source=str(title))
        for n, (title, text) in enumerate(pairs, 1)
    ]


# ----------------------------------------------------------------------------- splitting
_LEVELS = (
    re.compile(r"\n[ \t]*\n"),  # paragraph break: cut before it
    re.compile(r"(?<=[.!?])[)\"'\]]*(?=\s)|\n"),  # sentence end or line end
    re.compile(r"\s"),  # any word boundary
)


def _boundary(text: str, lo: int, hi: int, start: int, min_fill: int) -> int:
    """Best cut in ``(lo, hi]``: the last paragraph/sentence/word boundary, else ``hi``."""
    for floor in (max(lo, start + min_fill), lo):
        for pattern in _LEVELS:
            cuts = [
                m.end() if m.group() and not m.group().isspace() else m.start()
                for m in pattern.finditer(text, floor, hi + 1)
            ]
            cuts = [c for c in cuts if floor < c <= hi]
            if cuts:
                return cuts[-1]
    return hi


def split_text(text: str, *, chunk_chars: int = 1200, overlap: int = 150) -> list[str]:
    """Split ``text`` into stripped chunks of at most ``chunk_chars`` characters.

    Cuts fall at paragraph breaks where one is in reach, else at sentence or line ends,
    else between words (a word longer than a chunk is cut). Each chunk after the first
    starts with up to ``overlap`` characters of the previous one, from a word start. The
    chunks cover all of ``text`` in order (only whitespace at the cuts is lost).
    """
    if chunk_chars < 1:
        raise InputError(f"chunk_chars={chunk_chars} is not positive", fix="use e.g. 1200")
    if not 0 <= overlap < chunk_chars:
        raise InputError(
            f"overlap={overlap} must be >= 0 and smaller than chunk_chars={chunk_chars}",
            fix="use an overlap of about a tenth of chunk_chars",
        )
    n = len(text)
    start = len(text) - len(text.lstrip())
    chunks: list[str] = []
    lo = start
    while start < n:
        hi = start + chunk_chars
        end = n if hi >= n else _boundary(text, lo, hi, start, chunk_chars // 3)
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= n or not text[end:].strip():
            break
        nxt = end
        if overlap:
            back = max(start + 1, end - overlap)
            space = re.search(r"\s\S", text[back:end])
            nxt = back + space.start() + 1 if space else end
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt >= end:
            while nxt < n and text[nxt].isspace():
                nxt += 1
        start, lo = nxt, end
    return chunks
