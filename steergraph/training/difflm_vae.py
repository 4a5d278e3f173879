"""DiffLM's VAE: a row encoder, a Gaussian latent, and the latent injected as soft-prompt
tokens into a frozen decoder LLM, which writes the row under the table's grammar.

Paper: Zhou et al., 2024, "DiffLM: Controllable Synthetic Data Generation via Diffusion
Language Models" (anchor: bytedance/DiffLM). The encoder reads the row's text through the
decoder's own (frozen) token embeddings, projected to ``encoder_dim`` and mixed by
``encoder_layers`` trainable transformer layers, mean-pooled to a mean and log-variance.
A latent ``z`` becomes ``prefix_tokens`` embeddings (a two-layer projector) placed before
the decoder's prompt; only the encoder and the projector train, the decoder stays frozen
(its gradients flow to the prefix only). Sampling decodes each latent under the row
grammar of :class:`~steergraph.agents.difflm.schema.TableSchema` with llguidance, so every
row parses. No library injects a VAE latent into a causal LM as a soft prompt (peft's
prompt tuning learns one fixed prompt), hence this module.

Example (a tiny random decoder; prefixes have the decoder's width):
    >>> import torch
    >>> from steergraph.testing import tiny_causal_lm
    >>> decoder, tok = tiny_causal_lm()
    >>> vae = RowVAE(decoder, tok, latent_dim=8, prefix_tokens=2)
    >>> vae.prefix(torch.zeros(3, 8)).shape
    torch.Size([3, 2, 64])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["PROMPT", "RowVAE"]

#: the text after the soft prefix, before the row
PROMPT = "Row: "


class RowVAE(nn.Module):
    """Encoder + projector around a frozen decoder (kept outside the module's state)."""

    def __init__(
        self, decoder: Any, tokenizer: Any, *, latent_dim: int = 32, prefix_tokens: int = 4,
        encoder_dim: int = 128, encoder_layers: int = 2,
    ) -> None:  # fmt: skip
        super().__init__()
        self._frozen = [decoder.eval().requires_grad_(False)]  # a list: not a submodule
        self.tokenizer = tokenizer
        self.latent_dim, self.prefix_tokens = latent_dim, prefix_tokens
        width = decoder.get_input_embeddings().embedding_dim
        self.down = nn.Linear(width, encoder_dim)
        layer = nn.TransformerEncoderLayer(
            encoder_dim, nhead=4, dim_feedforward=2 * encoder_dim, dropout=0.1, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, encoder_layers, enable_nested_tensor=False)
        self.stats = nn.Linear(encoder_dim, 2 * latent_dim)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 4 * latent_dim), nn.GELU(),
            nn.Linear(4 * latent_dim, prefix_tokens * width),
        )  # fmt: skip
        # prefixes start at the decoder's embedding scale, not at a random large norm
        scale = float(decoder.get_input_embeddings().weight.std())
        nn.init.normal_(self.project[-1].weight, std=scale / (4 * latent_dim) ** 0.5)
        nn.init.zeros_(self.project[-1].bias)

    @property
    def decoder(self) -> Any:
        """The frozen decoder LLM."""
        return self._frozen[0]

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.decoder.get_input_embeddings()(ids)

    def tokenize(self, texts: Sequence[str], *, eos: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded ids and mask of rows (``eos``: the end-of-text token appended)."""
        end = [self.tokenizer.eos_token_id] if eos else []
        rows = [self.tokenizer(t, add_special_tokens=False)["input_ids"] + end for t in texts]
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows]).bool()
        return ids, mask

    def encode(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-variance) of each row's latent."""
        ids, mask = self.tokenize(texts, eos=False)
        with torch.no_grad():
            states = self._embed(ids).float()
        mixed = self.encoder(self.down(states), src_key_padding_mask=~mask)
        pooled = (mixed * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        mean, logvar = self.stats(pooled).chunk(2, dim=-1)
        return mean, logvar.clamp(-12.0, 8.0)

    def prefix(self, z: torch.Tensor) -> torch.Tensor:
        """Soft-prompt embeddings ``[n, prefix_tokens, width]`` of latents ``[n, latent]``."""
        return self.project(z).view(z.shape[0], self.prefix_tokens, -1)

    def _prompt_embeds(self, z: torch.Tensor) -> torch.Tensor:
        ids = self.tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
        prompt = self._embed(torch.tensor([ids])).float().expand(z.shape[0], -1, -1)
        return torch.cat([self.prefix(z), prompt], dim=1)

    def reconstruction(self, z: torch.Tensor, texts: Sequence[str]) -> torch.Tensor:
        """Mean cross-entropy per row token of ``texts`` given latents ``z``."""
        ids, mask = self.tokenize(texts, eos=True)
        head = self._prompt_embeds(z)
        embeds = torch.cat([head, self._embed(ids).float()], dim=1)
        attention = torch.cat([torch.ones(z.shape[0], head.shape[1], dtype=torch.bool), mask], 1)
        logits = self.decoder(inputs_embeds=embeds, attention_mask=attention).logits
        predicted = logits[:, head.shape[1] - 1 : -1].float()
        labels = ids.masked_fill(~mask, -100)
        return nn.functional.cross_entropy(predicted.transpose(1, 2), labels, ignore_index=-100)

    def loss(self, texts: Sequence[str], beta: float) -> tuple[torch.Tensor, float, float]:
        """(reconstruction + beta * KL, reconstruction, KL) of a batch of rows."""
        mean, logvar = self.encode(texts)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        recon = self.reconstruction(z, texts)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1).mean()
        return recon + beta * kl, float(recon.detach()), float(kl.detach())

    @torch.no_grad()
    def generate(
        self, z: torch.Tensor, grammar: str, *, max_new_tokens: int, temperature: float = 1.0,
        constraints: Any = None,
    ) -> list[str]:  # fmt: skip
        """Decode one row per latent under ``grammar`` (llguidance's lark dialect)."""
        from transformers import LogitsProcessorList

        from steergraph.llm.constrained import (
            ConstraintCache,
            GrammarLogitsProcessor,
            lark_grammar,
        )

        cache = constraints or ConstraintCache()
        compiled = lark_grammar(grammar)
        matchers = [cache.matcher(self.tokenizer, compiled, what="row grammar") for _ in z]
        eos = self.tokenizer.eos_token_id
        embeds = self._prompt_embeds(z)
        out = self.decoder.generate(
            inputs_embeds=embeds, attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
            logits_processor=LogitsProcessorList([GrammarLogitsProcessor(matchers, 0, eos)]),
            do_sample=temperature > 0, temperature=temperature if temperature > 0 else None,
            top_p=None, top_k=None, max_new_tokens=max_new_tokens, pad_token_id=eos,
        )  # fmt: skip
        return [t.strip() for t in self.tokenizer.batch_decode(out, skip_special_tokens=True)]
