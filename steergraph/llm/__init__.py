"""Model access: specs -> chat models, the local transformers chat model, embedded
models, constrained decoding, embeddings and vector search.

Example:
    >>> from steergraph.llm import load_chat_model, parse_spec
    >>> parse_spec("local:gemma3")
    ('local', 'gemma3')
"""

from steergraph.llm.embedded import DEFAULT_MODEL, EMBEDDED_MODELS, ensure_converted
from steergraph.llm.embeddings import MiniLMEmbeddings
from steergraph.llm.engine import TokenLogprobs
from steergraph.llm.loading import load_chat_model, parse_spec
from steergraph.llm.local import LocalChatModel
from steergraph.llm.usage import UsageTracker
from steergraph.llm.vectorstore import FaissVectorStore

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
