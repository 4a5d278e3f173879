"""Where real code in each programming language lives on this machine.

Babel Tower's corpora are real source files, never generated text: Python is the
interpreter's own standard library, JavaScript the sources of the npm that ships with
Node.js, Go the standard library of Debian's ``golang-1.19-src`` and Rust the standard
library of Debian's ``rust-src`` (``make babel-corpora`` installs the Go one). Any other
language (or a user's own code) is a folder and a list of file suffixes.

Example:
    >>> spec = LANGUAGES["python"]
    >>> spec.suffixes, spec.name
    (('.py',), 'python')
    >>> default_roots("python")[0].is_dir()
    True
    >>> default_roots("cobol")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.InputError: unknown language 'cobol' -- fix: use one of: go, ...
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from steergraph.errors import InputError

__all__ = ["LANGUAGES", "LanguageSpec", "default_roots", "install_hint"]


@dataclass(frozen=True)
class LanguageSpec:
    """A language's file suffixes, where its real code is found, and how to get it."""

    name: str
    suffixes: tuple[str, ...]
    package: str  # how to install the default source tree
    skip_dirs: tuple[str, ...] = ()


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
