"""llama.cpp's native GBNF grammars, for the llama.cpp engine.

The default grammar path on both engines is llguidance (Lark, ``%json``, JSON
schema). On the llama.cpp engine a grammar may instead be written in GBNF, the
format llama.cpp's own grammar sampler compiles (``llama_sampler_init_grammar``);
:class:`GbnfMatcher` runs one such sampler per sequence over our batched decode
loop. A grammar llama.cpp cannot parse raises
:class:`~steergraph.errors.UnsupportedSchemaError` quoting llama.cpp's message.

Example:
    >>> GbnfGrammar('root ::= "yes" | "no"').root
    'root'
"""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from steergraph.errors import UnsupportedSchemaError

__all__ = ["GbnfGrammar", "GbnfMatcher", "gbnf_from_json_schema"]

_TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])


@dataclass(frozen=True)
class GbnfGrammar:
    """A GBNF grammar (llama.cpp syntax) and its root rule."""

    text: str
    root: str = "root"


def gbnf_from_json_schema(schema: dict[str, Any]) -> GbnfGrammar:
    """The GBNF grammar llama-cpp-python derives from a JSON schema."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return GbnfGrammar(json_schema_to_gbnf(json.dumps(schema)))


class GbnfMatcher:
    """One llama.cpp grammar sampler: masks a logits row, then accepts the chosen token."""

    def __init__(self, runtime: Any, grammar: GbnfGrammar) -> None:
        from steergraph.llm.engines.llamacpp_runtime import (
            captured_c_stderr,
            llama_log_reason,
            reset_llama_log,
        )

        lc = runtime._lc
        self._lc = lc
        vocab = lc.llama_model_get_vocab(runtime.model)
        reset_llama_log()
        with captured_c_stderr() as printed:
            self._sampler = lc.llama_sampler_init_grammar(
                vocab, grammar.text.encode(), grammar.root.encode()
            )
        if not self._sampler:
            said = [line for line in printed if "error" in line.lower()]
            reason = said[0].split("error parsing grammar:")[-1].strip() if said else None
            raise UnsupportedSchemaError(
                f"llama.cpp cannot compile this GBNF grammar: {reason or llama_log_reason()}",
                fix="check the rule named in the message (GBNF syntax, root rule "
                f"'{grammar.root}')",
            )
        self._data = np.zeros(runtime.n_vocab, dtype=_TOKEN_DATA)
        self._data["id"] = np.arange(runtime.n_vocab, dtype=np.int32)

    def is_stopped(self) -> bool:
        """GBNF samplers allow end-of-generation only where the grammar may end."""
        return False

    def is_error(self) -> bool:
        return False

    def mask(self, logits: np.ndarray) -> None:
        """Set, in place, every logit the grammar forbids next to -inf."""
        data = self._data
        data["id"] = np.arange(len(data), dtype=np.int32)
        data["logit"] = logits[: len(data)]
        array = self._lc.llama_token_data_array(
            data=data.ctypes.data_as(ctypes.POINTER(self._lc.llama_token_data)),
            size=len(data),
            selected=-1,
            sorted=False,
        )
        self._lc.llama_sampler_apply(self._sampler, ctypes.byref(array))
        logits[data["id"]] = data["logit"]

    def consume_token(self, token: int) -> None:
        self._lc.llama_sampler_accept(self._sampler, int(token))

    def __del__(self) -> None:
        sampler = getattr(self, "_sampler", None)
        if sampler:
            try:
                self._lc.llama_sampler_free(sampler)
            except Exception:  # interpreter shutdown
                pass
