"""The generation engines behind :class:`~steergraph.llm.local.LocalChatModel`.

* :mod:`~steergraph.llm.engines.base` -- what every engine offers (:class:`Engine`,
  result types, the stop-string rule);
* :mod:`~steergraph.llm.engines.hf` -- :class:`HFEngine` over transformers (trainable
  weights), with :mod:`~steergraph.llm.engines.hf_weights` (loading them) and
  :mod:`~steergraph.llm.engines.fast_copy` (the bf16/int8 copy it decodes with);
* :mod:`~steergraph.llm.engines.llamacpp` -- :class:`LlamaCppEngine` over a GGUF file,
  with :mod:`~steergraph.llm.engines.llamacpp_runtime` (llama.cpp's C API),
  :mod:`~steergraph.llm.engines.sampling` and :mod:`~steergraph.llm.engines.gbnf`;
* :mod:`~steergraph.llm.engines.select` -- which engine a ``local`` spec gets, and
  building it.

The exports load lazily: importing this package loads neither torch nor llama.cpp.

Example:
    >>> from steergraph.llm.engines import ENGINES, cut_at_stop
    >>> ENGINES
    ('auto', 'hf', 'gguf')
    >>> cut_at_stop("42\\nQ:", ["\\nQ:"])
    ('42', True)
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.llm.engines.base import (
        Engine,
        Generation,
        TokenLogprobs,
        cut_at_stop,
        eos_token_ids,
    )
    from steergraph.llm.engines.hf import HFEngine
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.llm.engines.llamacpp import LlamaCppEngine
    from steergraph.llm.engines.select import ENGINES, build_engine, default_engine, find_gguf

_BASE = "steergraph.llm.engines.base"
_SELECT = "steergraph.llm.engines.select"
_EXPORTS = {
    "Engine": _BASE,
    "Generation": _BASE,
    "TokenLogprobs": _BASE,
    "cut_at_stop": _BASE,
    "eos_token_ids": _BASE,
    "HFEngine": "steergraph.llm.engines.hf",
    "load_hf_model": "steergraph.llm.engines.hf_weights",
    "LlamaCppEngine": "steergraph.llm.engines.llamacpp",
    "ENGINES": _SELECT,
    "build_engine": _SELECT,
    "default_engine": _SELECT,
    "find_gguf": _SELECT,
}
__all__ = [
    "ENGINES",
    "Engine",
    "Generation",
    "HFEngine",
    "LlamaCppEngine",
    "TokenLogprobs",
    "build_engine",
    "cut_at_stop",
    "default_engine",
    "eos_token_ids",
    "find_gguf",
    "load_hf_model",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
