"""A GGUF file's metadata summary in milliseconds: scalars, and the length of each array.

``gguf.GGUFReader`` memory-maps the file and builds numpy views of every field,
including each of a tokenizer's 150k-260k token strings: several seconds per file. Many
questions need far less (is this a qwen2 file? how many tokens does its vocabulary
hold?), so :func:`gguf_summary` walks the key-value section with ``struct`` reads,
keeping scalars and strings, and only the element count of arrays (their contents are
skipped). The format is GGUF v2/v3 as specified in ggml's ``docs/gguf.md``.

Example:
    >>> import gguf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.gguf")
    >>> w = gguf.GGUFWriter(path, "llama")
    >>> w.add_block_count(2); w.add_token_list(["a", "b", "c"])
    >>> w.write_header_to_file(); w.write_kv_data_to_file(); w.close()
    >>> meta = gguf_summary(path)
    >>> meta["general.architecture"], meta["llama.block_count"], meta["tokenizer.ggml.tokens"]
    ('llama', 2, 3)
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from steergraph.errors import ModelIntegrityError

__all__ = ["gguf_summary"]

# GGUF value types -> struct format of one scalar (8: string, 9: array)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}  # fmt: skip
_STRING, _ARRAY = 8, 9


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise EOFError("the file ends inside its metadata")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO) -> str:
    n = _read(f, "<Q")
    data = f.read(n)
    if len(data) != n:
        raise EOFError("the file ends inside a string")
    return data.decode("utf-8", errors="replace")


def _skip(f: BinaryIO, kind: int, count: int) -> None:
    if kind == _STRING:
        for _ in range(count):
            f.seek(_read(f, "<Q"), 1)
    elif kind == _ARRAY:
        for _ in range(count):
            inner = _read(f, "<I")
            _skip(f, inner, _read(f, "<Q"))
    elif kind in _SCALARS:
        f.seek(struct.calcsize(_SCALARS[kind]) * count, 1)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


def gguf_summary(path: str | Path) -> dict[str, Any]:
    """Every metadata key of a GGUF file: its value, or its element count for arrays.

    Raises :class:`~steergraph.errors.ModelIntegrityError` when the file is not GGUF
    v2/v3 or ends inside its metadata.
    """
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise ValueError("no GGUF magic at the start")
            version = _read(f, "<I")
            if version not in (2, 3):
                raise ValueError(f"GGUF version {version} (2 or 3 expected)")
            _read(f, "<Q")  # tensor count
            out: dict[str, Any] = {}
            for _ in range(_read(f, "<Q")):
                key = _string(f)
                kind = _read(f, "<I")
                if kind == _STRING:
                    out[key] = _string(f)
                elif kind == _ARRAY:
                    inner, count = _read(f, "<I"), _read(f, "<Q")
                    _skip(f, inner, count)
                    out[key] = count
                elif kind in _SCALARS:
                    out[key] = _read(f, _SCALARS[kind])
                else:
                    raise ValueError(f"unknown GGUF value type {kind} for {key}")
            return out
    except (OSError, ValueError, EOFError, struct.error) as exc:
        raise ModelIntegrityError(
            f"{path} is not a readable GGUF file ({exc})",
            fix="give a complete .gguf file (re-export or reinstall it)",
        ) from None
