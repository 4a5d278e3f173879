"""Working language per layer, by the logit lens.

The logit lens (nostalgebraist, 2020) decodes each layer's hidden state through the
model's final norm and output layer. Babel Tower reads the *working language* of a
layer from those decodings: while a Python-trained model learns a second language, its
middle layers first decode to Python tokens, then to the new language's own.

The paper does not publish how a decoded token is attributed to a language, so the
rule here is stated: a token is **specific** to a language when at least
``min_share`` of its frequency (each language's counts normalised by that language's
token total, so a large corpus does not win by size) falls in that language and it
occurs at least ``min_count`` times; other tokens are shared. A layer's share for a
language is the fraction of its top-``top_k`` decoded tokens, over every position of
the probe texts, that are specific to that language. Hooks are not needed: transformers
returns every layer's hidden state (``output_hidden_states``); ``nnsight`` and
``transformer-lens`` would add a dependency for what one forward pass gives.

Example (a tiny random Llama; the shares are fractions of decoded tokens):
    >>> import torch
    >>> from steergraph.testing import tiny_causal_lm
    >>> model, tok = tiny_causal_lm(seed=0)
    >>> owner = token_languages(tok, {"en": ["the quick brown fox"] * 5,
    ...                               "code": ["def add(a, b): return a + b"] * 5},
    ...                         min_count=2)
    >>> sorted(set(owner.values()))
    ['code', 'en']
    >>> shares = working_language(model, tok, ["def add(a, b):"], owner, languages=["en", "code"])
    >>> len(shares["code"]) == model.config.num_hidden_layers + 1
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from steergraph.errors import CapabilityError, InputError

__all__ = ["lens_parts", "token_languages", "working_language"]


def token_languages(
    tok: Any, texts: Mapping[str, Sequence[str]], *, min_share: float = 0.8, min_count: int = 5
) -> dict[int, str]:
    """Token id -> the language it is specific to (see the module docstring)."""
    if len(texts) < 2:
        raise InputError(
            f"language-specific tokens need at least two languages, got {list(texts)}",
            fix="give texts of two or more languages",
        )
    counts: dict[str, Counter[int]] = {}
    for lang, rows in texts.items():
        c: Counter[int] = Counter()
        for text in rows:
            c.update(tok(text, add_special_tokens=False)["input_ids"])
        if not c:
            raise InputError(f"no text for language {lang!r}", fix="give it at least one text")
        counts[lang] = c
    totals = {lang: sum(c.values()) for lang, c in counts.items()}
    owner: dict[int, str] = {}
    for tid in set().union(*counts.values()):
        freq = {lang: counts[lang][tid] / totals[lang] for lang in counts}
        best = max(freq, key=freq.__getitem__)
        if sum(c[tid] for c in counts.values()) >= min_count and freq[best] >= min_share * sum(
            freq.values()
        ):
            owner[tid] = best
    return owner


def lens_parts(model: Any) -> tuple[Any, Any]:
    """(final norm or None, output layer) of a causal LM, for decoding hidden states."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None:
        raise CapabilityError(
            f"{type(model).__name__} has no LM head for the logit lens",
            fix="probe a causal LM (AutoModelForCausalLM), not a base encoder",
        )
    base = (
        getattr(model, model.base_model_prefix, model)
        if hasattr(model, "base_model_prefix")
        else model
    )
    norm = (
        getattr(base, "norm", None)
        or getattr(base, "ln_f", None)
        or getattr(base, "final_layernorm", None)
    )
    return norm, head


@torch.no_grad()
def working_language(
    model: Any,
    tok: Any,
    texts: Sequence[str],
    owner: Mapping[int, str],
    *,
    languages: Sequence[str],
    top_k: int = 5,
    max_tokens: int = 256,
) -> dict[str, list[float]]:
    """Per language, the share of each layer's top-``top_k`` logit-lens tokens specific
    to it (index 0 is the embeddings, the last the final layer); ``"shared"`` holds the
    rest."""
    if not texts:
        raise InputError("no probe texts", fix="give at least one text")
    norm, head = lens_parts(model)
    was_training = model.training
    model.eval()
    n_layers = model.config.num_hidden_layers + 1
    hits = {lang: torch.zeros(n_layers) for lang in [*languages, "shared"]}
    total = 0
    # one slot per output logit (a model's vocabulary may be padded past the tokenizer's)
    lookup = torch.full((head.weight.shape[0],), -1, dtype=torch.long)
    index = {lang: i for i, lang in enumerate(languages)}
    for tid, lang in owner.items():
        if lang in index and tid < lookup.numel():
            lookup[tid] = index[lang]
    for text in texts:
        ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"][:, :max_tokens]
        if ids.numel() == 0:
            continue
        states = model(input_ids=ids, output_hidden_states=True).hidden_states
        for layer, h in enumerate(states):
            if norm is not None and layer < len(states) - 1:
                h = norm(h)  # the last hidden state is already normalised by the model
            top = head(h)[0].topk(top_k, dim=-1).indices
            langs = lookup[top].flatten()
            for lang, i in index.items():
                hits[lang][layer] += float((langs == i).sum())
            hits["shared"][layer] += float((langs < 0).sum())
        total += ids.shape[1] * top_k
    model.train(was_training)
    if total == 0:
        raise InputError("the probe texts tokenise to nothing", fix="give non-empty texts")
    return {lang: [round(float(v) / total, 5) for v in h] for lang, h in hits.items()}
