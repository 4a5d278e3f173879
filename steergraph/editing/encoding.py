"""Compact encodings of one delta tensor, and their exact decoding.

An edited delta is stored in the form its editor produced, so the delta file is as
small as the edit allows and decoding gives back exactly what the editor computed:

==========  ===============================================  ==========================
kind        parts                                            from
==========  ===============================================  ==========================
dense       ``values`` (the delta, in the model's dtype)     extrapolation, untouched
sparse      ``indices`` (int32/int64, flat) + ``values``     DARE, magnitude/TIES pruning
signs       ``signs`` (1 bit each) + ``codes`` (bits-1 each) BitDelta (1-bit and multi-bit)
            + ``levels`` (float32 block magnitudes)
lowrank     ``a`` (m x r, singular values folded in) + ``b``  low-rank (SVD)
patch       ``indices`` + ``values`` (the post model's own)  tensors an editor leaves alone
replace     ``values`` (the post model's tensor)             (exact in every dtype)
quant       ``codes`` (bits each) + ``scales`` (one per row) delta quantization
==========  ===============================================  ==========================

Bits are packed 8 to a byte with numpy (``packbits``), bit planes of a code kept in
order. :func:`encode_auto` picks dense or sparse, whichever is smaller.

Example:
    >>> import torch
    >>> d = torch.tensor([[0.5, -0.25], [0.0, 1.0]])
    >>> enc = encode_signs(d, bits=1)
    >>> enc.kind, enc.nbytes, decode(enc).tolist()
    ('signs', 5, [[0.4375, -0.4375], [0.4375, 0.4375]])
    >>> decode(encode_auto(torch.tensor([0.0, 0.0, 0.0, 2.0]), "F32")).tolist()
    [0.0, 0.0, 0.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steergraph.editing.checkpoint import DTYPE_BYTES, torch_dtype
from steergraph.errors import EditingError

__all__ = [
    "Encoded",
    "apply_encoded",
    "decode",
    "encode_auto",
    "encode_dense",
    "encode_lowrank",
    "encode_patch",
    "encode_quant",
    "encode_signs",
    "encode_sparse",
    "pack_bits",
    "unpack_bits",
]


@dataclass
class Encoded:
    """One tensor's delta in compact form: ``parts`` (tensors) and ``meta`` (JSON)."""

    kind: str
    shape: tuple[int, ...]
    parts: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Bytes of the stored parts."""
        return int(sum(p.numel() * p.element_size() for p in self.parts.values()))


def pack_bits(codes: Any, bits: int) -> Any:
    """Pack non-negative integer codes below ``2**bits`` (``bits <= 8``) into a uint8
    tensor: each code's bits lowest first, 8 to a byte."""
    import torch

    c = codes.reshape(-1).to(torch.uint8).numpy()
    planes = np.unpackbits(c[:, None], axis=1, count=bits, bitorder="little")
    return torch.from_numpy(np.packbits(planes.reshape(-1)))


def unpack_bits(packed: Any, bits: int, n: int) -> Any:
    """Inverse of :func:`pack_bits`: ``n`` codes as an int64 tensor."""
    import torch

    planes = np.unpackbits(packed.numpy(), count=n * bits).reshape(n, bits)
    codes = np.packbits(planes, axis=1, bitorder="little").reshape(-1)
    return torch.from_numpy(codes).to(torch.int64)


def encode_dense(delta: Any, dtype: str) -> Encoded:
    return Encoded(
        "dense", tuple(delta.shape), {"values": delta.to(torch_dtype(dtype)).contiguous()}
    )


def encode_sparse(delta: Any, dtype: str) -> Encoded:
    import torch

    flat = delta.reshape(-1)
    idx = torch.nonzero(flat, as_tuple=True)[0]
    index_dtype = torch.int32 if flat.numel() < 2**31 else torch.int64
    parts = {"indices": idx.to(index_dtype), "values": flat[idx].to(torch_dtype(dtype))}
    return Encoded("sparse", tuple(delta.shape), parts)


def encode_auto(delta: Any, dtype: str) -> Encoded:
    """Dense or sparse, whichever takes fewer bytes."""
    import torch

    nnz = int(torch.count_nonzero(delta))
    value_bytes = DTYPE_BYTES[dtype]
    index_bytes = 4 if delta.numel() < 2**31 else 8
    if nnz * (value_bytes + index_bytes) < delta.numel() * value_bytes:
        return encode_sparse(delta, dtype)
    return encode_dense(delta, dtype)


def encode_patch(base: Any, post: Any) -> Encoded | None:
    """The post tensor as a patch of the base (changed entries with their post values),
    or whole when that is smaller; ``None`` when nothing changed. Exact in any dtype."""
    import torch

    changed = (post != base).reshape(-1)
    nnz = int(changed.sum())
    if nnz == 0:
        return None
    index_bytes = 4 if post.numel() < 2**31 else 8
    if nnz * (post.element_size() + index_bytes) < post.numel() * post.element_size():
        idx = torch.nonzero(changed, as_tuple=True)[0]
        index_dtype = torch.int32 if index_bytes == 4 else torch.int64
        parts = {"indices": idx.to(index_dtype), "values": post.reshape(-1)[idx].contiguous()}
        return Encoded("patch", tuple(post.shape), parts)
    return Encoded("replace", tuple(post.shape), {"values": post.contiguous()})


def apply_encoded(base: Any, enc: Encoded) -> Any:
    """The edited tensor, in the base's dtype: ``base + decode(enc)`` (float32 sum), or
    the stored post values for a patch or a replacement."""
    import torch

    if enc.kind == "replace":
        return enc.parts["values"].reshape(enc.shape)
    if enc.kind == "patch":
        out = base.clone().reshape(-1)
        out[enc.parts["indices"].to(torch.int64)] = enc.parts["values"]
        return out.reshape(enc.shape)
    return (base.to(torch.float32) + decode(enc)).to(base.dtype)


def sign_codes(delta: Any, bits: int) -> tuple[Any, Any]:
    """(signs >= 0 as bool, magnitude block of each entry): ``2**(bits-1)`` blocks of
    equal count over the sorted magnitudes (block 0 the smallest; equal magnitudes at a
    boundary share the lower block, so exact zeros stay in block 0)."""
    import torch

    flat = delta.reshape(-1)
    levels = 2 ** (bits - 1)
    if levels == 1:
        return flat >= 0, torch.zeros(flat.numel(), dtype=torch.int64)
    mags = flat.abs().to(torch.float32)
    ordered = np.sort(mags.numpy())  # numpy's sort is several times faster than torch's here
    n = flat.numel()
    cuts = torch.from_numpy(ordered[[n * j // levels - 1 for j in range(1, levels)]].copy())
    return flat >= 0, torch.searchsorted(cuts, mags, right=False)


def block_means(delta: Any, codes: Any, levels: int) -> Any:
    """Mean magnitude of each block (float32, ``levels`` values)."""
    import torch

    mags = delta.reshape(-1).abs().to(torch.float32)
    sums = torch.zeros(levels, dtype=torch.float32).index_add_(0, codes, mags)
    counts = torch.bincount(codes, minlength=levels).clamp(min=1).to(torch.float32)
    return sums / counts


def encode_signs(delta: Any, bits: int = 1, levels: Any = None) -> Encoded:
    """BitDelta: sign x block magnitude; ``levels`` overrides the block means (e.g.
    distilled scales)."""
    import torch

    positive, codes = sign_codes(delta, bits)
    n_levels = 2 ** (bits - 1)
    values = block_means(delta, codes, n_levels) if levels is None else levels.to(torch.float32)
    parts = {"signs": pack_bits(positive, 1), "levels": values.reshape(-1).contiguous()}
    if bits > 1:
        parts["codes"] = pack_bits(codes, bits - 1)
    return Encoded("signs", tuple(delta.shape), parts, {"bits": bits})


def encode_lowrank(delta: Any, rank: int) -> Encoded:
    """Best rank-``rank`` approximation ``a @ b`` (Eckart-Young), through the eigenvectors
    of the small Gram matrix (float64): the projection of the delta on its top ``rank``
    right (or left) singular vectors, without a full SVD of a tall matrix."""
    import torch

    m = delta.to(torch.float64)
    if m.shape[0] >= m.shape[1]:
        _, vecs = torch.linalg.eigh(m.T @ m)  # ascending eigenvalues
        v = vecs[:, -rank:].flip(1)
        a, b = m @ v, v.T
    else:
        _, vecs = torch.linalg.eigh(m @ m.T)
        u = vecs[:, -rank:].flip(1)
        a, b = u, u.T @ m
    parts = {"a": a.to(torch.float32).contiguous(), "b": b.to(torch.float32).contiguous()}
    return Encoded("lowrank", tuple(delta.shape), parts, {"rank": rank})


def encode_quant(delta: Any, bits: int) -> Encoded:
    """Symmetric round-to-nearest with one absmax scale per row (per tensor if 1-D)."""
    import torch

    rows = delta.reshape(delta.shape[0], -1) if delta.dim() > 1 else delta.reshape(1, -1)
    top = 2 ** (bits - 1) - 1
    scales = rows.abs().amax(dim=1).to(torch.float32) / top
    safe = torch.where(scales > 0, scales, torch.ones_like(scales))
    q = torch.round(rows / safe[:, None]).clamp(-top, top).to(torch.int64)
    parts = {"codes": pack_bits(q + top, bits), "scales": scales.contiguous()}
    return Encoded("quant", tuple(delta.shape), parts, {"bits": bits})


def decode(enc: Encoded) -> Any:
    """The float32 delta an encoding stands for."""
    import torch

    n = 1
    for s in enc.shape:
        n *= s
    p = enc.parts
    if enc.kind == "dense":
        return p["values"].to(torch.float32).reshape(enc.shape)
    if enc.kind == "sparse":
        out = torch.zeros(n, dtype=torch.float32)
        out[p["indices"].to(torch.int64)] = p["values"].to(torch.float32)
        return out.reshape(enc.shape)
    if enc.kind == "signs":
        bits = int(enc.meta["bits"])
        sign = unpack_bits(p["signs"], 1, n).to(torch.float32) * 2 - 1
        codes = (
            unpack_bits(p["codes"], bits - 1, n) if bits > 1 else torch.zeros(n, dtype=torch.int64)
        )
        return (sign * p["levels"][codes]).reshape(enc.shape)
    if enc.kind == "lowrank":
        return (p["a"] @ p["b"]).reshape(enc.shape)
    if enc.kind == "quant":
        bits = int(enc.meta["bits"])
        top = 2 ** (bits - 1) - 1
        rows = p["scales"].numel()
        q = unpack_bits(p["codes"], bits, n).reshape(rows, -1) - top
        return (q.to(torch.float32) * p["scales"][:, None]).reshape(enc.shape)
    raise EditingError(
        f"unknown delta encoding {enc.kind!r}",
        fix="the delta file was written by another version; write it again with `steergraph edit`",
    )
