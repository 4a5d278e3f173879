"""Documents with a known logical structure, from the machine's own manuals.

Seg2Act's datasets are not released, so the documents come from files every Debian
machine has, whose markup states the hierarchy:

* **man pages** (``/usr/share/man/man*/*.gz``, groff): ``.SH`` opens a level-1 heading,
  ``.SS`` a level-2 one; ``.PP``/``.P``/``.LP``/``.TP``/``.IP`` start a paragraph;
  each remaining source line (font escapes and requests stripped) is a segment;
* **Texinfo manuals** (``/usr/share/info/*.info.gz``): a title underlined with ``*``,
  ``=``, ``-`` or ``.`` is a heading of level 1-4; blank lines separate paragraphs;
  each text line is a segment (node headers and menus dropped);
* **Markdown READMEs** of installed Python packages (their ``*.dist-info/METADATA``):
  :mod:`steergraph.data.seg2act.markdown`.

A :class:`Document` keeps the plain-text segments, the gold action per segment and the
gold tree they build (:mod:`steergraph.agents.seg2act.actions`). Splits are by document.

Example:
    >>> page = '.TH X 1\\n.SH NAME\\nx \\\\- does x\\n.SH OPTIONS\\n.TP\\n\\\\fB-a\\\\fR\\nall\\n'
    >>> doc = parse_man(page, "x.1")
    >>> list(zip(doc.actions, doc.segments))
    [('+', 'NAME'), ('*', 'x - does x'), ('+', 'OPTIONS'), ('*', '-a'), ('=', 'all')]
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from steergraph.data.seg2act.base import Document, finish_document
from steergraph.errors import InputFileError

__all__ = [
    "Document",
    "find_sources",
    "finish_document",
    "is_manual",
    "load_document",
    "parse_info",
    "parse_man",
]

_FONT = re.compile(r"\\f(\[[^\]]*\]|\(..|.)")
#: point-size changes: \s-1, \s0, \s+2, \s(12, \s+(12, \s[12] (text, not sizes, is kept)
_SIZE = re.compile(r"\\s(?:\[[^\]]*\]|[+-]?\(\d\d|\([+-]?\d\d|[+-]?\d)")
_SPECIAL = {r"\-": "-", r"\(em": "-", r"\(en": "-", r"\(aq": "'", r"\(dq": '"', r"\e": "\\",
            r"\(bu": "*", r"\&": "", r"\,": "", r"\/": "", r"\ ": " ", r"\(co": "(c)"}  # fmt: skip
_PARAGRAPH = {".PP", ".P", ".LP", ".TP", ".IP", ".HP"}
_UNDERLINE = {"*": 1, "=": 2, "-": 3, ".": 4}
_MENU_ENTRY = re.compile(r"^\* [^:]+::|^\* [^:]+: \(?[^)]*\)?[^.]*\.")


def _plain_groff(line: str, *, macro_args: bool = False) -> str:
    for code, text in _SPECIAL.items():
        line = line.replace(code, text)
    line = _SIZE.sub("", _FONT.sub("", line))
    line = re.sub(r"\\[*(]..|\\.", "", line)
    if macro_args:  # `.B "two words"`: the quotes group arguments, they are not text
        line = line.replace('"', " ")
    return " ".join(line.split())


_MANUAL = re.compile(r"\.([1-9][a-z0-9]*|info)$")


def is_manual(path: str | Path) -> bool:
    """Whether ``path`` names a man page (``.1`` .. ``.9``) or an info manual, maybe ``.gz``.

    >>> is_manual("ls.1.gz"), is_manual("bc.info"), is_manual("notes.txt")
    (True, True, False)
    """
    return bool(_MANUAL.search(Path(path).name.removesuffix(".gz")))


def parse_man(text: str, name: str) -> Document:
    """A groff man page as segments and gold actions (see the module docstring)."""
    pairs: list[tuple[str, str]] = []
    pending_heading = 0
    new_paragraph = True
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith(('.\\"', "'\\\"")) or not line.strip():
            continue
        macro = line.split(maxsplit=1)[0] if line.startswith((".", "'")) else ""
        rest = _plain_groff(line[len(macro) :], macro_args=True) if macro else _plain_groff(line)
        if macro in (".SH", ".SS"):
            level = 1 if macro == ".SH" else 2
            if rest:
                pairs.append(("+" * level, rest))
            else:
                pending_heading = level
            new_paragraph = True
            continue
        if macro in _PARAGRAPH:
            new_paragraph = True
            continue
        if macro and macro not in (".B", ".I", ".BR", ".IR", ".RB", ".RI", ".BI", ".IB", ".SM"):
            continue  # other requests (.TH, .nf, .RS, .br, .sp, .de ...) carry no text here
        if not rest:
            continue
        if pending_heading:
            pairs.append(("+" * pending_heading, rest))
            pending_heading = 0
            new_paragraph = True
            continue
        pairs.append(("*" if new_paragraph or not pairs else "=", rest))
        new_paragraph = False
    return finish_document(name, "man", pairs)


def parse_info(text: str, name: str) -> Document:
    """A Texinfo ``.info`` manual as segments and gold actions."""
    lines = text.splitlines()
    pairs: list[tuple[str, str]] = []
    new_paragraph, i = True, 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
        if line.startswith(("\x1f", "File: ", "* Menu:")) or _MENU_ENTRY.match(line):
            new_paragraph = True  # node headers and menus: navigation, not text
        elif (
            line.strip()
            and nxt
            and set(nxt) <= set(_UNDERLINE)
            and len(set(nxt)) == 1
            and (len(nxt) == len(line))
        ):
            pairs.append(("+" * _UNDERLINE[nxt[0]], " ".join(line.split())))
            new_paragraph = True
            i += 1
        elif not line.strip():
            new_paragraph = True
        elif pairs:  # text before the first title is front matter
            pairs.append(("*" if new_paragraph else "=", " ".join(line.split())))
            new_paragraph = False
        i += 1
    return finish_document(name, "info", pairs)


def load_document(path: str | Path) -> Document:
    """Read a man page or an info manual (``.gz`` or plain), or a package's Markdown
    README from its ``METADATA`` file."""
    p = Path(path)
    if p.name == "METADATA":
        from steergraph.data.seg2act.markdown import load_readme

        return load_readme(p)
    try:
        raw = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"cannot read {p} as a text document ({type(exc).__name__})",
            fix="give a UTF-8 man page (.1 .. .8, optionally .gz) or a .info(.gz) manual",
        ) from None
    stem = p.name.removesuffix(".gz")
    return parse_info(text, stem) if stem.endswith(".info") else parse_man(text, stem)


def find_sources(
    kinds: tuple[str, ...] = ("man", "info"), root: str | Path = "/usr/share"
) -> list[Path]:
    """The installed man pages (sections 1, 5, 8), info manuals and (kind ``readme``) the
    METADATA files of installed Python packages with a Markdown README, sorted."""
    base = Path(root)
    found: list[Path] = []
    if "man" in kinds:
        for section in ("man1", "man5", "man8"):
            found += sorted((base / "man" / section).glob("*.gz"))
    if "info" in kinds:
        found += sorted(p for p in (base / "info").glob("*.info*.gz") if "-" not in p.name)
    if "readme" in kinds:
        from steergraph.data.seg2act.markdown import find_readmes

        found += find_readmes()
    return found
