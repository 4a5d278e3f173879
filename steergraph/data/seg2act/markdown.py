"""Markdown READMEs of installed Python packages, a Seg2Act source whose headings are not
capitalised (man pages' are, so a rule finds them).

A distribution's ``*.dist-info/METADATA`` carries its README as the message body when
``Description-Content-Type`` says ``text/markdown``. :func:`parse_markdown` reads the
hierarchy the markup states (CommonMark's block structure, the parts that carry it):

* ATX headings (``#`` .. ``######``) and setext headings (a line underlined with ``=`` or
  ``-``) open a heading; levels are **renumbered along the open path** (a ``###`` right
  under a ``#`` is level 2), so the gold tree never jumps a level;
* a blank line, a list item, a block quote's start or a fenced code block starts a
  paragraph; every other non-blank line continues the current one (``=``);
* markup is stripped from the text: emphasis, inline code, links (their text kept),
  images and HTML tags (dropped), list and quote markers; thematic breaks and table
  rules are not text. Lines inside a fence are kept as written (they are never headings).

The parser is written here because none of the field's Markdown libraries returns source
lines with their block roles, which is what a segment is.

Example:
    >>> doc = parse_markdown("# Demo\\nA **tool**.\\n\\n### Use\\n- run [it](https://x)\\n"
    ...                      "```\\n# not a heading\\n```\\n", "demo")
    >>> list(zip(doc.actions, doc.segments))  # doctest: +NORMALIZE_WHITESPACE
    [('+', 'Demo'), ('*', 'A tool.'), ('++', 'Use'), ('*', 'run it'), ('*', '# not a heading')]
"""

from __future__ import annotations

import email.parser
import re
import sys
from pathlib import Path

from steergraph.data.seg2act.base import Document, finish_document
from steergraph.errors import InputFileError

__all__ = ["find_readmes", "load_readme", "parse_markdown", "readme_body"]

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_RULE = re.compile(r"^ {0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|`+|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")


def _plain(line: str) -> str:
    line = _TAG.sub("", _IMAGE.sub("", line))
    line = _LINK.sub(r"\1", line)
    line = re.sub(r"<(https?://[^>]+)>", r"\1", line)
    return " ".join(_EMPHASIS.sub("", line).split())


def _block(line: str, nxt: str, new_paragraph: bool) -> str:
    """What a line outside a fence is: ``atx``, ``setext`` (a heading underlined on the
    next line), ``break`` (ends a paragraph, no text) or ``text``."""
    if _ATX.match(line):
        return "atx"
    if not line.strip() or _RULE.match(line) or _TABLE_RULE.match(line) or _SETEXT.match(line):
        return "break"  # a lone underline: under a paragraph of several lines
    quote_or_item = bool(_ITEM.match(line)) or line.lstrip().startswith(">")
    if _SETEXT.match(nxt) and new_paragraph and not quote_or_item:
        return "setext"
    return "text"


class _Reader:
    """The state of one pass: segments so far, the open headings' Markdown levels, whether
    the next text line starts a paragraph, the open fence."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []
        self.path: list[int] = []
        self.new_paragraph, self.fence = True, ""

    def heading(self, level: int, raw: str) -> None:
        title = _plain(raw)
        if title:
            while self.path and self.path[-1] >= level:
                self.path.pop()
            self.path.append(level)
            self.pairs.append(("+" * len(self.path), title))
        self.new_paragraph = True

    def text(self, body: str, starts: bool = False) -> None:
        if body:
            self.pairs.append(("*" if self.new_paragraph or starts else "=", body))
            self.new_paragraph = False

    def fenced(self, line: str) -> bool:
        """Handle a line that opens, closes or is inside a fence; False for others."""
        if self.fence:
            if line.strip().startswith(self.fence):
                self.fence, self.new_paragraph = "", True
            else:
                self.text(line.strip())
            return True
        opened = _FENCE.match(line)
        if opened:
            self.fence, self.new_paragraph = opened.group(1)[:3], True
        return bool(opened)


def parse_markdown(text: str, name: str) -> Document:
    """A Markdown document as segments and gold actions (see the module docstring)."""
    lines = [raw.rstrip() for raw in text.splitlines()]
    reader, skip = _Reader(), False
    for i, line in enumerate(lines):
        if skip:  # the underline of a setext heading read on the line above
            skip = False
            continue
        if reader.fenced(line):
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        kind = _block(line, nxt, reader.new_paragraph)
        if kind == "atx":
            atx = _ATX.match(line)
            reader.heading(len(atx.group(1)), atx.group(2) or "")  # type: ignore[union-attr]
        elif kind == "setext":
            reader.heading(1 if nxt.strip()[0] == "=" else 2, line)
            skip = True
        elif kind == "break":
            reader.new_paragraph = True
        else:
            starts = bool(_ITEM.match(line)) or line.lstrip().startswith(">")
            reader.text(_plain(re.sub(r"^\s*>\s?", "", _ITEM.sub("", line, count=1))), starts)
    return finish_document(name, "readme", reader.pairs)


def readme_body(metadata: str) -> tuple[str, str] | None:
    """``(name, Markdown README)`` of a METADATA file's text, or None when its body is
    not Markdown (reStructuredText, plain text, none)."""
    msg = email.parser.Parser().parsestr(metadata)
    kind = (msg.get("Description-Content-Type") or "").lower()
    body = msg.get_payload() if isinstance(msg.get_payload(), str) else ""
    if "markdown" not in kind or not body.strip() or not msg.get("Name"):
        return None
    return str(msg["Name"]), body


def load_readme(path: str | Path) -> Document:
    """The Markdown README of a ``*.dist-info/METADATA`` file, as a document."""
    p = Path(path)
    try:
        found = readme_body(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {p} ({type(exc).__name__})",
                             fix="give a UTF-8 METADATA file") from None  # fmt: skip
    if found is None:
        raise InputFileError(f"{p} holds no Markdown README",
                             fix="give a METADATA whose Description-Content-Type is "
                             "text/markdown")  # fmt: skip
    return parse_markdown(found[1], found[0])


def find_readmes(roots: list[str] | None = None) -> list[Path]:
    """METADATA files under ``roots`` (default: ``sys.path``) whose README is Markdown,
    one per distribution name, sorted."""
    seen: dict[str, Path] = {}
    for root in roots if roots is not None else sys.path:
        base = Path(root)
        if not base.is_dir():
            continue
        for meta in sorted(base.glob("*.dist-info/METADATA")):
            try:
                head = meta.read_text(encoding="utf-8", errors="replace").split("\n\n", 1)[0]
            except OSError:
                continue
            kind = re.search(r"^Description-Content-Type:.*markdown", head, re.M | re.I)
            name = re.search(r"^Name:\s*(\S+)", head, re.M)
            if kind and name and name.group(1).lower() not in seen:
                seen[name.group(1).lower()] = meta
    return sorted(seen.values())
