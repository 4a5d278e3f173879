"""Token alignment between two vocabularies: a value network trained on one model's
tokenizer, added to the logits of a model with another.

The inverse-value-learning release leaves its cross-vocabulary class out, and no library
maps next-token logits between tokenizers, so this is written here. Every token of both
vocabularies is turned into the bytes it stands for (byte-level BPE through GPT-2's
byte-to-unicode table as transformers ships it, SentencePiece with ``▁`` as a space and
``<0xNN>`` as one byte; added and special tokens by their text). A target token maps to

* the source token with the same bytes (**exact**), else
* the first token of the source tokenizer's reading of its text (**prefix**: the value
  network's opinion of the piece the target token starts with), else
* nothing (its value logit is 0).

:meth:`TokenAlignment.from_corpus` (what :func:`alignment_for` builds and saves beside a
value network) first maps every target token seen in a corpus to the source token the two
tokenizers' readings of that corpus align it with most often
(:mod:`.corpus_alignment`); the rules above map the rest. ``how`` records which rule
mapped each token; :meth:`TokenAlignment.coverage` counts the exact ones (and with
``corpus=True`` the corpus ones too).

:meth:`TokenAlignment.project` moves one row of source-vocabulary logits onto the target
vocabulary; :meth:`TokenAlignment.translate` reads a target-token sequence with the source
tokenizer (what the value network sees while the target decodes);
:meth:`TokenAlignment.coverage` is the share of given target tokens that map exactly.

Example (byte-level BPEs of 384 and 512 merges: every token of the smaller is in the
larger; the larger's extra merges map to their first piece):
    >>> from steergraph.testing import tiny_tokenizer
    >>> small, large = tiny_tokenizer(384), tiny_tokenizer(512)
    >>> TokenAlignment.build(large, small).coverage(), TokenAlignment.build(small, large).coverage()
    (1.0, 0.9275)
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from steergraph.errors import InputError

__all__ = ["HOW", "TokenAlignment", "alignment_for", "token_bytes", "vocab_fingerprint"]

#: how a target token was mapped (``TokenAlignment.how``)
HOW = {"none": 0, "exact": 1, "corpus": 2, "prefix": 3}


def _byte_decoder() -> dict[str, int]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {c: b for b, c in bytes_to_unicode().items()}


def _is_byte_level(vocab: dict[str, int]) -> bool:
    """Byte-level BPE vocabularies write a leading space as ``Ġ``, SentencePiece as ``▁``."""
    sample = list(vocab)[:20000]
    return sum(t.startswith("Ġ") for t in sample) > sum(t.startswith("▁") for t in sample)


def token_bytes(tok: Any) -> list[bytes | None]:
    """The bytes each token id of ``tok`` stands for (None for ids with no token)."""
    vocab = tok.get_vocab()
    special = set(tok.all_special_tokens) | set(getattr(tok, "added_tokens_encoder", {}))
    byte_level, decoder = _is_byte_level(vocab), _byte_decoder()
    out: list[bytes | None] = [None] * (max(vocab.values()) + 1)
    for text, i in vocab.items():
        if text in special:
            out[i] = text.encode()
        elif byte_level and all(c in decoder for c in text):
            out[i] = bytes(decoder[c] for c in text)
        elif len(text) == 6 and text.startswith("<0x") and text.endswith(">"):
            out[i] = bytes([int(text[3:5], 16)])
        else:
            out[i] = text.replace("▁", " ").encode()
    return out


def vocab_fingerprint(tok: Any) -> str:
    """A short hash of a tokenizer's vocabulary (which alignment file belongs to whom)."""
    items = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass
class TokenAlignment:
    """``source_ids[t]``: the source token target token ``t`` maps to (-1: none);
    ``exact[t]``: whether the two stand for the same bytes; ``how[t]``: the rule that
    mapped it (:data:`HOW`)."""

    source_ids: torch.Tensor
    exact: torch.Tensor
    source_tok: Any
    target_tok: Any
    how: torch.Tensor = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.how is None:
            self.how = torch.where(self.exact, HOW["exact"], HOW["prefix"]).to(torch.int8)
            self.how[self.source_ids < 0] = HOW["none"]

    @classmethod
    def build(cls, source_tok: Any, target_tok: Any) -> TokenAlignment:
        """Align ``target_tok``'s vocabulary to ``source_tok``'s (see the module docstring)."""
        return cls._by_bytes(
            source_tok, target_tok, token_bytes(source_tok), token_bytes(target_tok)
        )

    @classmethod
    def _by_bytes(
        cls, source_tok: Any, target_tok: Any, src: list[bytes | None], tgt: list[bytes | None]
    ) -> TokenAlignment:
        by_bytes: dict[bytes, int] = {}
        for i, b in enumerate(src):
            if b is not None:
                by_bytes.setdefault(b, i)
        ids = torch.full((len(tgt),), -1, dtype=torch.long)
        exact = torch.zeros(len(tgt), dtype=torch.bool)
        rest: dict[int, str] = {}
        for t, b in enumerate(tgt):
            if b is None:
                continue
            if b in by_bytes:
                ids[t], exact[t] = by_bytes[b], True
            elif text := b.decode("utf-8", errors="ignore"):
                rest[t] = text
        if rest:  # one batched call: a quarter of a million single calls take minutes
            read = source_tok(list(rest.values()), add_special_tokens=False)["input_ids"]
            for t, first in zip(rest, read):
                if first:
                    ids[t] = first[0]
        if not bool(exact.any()):
            raise InputError(
                "the two tokenizers share no token",
                fix="align models whose tokenizers cover the same script (byte-level BPE or "
                "SentencePiece over text)",
            )
        return cls(ids, exact, source_tok, target_tok)

    @classmethod
    def from_corpus(
        cls, source_tok: Any, target_tok: Any, texts: Iterable[str], *, min_count: int = 1
    ) -> TokenAlignment:
        """Map target tokens as two readings of ``texts`` align them (a token aligned at
        least ``min_count`` times with a source token of other bytes takes the most frequent
        one); byte-identical tokens stay exact, the rest follow :meth:`build`'s rules."""
        from steergraph.agents.value_transfer.corpus_alignment import cooccurrence_counts

        src, tgt = token_bytes(source_tok), token_bytes(target_tok)  # Gemma's: seconds
        out = cls._by_bytes(source_tok, target_tok, src, tgt)
        counts = cooccurrence_counts(source_tok, target_tok, texts, src, tgt)
        for t, partners in counts.items():
            if 0 <= t < len(out.exact) and not bool(out.exact[t]):
                source, n = partners.most_common(1)[0]
                if n >= min_count:
                    out.source_ids[t], out.how[t] = source, HOW["corpus"]
        return out

    def save(self, path: Path) -> Path:
        """Write the mapping as safetensors (no pickle), with both vocabularies' hashes;
        the file appears only when complete."""
        from safetensors.torch import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"source": vocab_fingerprint(self.source_tok),
                "target": vocab_fingerprint(self.target_tok)}  # fmt: skip
        partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.partial")
        save_file({"source_ids": self.source_ids.contiguous(), "how": self.how.contiguous()},
                  str(partial), metadata=meta)  # fmt: skip
        partial.replace(path)
        return path

    @classmethod
    def load(cls, path: Path, source_tok: Any, target_tok: Any) -> TokenAlignment:
        """Read :meth:`save`'s file; refuse one made for other tokenizers."""
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            meta = fh.metadata() or {}
            ids, how = fh.get_tensor("source_ids"), fh.get_tensor("how")
        wanted = {"source": vocab_fingerprint(source_tok), "target": vocab_fingerprint(target_tok)}
        if {k: meta.get(k) for k in wanted} != wanted:
            raise InputError(
                f"the token alignment {path} was built for other tokenizers",
                fix="delete it; alignment_for builds the right one again",
            )
        return cls(ids, how == HOW["exact"], source_tok, target_tok, how)

    def project(self, source_logits: torch.Tensor) -> torch.Tensor:
        """Source-vocabulary logits (``[..., V_source]``) on the target vocabulary
        (``[..., V_target]``); unmapped target tokens get 0."""
        mapped = self.source_ids.clamp_min(0)
        out = source_logits.index_select(-1, mapped)
        return out.masked_fill(self.source_ids < 0, 0.0)

    def translate(self, target_ids: Sequence[int]) -> list[int]:
        """The source tokenizer's reading of a target-token sequence's text."""
        text = self.target_tok.decode(list(target_ids))
        return list(self.source_tok(text, add_special_tokens=False)["input_ids"])

    def coverage(self, target_ids: Sequence[int] | None = None, *, corpus: bool = False) -> float:
        """Share of ``target_ids`` (default: the whole target vocabulary) that map exactly
        (``corpus=True``: exactly or by the corpus)."""
        kinds = (HOW["exact"], HOW["corpus"]) if corpus else (HOW["exact"],)
        mapped = torch.isin(self.how, torch.tensor(kinds, dtype=self.how.dtype))
        if target_ids is None:
            return round(float(mapped.float().mean()), 4)
        ids = [i for i in target_ids if 0 <= i < len(mapped)]
        return round(sum(bool(mapped[i]) for i in ids) / len(ids), 4) if ids else 0.0


def alignment_for(
    value_folder: Any, target_tok: Any, texts: Iterable[str] | None = None
) -> TokenAlignment | None:
    """The alignment from a saved value network's tokenizer (or any model folder's, or an
    embedded model's) to ``target_tok``, or None when the two tokenizers have one
    vocabulary (then none is needed).

    Built once from ``texts`` (default: the value-transfer training demonstrations) and
    saved under ``value_folder/alignments/`` (named by the target vocabulary and the
    texts); later calls with the same texts read the file."""
    from transformers import AutoTokenizer

    folder = Path(value_folder)
    if not folder.is_dir():  # an embedded model's name: its transformers folder
        from steergraph.llm.embedded import ensure_converted

        folder = ensure_converted(str(value_folder))
    source_tok = AutoTokenizer.from_pretrained(str(folder))
    if source_tok.get_vocab() == target_tok.get_vocab():
        return None
    if texts is None:
        from steergraph.data.value_transfer import alignment_texts

        texts = alignment_texts()
    texts = list(texts)
    corpus = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:12]
    path = folder / "alignments" / f"{vocab_fingerprint(target_tok)}-{corpus}.safetensors"
    if path.is_file():
        return TokenAlignment.load(path, source_tok, target_tok)
    alignment = TokenAlignment.from_corpus(source_tok, target_tok, texts)
    alignment.save(path)
    return alignment
