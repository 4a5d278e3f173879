"""Decoding any local model with a value network (or proxy-tuning) added to its logits.

:class:`ValueLogitsProcessor` adds a trained value network's next-token logits to the
decoding model's at every step, ``scores + weight * value(x)``; it is a *row processor*
(:mod:`steergraph.llm.engines.sampling`): both local engines (transformers and llama.cpp)
hand it each row's ids without padding, so a value network trained on one base plugs into
another served either way (``LocalChatModel.invoke(..., logits_processors=[proc])``).
The value network runs incrementally: each row's key/value cache is kept under the ids it
covers, so a step costs one token of the value network, not the whole sequence. A value
network over another vocabulary takes ``alignment=`` (a
:class:`~steergraph.agents.value_transfer.alignment.TokenAlignment`, residual only): each
row's text is read with the value network's tokenizer and its logits projected onto the
decoding model's vocabulary; a re-read whose last tokens changed reuses the cache of the
prefix it shares with the previous reading.

``connection="cascade"`` also feeds the value network the decoding model's next-token
distribution at each position (embedded through its token embeddings, as in training):
the step's own scores give the last position's; the prompt's positions need the base as
a transformers model (``base=``) once per prompt.

:class:`ProxyTuningProcessor` is the logit-arithmetic baseline (Liu et al., 2024,
"Tuning Language Models by Proxy"): ``scores + weight * (tuned(x) - untuned(x))`` with a
small tuned model and its untuned original.

Example (a tiny random value network on a tiny model; zero weight changes nothing):
    >>> import torch
    >>> from steergraph.testing import tiny_causal_lm
    >>> value, _ = tiny_causal_lm(seed=1)
    >>> proc = ValueLogitsProcessor(value, weight=0.0)
    >>> scores = torch.randn(2, value.config.vocab_size)
    >>> bool(torch.equal(proc.rows_call([[5, 6, 7], [8, 9]], scores.clone()), scores))
    True
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch

from steergraph.errors import CapabilityError, InputError

__all__ = ["ProxyTuningProcessor", "RowLogits", "ValueLogitsProcessor", "value_logits"]


def value_logits(
    value: Any, ids: torch.Tensor, mask: torch.Tensor | None, base_logits: torch.Tensor,
    connection: str,
) -> torch.Tensor:  # fmt: skip
    """The value network's logits for a batch (``cascade``: with the base's distribution
    at each position added to the token embeddings)."""
    if connection == "residual":
        return value(input_ids=ids, attention_mask=mask, use_cache=False).logits
    emb = value.get_input_embeddings()
    return value(
        inputs_embeds=_cascade_embeds(emb, ids, base_logits), attention_mask=mask, use_cache=False
    ).logits


def _cascade_embeds(emb: Any, ids: torch.Tensor, base_logits: torch.Tensor) -> torch.Tensor:
    probs = torch.softmax(base_logits.float(), dim=-1).to(emb.weight.dtype)
    return emb(ids) + probs[..., : emb.weight.shape[0]] @ emb.weight


class RowLogits:
    """A causal LM's last-position logits for one row at a time, with its key/value cache
    kept under the ids it covers (a row that grows by one token costs one token)."""

    def __init__(self, model: Any, *, max_rows: int = 64) -> None:
        self.model = model.eval()
        self.max_rows = max_rows
        self._cache: dict[tuple[int, ...], Any] = {}

    def cached(self, seq: Sequence[int]) -> bool:
        """Whether ``seq`` minus its last token is cached (the next call costs one token)."""
        return tuple(seq[:-1]) in self._cache

    @torch.inference_mode()
    def last(self, seq: Sequence[int], embeds: torch.Tensor | None = None) -> torch.Tensor:
        """Logits after ``seq``; ``embeds`` (new positions x d) replaces the token
        embeddings of the positions not cached yet (the last one, or all when uncached)."""
        key = tuple(seq)
        past = self._cache.pop(key[:-1], None)
        start = len(seq) - 1 if past is not None else 0
        if past is None and embeds is None:
            past, start = self._shared_prefix(key)
        kwargs: dict[str, Any] = {"past_key_values": past, "use_cache": True}
        if embeds is not None:
            kwargs["inputs_embeds"] = embeds.unsqueeze(0)
        else:
            kwargs["input_ids"] = torch.tensor([list(seq[start:])])
        out = self.model(**kwargs)
        if len(self._cache) >= self.max_rows:  # finished rows leave stale entries
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = out.past_key_values
        return out.logits[0, -1].float()

    def _shared_prefix(self, key: tuple[int, ...]) -> tuple[Any, int]:
        """A copy of the cache of the entry sharing the longest prefix with ``key``, cut to
        that prefix, and its length ((None, 0) when none shares one): a row re-read by
        another tokenizer changes its last tokens, not its beginning, and ``n`` samples of
        one prompt share the prompt."""
        best, length = None, 0
        for cached in self._cache:
            n = 0
            for a, b in zip(cached, key[:-1]):
                if a != b:
                    break
                n += 1
            if n > length:
                best, length = cached, n
        if best is None or not hasattr(self._cache[best], "crop"):
            return None, 0
        past = copy.deepcopy(self._cache[best])  # the other row may still go on from it
        surplus = past.get_seq_length() - length
        try:
            if surplus > 0:
                past.crop(-surplus)  # transformers 5: a negative count removes that many
        except (RuntimeError, ValueError):  # e.g. a full sliding window: recompute instead
            return None, 0
        return past, length


class ValueLogitsProcessor:
    """``scores + weight * value(x)`` per row; see the module docstring."""

    row_processor = True

    def __init__(
        self, value: Any, *, connection: str = "residual", weight: float = 1.0,
        base: Any = None, alignment: Any = None,
    ) -> None:  # fmt: skip
        if connection not in ("residual", "cascade"):
            raise InputError(f"unknown connection {connection!r}", fix="use residual or cascade")
        if alignment is not None and connection == "cascade":
            raise CapabilityError(
                "the cascade connection reads the base's distribution, in the base's vocabulary",
                fix="use a residual value network across vocabularies",
            )
        self.rows = RowLogits(value)
        self.value, self.connection, self.weight = value, connection, weight
        self.base, self.alignment = base, alignment

    def _cascade_embeds(self, seq: Sequence[int], scores_row: torch.Tensor) -> torch.Tensor:
        """Embeddings of the positions the value network has not seen yet."""
        emb = self.value.get_input_embeddings()
        if self.rows.cached(seq):  # one new position: its base logits are the step's scores
            return _cascade_embeds(emb, torch.tensor([seq[-1]]), scores_row.unsqueeze(0))
        if self.base is None:
            raise CapabilityError(
                "the cascade connection needs the base's distribution over the prompt",
                fix="pass base=<the decoding model as a transformers model> or use residual",
            )
        with torch.inference_mode():
            base_logits = self.base(input_ids=torch.tensor([list(seq)]), use_cache=False).logits[0]
        base_logits[-1] = scores_row
        return _cascade_embeds(emb, torch.tensor(list(seq)), base_logits)

    def rows_call(self, seqs: Sequence[Sequence[int]], scores: torch.Tensor) -> torch.Tensor:
        """Add the weighted value logits to each row's scores."""
        if self.weight == 0.0:
            return scores
        out = scores.clone()
        for i, seq in enumerate(seqs):
            if self.alignment is not None:  # the value network reads the text its own way
                seq = self.alignment.translate(seq)
            with torch.inference_mode():
                embeds = (
                    self._cascade_embeds(seq, scores[i].float())
                    if self.connection == "cascade" else None
                )  # fmt: skip
                v = self.rows.last(seq, embeds)
            if self.alignment is not None:
                v = self.alignment.project(v)
            elif v.shape[-1] != out.shape[-1]:
                raise InputError(
                    f"the value network scores {v.shape[-1]} tokens, the decoding model "
                    f"{out.shape[-1]}: another vocabulary",
                    fix="build a token alignment between the two tokenizers and pass it as "
                    "alignment=",
                )
            n = min(v.shape[-1], out.shape[-1])  # models pad their logits past the tokenizer
            out[i, :n] += self.weight * v[:n].to(out.device, out.dtype)
        return out


class ProxyTuningProcessor:
    """``scores + weight * (tuned(x) - untuned(x))`` per row; a pair over another
    vocabulary reads each row with its own tokenizer and is projected through
    ``alignment``."""

    row_processor = True

    def __init__(
        self, tuned: Any, untuned: Any, *, weight: float = 1.0, alignment: Any = None
    ) -> None:
        self.tuned, self.untuned, self.weight = RowLogits(tuned), RowLogits(untuned), weight
        self.alignment = alignment

    def rows_call(self, seqs: Sequence[Sequence[int]], scores: torch.Tensor) -> torch.Tensor:
        """Add the weighted tuned-minus-untuned logits to each row's scores."""
        out = scores.clone()
        for i, seq in enumerate(seqs):
            if self.alignment is not None:
                seq = self.alignment.translate(seq)
            with torch.inference_mode():
                delta = self.tuned.last(seq) - self.untuned.last(seq)
            if self.alignment is not None:
                delta = self.alignment.project(delta)
            n = min(delta.shape[-1], out.shape[-1])
            out[i, :n] += self.weight * delta[:n].to(out.device, out.dtype)
        return out
