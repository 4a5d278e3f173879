"""A calibration set: fixed token batches on which a model's loss is measured.

Rows are TRL's formats: conversational or plain prompt/completion (the loss covers
the completion tokens only, as in SFT), ``messages`` (the last assistant turn is the
completion), or ``text`` (every token counts). The chat template of the tokenizer
renders conversations; sequences longer than ``max_length`` are cut from the right,
and rows left with no completion token are counted and dropped (all of them:
:class:`~steergraph.errors.InputError`). Rows are batched by length, so batches carry
little padding. :meth:`CalibrationSet.loss` is the mean token negative log-likelihood
over the whole set, so its value does not depend on how the rows are batched.

Example:
    >>> from steergraph.testing import tiny_causal_lm
    >>> model, tok = tiny_causal_lm()
    >>> rows = [{"prompt": [{"role": "user", "content": "2 + 3?"}],
    ...          "completion": [{"role": "assistant", "content": "5"}]}]
    >>> calib = CalibrationSet.from_rows(tok, rows, max_length=64)
    >>> calib.tokens > 0 and calib.loss(model) > 0
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from steergraph.errors import InputError

__all__ = ["CalibrationSet"]


def _render(tokenizer: Any, row: Mapping[str, Any]) -> tuple[list[int], int]:
    """(token ids, index where the scored part starts) of one row."""
    if "text" in row and "prompt" not in row:
        return list(tokenizer(row["text"], add_special_tokens=True)["input_ids"]), 0
    if "messages" in row:
        messages = list(row["messages"])
        if not messages or messages[-1].get("role") != "assistant":
            raise InputError("a messages row must end with an assistant turn", fix="add the reply")
        prompt, completion = messages[:-1], messages[-1:]
    elif "prompt" in row and "completion" in row:
        prompt, completion = row["prompt"], row["completion"]
    else:
        raise InputError(
            f"a calibration row needs prompt+completion, messages or text; got {sorted(row)}",
            fix="use TRL's dataset formats",
        )
    if isinstance(prompt, str):  # plain prompt/completion
        head = tokenizer(prompt, add_special_tokens=True)["input_ids"]
        tail = tokenizer(str(completion), add_special_tokens=False)["input_ids"]
        return list(head) + list(tail), len(head)
    if isinstance(completion, str):  # a conversation answered by plain text
        completion = [{"role": "assistant", "content": completion}]
    head = tokenizer.apply_chat_template(
        list(prompt), add_generation_prompt=True, return_dict=False
    )
    full = tokenizer.apply_chat_template(list(prompt) + list(completion), return_dict=False)
    return list(full), len(head)


@dataclass
class CalibrationSet:
    """Padded batches (``input_ids``, ``attention_mask``, ``labels`` with -100 where
    not scored) and how many tokens they score."""

    batches: list[dict[str, Any]]
    tokens: int
    rows: int
    dropped: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        tokenizer: Any,
        rows: Sequence[Mapping[str, Any]],
        *,
        max_length: int = 256,
        batch_size: int = 8,
    ) -> CalibrationSet:
        import torch

        if not rows:
            raise InputError("the calibration set is empty", fix="give it at least one row")
        if max_length < 2 or batch_size < 1:
            raise InputError(
                f"max_length={max_length}, batch_size={batch_size}", fix="use max_length >= 2"
            )
        pad = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        )
        encoded, dropped = [], 0
        for row in rows:
            ids, start = _render(tokenizer, row)
            ids = ids[:max_length]
            if start >= len(ids) or (start == 0 and len(ids) < 2):
                dropped += 1
                continue
            labels = [-100] * max(start, 1) + ids[max(start, 1) :]
            encoded.append((ids, labels))
        if not encoded:
            raise InputError(
                f"no calibration row has a completion token within max_length={max_length}",
                fix="raise max_length or shorten the prompts",
            )
        batches, tokens = [], 0
        encoded.sort(key=lambda pair: len(pair[0]))  # batch similar lengths: little padding
        for i in range(0, len(encoded), batch_size):
            chunk = encoded[i : i + batch_size]
            width = max(len(ids) for ids, _ in chunk)
            input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            labels = torch.full((len(chunk), width), -100, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for j, (ids, lab) in enumerate(chunk):
                input_ids[j, : len(ids)] = torch.tensor(ids)
                labels[j, : len(lab)] = torch.tensor(lab)
                mask[j, : len(ids)] = 1
            batches.append({"input_ids": input_ids, "attention_mask": mask, "labels": labels})
            tokens += int((labels[:, 1:] != -100).sum())
        return cls(batches, tokens, len(encoded), dropped, {"max_length": max_length})

    def batch_nll(self, model: Any, batch: Mapping[str, Any]) -> Any:
        """Summed next-token negative log-likelihood of the scored tokens of one batch."""
        import torch

        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        shift = logits[:, :-1].float()
        target = batch["labels"][:, 1:]
        return torch.nn.functional.cross_entropy(
            shift.reshape(-1, shift.shape[-1]),
            target.reshape(-1),
            ignore_index=-100,
            reduction="sum",
        )

    def loss(self, model: Any) -> float:
        """Mean token negative log-likelihood of ``model`` over the set (no gradient)."""
        import torch

        with torch.no_grad():
            total = sum(float(self.batch_nll(model, b)) for b in self.batches)
        return total / self.tokens
