"""Write a model folder tensor by tensor, and only show it once it is complete.

``safetensors.torch.save_file`` takes a dict of every tensor of a shard, so saving
through it holds a whole shard (for a small model: the whole model) in memory. The
format itself does not need that: a shard is an 8-byte header size, a JSON header
with each tensor's dtype, shape and byte range, then the bytes. Since an edit keeps
every tensor's shape and dtype, the headers are known before any tensor is computed,
so :class:`CheckpointWriter` writes them first and each tensor's bytes at its offset
as it arrives. That is the one reason this is written here rather than taken from
safetensors; files are standard safetensors (``safe_open`` and ``from_pretrained``
read them), sharded with a ``model.safetensors.index.json`` above ``max_shard_bytes``.

Output goes to a hidden ``.<name>.partial-*`` folder beside ``out`` and is renamed to
``out`` only after every tensor was written and the other files (config, tokenizer,
generation config, chat template) were copied; an error removes the partial folder,
so a failed edit never leaves a folder that looks like a model.

Example:
    >>> import tempfile, torch, pathlib
    >>> from safetensors.torch import load_file
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "edited"
    >>> with CheckpointWriter(out, [("a", (2,), "F32"), ("b", (1, 2), "BF16")]) as w:
    ...     w.write("b", torch.ones(1, 2, dtype=torch.bfloat16))
    ...     w.write("a", torch.tensor([1.0, 2.0]))
    >>> load_file(out / "model.safetensors")["a"].tolist()
    [1.0, 2.0]
"""

from __future__ import annotations

import json
import shutil
import struct
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from steergraph.editing.checkpoint import DTYPE_BYTES, INDEX, torch_dtype
from steergraph.errors import EditingError

__all__ = ["WEIGHT_SUFFIXES", "CheckpointWriter", "copy_model_files", "tensor_bytes"]

#: files of a model folder that hold weights (not copied beside edited weights)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt", ".msgpack", ".h5")
_SKIP = {INDEX, "pytorch_model.bin.index.json", "steergraph-converted.json", "steergraph-edit.json"}
Layout = Sequence[tuple[str, Sequence[int], str]]


def copy_model_files(src: Path, dst: Path) -> list[str]:
    """Copy config, tokenizer and other non-weight files of ``src`` into ``dst``."""
    copied = []
    for item in sorted(src.iterdir()):
        if item.is_file() and item.name not in _SKIP and not item.name.endswith(WEIGHT_SUFFIXES):
            shutil.copy2(item, dst / item.name)
            copied.append(item.name)
    return copied


class CheckpointWriter:
    """Streamed, atomic writer of a safetensors model folder (see the module docstring).

    ``layout``: ``(name, shape, dtype)`` of every tensor, in file order. ``copy_from``:
    a model folder whose config/tokenizer files join the weights. ``metadata``: the
    safetensors ``__metadata__`` (``format: pt`` is always set). ``record``: a JSON
    object written as ``steergraph-edit.json``.
    """

    def __init__(
        self,
        out: str | Path,
        layout: Layout,
        *,
        copy_from: str | Path | None = None,
        max_shard_bytes: int = 2 * 1024**3,
        overwrite: bool = False,
        metadata: dict[str, str] | None = None,
        record: dict[str, Any] | None = None,
    ) -> None:
        self.out = Path(out)
        if self.out.exists() and not overwrite:
            raise EditingError(
                f"output folder {self.out} already exists",
                fix="choose another output folder or pass overwrite=True (--overwrite)",
            )
        if not layout:
            raise EditingError("nothing to write: the layout lists no tensors")
        self.copy_from = Path(copy_from) if copy_from else None
        self.metadata = {"format": "pt", **(metadata or {})}
        self.record = record
        for name, _, dtype in layout:
            if dtype not in DTYPE_BYTES:
                raise EditingError(f"cannot write dtype {dtype}", tensor=name)
        self._layout = {name: (tuple(shape), dtype) for name, shape, dtype in layout}
        self._shards = self._plan(layout, max_shard_bytes)
        self._partial = self.out.parent / f".{self.out.name}.partial-{uuid.uuid4().hex[:8]}"
        self._where: dict[str, tuple[int, int, int]] = {}  # name -> (shard, offset, nbytes)
        self._files: list[BinaryIO] = []
        self._base: dict[int, int] = {}  # shard -> where its byte buffer starts
        self._written: set[str] = set()

    @staticmethod
    def _plan(layout: Layout, max_bytes: int) -> list[list[tuple[str, Sequence[int], str]]]:
        shards: list[list[tuple[str, Sequence[int], str]]] = [[]]
        size = 0
        for name, shape, dtype in layout:
            n = DTYPE_BYTES[dtype]
            for s in shape:
                n *= s
            if shards[-1] and size + n > max_bytes:
                shards.append([])
                size = 0
            shards[-1].append((name, shape, dtype))
            size += n
        return shards

    def _shard_name(self, k: int) -> str:
        if len(self._shards) == 1:
            return "model.safetensors"
        return f"model-{k + 1:05d}-of-{len(self._shards):05d}.safetensors"

    def __enter__(self) -> CheckpointWriter:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._partial.mkdir()
        try:
            for k, shard in enumerate(self._shards):
                header: dict[str, Any] = {"__metadata__": self.metadata}
                offset = 0
                for name, shape, dtype in shard:
                    n = DTYPE_BYTES[dtype]
                    for s in shape:
                        n *= s
                    header[name] = {
                        "dtype": dtype,
                        "shape": list(shape),
                        "data_offsets": [offset, offset + n],
                    }
                    self._where[name] = (k, offset, n)
                    offset += n
                raw = json.dumps(header, separators=(",", ":")).encode()
                raw += b" " * (-len(raw) % 8)  # keep the byte buffer 8-aligned, as safetensors does
                fh = (self._partial / self._shard_name(k)).open("wb")
                self._files.append(fh)
                fh.write(struct.pack("<Q", len(raw)) + raw)
                self._base[k] = 8 + len(raw)
                fh.truncate(8 + len(raw) + offset)  # the full size; bytes are filled in place
        except BaseException:
            self._abort()
            raise
        return self

    def write(self, name: str, tensor: Any) -> None:
        """Write one tensor; its shape and dtype must be the layout's."""
        if name not in self._layout:
            raise EditingError("not in the output layout", tensor=name)
        shape, dtype = self._layout[name]
        if tuple(tensor.shape) != shape or tensor.dtype != torch_dtype(dtype, name):
            raise EditingError(
                f"got {tuple(tensor.shape)} {tensor.dtype}, the layout says {shape} {dtype}",
                tensor=name,
            )
        k, offset, nbytes = self._where[name]
        data = tensor_bytes(tensor)
        if data.nbytes != nbytes:
            raise EditingError(f"{data.nbytes} bytes, expected {nbytes}", tensor=name)
        fh = self._files[k]
        fh.seek(self._base[k] + offset)
        fh.write(memoryview(data))
        self._written.add(name)

    def _abort(self) -> None:
        for fh in self._files:
            fh.close()
        shutil.rmtree(self._partial, ignore_errors=True)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._abort()
            return
        try:
            missing = [n for n in self._layout if n not in self._written]
            if missing:
                raise EditingError(
                    f"{len(missing)} tensor(s) were never written (first: {missing[0]})",
                    tensor=missing[0],
                )
            for fh in self._files:
                fh.close()
            if len(self._shards) > 1:
                weight_map = {
                    n: self._shard_name(k) for k, s in enumerate(self._shards) for n, *_ in s
                }
                total = sum(nb for _, _, nb in self._where.values())
                index = {"metadata": {"total_size": total}, "weight_map": weight_map}
                (self._partial / INDEX).write_text(json.dumps(index, indent=2))
            if self.copy_from is not None:
                copy_model_files(self.copy_from, self._partial)
            if self.record is not None:
                (self._partial / "steergraph-edit.json").write_text(
                    json.dumps(self.record, indent=2, default=str)
                )
            if self.out.exists():  # overwrite=True: swap, then drop the old folder
                trash = self.out.parent / f".{self.out.name}.old-{uuid.uuid4().hex[:8]}"
                self.out.rename(trash)
                try:
                    self._partial.rename(self.out)
                except BaseException:
                    trash.rename(self.out)  # the old model stays where it was
                    raise
                shutil.rmtree(trash, ignore_errors=True)
            else:
                self._partial.rename(self.out)
        except BaseException:
            self._abort()
            raise


def tensor_bytes(tensor: Any) -> Any:
    """A tensor's raw bytes as a uint8 numpy array (no copy for a contiguous tensor)."""
    import torch

    return tensor.detach().contiguous().reshape(-1).view(dtype=torch.uint8).numpy()
