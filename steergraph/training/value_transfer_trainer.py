"""Inverse value learning: a value network that models post-training as a change of logits.

Lu et al., 2024, "Transferable Post-training via Inverse Value Learning" (arXiv:2410.21027):
instead of fine-tuning a base model, train a separate small network whose logits are
**added** to the frozen base's logits, ``log p(y_t) = log softmax(base(x) + value(x))``,
on demonstrations; the trained value network then plugs into other base models at
decoding time (other sizes of the family, continued pre-training, other vocabularies
through a token alignment).

TRL has no trainer for this, so :class:`ValueTransferTrainer` subclasses TRL's
``SFTTrainer`` for everything but the loss (conversational prompt/completion datasets,
completion-only labels, ``max_length``, CPU-safe defaults): its ``compute_loss`` runs the
frozen base without gradients, adds the value network's logits and takes the
cross-entropy over completion tokens, plus ``norm_weight`` times the logit-norm penalty
(mean absolute value logit). The value network is a causal LM: by default the base cut
to its first ``value_layers`` layers with an output layer started at zero (so training
starts from the base itself); ``connection="cascade"`` also feeds it the base's
next-token distribution, embedded through its token embeddings.

Example (a tiny random model as base and value network):
    >>> import contextlib, io, tempfile
    >>> from steergraph.testing import tiny_causal_lm
    >>> base, tok = tiny_causal_lm(seed=0)
    >>> rows = [{"prompt": [{"role": "user", "content": "Say hi"}],
    ...          "completion": [{"role": "assistant", "content": "hi"}]}] * 4
    >>> with contextlib.redirect_stdout(io.StringIO()):  # the per-step log lines
    ...     result = train_value_network((base, tok), rows, output_dir=tempfile.mkdtemp(),
    ...                                  max_steps=2, disable_tqdm=True)
    >>> result.steps, sorted(load_value_network(result.output_dir)[1])[:3]
    (2, ['base', 'connection', 'layers'])
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from trl import SFTTrainer

from steergraph.agents.value_transfer.decoding import value_logits
from steergraph.agents.value_transfer.network import META_FILE, load_value_network
from steergraph.errors import InputError
from steergraph.training.value_transfer_config import ValueTransferConfig

__all__ = [
    "META_FILE",
    "ValueTransferTrainer",
    "combined_logits",
    "load_value_network",
    "train_value_network",
    "value_network_from",
]


def value_network_from(base: Any, layers: int = 2, *, zero_head: bool = True) -> Any:
    """A value network initialised from ``base``: its first ``layers`` layers, the same
    embeddings, an untied output layer (zero when ``zero_head``)."""
    value = copy.deepcopy(base)
    inner = value.get_decoder() if hasattr(value, "get_decoder") else value.model
    total = len(inner.layers)
    if not 1 <= layers <= total:
        raise InputError(f"value_layers={layers}", fix=f"use 1 to {total} (the base has {total})")
    inner.layers = inner.layers[:layers]
    value.config.num_hidden_layers = layers
    if getattr(value.config, "layer_types", None):
        value.config.layer_types = value.config.layer_types[:layers]
    head = value.get_output_embeddings()
    new_head = torch.nn.Linear(head.in_features, head.out_features, bias=False)
    new_head.weight.data.copy_(head.weight.data)
    if zero_head:
        new_head.weight.data.zero_()
    value.set_output_embeddings(new_head)
    value.config.tie_word_embeddings = False
    if hasattr(value, "_tied_weights_keys"):
        value._tied_weights_keys = []  # type: ignore[attr-defined]
    return value


def combined_logits(
    base: Any,
    value: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    connection: str = "residual",
) -> tuple[torch.Tensor, torch.Tensor]:
    """(base + value logits, value logits) for a batch; the base runs without gradients."""
    with torch.no_grad():
        base_logits = base(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        base_logits = base_logits.logits.float()
    v = value_logits(value, input_ids, attention_mask, base_logits, connection).float()
    if v.shape[-1] != base_logits.shape[-1]:
        raise InputError(
            f"the value network scores {v.shape[-1]} tokens, the base {base_logits.shape[-1]}",
            fix="train the value network on this base's vocabulary, or map it through a "
            "token alignment",
        )
    return base_logits + v, v


class ValueTransferTrainer(SFTTrainer):
    """TRL's SFT trainer training a value network on top of a frozen ``base_model``."""

    def __init__(self, *args: Any, base_model: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_model = base_model.eval().requires_grad_(False)

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
        num_items_in_batch: Any = None,
    ) -> Any:  # fmt: skip
        args: ValueTransferConfig = self.args  # type: ignore[assignment]
        labels = inputs["labels"][:, 1:]
        logits, value = combined_logits(
            self.base_model, model, inputs["input_ids"], inputs.get("attention_mask"),
            connection=args.connection,
        )  # fmt: skip
        logits, value = logits[:, :-1], value[:, :-1]
        keep = labels != -100
        n_tokens = keep.sum().clamp(min=1)
        nll = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100,
            reduction="sum",
        ) / n_tokens  # fmt: skip
        norm = value[keep].abs().mean() if keep.any() else value.sum() * 0.0
        loss = nll + args.norm_weight * norm
        mode = "train" if model.training else "eval"
        if hasattr(self, "_metrics"):
            self._metrics[mode]["value/nll"].append(float(nll.detach()))
            self._metrics[mode]["value/logit_norm"].append(float(norm.detach()))
        return (loss, {"logits": logits}) if return_outputs else loss


def train_value_network(
    base: Any,
    dataset: Sequence[dict[str, Any]] | Any,
    *,
    output_dir: str | Path,
    value_model: Any = None,
    base_name: str | None = None,
    **config: Any,
) -> Any:
    """Train a value network on ``base`` (a ``(model, tokenizer)`` pair, a folder or an
    embedded name) from prompt/completion demonstrations; save it with :data:`META_FILE`
    into ``output_dir`` and return the :class:`~steergraph.training.recipes.TrainResult`.
    ``value_model``: the network to train (default: the base cut to ``value_layers``)."""
    from steergraph.training.recipes import (
        as_dataset,
        cpu_safe_args,
        finish_training,
        model_and_tokenizer,
        quiet_loading,
        require_rows_left,
    )  # fmt: skip

    model, tok = model_and_tokenizer(base)
    data = as_dataset(dataset, [{"prompt", "completion"}, {"messages"}], "value-network")
    out = Path(output_dir)
    args = cpu_safe_args(ValueTransferConfig, out, **config)
    value = value_model or value_network_from(model, args.value_layers, zero_head=args.zero_head)
    model.eval()
    with quiet_loading(bool(args.disable_tqdm)):
        trainer = ValueTransferTrainer(
            model=value, args=args, train_dataset=data, processing_class=tok, base_model=model
        )
        require_rows_left(trainer, len(data))
        result = finish_training(trainer, value, tok, out)
    meta = {
        "base": base_name or str(base if isinstance(base, (str, Path)) else "given model"),
        "connection": args.connection,
        "layers": int(value.config.num_hidden_layers),
        "norm_weight": args.norm_weight,
        "vocab_size": int(value.get_output_embeddings().weight.shape[0]),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=1))
    return result
