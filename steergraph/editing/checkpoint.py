"""Read a Hugging Face model folder one tensor at a time, and check that two pair up.

A :class:`Checkpoint` knows every tensor's name, shape, dtype, size and byte range from
the safetensors headers alone (single file or sharded with
``model.safetensors.index.json``) and loads one tensor on demand by reading just its
bytes into a fresh tensor, so editors never hold a whole model. It reads with plain
``readinto`` rather than through ``safetensors.safe_open``: safe_open memory-maps the
whole file, and every mapped page a pass touches stays in the process's resident set,
so a streamed pass over a model would still peak at the model's size.

:func:`check_pair` refuses a pair that is not a base and a post-trained version of one
architecture: different ``model_type`` or architecture, a tensor missing on either
side, a shape or a dtype that differs. Each error names the tensor.

Example:
    >>> import tempfile, torch, json, pathlib
    >>> from safetensors.torch import save_file
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> save_file({"w": torch.zeros(2, 3)}, d / "model.safetensors")
    >>> _ = (d / "config.json").write_text(json.dumps({"model_type": "llama"}))
    >>> ck = Checkpoint(d)
    >>> ck.names(), ck.info("w").shape, ck.info("w").dtype, ck.get("w").shape
    (['w'], (2, 3), 'F32', torch.Size([2, 3]))
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steergraph.errors import EditingError

__all__ = [
    "DTYPE_BYTES",
    "Checkpoint",
    "TensorInfo",
    "check_pair",
    "dtype_name",
    "float_delta",
    "open_checkpoint",
    "tensor_progress",
    "torch_dtype",
]

#: bytes per element of each safetensors dtype name
DTYPE_BYTES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "U16": 2,
    "U32": 4,
    "U64": 8,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
}
_FLOAT = {"F64", "F32", "F16", "BF16"}
INDEX = "model.safetensors.index.json"


def _dtype_table() -> dict[str, Any]:
    import torch

    return {
        "F64": torch.float64,
        "F32": torch.float32,
        "F16": torch.float16,
        "BF16": torch.bfloat16,
        "I64": torch.int64,
        "I32": torch.int32,
        "I16": torch.int16,
        "I8": torch.int8,
        "U8": torch.uint8,
        "BOOL": torch.bool,
    }


def torch_dtype(name: str, tensor: str | None = None) -> Any:
    """The torch dtype of a safetensors dtype name (``"F32"`` -> ``torch.float32``)."""
    table = _dtype_table()
    if name not in table:
        raise EditingError(
            f"unsupported tensor dtype {name}",
            tensor=tensor,
            fix=f"convert the model to one of {', '.join(table)}",
        )
    return table[name]


def dtype_name(dtype: Any) -> str:
    """The safetensors name of a torch dtype (``torch.float32`` -> ``"F32"``)."""
    for name, value in _dtype_table().items():
        if value == dtype:
            return name
    raise EditingError(f"unsupported tensor dtype {dtype}", fix="use float32, bfloat16 or float16")


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives and what it is, read from a safetensors header."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    file: Path
    start: int = 0  # absolute byte offset of the data in ``file``

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def nbytes(self) -> int:
        return self.numel * DTYPE_BYTES.get(self.dtype, 4)

    @property
    def is_float(self) -> bool:
        return self.dtype in _FLOAT


def _read_header(path: Path) -> tuple[dict[str, Any], int]:
    """(header, where the byte buffer starts)."""
    try:
        with path.open("rb") as fh:
            size = struct.unpack("<Q", fh.read(8))[0]
            if size > 100_000_000:
                raise ValueError(f"header of {size} bytes")
            return dict(json.loads(fh.read(size))), 8 + size
    except (OSError, ValueError, struct.error) as exc:
        raise EditingError(
            f"{path} is not a readable safetensors file ({exc})",
            fix="point at a Hugging Face model folder saved with safetensors",
        ) from None


class Checkpoint:
    """A model folder opened for tensor-by-tensor reading (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise EditingError(
                f"model folder not found: {self.folder}",
                fix="pass a Hugging Face model folder (config.json + *.safetensors) or "
                "an embedded model name (smollm2, gemma3)",
            )
        config = self.folder / "config.json"
        self.config: dict[str, Any] = json.loads(config.read_text()) if config.is_file() else {}
        self.files = self._weight_files()
        self.tensors: dict[str, TensorInfo] = {}
        for file in self.files:
            header, data_start = _read_header(file)
            for name, meta in header.items():
                if name == "__metadata__":
                    continue
                begin, end = meta["data_offsets"]
                if name in self.tensors:
                    raise EditingError(
                        f"{self.folder}: in both {self.tensors[name].file.name} and {file.name}",
                        tensor=name,
                        fix="keep one model's weights per folder (move stray .safetensors out)",
                    )
                if meta["dtype"] not in DTYPE_BYTES:
                    raise EditingError(f"unknown dtype {meta['dtype']} in {file.name}", tensor=name)
                info = TensorInfo(
                    name, tuple(meta["shape"]), meta["dtype"], file, data_start + begin
                )
                if end - begin != info.nbytes:
                    raise EditingError(
                        f"{file.name}: header gives {end - begin} bytes for {info.numel} "
                        f"{info.dtype} values",
                        tensor=name,
                        fix="the file is damaged; save the model again",
                    )
                self.tensors[name] = info
        self._handles: dict[Path, Any] = {}

    def _weight_files(self) -> list[Path]:
        index = self.folder / INDEX
        if index.is_file():
            weight_map = json.loads(index.read_text()).get("weight_map", {})
            files = sorted({self.folder / f for f in weight_map.values()})
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise EditingError(
                    f"{self.folder}: shard(s) {', '.join(missing)} listed in {INDEX} are missing",
                    fix="copy the whole model folder",
                )
            return files
        files = sorted(self.folder.glob("*.safetensors"))
        if not files:
            raise EditingError(
                f"{self.folder} holds no *.safetensors weights",
                fix="save the model with save_pretrained(..., safe_serialization=True)",
            )
        return files

    @property
    def architecture(self) -> str:
        """``model_type`` and ``architectures`` from config.json, as one string."""
        archs = ",".join(self.config.get("architectures") or [])
        return f"{self.config.get('model_type', '?')}/{archs or '?'}"

    def names(self) -> list[str]:
        """Tensor names in file order."""
        return list(self.tensors)

    def info(self, name: str) -> TensorInfo:
        try:
            return self.tensors[name]
        except KeyError:
            raise EditingError(
                f"not in {self.folder}", tensor=name, fix="check the tensor name"
            ) from None

    def get(self, name: str) -> Any:
        """Load one tensor: read just its bytes into a new tensor."""
        import torch

        info = self.info(name)
        handle = self._handles.get(info.file)
        if handle is None:
            handle = self._handles[info.file] = info.file.open("rb")
        out = torch.empty(info.shape, dtype=torch_dtype(info.dtype, name))
        buffer = out.reshape(-1).view(torch.uint8).numpy()
        handle.seek(info.start)
        if handle.readinto(buffer) != info.nbytes:
            raise EditingError(
                f"{info.file.name} ends before this tensor does",
                tensor=name,
                fix="the file is truncated; save the model again",
            )
        return out

    @property
    def nbytes(self) -> int:
        """Bytes of all tensors (what the weights take on disk, headers aside)."""
        return sum(t.nbytes for t in self.tensors.values())

    def fingerprint(self) -> str:
        """SHA-256 over architecture, every tensor's name, shape and dtype, and 768 bytes
        of each (start, middle, end): independent of sharding, and different for another
        model of the same shape unless the two agree on all those samples."""
        digest = hashlib.sha256(self.architecture.encode())
        for t in (self.tensors[n] for n in sorted(self.tensors)):
            digest.update(f"{t.name}:{t.shape}:{t.dtype}".encode())
            with t.file.open("rb") as fh:
                for at in sorted({0, max(t.nbytes // 2 - 128, 0), max(t.nbytes - 256, 0)}):
                    fh.seek(t.start + at)
                    digest.update(fh.read(min(256, t.nbytes - at)))
        return digest.hexdigest()[:16]

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.folder)!r}, {len(self.tensors)} tensors, {self.architecture})"


def open_checkpoint(source: str | Path | Checkpoint) -> Checkpoint:
    """A :class:`Checkpoint` from a folder, an embedded model name, or one already open."""
    if isinstance(source, Checkpoint):
        return source
    from steergraph.llm.embedded import EMBEDDED_MODELS, ensure_converted

    if isinstance(source, str) and source in EMBEDDED_MODELS:
        return Checkpoint(ensure_converted(source))
    return Checkpoint(source)


def check_pair(base: Checkpoint, post: Checkpoint) -> list[str]:
    """Names of the tensors to edit (float tensors of ``post``), after checking that
    ``post`` is a post-trained version of ``base``; raises :class:`EditingError`."""
    if base.architecture != post.architecture:
        raise EditingError(
            f"the models differ in architecture: base {base.architecture}, post "
            f"{post.architecture}",
            fix="edit deltas between two versions of one model (same config.json model_type)",
        )
    only_base = [n for n in base.tensors if n not in post.tensors]
    only_post = [n for n in post.tensors if n not in base.tensors]
    if only_base or only_post:
        name = (only_post or only_base)[0]
        where = "post-trained" if only_post else "base"
        count = len(only_base) + len(only_post)
        raise EditingError(
            f"only the {where} model has this tensor ({count} tensor(s) unmatched in all)",
            tensor=name,
            fix="both models must hold the same tensors (save both with save_pretrained)",
        )
    for name, p in post.tensors.items():
        b = base.tensors[name]
        if b.shape != p.shape:
            raise EditingError(
                f"shape {list(b.shape)} in the base but {list(p.shape)} in the post-trained model",
                tensor=name,
                fix="the models must share one architecture and size (vocabularies included)",
            )
        if b.dtype != p.dtype:
            raise EditingError(
                f"dtype {b.dtype} in the base but {p.dtype} in the post-trained model",
                tensor=name,
                fix="save both models in one dtype, e.g. model.to(torch.float32).save_pretrained()",
            )
    return [n for n, t in post.tensors.items() if t.is_float]


def float_delta(base: Checkpoint, post: Checkpoint, name: str) -> Any:
    """``post[name] - base[name]`` in float32 (one tensor read from each)."""
    import torch

    return post.get(name).to(torch.float32).sub_(base.get(name).to(torch.float32))


def tensor_progress(names: Sequence[str], desc: str, enabled: bool) -> Any:
    """A progress bar over tensor names (silent when ``enabled`` is false)."""
    from tqdm.auto import tqdm

    return tqdm(names, desc=desc, unit="tensor", disable=not enabled, leave=False)
