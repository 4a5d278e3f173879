"""The policy of a training loop's current round, shared by the looping graphs.

Graphs that train their own policy round after round (``verify``, ``sso``) keep only
the policy's *folder* in state (checkpointable); :func:`round_policy` turns it into a
chat model, caching the current round's one (earlier rounds are dropped, so one trained
policy at a time stays in memory). :func:`trainee` copies a policy's transformers
weights for training, so the round's input policy (possibly the process-wide cached
base model, or served by llama.cpp) stays intact.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> round_policy(None, ScriptedChatModel()).__class__.__name__
    'ScriptedChatModel'
"""

from __future__ import annotations

import copy
from typing import Any

from langchain_core.language_models import BaseChatModel

from steergraph.errors import CapabilityError
from steergraph.llm.loading import load_chat_model

__all__ = ["require_trainable", "round_policy", "trainee"]

_POLICIES: dict[str, BaseChatModel] = {}


def round_policy(folder: str | None, base: str | BaseChatModel) -> BaseChatModel:
    """The chat model of a trained ``folder``, or ``base`` (a spec or model) before training."""
    if not folder:
        return load_chat_model(base)
    if folder not in _POLICIES:
        from steergraph.llm.local import LocalChatModel

        _POLICIES.clear()  # only the current round's policy stays in memory
        _POLICIES[folder] = LocalChatModel.from_pretrained(folder)
    return _POLICIES[folder]


def require_trainable(llm: Any) -> None:
    """Raise :class:`CapabilityError` unless ``llm`` is a local model whose weights we have."""
    from steergraph.llm.local import LocalChatModel

    if not isinstance(llm, LocalChatModel):
        raise CapabilityError(
            f"training the policy needs a local model, not {type(llm).__name__}",
            fix="use a 'local...' model spec, or a mode that only writes the data",
        )


def trainee(llm: Any) -> tuple[Any, Any]:
    """A copy of a local policy's transformers weights and its tokenizer, to train."""
    require_trainable(llm)
    return copy.deepcopy(llm.hf_model), llm.tokenizer
