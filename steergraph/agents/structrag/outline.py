"""Deterministic parsers for a document's outline: numbered procedures and heading trees.

Part of :mod:`~steergraph.agents.structrag.parsers` (re-exported there): a document that
already numbers its steps or heads its sections is read exactly and for free.

* :func:`parse_steps` -- the longest run of items numbered ``1. 2. 3.`` (also ``1)`` and
  ``Step 1:``), continuation lines joined, deeper-indented sub-items folded in; ``-`` /
  ``*`` bullets when nothing is numbered.
* :func:`parse_outline` -- headings as flat ``(level, title, summary)`` entries: markdown
  ``#`` .. ``######`` (and setext), reStructuredText underlined titles (levels by order
  of first appearance, overlines allowed), else numbered headings such as ``2.1 Title``;
  the summary is the first sentence of the section's own text.
* :func:`build_tree` -- flat entries to numbered :class:`CatalogueNode` trees.

Example:
    >>> parse_steps("Do this:\\n1. Open it.\\n2. Read\\n   it all.\\n\\nDone.")
    ['Open it.', 'Read it all.']
    >>> entries = parse_outline("# Guide\\nIntro. More.\\n## Install\\nRun it.")
    >>> entries
    [(1, 'Guide', 'Intro.'), (2, 'Install', 'Run it.')]
    >>> [(n.number, n.title) for n, _ in build_tree(entries)[0].walk()]
    [('1', 'Guide'), ('1.1', 'Install')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from steergraph.agents.structrag.structures import CatalogueNode

__all__ = ["build_tree", "first_sentence", "parse_outline", "parse_steps", "preamble"]

_NUMBERED = re.compile(r"^(\s*)(?:step\s+(\d{1,3})\s*[.):-]?|(\d{1,3})[.)])\s+(\S.*)$", re.I)
_BULLET = re.compile(r"^(\s*)[-*\u2022+]\s+(\S.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_ADORN = re.compile(r"^([=\-~^\"'`*+#:.<>_])\1{2,}\s*$")
_NUM_HEAD = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+([A-Za-z].{0,80})$")


def _unfenced(lines: Sequence[str]) -> list[bool]:
    """Per line: True when it is outside a fenced code block (and not a fence line)."""
    out, inside = [], False
    for n, line in enumerate(lines):
        m = _FENCE.match(line)
        if m and m.group(1) == "~~~" and not inside and n and lines[n - 1].strip():
            m = None  # "~~~~" under a title line is an rst underline, not a fence
        if m:
            inside = not inside
            out.append(False)
        else:
            out.append(not inside)
    return out


def _norm(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())


# ----------------------------------------------------------------------------- steps
def _list_items(lines: Sequence[str], bullets: bool) -> list[list | None]:
    """``[number|None, indent, parts]`` per item; ``None`` marks a list break."""
    items: list[list | None] = []
    current: list | None = None
    blank = False
    for line, ok in zip(lines, _unfenced(lines)):
        if not line.strip():
            blank = True
            continue
        m = (_BULLET if bullets else _NUMBERED).match(line) if ok else None
        if m:
            number = None if bullets else int(m.group(2) or m.group(3))
            current = [number, len(m.group(1)), [m.group(m.lastindex)]]
            items.append(current)
        elif current is not None and (not blank or len(line) - len(line.lstrip()) > current[1]):
            current[2].append(line.strip())
        else:
            current = None
            items.append(None)
        blank = False
    return items


def _runs(items: list[list | None], numbered: bool) -> list[list[str]]:
    runs = []
    for s, first in enumerate(items):
        if first is None or (numbered and first[0] != 1):
            continue
        if not numbered and s and items[s - 1] is not None:
            continue  # a bullet block is one run, from its first bullet
        base, last = first[1], first[0]
        steps = [list(first[2])]
        for item in items[s + 1 :]:
            if item is None:
                break
            if item[1] > base + 1:  # a deeper sub-item belongs to the current step
                steps[-1] += item[2]
            elif abs(item[1] - base) <= 1 and (not numbered or item[0] == last + 1):
                steps.append(list(item[2]))
                last = item[0]
            else:
                break
        runs.append([_norm(p) for p in steps])
    return runs


def parse_steps(text: str) -> list[str]:
    """The steps of the longest consecutive ``1..n`` numbered run (bullets as fallback)."""
    lines = text.replace("\r\n", "\n").split("\n")
    runs = [r for r in _runs(_list_items(lines, False), True) if len(r) >= 2]
    if not runs:
        runs = [r for r in _runs(_list_items(lines, True), False) if len(r) >= 2]
    return max(runs, key=len) if runs else []


# ----------------------------------------------------------------------------- headings
def first_sentence(text: str, max_chars: int = 200) -> str:
    """The first sentence of ``text`` (code, directives and table lines skipped), clipped."""
    lines = text.replace("\r\n", "\n").split("\n")
    keep = [
        ln
        for ln, ok in zip(lines, _unfenced(lines))
        if ok and not re.match(r"^\s*(\.\. |\||<!--|:\w+:|>>>)", ln) and not _ADORN.match(ln)
    ]
    flat = " ".join(" ".join(keep).split())
    m = re.match(r"(.+?[.!?])(?=\s|$)", flat)
    sentence = m.group(1) if m else flat
    if len(sentence) > max_chars:
        cut = sentence[: max_chars - 3].rsplit(" ", 1)[0]
        sentence = cut + "..."
    return sentence


def _headings(lines: list[str]) -> list[tuple[int, int, int, str]]:
    """``(level, first_line, last_line, title)`` per heading, in order."""
    ok = _unfenced(lines)
    atx, under = [], []
    for i, line in enumerate(lines):
        if not ok[i]:
            continue
        m = _ATX.match(line)
        if m:
            atx.append((len(m.group(1)), i, i, m.group(2).strip()))
            continue
        title = line.rstrip()
        if i + 1 >= len(lines) or not title.strip() or title[0].isspace() or _ADORN.match(title):
            continue
        ad = _ADORN.match(lines[i + 1]) if ok[i + 1] else None
        if not ad or len(lines[i + 1].strip()) < max(3, 0.7 * len(title)) or len(title) > 100:
            continue
        over = i > 0 and lines[i - 1].strip() == lines[i + 1].strip()
        before = i - 2 if over else i - 1
        if before >= 0 and lines[before].strip():
            continue
        under.append(((ad.group(1), over), i - 1 if over else i, i + 1, title.strip()))
    found: list[tuple[int, int, int, str]] = list(atx)
    styles: dict[tuple[str, bool], int] = {}
    if atx:  # markdown: setext "=" is level 1 and "-" level 2
        styles = {("=", False): 1, ("-", False): 2}
    for style, first, last, title in under:
        level = styles.setdefault(style, len(styles) + 1)
        found.append((level, first, last, title))
    found.sort(key=lambda h: h[1])
    return found


def _numbered_headings(lines: list[str]) -> list[tuple[int, int, int, str]]:
    found = []
    for i, line in enumerate(lines):
        m = _NUM_HEAD.match(line.rstrip())
        next_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
        if m and next_blank and not m.group(2).rstrip().endswith((".", ",", ";", ":")):
            found.append((m.group(1).count(".") + 1, i, i, m.group(2).strip()))
    if len(found) < 2 or all(h[0] == 1 for h in found):
        return []
    return found


def parse_outline(text: str) -> list[tuple[int, str, str]]:
    """Headings as ``(level, title, summary)`` in document order (``[]`` if none)."""
    lines = text.replace("\r\n", "\n").split("\n")
    heads = _headings(lines) or _numbered_headings(lines)
    out = []
    for n, (level, _, last, title) in enumerate(heads):
        end = heads[n + 1][1] if n + 1 < len(heads) else len(lines)
        out.append((level, title, first_sentence("\n".join(lines[last + 1 : end]))))
    return out


def preamble(text: str) -> str:
    """The text before the first heading (all of it when there is no heading)."""
    lines = text.replace("\r\n", "\n").split("\n")
    heads = _headings(lines) or _numbered_headings(lines)
    return "\n".join(lines[: heads[0][1]]) if heads else text


def build_tree(
    entries: Sequence[tuple[int, str, str]], *, prefix: str = "", source: str = ""
) -> list[CatalogueNode]:
    """Nest flat ``(level, title, summary)`` entries; number nodes ``prefix.1``, ``.2``..."""
    roots: list[CatalogueNode] = []
    stack: list[tuple[int, CatalogueNode]] = []
    for level, title, summary in entries:
        while stack and stack[-1][0] >= level:
            stack.pop()
        siblings = stack[-1][1].children if stack else roots
        parent = stack[-1][1].number if stack else prefix
        number = f"{parent}.{len(siblings) + 1}" if parent else str(len(siblings) + 1)
        node = CatalogueNode(number=number, title=title, summary=summary, source=source)
        siblings.append(node)
        stack.append((level, node))
    return roots
