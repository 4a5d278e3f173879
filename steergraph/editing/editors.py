"""Delta-parameter editors: what each does to one tensor's delta ``dW = W_post - W_base``.

Every editor is a frozen dataclass (hashable settings, a ``label`` for plots, a
``to_dict``/:func:`editor_from_dict` round trip for records) with two calls per tensor:
``edit(name, delta, ctx)`` returns the edited delta (float32, same shape) and
``encode(...)`` returns it in compact form (:mod:`steergraph.editing.encoding`);
decoding an encoding gives exactly ``edit``'s result. Tensors an editor does not
target (``targets``: ``all`` float tensors, ``matrices`` (2-D), ``linear`` (2-D except
embeddings and the LM head) or a regular expression over names) keep their delta.
Randomness is seeded per tensor from ``(seed, tensor name)``, so results do not depend
on the order tensors are visited in.

Editors (Tang et al., 2024, "A Unified View of Delta Parameter Editing in Post-Trained
Large-Scale Models", arXiv:2410.13841, and the methods it unifies):

* :class:`Dare` -- drop each entry with probability ``p``; dropped entries become
  ``k * dW`` and kept ones ``(1 - k p) / (1 - p) * dW`` (``k = 0``: DARE of Yu et al.);
* :class:`BiasedDare` -- the same rescaling, but the "dropped" set is every entry
  whose ``dW`` (or ``dW * grad``) is negative: the biased mask that breaks DARE;
* :class:`BitDelta` -- sign times block mean magnitude; ``bits`` counts the sign bit,
  so 1 bit is BitDelta and ``b`` bits split the sorted magnitudes into ``2**(b-1)``
  equal-count blocks;
* :class:`LowRank` -- truncated SVD of rank ``rank``;
* :class:`Ties` -- TIES-merging's trim (keep the ``density`` largest magnitudes), sign
  election and disjoint mean; over one model it is magnitude pruning;
* :class:`Extrapolate` -- ``alpha * dW`` (``alpha > 1`` extrapolates, ``< 1`` interpolates);
* :class:`QuantizeDelta` -- ``bits``-bit symmetric round-to-nearest, one scale per row.

Example:
    >>> import torch
    >>> ed = Dare(p=0.5, k=0.0, seed=1)
    >>> out = ed.edit("w", torch.ones(1000), EditContext())
    >>> sorted(set(out.tolist())), ed.label()
    ([0.0, 2.0], 'dare p=0.5 seed=1')
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from steergraph.editing.encoding import (
    Encoded,
    decode,
    encode_auto,
    encode_lowrank,
    encode_quant,
    encode_signs,
)
from steergraph.errors import EditingError

__all__ = [
    "BiasedDare",
    "BitDelta",
    "Dare",
    "DeltaEditor",
    "EditContext",
    "Extrapolate",
    "LowRank",
    "QuantizeDelta",
    "Ties",
]

_EMBEDDING = re.compile(r"(embed|lm_head|wte|wpe|word_embeddings|output\.weight$)")


@dataclass
class EditContext:
    """What an edit may need beyond the delta: the loss gradient at ``W_post`` per
    tensor (for :class:`BiasedDare` by ``dW * grad``)."""

    grads: Mapping[str, Any] | None = None

    def grad(self, name: str) -> Any:
        if self.grads is None or name not in self.grads:
            raise EditingError(
                "this editor needs the loss gradient at the post-trained weights",
                tensor=name,
                fix="compute it with LossProbe.gradient() and pass EditContext(grads=...)",
            )
        return self.grads[name]


def tensor_generator(seed: int, name: str) -> Any:
    """A torch generator seeded from ``(seed, name)``."""
    import torch

    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") % 2**63)


@dataclass(frozen=True)
class DeltaEditor:
    """Base class: targeting, checks, labels, and the encode/edit pair."""

    method: ClassVar[str] = "identity"
    default_targets: ClassVar[str] = "all"
    targets: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.targets not in (None, "all", "matrices", "linear"):
            try:
                re.compile(self.targets)
            except re.error as exc:
                raise EditingError(
                    f"targets={self.targets!r} is not a regular expression ({exc})",
                    fix="use all, matrices, linear or a valid regex over tensor names",
                ) from None

    def applies(self, name: str, shape: Sequence[int]) -> bool:
        """Whether this editor changes the tensor ``name`` (others keep their delta)."""
        targets = self.targets or self.default_targets
        if targets == "all":
            return True
        if targets == "matrices":
            return len(shape) == 2
        if targets == "linear":
            return len(shape) == 2 and not _EMBEDDING.search(name)
        return re.search(targets, name) is not None

    def check(self, name: str, shape: Sequence[int]) -> None:
        """Raise :class:`EditingError` if this tensor cannot be edited as configured."""

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        """The edited delta of one targeted tensor (float32, same shape)."""
        return delta

    def encode(self, name: str, delta: Any, ctx: EditContext) -> Encoded:
        """The edited delta in compact form; stored values stay float32, so applying it
        gives bit for bit what :meth:`edit` gives, whatever the model's dtype."""
        return encode_auto(self.edit(name, delta, ctx), "F32")

    @property
    def needs_grads(self) -> bool:
        """Whether :meth:`edit` reads the loss gradient from its :class:`EditContext`."""
        return False

    def label(self) -> str:
        """A short human label with the settings that matter (for plots and tables)."""
        shown = {k: v for k, v in self.to_dict().items() if k not in ("method", "seed", "targets")}
        args = " ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()
        )
        return f"{self.method} {args}".strip()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.compare and value is not None:
                out[f.name] = value
        return out


def _finite(value: float, what: str) -> None:
    if not math.isfinite(value):
        raise EditingError(f"{what}={value} is not a finite number", fix=f"pass a real {what}")


@dataclass(frozen=True)
class Dare(DeltaEditor):
    """Random drop with rescale (and the paper's ``k`` extension)."""

    method: ClassVar[str] = "dare"
    p: float = 0.9
    k: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.p < 1.0:
            raise EditingError(
                f"DARE drop rate p={self.p} is outside [0, 1)",
                fix="use 0 <= p < 1 (p=1 would drop everything and rescale by infinity)",
            )
        _finite(self.k, "k")

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        import torch

        dropped = torch.rand(delta.shape, generator=tensor_generator(self.seed, name)) < self.p
        out = delta * ((1.0 - self.k * self.p) / (1.0 - self.p))
        if self.k == 0.0:
            return out.masked_fill_(dropped, 0.0)
        return torch.where(dropped, delta * self.k, out, out=out)

    def label(self) -> str:
        seed = f" seed={self.seed}" if self.seed else ""
        return f"dare p={self.p:g}" + (f" k={self.k:g}" if self.k else "") + seed


@dataclass(frozen=True)
class BiasedDare(DeltaEditor):
    """DARE's rescaling with a biased mask: entries with ``by < 0`` are "dropped"."""

    method: ClassVar[str] = "biased_dare"
    k: float = 0.5
    by: str = "delta"

    def __post_init__(self) -> None:
        super().__post_init__()
        _finite(self.k, "k")
        if self.by not in ("delta", "delta_grad"):
            raise EditingError(f"by={self.by!r} is unknown", fix="use by='delta' or 'delta_grad'")

    @property
    def needs_grads(self) -> bool:
        return self.by == "delta_grad"

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        import torch

        score = delta if self.by == "delta" else delta * ctx.grad(name)
        dropped = score < 0
        p = float(dropped.float().mean())
        if p >= 1.0:  # every entry "dropped": the rescale is undefined, keep k * dW
            return delta * self.k
        return torch.where(dropped, delta * self.k, delta * ((1.0 - self.k * p) / (1.0 - p)))


@dataclass(frozen=True)
class Extrapolate(DeltaEditor):
    """``alpha * dW``: ``W_base + alpha dW``."""

    method: ClassVar[str] = "extrapolate"
    alpha: float = 1.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _finite(self.alpha, "alpha")

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        return delta * self.alpha


@dataclass(frozen=True)
class Ties(DeltaEditor):
    """TIES: trim to the ``density`` largest magnitudes, elect signs, disjoint mean, x ``lam``."""

    method: ClassVar[str] = "ties"
    density: float = 0.2
    lam: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.density <= 1.0:
            raise EditingError(
                f"TIES density={self.density} is outside (0, 1]",
                fix="use the fraction of entries to keep, e.g. density=0.2",
            )
        _finite(self.lam, "lam")

    def trim(self, delta: Any) -> Any:
        """Keep the ``density`` fraction of entries largest in magnitude."""
        import torch

        keep = max(1, round(self.density * delta.numel()))
        if keep >= delta.numel():
            return delta.clone()
        flat = delta.reshape(-1)
        top = torch.topk(flat.abs(), keep, sorted=False).indices
        out = torch.zeros_like(flat)
        out[top] = flat[top]
        return out.reshape(delta.shape)

    def edit_many(self, name: str, deltas: Sequence[Any], ctx: EditContext) -> Any:
        """Merge several models' deltas of one tensor."""
        import torch

        trimmed = torch.stack([self.trim(d) for d in deltas])
        elected = torch.sign(trimmed.sum(dim=0))
        agree = (torch.sign(trimmed) == elected) & (trimmed != 0)
        total = (trimmed * agree).sum(dim=0)
        count = agree.sum(dim=0).clamp(min=1)
        return self.lam * total / count

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        return self.edit_many(name, [delta], ctx)


@dataclass(frozen=True)
class LowRank(DeltaEditor):
    """Best rank-``rank`` approximation of each matrix delta."""

    method: ClassVar[str] = "lowrank"
    default_targets: ClassVar[str] = "matrices"
    rank: int = 16

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.rank) != self.rank or self.rank < 1:
            raise EditingError(f"rank={self.rank} is not a positive integer", fix="use rank >= 1")

    def applies(self, name: str, shape: Sequence[int]) -> bool:
        return len(shape) == 2 and super().applies(name, shape)

    def check(self, name: str, shape: Sequence[int]) -> None:
        if self.rank > min(shape):
            raise EditingError(
                f"rank {self.rank} is larger than the matrix allows ({shape[0]} x {shape[1]}: "
                f"at most {min(shape)})",
                tensor=name,
                fix=f"use rank <= {min(shape)}, or restrict targets to larger matrices",
            )

    def encode(self, name: str, delta: Any, ctx: EditContext) -> Encoded:
        return encode_lowrank(delta, self.rank)

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        return decode(encode_lowrank(delta, self.rank))


@dataclass(frozen=True)
class BitDelta(DeltaEditor):
    """Sign x block-mean magnitude; ``levels`` holds distilled magnitudes per tensor."""

    method: ClassVar[str] = "bitdelta"
    default_targets: ClassVar[str] = "matrices"
    bits: int = 1
    levels: Mapping[str, tuple[float, ...]] | None = field(default=None, compare=False, repr=False)
    distilled: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.bits) != self.bits or not 1 <= self.bits <= 8:
            raise EditingError(
                f"BitDelta bits={self.bits} is outside 1..8",
                fix="use 1 (sign x mean magnitude) up to 8 bits per entry",
            )

    def encode(self, name: str, delta: Any, ctx: EditContext) -> Encoded:
        import torch

        levels = None
        if self.levels is not None and name in self.levels:
            levels = torch.tensor(self.levels[name], dtype=torch.float32)
        return encode_signs(delta, self.bits, levels)

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        return decode(self.encode(name, delta, ctx))

    def label(self) -> str:
        return f"bitdelta {self.bits}-bit" + (" distilled" if self.distilled else "")

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.levels is not None:  # distilled magnitudes: part of the edit
            out["levels"] = {name: list(values) for name, values in self.levels.items()}
        return out


@dataclass(frozen=True)
class QuantizeDelta(DeltaEditor):
    """``bits``-bit symmetric quantization of the delta, one absmax scale per row."""

    method: ClassVar[str] = "quantize"
    bits: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.bits) != self.bits or not 2 <= self.bits <= 8:
            raise EditingError(f"quantize bits={self.bits} is outside 2..8", fix="use 2..8")

    def encode(self, name: str, delta: Any, ctx: EditContext) -> Encoded:
        return encode_quant(delta, self.bits)

    def edit(self, name: str, delta: Any, ctx: EditContext) -> Any:
        return decode(encode_quant(delta, self.bits))
