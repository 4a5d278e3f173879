"""A compact delta file: an edit stored apart from its base, applied to the base later.

:func:`write_delta` encodes each tensor's edited delta in its editor's compact form
(:mod:`steergraph.editing.encoding`: bit-packed signs and block magnitudes for BitDelta,
indices and values for DARE or TIES, two thin factors for low rank, packed codes and
row scales for quantization) into one safetensors file: tensor ``"<name>::<part>"``,
and in its ``__metadata__`` the format tag, the editor, the base model's fingerprint and
each tensor's kind, shape and dtype. Tensors the editor leaves alone are stored as
the post model's own values where they changed (``patch``), or whole when that is
smaller, so they come back exactly in any dtype; edited values stay float32.
Parts are spooled to a temporary file
as they are encoded and the file is assembled and renamed at the end, so neither the
model nor the delta is ever held whole in memory and a failure leaves no file.

:func:`apply_delta` streams ``base + decoded delta`` into a model folder, after checking
that the base is the one the delta was made against (same fingerprint). Config and
tokenizer files come from ``files_from`` (default: the base folder).

Example:
    >>> import tempfile, pathlib
    >>> from steergraph.editing.editors import BitDelta
    >>> from steergraph.testing import tiny_model_pair
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> base, post = tiny_model_pair(tmp)
    >>> info = write_delta(base, post, BitDelta(bits=1), tmp / "d.safetensors", progress=False)
    >>> info.compression > 5
    True
    >>> apply_delta(base, tmp / "d.safetensors", tmp / "applied", progress=False).name
    'applied'
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steergraph.editing.checkpoint import (
    Checkpoint,
    dtype_name,
    float_delta,
    open_checkpoint,
    tensor_progress,
)
from steergraph.editing.editors import DeltaEditor, EditContext
from steergraph.editing.encoding import Encoded, apply_encoded, encode_patch
from steergraph.editing.writer import CheckpointWriter, tensor_bytes
from steergraph.errors import EditingError

__all__ = ["FORMAT", "DeltaFile", "DeltaFileInfo", "apply_delta", "write_delta"]

FORMAT = "steergraph-delta"
VERSION = "1"


@dataclass
class DeltaFileInfo:
    """A written delta file: its size against the post-trained model's weights."""

    path: Path
    nbytes: int
    post_nbytes: int
    editor: dict[str, Any]
    kinds: dict[str, int]

    @property
    def compression(self) -> float:
        """Post-trained weights' bytes / delta file bytes."""
        return self.post_nbytes / max(self.nbytes, 1)


class _Spool:
    """Append tensors to a temporary file; assemble a safetensors file at the end."""

    def __init__(self, directory: Path) -> None:
        self._fh = tempfile.TemporaryFile(dir=directory)
        self.header: dict[str, Any] = {}
        self.offset = 0

    def add(self, key: str, tensor: Any) -> None:
        data = tensor_bytes(tensor)
        self._fh.write(memoryview(data))
        self.header[key] = {
            "dtype": dtype_name(tensor.dtype),
            "shape": list(tensor.shape),
            "data_offsets": [self.offset, self.offset + data.nbytes],
        }
        self.offset += data.nbytes

    def finish(self, out: Path, metadata: dict[str, str]) -> None:
        header = {"__metadata__": metadata, **self.header}
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)
        partial = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            with partial.open("wb") as dst:
                dst.write(struct.pack("<Q", len(raw)) + raw)
                self._fh.seek(0)
                shutil.copyfileobj(self._fh, dst, 16 * 1024**2)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
            self._fh.close()

    def close(self) -> None:
        self._fh.close()


def write_delta(
    base: str | Path | Checkpoint,
    post: str | Path | Checkpoint,
    editor: DeltaEditor,
    out_file: str | Path,
    *,
    ctx: EditContext | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> DeltaFileInfo:
    """Encode ``editor(W_post - W_base)`` into ``out_file`` (see the module docstring)."""
    from steergraph.editing.stream import prepare_edit

    out = Path(out_file)
    if out.exists() and not overwrite:
        raise EditingError(
            f"{out} already exists", fix="choose another file or pass overwrite=True"
        )
    ctx = ctx or EditContext()
    b, (p,), names = prepare_edit(base, [post], editor, ctx)
    targeted = set(names)
    out.parent.mkdir(parents=True, exist_ok=True)
    spool = _Spool(out.parent)
    tensors: dict[str, Any] = {}
    kinds: dict[str, int] = {}
    try:
        for name in tensor_progress(p.names(), f"encoding -> {out.name}", progress):
            info = p.info(name)
            if name in targeted:
                delta = float_delta(b, p, name)
                enc = editor.encode(name, delta, ctx)
                del delta
            else:  # left alone: the post model's values, exactly, where they changed
                patch = encode_patch(b.get(name), p.get(name))
                if patch is None:
                    continue
                enc = patch
            for part, tensor in enc.parts.items():
                spool.add(f"{name}::{part}", tensor)
            tensors[name] = {
                "kind": enc.kind,
                "shape": list(info.shape),
                "dtype": info.dtype,
                **enc.meta,
            }
            kinds[enc.kind] = kinds.get(enc.kind, 0) + 1
        metadata = {
            "format": FORMAT,
            "version": VERSION,
            "editor": json.dumps(editor.to_dict()),
            "base_fingerprint": b.fingerprint(),
            "architecture": b.architecture,
            "tensors": json.dumps(tensors),
        }
        spool.finish(out, metadata)
    except BaseException:
        spool.close()
        raise
    return DeltaFileInfo(out, out.stat().st_size, p.nbytes, editor.to_dict(), kinds)


class DeltaFile:
    """A delta file opened for reading: its editor, base fingerprint and encodings."""

    def __init__(self, path: str | Path) -> None:
        from safetensors import safe_open

        self.path = Path(path)
        try:
            self._handle = safe_open(str(self.path), framework="pt")
            meta = self._handle.metadata() or {}
        except Exception as exc:  # safetensors raises its own error types
            raise EditingError(
                f"{self.path} is not a readable delta file ({exc})",
                fix="write one with write_delta or `steergraph edit ... --delta FILE`",
            ) from None
        if meta.get("format") != FORMAT:
            raise EditingError(
                f"{self.path} is a safetensors file but not a steergraph delta file",
                fix="to edit a model folder, pass it as a model, not as --delta",
            )
        self.editor: dict[str, Any] = json.loads(meta["editor"])
        self.base_fingerprint: str = meta["base_fingerprint"]
        self.architecture: str = meta.get("architecture", "?")
        self.tensors: dict[str, dict[str, Any]] = json.loads(meta["tensors"])

    def encoded(self, name: str) -> Encoded:
        spec = self.tensors[name]
        prefix = f"{name}::"
        parts = {
            k[len(prefix) :]: self._handle.get_tensor(k)
            for k in self._handle.keys()
            if k.startswith(prefix)
        }
        meta = {k: v for k, v in spec.items() if k not in ("kind", "shape", "dtype")}
        return Encoded(spec["kind"], tuple(spec["shape"]), parts, meta)


def apply_delta(
    base: str | Path | Checkpoint,
    delta_file: str | Path | DeltaFile,
    out: str | Path,
    *,
    files_from: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Write ``out``: the base model with the delta file's edit applied."""

    b = open_checkpoint(base)
    delta = delta_file if isinstance(delta_file, DeltaFile) else DeltaFile(delta_file)
    if delta.base_fingerprint != b.fingerprint():
        raise EditingError(
            f"{delta.path.name} was made against a different base ({delta.architecture}, "
            f"fingerprint {delta.base_fingerprint}); {b.folder} is {b.architecture}, "
            f"fingerprint {b.fingerprint()}",
            fix="apply a delta to the base model it was computed from",
        )
    layout = [(n, t.shape, t.dtype) for n, t in b.tensors.items()]
    record = {"applied_delta": str(delta.path), "editor": delta.editor, "base": str(b.folder)}
    copy_from = Path(files_from) if files_from else b.folder
    with CheckpointWriter(
        out, layout, copy_from=copy_from, overwrite=overwrite, record=record
    ) as w:
        for name in tensor_progress(b.names(), f"applying -> {Path(out).name}", progress):
            tensor = b.get(name)
            if name in delta.tensors:
                tensor = apply_encoded(tensor, delta.encoded(name))
            w.write(name, tensor)
    return Path(out)
