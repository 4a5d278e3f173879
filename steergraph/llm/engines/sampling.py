"""Next-token selection over a batch of logits rows, in NumPy.

The llama.cpp engine decodes several sequences per step and picks their tokens
here: grammar masks (llguidance bitmasks), HF-style repetition penalty, greedy or
temperature + nucleus sampling, with a seeded generator. llama.cpp's own sampler
chain works on one sequence at a time and cannot apply llguidance masks or
transformers ``LogitsProcessor`` objects, hence this small module.

A **row processor** (an object with ``row_processor = True`` and
``rows_call(seqs, scores)``) gets each row's token ids without padding instead of the
left-padded batch, on both engines: what a processor that runs a second model per row
(a value network) needs, since padding ids are real token ids to a model.

Example:
    >>> import numpy as np
    >>> logits = np.array([[0.0, 2.0, 1.0]], dtype=np.float32)
    >>> pick_tokens(logits, temperature=0.0, top_p=1.0, rng=np.random.default_rng(0)).tolist()
    [1]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "RowProcessorAdapter",
    "apply_bitmask",
    "apply_repetition_penalty",
    "is_row_processor",
    "log_softmax",
    "pick_tokens",
]


def is_row_processor(proc: object) -> bool:
    """Whether ``proc`` wants unpadded rows (see the module docstring)."""
    return bool(getattr(proc, "row_processor", False)) and hasattr(proc, "rows_call")


class RowProcessorAdapter:
    """A row processor as a transformers ``LogitsProcessor`` over a left-padded batch:
    ``pads[i]`` is row ``i``'s number of left padding tokens."""

    def __init__(self, proc: object, pads: Sequence[int]) -> None:
        self.proc, self.pads = proc, list(pads)

    def __call__(self, input_ids: object, scores: object) -> object:
        rows = input_ids.tolist()  # type: ignore[attr-defined]
        seqs = [row[pad:] for row, pad in zip(rows, self.pads)]
        return self.proc.rows_call(seqs, scores)  # type: ignore[attr-defined]


def apply_bitmask(logits: np.ndarray, bitmask: np.ndarray) -> None:
    """Set to -inf, in place, every logit whose bit is 0 in the llguidance ``bitmask``."""
    vocab = logits.shape[1]
    bits = np.unpackbits(bitmask.view(np.uint8), axis=1, bitorder="little")
    allowed = bits[:, :vocab].astype(bool)
    if bits.shape[1] < vocab:
        allowed = np.pad(allowed, ((0, 0), (0, vocab - bits.shape[1])))
    logits[~allowed] = -np.inf


def apply_repetition_penalty(
    logits: np.ndarray, histories: Sequence[Sequence[int]], penalty: float
) -> None:
    """CTRL/transformers repetition penalty, in place: seen logits /p if > 0 else *p."""
    if penalty == 1.0:
        return
    for row, seen in enumerate(histories):
        if not seen:
            continue
        ids = np.unique(np.asarray(seen, dtype=np.int64))
        vals = logits[row, ids]
        logits[row, ids] = np.where(vals > 0, vals / penalty, vals * penalty)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64."""
    x = logits.astype(np.float64)
    x -= x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def pick_tokens(
    logits: np.ndarray, *, temperature: float, top_p: float, rng: np.random.Generator
) -> np.ndarray:
    """One token id per row: argmax when ``temperature`` is 0, else nucleus sampling."""
    if temperature <= 0:
        return logits.argmax(axis=1)
    picks = np.empty(logits.shape[0], dtype=np.int64)
    for row in range(logits.shape[0]):
        z = logits[row].astype(np.float64) / temperature
        z -= z.max()
        probs = np.exp(z)
        probs /= probs.sum()
        if top_p < 1.0:
            order = np.argsort(-probs)
            cum = np.cumsum(probs[order])
            keep = order[: int(np.searchsorted(cum, top_p)) + 1]
            kept = probs[keep] / probs[keep].sum()
            idx = int(np.searchsorted(np.cumsum(kept), rng.random()))
            picks[row] = keep[min(idx, len(keep) - 1)]
        else:
            picks[row] = min(int(np.searchsorted(np.cumsum(probs), rng.random())), len(z) - 1)
    return picks
