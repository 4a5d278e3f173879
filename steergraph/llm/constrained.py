"""Constrained decoding for transformers ``generate`` with llguidance.

llguidance compiles JSON schemas, regexes and Lark grammars into token masks lazily
(an Earley parser over a derivative lexer), so there is no multi-second index build;
what is worth caching is the tokenizer conversion (per model) and the matcher built
for a grammar (per model and grammar). :class:`ConstraintCache` keeps both, and
each generation gets a ``deep_copy`` of the cached matcher.

transformers has no grammar-constrained decoding of its own, hence the small
``LogitsProcessor`` here that applies llguidance's bitmask row by row.

Example:
    >>> from steergraph.llm.constrained import json_schema_grammar
    >>> json_schema_grammar({"type": "object"}).startswith("{")
    True
"""

from __future__ import annotations

import json
import threading
from typing import Any

import torch
from transformers import LogitsProcessor

from steergraph.errors import UnsupportedSchemaError

__all__ = [
    "ConstraintCache",
    "GrammarLogitsProcessor",
    "close_objects",
    "decoding_schema",
    "json_schema_grammar",
    "lark_grammar",
]


def json_schema_grammar(schema: dict[str, Any]) -> str:
    """Return the llguidance grammar text for a JSON schema (compact JSON output)."""
    import llguidance

    return llguidance.LLMatcher.grammar_from_json_schema(json.dumps(decoding_schema(schema)))


def decoding_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as decoded: :func:`close_objects` plus compact whitespace."""
    out = close_objects(schema)
    out.setdefault("x-guidance", {"whitespace_flexible": False})
    return out


MAX_STRING_CHARS = 512
MAX_INTEGER = 10**15


def close_objects(schema: Any) -> Any:
    """Copy ``schema`` tightened for decoding (validation still uses the original).

    * objects that leave ``additionalProperties`` open are closed: a small model given
      an open object keeps inventing keys (strict structured output does the same);
    * free strings get ``maxLength`` 512 and unbounded integers +-10**15, so a model
      that never closes a string or a number still ends inside the token budget.
    """
    if isinstance(schema, list):
        return [close_objects(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: close_objects(value) for key, value in schema.items()}
    kind = out.get("type")
    if kind == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    free = not any(k in out for k in ("enum", "const", "pattern", "format"))
    if kind == "string" and free:
        out.setdefault("maxLength", MAX_STRING_CHARS)
    if kind == "integer":
        out.setdefault("maximum", MAX_INTEGER)
        out.setdefault("minimum", -MAX_INTEGER)
    return out


def lark_grammar(text: str) -> str:
    """Return the llguidance grammar text for a Lark grammar (``%json{...}`` allowed)."""
    import llguidance

    return llguidance.LLMatcher.grammar_from_lark(text)


class ConstraintCache:
    """Per-tokenizer cache of llguidance tokenizers and compiled matchers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizers: dict[int, Any] = {}
        self._matchers: dict[tuple[int, str], Any] = {}
        self.compiled = 0
        self.hits = 0

    def ll_tokenizer(self, tokenizer: Any) -> Any:
        """Return (and cache) the llguidance tokenizer for a HF fast tokenizer."""
        import llguidance.hf

        key = id(tokenizer)
        with self._lock:
            if key not in self._tokenizers:
                n_vocab = max(len(tokenizer), getattr(tokenizer, "vocab_size", 0))
                self._tokenizers[key] = llguidance.hf.from_tokenizer(tokenizer, n_vocab=n_vocab)
            return self._tokenizers[key]

    def matcher(self, tokenizer: Any, grammar: str, what: str = "schema") -> Any:
        """Return a fresh matcher for ``grammar``; the compiled one is cached."""
        import llguidance

        ll_tok = self.ll_tokenizer(tokenizer)
        key = (id(tokenizer), grammar)
        with self._lock:
            cached = self._matchers.get(key)
            if cached is None:
                problem = llguidance.LLMatcher.validate_grammar(grammar, ll_tok)
                if problem:
                    raise UnsupportedSchemaError(
                        f"the constrained decoder cannot compile this {what}: "
                        f"{problem.strip().splitlines()[0]}",
                        fix="simplify the schema (plain types, enums, nested objects, "
                        "arrays; no unresolvable $ref)",
                    )
                cached = llguidance.LLMatcher(ll_tok, grammar)
                if cached.is_error():
                    raise UnsupportedSchemaError(
                        f"the constrained decoder rejected this {what}: {cached.get_error()}",
                        fix="simplify the schema",
                    )
                self._matchers[key] = cached
                self.compiled += 1
            else:
                self.hits += 1
            return cached.deep_copy()


class GrammarLogitsProcessor(LogitsProcessor):
    """Mask logits so every sequence of a batch stays inside its grammar.

    One matcher per row (``num_return_sequences`` rows share nothing). Once a row's
    grammar is complete only EOS stays allowed, so ``generate`` stops it cleanly.
    """

    def __init__(self, matchers: list[Any], prompt_len: int, eos_token_id: int) -> None:
        import llguidance.torch as lltorch

        self.matchers = matchers
        self.prompt_len = prompt_len
        self.eos_token_id = eos_token_id
        self._lltorch = lltorch
        self._bitmask: torch.Tensor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        step = input_ids.shape[1] - self.prompt_len
        if step > 0:
            last = input_ids[:, -1].tolist()
            for row, matcher in enumerate(self.matchers):
                if not matcher.is_stopped() and not matcher.is_error():
                    matcher.consume_token(int(last[row]))
        vocab = scores.shape[-1]
        if self._bitmask is None:
            self._bitmask = self._lltorch.allocate_token_bitmask(len(self.matchers), vocab)
        for row, matcher in enumerate(self.matchers):
            self._lltorch.fill_next_token_bitmask(matcher, self._bitmask, row)
        scores = scores.float()
        self._lltorch.apply_token_bitmask_inplace(scores, self._bitmask.to(scores.device))
        for row, matcher in enumerate(self.matchers):
            if matcher.is_stopped() or matcher.is_error():
                scores[row, :] = float("-inf")
                scores[row, self.eos_token_id] = 0.0
        return scores
