"""Reward-model scoring: a causal LM as a one-label sequence classifier, and the scorer.

:func:`sequence_classifier` turns a causal LM into ``AutoModelForSequenceClassification``
with ``num_labels=1`` (the LM's body plus a fresh linear ``score`` head);
:class:`RewardModelScorer` scores ``(prompt, response)`` pairs with it, encoded exactly
as TRL 1.16's ``RewardTrainer`` encodes a pair in training: a conversational pair as
``apply_chat_template(prompt + chosen)`` (no generation prompt), a plain-text pair as
``prompt + chosen + eos``; the model reads the reward at the last non-padding token.
Training lives in :mod:`steergraph.training.reward_model`; scoring is here, below it,
so verifiers can use a trained reward model without importing the trainers.

Example:
    >>> from steergraph.testing import tiny_causal_lm
    >>> scorer = RewardModelScorer.from_causal_lm(*tiny_causal_lm())
    >>> scores = scorer.score("2+2?", ["4", "5"])
    >>> len(scores), all(isinstance(s, float) for s in scores)
    (2, True)
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steergraph.errors import InputError
from steergraph.llm.engines.hf_weights import quiet_weights

__all__ = ["RewardModelScorer", "sequence_classifier"]

Message = dict[str, str]


def _load_classifier(folder: str | Path) -> Any:
    import torch
    from transformers import AutoModelForSequenceClassification

    dtype = torch.float32 if not torch.cuda.is_available() else None
    with quiet_weights(errors_only=True):  # the report lists lm_head (dropped), score (new)
        return AutoModelForSequenceClassification.from_pretrained(
            str(folder), num_labels=1, dtype=dtype, local_files_only=True
        )


def sequence_classifier(base: Any) -> tuple[Any, Any]:
    """(reward model with ``num_labels=1``, tokenizer) from a causal LM.

    ``base``: an embedded model name, a model folder, a ``(model, tokenizer)`` pair or
    a :class:`~steergraph.llm.local.LocalChatModel`. A pair whose model already is a
    one-label classifier is returned as is (to keep training a reward model). The
    tokenizer gets a pad token (its EOS) if it has none, and the model its id.
    """
    from transformers import AutoTokenizer

    if isinstance(base, (str, Path)):
        from steergraph.llm.embedded import model_folder

        folder = model_folder(base)
        if not (Path(folder) / "config.json").is_file():
            raise InputError(
                f"'{base}' is neither an embedded model nor a model folder",
                fix="pass an embedded name, a folder with config.json, or (model, tokenizer)",
            )
        tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = _load_classifier(folder)
    else:
        if isinstance(base, (tuple, list)) and len(base) == 2:
            causal, tok = base
        elif hasattr(base, "hf_model") and hasattr(base, "tokenizer"):
            causal, tok = base.hf_model, base.tokenizer
        else:
            raise InputError(
                f"cannot build a reward model from a {type(base).__name__}",
                fix="pass an embedded name, a model folder, or (model, tokenizer)",
            )
        is_classifier = type(causal).__name__.endswith("ForSequenceClassification")
        if is_classifier and getattr(causal.config, "num_labels", None) == 1:
            model = causal
        else:
            with tempfile.TemporaryDirectory(prefix="steergraph-rm-") as tmp:
                causal.save_pretrained(tmp)
                model = _load_classifier(tmp)
            model.config._name_or_path = getattr(causal.config, "_name_or_path", "") or "reward"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.config.pad_token_id = tok.pad_token_id
    model.eval()
    return model, tok


class RewardModelScorer:
    """Scores responses to a prompt with a trained reward model (higher is better).

    Encodes ``prompt`` + response as :class:`~trl.RewardTrainer` did in training: a
    chat (user prompt, assistant response) through the tokenizer's chat template, or
    ``prompt + response + eos`` for a tokenizer without one. ``batch_size`` sequences
    go through the model at once; no gradients are kept.
    """

    def __init__(self, model: Any, tokenizer: Any, *, batch_size: int = 8) -> None:
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = max(1, batch_size)

    @classmethod
    def from_pretrained(cls, folder: str | Path, **kwargs: Any) -> RewardModelScorer:
        """Load a reward model folder written by :func:`train_reward_model`."""
        model, tok = sequence_classifier(folder)
        return cls(model, tok, **kwargs)

    @classmethod
    def from_causal_lm(cls, model: Any, tokenizer: Any, **kwargs: Any) -> RewardModelScorer:
        """An untrained scorer over a causal LM (random head): for tests and plumbing."""
        return cls(*sequence_classifier((model, tokenizer)), **kwargs)

    def _encode(self, prompt: str | list[Message], response: str) -> list[int]:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            chat = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
            chat = [*chat, {"role": "assistant", "content": response}]
            return list(tok.apply_chat_template(chat, tokenize=True, return_dict=True)["input_ids"])
        if not isinstance(prompt, str):
            raise InputError(
                "chat prompts need a tokenizer with a chat template",
                fix="pass the prompt as text",
            )
        text = prompt + response
        if tok.eos_token and not text.endswith(tok.eos_token):
            text += tok.eos_token
        return list(tok(text=text)["input_ids"])

    def score(self, prompt: str | list[Message], responses: Sequence[str]) -> list[float]:
        """The reward of each response to ``prompt`` (text or chat messages)."""
        import torch

        if isinstance(responses, str):
            raise InputError("responses must be a list of texts", fix="wrap it: [response]")
        encoded = [self._encode(prompt, r) for r in responses]
        device = next(self.model.parameters()).device
        pad_id = int(self.tokenizer.pad_token_id)
        scores: list[float] = []
        for start in range(0, len(encoded), self.batch_size):
            batch = encoded[start : start + self.batch_size]
            width = max(len(ids) for ids in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, seq in enumerate(batch):
                ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                mask[row, : len(seq)] = 1
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            scores.extend(float(x) for x in logits[:, 0].float().cpu())
        return scores
