"""A chat model that decodes through a trained value network: :func:`with_value_network`.

The returned model is the same local chat model (same engine and weights, shared) with the
value network's :class:`~steergraph.agents.value_transfer.decoding.ValueLogitsProcessor`
applied to every generation: ``invoke``, streaming, ``n`` samples, batched replies, tools
and structured output under a grammar (the grammar masks after the value logits are
added), on either engine. A value network trained over another vocabulary is aligned to
the model's tokenizer (:func:`~steergraph.agents.value_transfer.alignment.alignment_for`,
residual networks only); a cascade network reads the model's own transformers weights as
its base. ``score`` (teacher-forced log-probs) stays the plain model's.

Example (a tiny model and a value network made from it):
    >>> import tempfile
    >>> from steergraph.llm.local import LocalChatModel
    >>> from steergraph.testing import tiny_causal_lm
    >>> from steergraph.training.value_transfer_trainer import value_network_from
    >>> base, tok = tiny_causal_lm(seed=0)
    >>> folder = save_untrained_value(value_network_from(base, layers=1), tok, tempfile.mkdtemp())
    >>> llm = with_value_network(LocalChatModel.from_model(base, tok), folder)
    >>> len(llm.logits_processors), type(llm).__name__
    (1, 'LocalChatModel')
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from steergraph.agents.value_transfer.decoding import ValueLogitsProcessor
from steergraph.agents.value_transfer.network import META_FILE, load_value_network
from steergraph.errors import CapabilityError

__all__ = ["save_untrained_value", "value_alignment", "with_value_network"]


def with_value_network(llm: Any, folder: str | Path, *, weight: float = 1.0) -> Any:
    """``llm`` (a local chat model) decoding through the value network saved in ``folder``,
    its logits added with ``weight``; ``llm`` itself is left as it was."""
    from steergraph.llm.local import LocalChatModel

    if not isinstance(llm, LocalChatModel):
        raise CapabilityError(
            f"{type(llm).__name__} gives no next-token logits to add a value network to",
            fix="use a local model (load_chat_model('local:...')); an API model cannot",
        )
    value, meta = load_value_network(folder)
    alignment = value_alignment(folder, meta, llm.tokenizer)
    base = None
    if meta["connection"] == "cascade":  # a float copy: the shared model stays as it is
        base = copy.deepcopy(llm.hf_model).float().eval()
    proc = ValueLogitsProcessor(value.float(), connection=meta["connection"], weight=weight,
                                base=base, alignment=alignment)  # fmt: skip
    return llm.model_copy(update={"logits_processors": [*llm.logits_processors, proc]})


def value_alignment(folder: str | Path, meta: dict[str, Any], tokenizer: Any) -> Any:
    """The token alignment from the value network in ``folder`` to ``tokenizer`` (None:
    one vocabulary); a cascade network across vocabularies is refused."""
    from transformers import AutoTokenizer

    from steergraph.agents.value_transfer.alignment import alignment_for

    if meta["connection"] != "residual":  # refused before any alignment is built
        if AutoTokenizer.from_pretrained(str(folder)).get_vocab() != tokenizer.get_vocab():
            raise CapabilityError(
                "a cascade value network cannot run on a model with another vocabulary",
                fix="train a residual one (--connection residual) for cross-vocabulary targets",
            )
        return None
    return alignment_for(folder, tokenizer)


def save_untrained_value(value: Any, tokenizer: Any, folder: str | Path) -> Path:
    """Save a value network as ``train_value_network`` would, without training (tests,
    examples, and value networks trained elsewhere)."""
    out = Path(folder)
    value.save_pretrained(out)
    tokenizer.save_pretrained(out)
    meta = {"base": "untrained", "connection": "residual", "layers": None, "norm_weight": 0.0,
            "vocab_size": int(value.get_output_embeddings().weight.shape[0])}  # fmt: skip
    (out / META_FILE).write_text(json.dumps(meta, indent=1))
    return out
