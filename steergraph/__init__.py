"""steergraph: LLM methods as LangGraph state machines, closed by TRL trainers.

Heavy modules (torch, transformers) load on first use, so ``steergraph --help``
stays fast.

Example:
    >>> import steergraph
    >>> steergraph.__version__
    '0.1.0'
"""

from typing import Any

from steergraph.errors import SteergraphError

__version__ = "0.1.0"
__all__ = ["LocalChatModel", "SteergraphError", "__version__", "load_chat_model"]


def __getattr__(name: str) -> Any:
    if name in {"LocalChatModel", "load_chat_model"}:
        from steergraph import llm

        return getattr(llm, name)
    raise AttributeError(f"module 'steergraph' has no attribute {name!r}")
