"""Multilingual code corpora: real source files, deduplicated, split by file.

:func:`build_corpus` walks one or more folders per language, keeps the files with the
language's suffixes, drops exact duplicates (the same text after trailing-space
normalisation, in any language or folder) and files too small or too large, and
splits the rest into train and held-out **by file** (a seeded hash of the text, so a
file never straddles the split and the split does not move when files are added).
The result saves to one JSON-lines file per language plus a manifest with the counts.

Bad input is a one-line :class:`~steergraph.errors.InputError`: a language with no
files, a binary file among a user's sources (the built-in trees skip and count them),
fewer than two languages.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for lang, ext in (("py", ".py"), ("js", ".js")):
    ...     (root / lang).mkdir()
    ...     for i in range(4):
    ...         _ = (root / lang / f"f{i}{ext}").write_text(f"x{i} = {i} + 1  # {lang} file\\n" * 3)
    >>> c = build_corpus({"python": [root / "py"], "javascript": [root / "js"]},
    ...                  heldout_fraction=0.25, min_chars=10)
    >>> c.languages, [len(c.files(lang)) for lang in c.languages]
    (['python', 'javascript'], [4, 4])
    >>> sum(len(c.files(lang, "heldout")) for lang in c.languages) >= 1
    True
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from steergraph.data.babel.sources import LANGUAGES, default_roots, install_hint
from steergraph.errors import InputError

__all__ = ["CodeFile", "Corpus", "build_corpus", "default_sources", "load_corpus"]

SPLITS = ("train", "heldout")


@dataclass(frozen=True)
class CodeFile:
    """One source file: its language, path (as found), text and split."""

    language: str
    path: str
    text: str
    split: str


@dataclass
class Corpus:
    """Files per language, each in ``train`` or ``heldout``, and what was dropped."""

    languages: list[str]
    items: list[CodeFile]
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)

    def files(self, language: str, split: str | None = None) -> list[CodeFile]:
        """The files of ``language`` (of one split when given), in a stable order."""
        return [
            f for f in self.items if f.language == language and (split is None or f.split == split)
        ]

    def texts(self, language: str, split: str) -> list[str]:
        return [f.text for f in self.files(language, split)]

    def stats(self) -> dict[str, dict[str, int]]:
        """Files and characters per language and split (token counts need a tokenizer:
        :func:`steergraph.training.babel_trainer.token_counts`)."""
        out: dict[str, dict[str, int]] = {}
        for lang in self.languages:
            row: dict[str, int] = {}
            for split in SPLITS:
                fs = self.files(lang, split)
                row[f"{split}_files"] = len(fs)
                row[f"{split}_chars"] = sum(len(f.text) for f in fs)
            row.update({f"dropped_{k}": v for k, v in self.dropped.get(lang, {}).items()})
            out[lang] = row
        return out

    def save(self, folder: str | Path) -> Path:
        """Write ``<language>.jsonl`` per language and ``manifest.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for lang in self.languages:
            with open(folder / f"{lang}.jsonl", "w", encoding="utf-8") as fh:
                for f in self.files(lang):
                    fh.write(json.dumps({"path": f.path, "split": f.split, "text": f.text}) + "\n")
        manifest = {"languages": self.languages, "stats": self.stats(), "dropped": self.dropped}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
        return folder


def load_corpus(folder: str | Path) -> Corpus:
    """Read a corpus :meth:`Corpus.save` wrote."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            f"{folder} holds no corpus (no manifest.json)",
            fix="build one first: steergraph babel corpus --out DIR",
        )
    manifest = json.loads(manifest_path.read_text())
    items = []
    for lang in manifest["languages"]:
        with open(folder / f"{lang}.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                items.append(CodeFile(lang, row["path"], row["text"], row["split"]))
    return Corpus(list(manifest["languages"]), items, manifest.get("dropped", {}))


def default_sources(languages: Iterable[str]) -> dict[str, list[Path]]:
    """The machine's own code for each language; a language with none names its fix."""
    out: dict[str, list[Path]] = {}
    for lang in languages:
        roots = default_roots(lang)
        if not roots:
            raise InputError(f"no {lang} sources on this machine", fix=install_hint(lang))
        out[lang] = roots
    return out


def _walk(root: Path, suffixes: tuple[str, ...], skip_dirs: tuple[str, ...]) -> list[Path]:
    if root.is_file():
        return [root] if root.suffix in suffixes else []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not d.startswith("."))
        found.extend(Path(dirpath, n) for n in sorted(filenames) if Path(n).suffix in suffixes)
    return found


def _read_text(path: Path, reader: str = "text") -> str | None:
    if reader == "man":  # a man page: the plain text of its paragraphs
        from steergraph.data.seg2act.documents import load_document

        try:
            return "\n".join(load_document(path).segments)
        except InputError:
            return None
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _split_of(text: str, seed: int, heldout_fraction: float) -> str:
    h = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return "heldout" if int.from_bytes(h[:8], "big") / 2**64 < heldout_fraction else "train"


@dataclass(frozen=True)
class _Limits:
    max_files: int | None
    min_chars: int
    max_chars: int
    skip_binary: bool
    seed: int
    heldout_fraction: float


def _collect(
    lang: str, paths: list[Path], seen: set[str], lim: _Limits, reader: str = "text"
) -> tuple[list[CodeFile], dict[str, int]]:
    """The files of one language kept (seeded order, sizes, duplicates), and the counts."""
    counts = {"duplicate": 0, "size": 0, "binary": 0}
    paths = sorted(paths, key=lambda p: hashlib.sha256(f"{lim.seed}:{p}".encode()).hexdigest())
    kept: list[CodeFile] = []
    for path in paths:
        if lim.max_files is not None and len(kept) >= lim.max_files:
            break
        text = _read_text(path, reader)
        if text is None:
            if not lim.skip_binary:
                raise InputError(
                    f"{path} is not UTF-8 text (a binary file among the {lang} sources)",
                    fix="remove it from the folder, or build with skip_binary=True",
                )
            counts["binary"] += 1
            continue
        norm = "\n".join(line.rstrip() for line in text.strip().splitlines())
        key = hashlib.sha256(norm.encode()).hexdigest()
        if not lim.min_chars <= len(norm) <= lim.max_chars:
            counts["size"] += 1
        elif key in seen:
            counts["duplicate"] += 1
        else:
            seen.add(key)
            split = _split_of(norm, lim.seed, lim.heldout_fraction)
            kept.append(CodeFile(lang, str(path), norm + "\n", split))
    return kept, counts


def build_corpus(
    sources: Mapping[str, Iterable[str | Path]],
    *,
    suffixes: Mapping[str, Iterable[str]] | None = None,
    heldout_fraction: float = 0.1,
    max_files: int | None = None,
    min_chars: int = 200,
    max_chars: int = 60_000,
    skip_binary: bool = False,
    seed: int = 0,
) -> Corpus:
    """Collect, deduplicate and split real code, one entry of ``sources`` per language.

    ``suffixes`` overrides a language's file suffixes (needed for a language outside
    :data:`~steergraph.data.babel.sources.LANGUAGES`); ``max_files`` keeps the first
    files of each language in a seeded order; ``skip_binary`` drops undecodable files
    (counted) instead of refusing them.
    """
    if len(sources) < 2:
        raise InputError(
            f"a multilingual corpus needs at least two languages, got {list(sources)}",
            fix="add a second language, e.g. --languages python,javascript",
        )
    if not 0.0 < heldout_fraction < 1.0:
        raise InputError(
            f"heldout_fraction must be in (0, 1), got {heldout_fraction}", fix="use e.g. 0.1"
        )
    limits = _Limits(max_files, min_chars, max_chars, skip_binary, seed, heldout_fraction)
    seen: set[str] = set()
    items: list[CodeFile] = []
    dropped: dict[str, dict[str, int]] = {}
    for lang, roots in sources.items():
        spec = LANGUAGES.get(lang)
        sfx = tuple((suffixes or {}).get(lang, spec.suffixes if spec else ()))
        if not sfx:
            raise InputError(
                f"no file suffixes known for language {lang!r}",
                fix=f"pass suffixes={{'{lang}': ['.ext']}} (--suffix {lang}=.ext)",
            )
        paths = [p for r in roots for p in _walk(Path(r), sfx, spec.skip_dirs if spec else ())]
        kept, counts = _collect(lang, paths, seen, limits, spec.reader if spec else "text")
        if not kept:
            raise InputError(
                f"no {lang} files ({', '.join(sfx)}) of {min_chars}-{max_chars} "
                f"characters under {[str(r) for r in roots]}",
                fix=f"point the {lang} source at a folder with such files ({install_hint(lang)})",
            )
        if not any(f.split == "heldout" for f in kept):
            kept[-1] = CodeFile(lang, kept[-1].path, kept[-1].text, "heldout")
        if not any(f.split == "train" for f in kept):
            raise InputError(
                f"only one {lang} file: nothing left to train on",
                fix="give at least two files per language",
            )
        items.extend(kept)
        dropped[lang] = counts
    return Corpus(list(sources), items, dropped)
