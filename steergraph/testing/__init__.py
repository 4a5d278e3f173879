"""Public test doubles: a scripted chat model and tiny random causal LMs.

They are for fast unit tests of graphs and trainers; every feature is also exercised
on the real embedded model.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> ScriptedChatModel(responses=["hello"]).invoke("hi").content
    'hello'
"""

from steergraph.testing.editing import TINY_ROWS, tiny_model_pair
from steergraph.testing.scripted import ScriptedChatModel
from steergraph.testing.structrag import scripted_structrag
from steergraph.testing.tiny import tiny_causal_lm, tiny_chat_model, tiny_tokenizer

__all__ = [
    "TINY_ROWS",
    "ScriptedChatModel",
    "scripted_structrag",
    "tiny_causal_lm",
    "tiny_chat_model",
    "tiny_model_pair",
    "tiny_tokenizer",
]
