"""Measuring value-network transfer: completion NLL, arithmetic accuracy, gain recovered.

* :func:`completion_nll` -- mean negative log-likelihood per completion token of
  held-out demonstrations under the target alone, the target plus a value network
  (residual or cascade), or the target plus proxy-tuning's ``tuned - untuned`` logits;
* :func:`gain_recovered` -- the share of the fine-tuning gain a transfer recovers,
  ``(transfer - alone) / (fine-tuned - alone)`` (for a loss, both differences negative).

Example:
    >>> gain_recovered(alone=2.0, transfer=1.5, fine_tuned=1.0)
    0.5
    >>> gain_recovered(alone=0.2, transfer=0.3, fine_tuned=0.2) is None  # no gain to share
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from steergraph.llm.prompting import render_prompt

__all__ = [
    "aligned_value_logits",
    "alignment_coverage",
    "completion_ids",
    "completion_nll",
    "gain_recovered",
    "prompt_text",
]


def completion_ids(tok: Any, row: dict[str, Any], max_length: int = 512) -> tuple[list[int], int]:
    """(token ids of prompt + completion, index of the first completion token)."""

    def encode(text: str) -> list[int]:
        return list(tok(text, add_special_tokens=False)["input_ids"])

    prompt = encode(prompt_text(tok, row["prompt"]))
    if getattr(tok, "chat_template", None):
        full = tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
    else:  # a base model: the plain transcript, the reply, end of text
        full = render_prompt(tok, row["prompt"] + row["completion"]) + (tok.eos_token or "")
    return encode(full)[:max_length], min(len(prompt), max_length)


def prompt_text(tok: Any, messages: list[dict[str, Any]]) -> str:
    """The conversation rendered up to where the reply starts (a plain transcript for a
    tokenizer without a chat template)."""
    return render_prompt(tok, [dict(m) for m in messages])


@torch.inference_mode()
def completion_nll(
    base: Any,
    tok: Any,
    rows: Sequence[dict[str, Any]],
    *,
    value: Any = None,
    connection: str = "residual",
    proxy: tuple[Any, Any] | None = None,
    max_length: int = 512,
    alignment: Any = None,
) -> float:
    """Mean NLL per completion token over ``rows`` (see the module docstring). Small
    models (the value network, or the proxy pair) over another vocabulary need the
    :class:`TokenAlignment` from theirs to ``tok``'s (a value network: residual only)."""
    from steergraph.agents.value_transfer.decoding import value_logits

    total, count = 0.0, 0
    for row in rows:
        ids, start = completion_ids(tok, row, max_length)
        if start >= len(ids):
            continue
        batch = torch.tensor([ids])
        logits = base(input_ids=batch, use_cache=False).logits.float()
        if value is not None and alignment is not None:
            _add(logits[0, start - 1 : -1], aligned_value_logits(value, alignment, row, ids, start))
        elif value is not None:
            logits = logits + value_logits(value, batch, None, logits, connection).float()
        if proxy is not None and alignment is not None:
            tuned, untuned = (aligned_value_logits(m, alignment, row, ids, start) for m in proxy)
            _add(logits[0, start - 1 : -1], tuned - untuned)
        elif proxy is not None:
            tuned, untuned = (m(input_ids=batch, use_cache=False).logits.float() for m in proxy)
            logits = logits + tuned - untuned
        logp = torch.log_softmax(logits[0, start - 1 : -1], dim=-1)
        targets = batch[0, start:]
        total += float(-logp.gather(1, targets.unsqueeze(1)).sum())
        count += len(targets)
    return total / count if count else float("nan")


def _add(logits: torch.Tensor, extra: torch.Tensor) -> None:
    """``logits += extra`` over the columns both have (a model's logits may be padded
    past its tokenizer's vocabulary, which is what an alignment projects onto)."""
    n = min(logits.shape[-1], extra.shape[-1])
    logits[..., :n] += extra[..., :n].to(logits.dtype)


def aligned_value_logits(
    value: Any, alignment: Any, row: dict[str, Any], ids: Sequence[int], start: int
) -> torch.Tensor:
    """A source-vocabulary model's logits (a value network, or one of proxy-tuning's pair)
    for each completion position of a target-tokenised row (``[len(ids) - start, V_target]``).

    The value network reads the conversation in its own tokenizer's chat template; the
    prediction of the target token that starts at character ``c`` of the reply comes from
    the value network's position after the last source token ending at or before ``c``,
    projected through the alignment.
    """
    src, tgt = alignment.source_tok, alignment.target_tok
    reply = str(row["completion"][-1]["content"])
    head = list(src(prompt_text(src, row["prompt"]), add_special_tokens=False)["input_ids"])
    read = src(reply, add_special_tokens=False, return_offsets_mapping=True)
    ends = [end for _, end in read["offset_mapping"]]
    source_ids = head + list(read["input_ids"])
    with torch.inference_mode():
        logits = value(input_ids=torch.tensor([source_ids]), use_cache=False).logits[0].float()
    positions = []
    for k in range(len(ids) - start):
        char = len(tgt.decode(list(ids[start : start + k]))) if k else 0
        positions.append(len(head) + sum(e <= char for e in ends) - 1)
    return alignment.project(logits[torch.tensor(positions)])


def alignment_coverage(
    alignment: Any, rows: Sequence[dict[str, Any]], max_length: int, *, corpus: bool = True
) -> float:
    """Share of the target's completion tokens over ``rows`` that the alignment maps
    exactly or by its corpus (``corpus=False``: exactly, the tokens the value network
    scores as themselves)."""
    seen: list[int] = []
    for row in rows:
        ids, start = completion_ids(alignment.target_tok, row, max_length)
        seen += ids[start:]
    return alignment.coverage(seen, corpus=corpus)


def gain_recovered(*, alone: float, transfer: float, fine_tuned: float) -> float | None:
    """Share of the fine-tuning gain recovered by a transfer (None when there is none)."""
    gain = fine_tuned - alone
    if gain == 0:
        return None
    return round((transfer - alone) / gain, 4)
