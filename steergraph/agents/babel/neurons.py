"""Language-specific and language-transferring neurons, by LAPE.

LAPE (Tang et al., 2024, "Language-Specific Neurons", the RUCAIBox anchor) records, for
every MLP neuron, the probability that its activation is positive on each language's
tokens, normalises those probabilities over languages and takes the entropy: neurons
with low entropy fire for few languages. As in the anchor: keep the neurons whose
largest probability reaches the ``filter_rate`` quantile of all probabilities, take the
``top_rate`` share of them with the lowest entropy, and give each the languages whose
probability passes the ``activation_bar_ratio`` quantile of the kept neurons'
probabilities. The count per layer uses ``bincount(..., minlength=layers)`` (the
anchor's call without ``minlength`` shifts languages when the last layer has none).

A neuron assigned to exactly one language is **specific** to it; one assigned to the
primary language *and* another is **transferring** between them (Babel Tower's
language-transferring neurons: the shared system a new language first runs on). The
paper's exact thresholds are not published; the defaults are the anchor's, and both
quantile tests include ties (``>=``, the anchor has ``>``): a small model saturates many
neurons at probability 1, where a strict test would select nothing.

The activation read is the MLP's activation function output (``mlp.act_fn`` in
Llama/Qwen/Gemma/SmolLM2, ``mlp.act`` in GPT-2), by a forward hook: plain
``register_forward_hook`` needs nothing a field library would add here.

Example (a tiny random Llama):
    >>> from steergraph.testing import tiny_causal_lm
    >>> model, tok = tiny_causal_lm(seed=0)
    >>> probs = activation_probabilities(model, tok, {"en": ["the quick brown fox"],
    ...                                               "code": ["def add(a, b): return a + b"]})
    >>> probs.shape  # languages x layers x neurons
    torch.Size([2, 2, 128])
    >>> found = lape_neurons(probs, ["en", "code"], top_rate=0.05)
    >>> sorted(found.counts), len(found.counts["en"])
    (['code', 'en'], 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from steergraph.errors import CapabilityError, InputError

__all__ = ["LapeNeurons", "activation_probabilities", "lape_neurons", "mlp_activations"]


def mlp_activations(model: Any) -> list[Any]:
    """The activation-function module of each decoder layer's MLP, in layer order."""
    found = [m for name, m in model.named_modules() if name.endswith(("mlp.act_fn", "mlp.act"))]
    if not found:
        raise CapabilityError(
            f"{type(model).__name__} has no MLP activation modules (mlp.act_fn / mlp.act) to probe",
            fix="probe a Llama-, Qwen-, Gemma- or GPT-2-style causal LM",
        )
    return found


@torch.no_grad()
def activation_probabilities(
    model: Any, tok: Any, texts: Mapping[str, Sequence[str]], *, max_tokens: int = 256
) -> torch.Tensor:
    """P(activation > 0) per language, layer and neuron: ``[languages, layers, neurons]``."""
    if len(texts) < 2:
        raise InputError(
            f"LAPE compares languages: got {list(texts)}", fix="give texts of two or more languages"
        )
    acts = mlp_activations(model)
    fired: list[torch.Tensor | None] = [None] * len(acts)

    def hook(i: int) -> Any:
        def record(_module: Any, _inp: Any, out: torch.Tensor) -> None:
            got = (out > 0).reshape(-1, out.shape[-1]).sum(0)
            fired[i] = got if fired[i] is None else fired[i] + got

        return record

    handles = [a.register_forward_hook(hook(i)) for i, a in enumerate(acts)]
    was_training = model.training
    model.eval()
    probs = []
    try:
        for lang, rows in texts.items():
            fired[:] = [None] * len(acts)
            n = 0
            for text in rows:
                ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
                ids = ids[:, :max_tokens]
                if ids.numel():
                    model(input_ids=ids)
                    n += ids.numel()
            if n == 0:
                raise InputError(f"no tokens for language {lang!r}", fix="give it non-empty texts")
            probs.append(torch.stack([f.float() / n for f in fired]))  # type: ignore[union-attr]
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return torch.stack(probs)


@dataclass
class LapeNeurons:
    """The selected neurons: (layer, neuron) -> languages, and counts per layer."""

    languages: list[str]
    assigned: dict[tuple[int, int], list[str]]
    counts: dict[str, list[int]]  # specific neurons of each language, per layer
    transferring: dict[str, list[int]]  # primary + this language, per layer

    def total(self, language: str) -> int:
        return sum(self.counts[language])

    def total_transferring(self, language: str) -> int:
        return sum(self.transferring.get(language, []))


def lape_neurons(
    probs: torch.Tensor,
    languages: Sequence[str],
    *,
    primary: str | None = None,
    top_rate: float = 0.01,
    filter_rate: float = 0.95,
    activation_bar_ratio: float = 0.95,
) -> LapeNeurons:
    """Select language neurons from :func:`activation_probabilities` (see the module)."""
    n_lang, n_layers, n_neurons = probs.shape
    if n_lang != len(languages) or n_lang < 2:
        raise InputError(
            f"{n_lang} probability rows for languages {list(languages)}",
            fix="pass the languages in the order the probabilities were taken",
        )
    primary = primary or languages[0]
    flat = probs.reshape(n_lang, -1)
    dist = flat / flat.sum(0, keepdim=True).clamp_min(1e-12)
    entropy = -(dist * dist.clamp_min(1e-12).log()).sum(0)
    bar = torch.quantile(flat.flatten().float(), filter_rate)
    entropy[(flat >= bar).sum(0) == 0] = float("inf")
    keep = round(flat.shape[1] * top_rate)
    order = entropy.argsort()[:keep]
    order = order[torch.isfinite(entropy[order])]
    chosen = flat[:, order]
    out: dict[tuple[int, int], list[str]] = {}
    if chosen.numel():
        act_bar = torch.quantile(chosen.flatten().float(), activation_bar_ratio)
        for col, idx in enumerate(order.tolist()):
            langs = [languages[i] for i in range(n_lang) if chosen[i, col] >= act_bar]
            if langs:
                out[divmod(idx, n_neurons)] = langs
    counts = {lang: [0] * n_layers for lang in languages}
    transferring = {lang: [0] * n_layers for lang in languages if lang != primary}
    for (layer, _), langs in out.items():
        if len(langs) == 1:
            counts[langs[0]][layer] += 1
        elif primary in langs:
            for lang in langs:
                if lang != primary:
                    transferring[lang][layer] += 1
    return LapeNeurons(list(languages), out, counts, transferring)
