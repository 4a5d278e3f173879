"""Both probes on one model: the inputs they share, read once, and one call for both.

The graph (every checkpoint of a stage), the ``babel probe`` command (any causal LM) and
the notebook all probe the same way: language-specific tokens from each language's
training files, the logit lens over the second language's held-out files, LAPE over
every language's held-out files.

Example (a tiny random Llama and two made-up languages):
    >>> from types import SimpleNamespace
    >>> from steergraph.testing import tiny_causal_lm
    >>> model, tok = tiny_causal_lm(seed=0)
    >>> files = {("en", "train"): ["the quick brown fox"] * 6, ("en", "heldout"): ["a fox"],
    ...          ("code", "train"): ["def add(a, b): return a + b"] * 6,
    ...          ("code", "heldout"): ["def f(x): return x"]}
    >>> corpus = SimpleNamespace(texts=lambda lang, split: files[(lang, split)])
    >>> inputs = probe_inputs(tok, corpus, ["en", "code"], min_count=2)
    >>> shares, found = probe_model(model, tok, inputs, top_rate=0.05)
    >>> sorted(shares), sorted(found.counts)
    (['code', 'en', 'shared'], ['code', 'en'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steergraph.agents.babel.lens import token_languages, working_language
from steergraph.agents.babel.neurons import LapeNeurons, activation_probabilities, lape_neurons

__all__ = ["ProbeInputs", "probe_inputs", "probe_model"]


@dataclass
class ProbeInputs:
    """The languages (primary first, then the one read), token owners, held-out texts."""

    languages: list[str]
    owner: dict[int, str]
    heldout: dict[str, list[str]]


def probe_inputs(tok: Any, corpus: Any, languages: Sequence[str], *, train_files: int = 200,
                 heldout_files: int = 8, chars: int = 2000,
                 min_count: int = 5) -> ProbeInputs:  # fmt: skip
    """Token owners from ``train_files`` training files per language and the first
    ``chars`` characters of ``heldout_files`` held-out files (``corpus.texts(lang, split)``)."""
    langs = list(languages)
    owner = token_languages(tok, {k: corpus.texts(k, "train")[:train_files] for k in langs},
                            min_count=min_count)  # fmt: skip
    held = {k: [t[:chars] for t in corpus.texts(k, "heldout")[:heldout_files]] for k in langs}
    return ProbeInputs(langs, owner, held)


def probe_model(model: Any, tok: Any, inputs: ProbeInputs, *, max_tokens: int = 256,
                top_rate: float = 0.01) -> tuple[dict[str, list[float]], LapeNeurons]:  # fmt: skip
    """(working-language shares per layer on the second language's files, LAPE neurons)."""
    langs = inputs.languages
    shares = working_language(model, tok, inputs.heldout[langs[1]], inputs.owner,
                              languages=langs, max_tokens=max_tokens)  # fmt: skip
    probs = activation_probabilities(model, tok, inputs.heldout, max_tokens=max_tokens)
    return shares, lape_neurons(probs, langs, top_rate=top_rate)
