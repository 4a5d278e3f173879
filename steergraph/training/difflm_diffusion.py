"""DiffLM's latent diffusion: an EDM denoiser trained on the VAE's latents, sampled with
Heun's second-order method.

Paper: Karras et al., 2022, "Elucidating the Design Space of Diffusion-Based Generative
Models" (EDM), as DiffLM uses it for its latent prior. The preconditioning (c_skip, c_out,
c_in, c_noise) and the Karras noise levels come from diffusers' ``EDMEulerScheduler``
(``prediction_type="epsilon"`` gives EDM's c_out); diffusers has no EDM Heun sampler
(its ``HeunDiscreteScheduler`` is the DDPM-parameterised one), so the deterministic Heun
loop of EDM's Algorithm 1 is written here over the scheduler's noise levels. Latents are
standardised per dimension before training (``sigma_data = 1``).

Example (fit 20 steps on 2-D points, then draw 5):
    >>> import torch
    >>> prior = LatentDiffusion(2, hidden=32, seed=0)
    >>> _ = prior.fit(torch.randn(64, 2) * 3 + 1, steps=20, batch_size=32)
    >>> prior.sample(5, steps=8).shape
    torch.Size([5, 2])
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["LatentDiffusion"]


class _Denoiser(nn.Module):
    """F(c_in x, c_noise): an MLP with a Fourier embedding of the noise level."""

    def __init__(self, dim: int, hidden: int, frequencies: int = 16) -> None:
        super().__init__()
        self.register_buffer("freqs", torch.randn(frequencies) * 4.0)
        self.net = nn.Sequential(
            nn.Linear(dim + 2 * frequencies, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, dim),
        )  # fmt: skip

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        angle = 2 * math.pi * c_noise.reshape(-1, 1) * self.freqs
        return self.net(torch.cat([x, angle.sin(), angle.cos()], dim=-1))


class LatentDiffusion(nn.Module):
    """An EDM prior over ``dim``-dimensional latents."""

    def __init__(self, dim: int, *, hidden: int = 256, seed: int = 0) -> None:
        super().__init__()
        from diffusers import EDMEulerScheduler

        torch.manual_seed(seed)
        self.dim = dim
        self.denoiser = _Denoiser(dim, hidden)
        self.scheduler = EDMEulerScheduler(sigma_min=0.002, sigma_max=80.0, sigma_data=1.0,
                                           prediction_type="epsilon")  # fmt: skip
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def denoise(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """D(x; sigma): the preconditioned denoiser (``sigma`` per row, ``[n, 1]``)."""
        s = self.scheduler
        out = self.denoiser(s.precondition_inputs(x, sigma), s.precondition_noise(sigma))
        return s.precondition_outputs(x, out, sigma)

    def fit(
        self, latents: torch.Tensor, *, steps: int = 2000, batch_size: int = 256,
        lr: float = 1e-3, p_mean: float = -1.2, p_std: float = 1.2, progress: bool = False,
    ) -> list[float]:  # fmt: skip
        """Train on ``latents`` (``[n, dim]``); return the loss every 10% of the steps."""
        from tqdm.auto import trange

        self.mean.copy_(latents.mean(0))
        self.std.copy_(latents.std(0).clamp_min(1e-6))
        data = ((latents - self.mean) / self.std).detach()
        optim = torch.optim.AdamW(self.denoiser.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=steps)
        history, every = [], max(1, steps // 10)
        self.train()
        for step in trange(steps, desc="latent diffusion", disable=not progress):
            x = data[torch.randint(len(data), (min(batch_size, len(data)),))]
            sigma = (torch.randn(len(x), 1) * p_std + p_mean).exp()
            weight = (sigma**2 + 1.0) / sigma**2  # EDM's lambda with sigma_data = 1
            loss = weight * (self.denoise(x + sigma * torch.randn_like(x), sigma) - x) ** 2
            loss = loss.mean()
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            if (step + 1) % every == 0:
                history.append(round(float(loss.detach()), 4))
        self.eval()
        return history

    @torch.no_grad()
    def sample(self, n: int, *, steps: int = 32, generator: Any = None) -> torch.Tensor:
        """``n`` latents by Heun's method from sigma_max down to 0 (EDM Algorithm 1)."""
        self.scheduler.set_timesteps(steps)
        sigmas = self.scheduler.sigmas.float()
        x = torch.randn(n, self.dim, generator=generator) * sigmas[0]
        for i in range(len(sigmas) - 1):
            s, s_next = sigmas[i], sigmas[i + 1]
            slope = (x - self.denoise(x, s.expand(n, 1))) / s
            moved = x + (s_next - s) * slope
            if s_next > 0:  # the second-order correction
                again = (moved - self.denoise(moved, s_next.expand(n, 1))) / s_next
                moved = x + (s_next - s) * (slope + again) / 2
            x = moved
        return x * self.std + self.mean
