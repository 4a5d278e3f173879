"""Model access: specs -> chat models, the local transformers chat model, embedded
models, constrained decoding, embeddings and vector search.

The exports load lazily: ``import steergraph.llm`` does not import torch; the first
use of ``LocalChatModel`` (or of a model) does.

Example:
    >>> from steergraph.llm import load_chat_model, parse_spec
    >>> parse_spec("local:gemma3")
    ('local', 'gemma3')
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.llm.embedded import DEFAULT_MODEL, EMBEDDED_MODELS, ensure_converted
    from steergraph.llm.embeddings import MiniLMEmbeddings
    from steergraph.llm.engines.base import TokenLogprobs
    from steergraph.llm.loading import load_chat_model, parse_spec
    from steergraph.llm.local import LocalChatModel
    from steergraph.llm.usage import UsageTracker
    from steergraph.llm.vectorstore import FaissVectorStore

_EXPORTS = {
    "DEFAULT_MODEL": "steergraph.llm.embedded",
    "EMBEDDED_MODELS": "steergraph.llm.embedded",
    "ensure_converted": "steergraph.llm.embedded",
    "FaissVectorStore": "steergraph.llm.vectorstore",
    "LocalChatModel": "steergraph.llm.local",
    "MiniLMEmbeddings": "steergraph.llm.embeddings",
    "TokenLogprobs": "steergraph.llm.engines.base",
    "UsageTracker": "steergraph.llm.usage",
    "load_chat_model": "steergraph.llm.loading",
    "parse_spec": "steergraph.llm.loading",
}
__all__ = [
    "DEFAULT_MODEL",
    "EMBEDDED_MODELS",
    "FaissVectorStore",
    "LocalChatModel",
    "MiniLMEmbeddings",
    "TokenLogprobs",
    "UsageTracker",
    "ensure_converted",
    "load_chat_model",
    "parse_spec",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
