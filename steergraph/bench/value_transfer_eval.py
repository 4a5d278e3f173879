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

__all__ = ["completion_ids", "completion_nll", "gain_recovered"]


def completion_ids(tok: Any, row: dict[str, Any], max_length: int = 512) -> tuple[list[int], int]:
    """(token ids of prompt + completion, index of the first completion token)."""

    def encode(text: str) -> list[int]:
        return list(tok(text, add_special_tokens=False)["input_ids"])

    prompt = encode(tok.apply_chat_template(row["prompt"], add_generation_prompt=True,
                                            tokenize=False))  # fmt: skip
    full = encode(tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=False))
    return full[:max_length], min(len(prompt), max_length)


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
) -> float:
    """Mean NLL per completion token over ``rows`` (see the module docstring)."""
    from steergraph.agents.value_transfer.decoding import value_logits

    total, count = 0.0, 0
    for row in rows:
        ids, start = completion_ids(tok, row, max_length)
        if start >= len(ids):
            continue
        batch = torch.tensor([ids])
        logits = base(input_ids=batch, use_cache=False).logits.float()
        if value is not None:
            logits = logits + value_logits(value, batch, None, logits, connection).float()
        if proxy is not None:
            tuned, untuned = (m(input_ids=batch, use_cache=False).logits.float() for m in proxy)
            logits = logits + tuned - untuned
        logp = torch.log_softmax(logits[0, start - 1 : -1], dim=-1)
        targets = batch[0, start:]
        total += float(-logp.gather(1, targets.unsqueeze(1)).sum())
        count += len(targets)
    return total / count if count else float("nan")


def gain_recovered(*, alone: float, transfer: float, fine_tuned: float) -> float | None:
    """Share of the fine-tuning gain recovered by a transfer (None when there is none)."""
    gain = fine_tuned - alone
    if gain == 0:
        return None
    return round((transfer - alone) / gain, 4)
