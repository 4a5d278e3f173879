"""What every generation engine behind :class:`~steergraph.llm.local.LocalChatModel` offers.

Two engines implement :class:`Engine`: :class:`~steergraph.llm.engines.hf.HFEngine`
(transformers; trainable weights) and :class:`~steergraph.llm.engines.llamacpp.LlamaCppEngine`
(llama.cpp over a GGUF file; several times faster decoding on CPU). Both share the
result types here, the HF tokenizer that renders chat templates and drives the
grammar matchers, and the stop-string rule, so a graph sees the same behaviour
whichever engine runs it.

Example:
    >>> cut_at_stop("answer: 42\\nQ:", ["\\nQ:"])
    ('answer: 42', True)
    >>> TokenLogprobs([1, 2], ["a", "b"], [-1.0, -3.0]).mean
    -2.0
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Engine", "Generation", "TokenLogprobs", "cut_at_stop", "eos_token_ids"]


@dataclass
class Generation:
    """What one prompt produced: ``n`` texts with their token counts."""

    texts: list[str]
    output_tokens: list[int]
    prompt_tokens: int
    finish_reasons: list[str] = field(default_factory=list)
    stop_hits: list[bool] = field(default_factory=list)  # ended on a stop string


@dataclass
class TokenLogprobs:
    """Log-probabilities of each response token under a prompt."""

    token_ids: list[int]
    tokens: list[str]
    logprobs: list[float]

    @property
    def total(self) -> float:
        """Sum of the token log-probs (log p(response | prompt))."""
        return float(sum(self.logprobs))

    @property
    def mean(self) -> float:
        """Mean token log-prob (0.0 for an empty response)."""
        return self.total / len(self.logprobs) if self.logprobs else 0.0


@runtime_checkable
class Engine(Protocol):
    """Generation, streaming and scoring over one model; thread-safe via ``lock``."""

    name: str
    tokenizer: Any
    constraints: Any
    lock: threading.RLock

    @property
    def model(self) -> Any:
        """The transformers model (loaded on demand by engines that do not decode with it)."""
        ...

    def generate(self, prompts: list[str], **params: Any) -> list[Generation]:
        """``n`` continuations of each prompt (see :meth:`HFEngine.generate`)."""
        ...

    def stream(self, prompt: str, **params: Any) -> Iterator[str]:
        """Text pieces of one continuation as they are decoded."""
        ...

    def score(self, prompt: str, responses: list[str]) -> list[TokenLogprobs]:
        """Per-token log-probs of each response after ``prompt``."""
        ...


def cut_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """Cut ``text`` before the first stop string; say whether one was found."""
    if not stop:
        return text, False
    cuts = [text.find(s) for s in stop if s and s in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


_END_OF_TURN = ("<|im_end|>", "<end_of_turn>", "<|eot_id|>")


def eos_token_ids(tokenizer: Any, generation_eos: int | list[int] | None = None) -> list[int]:
    """Token ids that end a reply: EOS, the generation config's, and end-of-turn markers."""
    ids = {tokenizer.eos_token_id}
    if isinstance(generation_eos, int):
        ids.add(generation_eos)
    elif isinstance(generation_eos, list):
        ids.update(generation_eos)
    for special in _END_OF_TURN:
        tid = tokenizer.convert_tokens_to_ids(special)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
            ids.add(tid)
    return sorted(i for i in ids if i is not None)
