"""Fitting DiffLM on a table (or on code: a table of one ``code`` column, see
:mod:`~steergraph.agents.difflm.code_schema`) and sampling synthetic rows from it.

Paper: Zhou et al., 2024, "DiffLM: Controllable Synthetic Data Generation via Diffusion
Language Models" (anchor: bytedance/DiffLM). :func:`fit_difflm` trains the VAE of
:mod:`~steergraph.training.difflm_vae` (reconstruction + beta x KL; beta starts at
``beta_max`` and is multiplied by ``beta_decay`` whenever the reconstruction loss has not
improved for ``patience`` steps, down to ``beta_min``, as the anchor anneals it), then the
EDM prior of :mod:`~steergraph.training.difflm_diffusion` on the training rows' latent
means. :class:`DiffLM` samples latents from that prior (or from the VAE's N(0, I), the
ablation), decodes each under the table's grammar, parses it, and rejects rows with
values outside the training ranges (counted). TRL has no trainer for a VAE around a
frozen LLM, so the loop is plain torch (AdamW, a tqdm bar).

The model folder is written whole or not at all (a temporary folder renamed at the end):
``difflm.json`` (config, schema, decoder, history), ``vae.pt``, ``prior.pt``.

Example (a tiny random decoder, a few steps: the mechanics, not the quality):
    >>> import pandas as pd, tempfile
    >>> from steergraph.testing import tiny_causal_lm
    >>> df = pd.DataFrame({"kind": ["a", "b"] * 10, "size": [1.5, 2.25] * 10})
    >>> cfg = DiffLMConfig(steps=2, batch_size=4, prior_steps=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     model = fit_difflm(df, cfg, output_dir=f"{tmp}/m", decoder=tiny_causal_lm())
    ...     rows, report = model.sample(3, seed=0)
    >>> report["requested"], report["parsed"]
    (3, 3)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from steergraph.errors import InputError, InputFileError

__all__ = ["DiffLM", "DiffLMConfig", "fit_difflm"]

META_FILE = "difflm.json"


@dataclass
class DiffLMConfig:
    """Training settings (CPU defaults)."""

    decoder: str = "smollm2"
    latent_dim: int = 32
    prefix_tokens: int = 4
    encoder_dim: int = 128
    encoder_layers: int = 2
    steps: int = 400
    batch_size: int = 8
    learning_rate: float = 1e-3
    beta_max: float = 1e-2
    beta_min: float = 1e-5
    beta_decay: float = 0.7
    patience: int = 20
    prior_steps: int = 2000
    seed: int = 0
    progress: bool = False

    def __post_init__(self) -> None:
        if min(self.steps, self.batch_size, self.latent_dim, self.prefix_tokens) < 1:
            raise InputError("steps, batch_size, latent_dim and prefix_tokens must be >= 1",
                             fix="use positive sizes")  # fmt: skip
        if not 0 < self.beta_min <= self.beta_max:
            raise InputError(f"beta_min={self.beta_min}, beta_max={self.beta_max}",
                             fix="use 0 < beta_min <= beta_max")  # fmt: skip


def _decoder(spec: str) -> tuple[Any, Any]:
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.training.recipes import trainable_name

    model, tok, _ = load_hf_model(trainable_name(spec))
    return model.float(), tok


def fit_difflm(
    table: Any,
    config: DiffLMConfig | None = None,
    *,
    output_dir: str | Path,
    decoder: tuple[Any, Any] | None = None,
) -> DiffLM:
    """Fit the VAE and the latent prior on a DataFrame; save and return the model."""
    import random

    import torch
    from tqdm.auto import trange

    from steergraph.agents.difflm.code_schema import infer_schema
    from steergraph.training.difflm_diffusion import LatentDiffusion
    from steergraph.training.difflm_vae import RowVAE

    cfg = config or DiffLMConfig()
    out = Path(output_dir)
    if out.exists() and any(out.iterdir()):
        raise InputFileError(f"{out} is not empty", fix="give a new folder for the model")
    schema = infer_schema(table)
    rows, dropped = schema.clean(table)
    if len(rows) < 2:
        raise InputError(f"{len(rows)} complete row(s): too few to fit a distribution",
                         fix="give a table with at least 2 complete rows")  # fmt: skip
    texts = [schema.serialize(rows.iloc[i]) for i in range(len(rows))]
    model, tok = decoder or _decoder(cfg.decoder)
    torch.manual_seed(cfg.seed)
    vae = RowVAE(model, tok, latent_dim=cfg.latent_dim, prefix_tokens=cfg.prefix_tokens,
                 encoder_dim=cfg.encoder_dim, encoder_layers=cfg.encoder_layers)  # fmt: skip
    optim = torch.optim.AdamW(vae.parameters(), lr=cfg.learning_rate)
    rng, beta, best, since = random.Random(cfg.seed), cfg.beta_max, float("inf"), 0
    history: list[dict[str, float]] = []
    vae.train()
    bar = trange(cfg.steps, desc="DiffLM VAE", disable=not cfg.progress)
    for step in bar:
        batch = rng.sample(texts, min(cfg.batch_size, len(texts)))
        loss, recon, kl = vae.loss(batch, beta)
        optim.zero_grad()
        loss.backward()
        optim.step()
        if recon < best * 0.99:
            best, since = recon, 0
        elif (since := since + 1) >= cfg.patience:  # a plateau: loosen the KL pull
            beta, since = max(beta * cfg.beta_decay, cfg.beta_min), 0
        history.append({"step": step + 1, "reconstruction": round(recon, 4),
                        "kl": round(kl, 3), "beta": beta})  # fmt: skip
        bar.set_postfix(recon=f"{recon:.3f}", kl=f"{kl:.1f}")
    vae.eval()
    with torch.no_grad():
        means = torch.cat([vae.encode(texts[i : i + 64])[0] for i in range(0, len(texts), 64)])
    prior = LatentDiffusion(cfg.latent_dim, seed=cfg.seed)
    prior_history = prior.fit(means, steps=cfg.prior_steps, progress=cfg.progress)
    meta = {
        "config": asdict(cfg), "schema": schema.to_dict(), "rows": len(rows),
        "dropped_incomplete_rows": dropped, "history": history,
        "prior_history": prior_history,
        "max_new_tokens": max(len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts),
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-"))
    try:
        torch.save(vae.state_dict(), staging / "vae.pt")
        torch.save(prior.state_dict(), staging / "prior.pt")
        (staging / META_FILE).write_text(json.dumps(meta, indent=1))
        if out.exists():
            out.rmdir()
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DiffLM(vae, prior, schema, meta)


class DiffLM:
    """A fitted model: sample rows through either prior."""

    def __init__(self, vae: Any, prior: Any, schema: Any, meta: dict[str, Any]) -> None:
        self.vae, self.prior, self.schema, self.meta = vae, prior, schema, meta

    @classmethod
    def load(cls, folder: str | Path, *, decoder: tuple[Any, Any] | None = None) -> DiffLM:
        """A model written by :func:`fit_difflm` (its decoder loaded by name)."""
        import torch

        from steergraph.agents.difflm.code_schema import schema_from_dict
        from steergraph.training.difflm_diffusion import LatentDiffusion
        from steergraph.training.difflm_vae import RowVAE

        path = Path(folder)
        if not (path / META_FILE).is_file():
            raise InputFileError(f"{path} holds no DiffLM model",
                                 fix="fit one: steergraph difflm fit TABLE")  # fmt: skip
        meta = json.loads((path / META_FILE).read_text())
        cfg = DiffLMConfig(**meta["config"])
        model, tok = decoder or _decoder(cfg.decoder)
        vae = RowVAE(model, tok, latent_dim=cfg.latent_dim, prefix_tokens=cfg.prefix_tokens,
                     encoder_dim=cfg.encoder_dim, encoder_layers=cfg.encoder_layers)  # fmt: skip
        vae.load_state_dict(torch.load(path / "vae.pt", weights_only=True))
        prior = LatentDiffusion(cfg.latent_dim)
        prior.load_state_dict(torch.load(path / "prior.pt", weights_only=True))
        return cls(vae.eval(), prior.eval(), schema_from_dict(meta["schema"]), meta)

    def sample(
        self, n: int, *, prior: str = "diffusion", seed: int = 0, batch_size: int = 16,
        temperature: float = 1.0, progress: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:  # fmt: skip
        """``n`` decoded rows that parse and lie in the training ranges, and a report of
        how many were decoded, parsed and rejected (with the first reasons).
        ``temperature`` 0 decodes greedily (each latent gives one text)."""
        import torch
        from tqdm.auto import tqdm

        from steergraph.llm.constrained import ConstraintCache

        if prior not in ("diffusion", "gaussian"):
            raise InputError(f"unknown prior {prior!r}", fix="use diffusion or gaussian")
        if n < 1:
            raise InputError(f"n={n}", fix="ask for 1 or more rows")
        if not temperature >= 0:
            raise InputError(
                f"temperature={temperature}", fix="use 0 (greedy) or a positive temperature"
            )
        gen = torch.Generator().manual_seed(seed)
        devices = list(range(torch.cuda.device_count()))
        with torch.random.fork_rng(devices=devices):  # seeded; the caller's RNGs untouched
            torch.manual_seed(seed)
            if prior == "diffusion":
                z = self.prior.sample(n, generator=gen)
            else:
                z = torch.randn(n, self.vae.latent_dim, generator=gen)
            grammar, cache = self.schema.grammar(), ConstraintCache()
            budget = int(self.meta["max_new_tokens"] * 1.5) + 8
            kept, reasons, parsed = [], [], 0
            for start in tqdm(range(0, n, batch_size), desc="DiffLM rows", disable=not progress):
                texts = self.vae.generate(z[start : start + batch_size], grammar,
                                          max_new_tokens=budget, temperature=temperature,
                                          constraints=cache)  # fmt: skip
                for text in texts:
                    try:
                        row = self.schema.parse(text)
                    except ValueError as exc:
                        reasons.append(f"unparsed: {exc}")
                        continue
                    parsed += 1
                    why = self.schema.check_row(row)
                    if why:
                        reasons.append(f"unseen value: {why}")
                    else:
                        kept.append(row)
        report = {"requested": n, "parsed": parsed, "kept": len(kept),
                  "rejected_unseen": parsed - len(kept), "unparsed": n - parsed,
                  "reasons": reasons[:5], "prior": prior,
                  "temperature": temperature}  # fmt: skip
        return kept, report
