"""Where real code in each programming language lives on this machine.

Babel Tower's corpora are real source files, never generated text: Python is the
interpreter's own standard library, JavaScript the sources of the npm that ships with
Node.js, Go the standard library of Debian's ``golang-1.19-src`` and Rust the standard
library of Debian's ``rust-src`` (``make babel-corpora`` installs the Go one). Any other
language (or a user's own code) is a folder and a list of file suffixes.

Natural languages, for the probes, are Debian's man pages: ``en`` the English pages in
``/usr/share/man/man1`` .. ``man8``, and ``de``, ``fr``, ``es``, ``it``, ``pl``, ``ru``,
``ja``, ``pt_BR``, ... the translations Debian's base packages (apt, dpkg, man-db, passwd,
procps, ...) install under ``/usr/share/man/<code>/``; each page is read as the plain text
of its paragraphs (:func:`steergraph.data.seg2act.documents.load_document`).

Example:
    >>> spec = LANGUAGES["python"]
    >>> spec.suffixes, spec.name
    (('.py',), 'python')
    >>> default_roots("python")[0].is_dir()
    True
    >>> LANGUAGES["de"].reader, default_roots("de")[0].name
    ('man', 'de')
    >>> default_roots("cobol")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.InputError: unknown language 'cobol' -- fix: use one of: cs, ...
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from steergraph.errors import InputError

__all__ = ["LANGUAGES", "NATURAL", "LanguageSpec", "default_roots", "install_hint"]


@dataclass(frozen=True)
class LanguageSpec:
    """A language's file suffixes, where its real text is found, how to get it, and how a
    file is read (``text``: as UTF-8; ``man``: a groff man page, maybe gzipped, as text)."""

    name: str
    suffixes: tuple[str, ...]
    package: str  # how to install the default source tree
    skip_dirs: tuple[str, ...] = ()
    reader: str = "text"


#: natural languages with man pages (English, and the translations' folder names)
NATURAL = ("en", "cs", "da", "de", "es", "fi", "fr", "hu", "id", "it", "ja", "ko", "nl", "pl",
           "pt", "pt_BR", "ro", "ru", "sv", "tr", "uk", "zh_CN")  # fmt: skip
MAN = Path("/usr/share/man")


LANGUAGES: dict[str, LanguageSpec] = {
    s.name: s
    for s in (
        LanguageSpec(
            "python",
            (".py",),
            "the Python interpreter (always present)",
            skip_dirs=("site-packages", "__pycache__"),
        ),
        LanguageSpec(
            "javascript",
            (".js", ".mjs", ".cjs"),
            "Node.js with npm (Debian: apt-get install nodejs npm)",
        ),
        LanguageSpec(
            "go", (".go",), "make babel-corpora (Debian's golang-1.19-src)", skip_dirs=("testdata",)
        ),
        LanguageSpec("rust", (".rs",), "apt-get install rust-src (Debian)", skip_dirs=("tests",)),
        *(
            LanguageSpec(
                code,
                (".gz",),
                f"Debian's man pages in {code} (base packages install some; "
                "manpages-<code> has more)",
                reader="man",
            )
            for code in NATURAL
        ),
    )
}


def _npm_root() -> list[Path]:
    npm = shutil.which("npm")
    found: list[Path] = []
    if npm:
        try:
            out = subprocess.run(
                [npm, "root", "-g"], capture_output=True, text=True, timeout=30, check=False
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out and Path(out, "npm").is_dir():
            found.append(Path(out, "npm"))
    for p in ("/usr/lib/node_modules/npm", "/usr/share/nodejs/npm"):
        if Path(p).is_dir() and Path(p) not in found:
            found.append(Path(p))
    return found[:1]


def default_roots(language: str) -> list[Path]:
    """The folders holding this machine's real code in ``language`` (may be empty)."""
    if language not in LANGUAGES:
        raise InputError(
            f"unknown language {language!r}",
            fix="use one of: "
            + ", ".join(sorted(LANGUAGES))
            + " (or pass your own folder with --source LANG=DIR)",
        )
    if LANGUAGES[language].reader == "man":
        if language == "en":
            return [d for d in sorted(MAN.glob("man[1-8]")) if d.is_dir()]
        return [MAN / language] if (MAN / language).is_dir() else []
    if language == "python":
        return [Path(sysconfig.get_paths()["stdlib"])]
    if language == "javascript":
        return _npm_root()
    if language == "go":
        roots = sorted(glob.glob("/usr/share/go-1.*/src")) + sorted(
            glob.glob("/usr/lib/go-1.*/src")
        )
        return [Path(roots[-1])] if roots else []
    roots = sorted(glob.glob("/usr/src/rustc-*/library"))
    return [Path(roots[-1])] if roots else []


def install_hint(language: str) -> str:
    """How to get the default source tree of ``language``."""
    spec = LANGUAGES.get(language)
    return spec.package if spec else f"pass a folder of {language} files"
