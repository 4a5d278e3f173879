"""BitDelta scale distillation: fit each tensor's block magnitudes to the post model.

BitDelta (Liu et al., 2024, arXiv:2402.10193) keeps the sign of every delta entry and
one magnitude per matrix; its second stage trains those magnitudes so the compressed
model's logits match the post-trained model's on a calibration set (mean squared
error), with signs and the base frozen. Here the same holds for multi-bit BitDelta
(one magnitude per block). The magnitudes are trained as multipliers ``m`` of their
initial block means (``level = mean * m``, ``m`` starting at 1), which makes one
learning rate fit tensors whose deltas differ by orders of magnitude.

The student is the post model's module called with :func:`torch.func.functional_call`
on ``W_base + sign * level[code]`` for the targeted tensors (tied weights follow), so no
second model is built; the teacher is the same module with its own weights. The base,
signs and codes of every targeted tensor are held in memory while training.

Example:
    >>> import tempfile, pathlib
    >>> from steergraph.testing import TINY_ROWS, tiny_model_pair
    >>> base, post = tiny_model_pair(pathlib.Path(tempfile.mkdtemp()))
    >>> result = distill_bitdelta(base, post, BitDelta(bits=1), TINY_ROWS, steps=5, progress=False)
    >>> result.editor.distilled, result.losses[-1] < result.losses[0]
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from steergraph.editing.calibration import CalibrationSet
from steergraph.editing.editors import BitDelta
from steergraph.errors import InputError

__all__ = ["DistillResult", "distill_bitdelta"]


@dataclass
class DistillResult:
    """The editor with distilled magnitudes and the logits MSE per step."""

    editor: BitDelta
    losses: list[float]
    seconds: float


def distill_bitdelta(
    base: str | Path,
    post: str | Path,
    editor: BitDelta,
    calibration: Sequence[Mapping[str, Any]] | CalibrationSet,
    *,
    steps: int = 50,
    lr: float = 1e-2,
    max_length: int = 256,
    batch_size: int = 4,
    progress: bool = True,
) -> DistillResult:
    """Train ``editor``'s block magnitudes (see the module docstring); return a new
    :class:`BitDelta` carrying them (``distilled=True``)."""
    import time

    import torch
    from torch.func import functional_call
    from tqdm.auto import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from steergraph.editing.checkpoint import float_delta
    from steergraph.editing.encoding import block_means, sign_codes
    from steergraph.editing.stream import prepare_edit

    if steps < 1 or lr <= 0:
        raise InputError(f"steps={steps}, lr={lr}", fix="use steps >= 1 and lr > 0")
    started = time.perf_counter()
    b, (p,), targeted = prepare_edit(base, [post], editor)
    model = AutoModelForCausalLM.from_pretrained(str(p.folder), dtype=torch.float32).eval()
    model.requires_grad_(False)
    if isinstance(calibration, CalibrationSet):
        calib = calibration
    else:
        tok = AutoTokenizer.from_pretrained(str(p.folder))
        calib = CalibrationSet.from_rows(
            tok, calibration, max_length=max_length, batch_size=batch_size
        )
    n_levels = 2 ** (editor.bits - 1)
    frozen: dict[str, tuple[Any, Any, Any]] = {}  # name -> (base, sign, codes or None)
    init: dict[str, Any] = {}
    for name in targeted:
        w_base = b.get(name).to(torch.float32)
        delta = float_delta(b, p, name)
        positive, codes = sign_codes(delta, editor.bits)
        init[name] = block_means(delta, codes, n_levels)
        sign = (positive.to(torch.int8) * 2 - 1).reshape(delta.shape)
        frozen[name] = (w_base, sign, codes.reshape(delta.shape) if n_levels > 1 else None)
        del delta
    multipliers = {n: torch.ones(n_levels, requires_grad=True) for n in targeted}
    optimizer = torch.optim.Adam(list(multipliers.values()), lr=lr)
    losses: list[float] = []
    for step in tqdm(range(steps), desc="distilling BitDelta scales", disable=not progress):
        batch = calib.batches[step % len(calib.batches)]
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        with torch.no_grad():
            teacher = model(**inputs).logits
        params = {}
        for name, (w_base, sign, codes) in frozen.items():
            levels = init[name] * multipliers[name]
            magnitude = levels[0] if codes is None else levels[codes]
            params[name] = w_base + sign * magnitude
        student = functional_call(model, params, args=(), kwargs=inputs).logits
        mask = batch["attention_mask"].bool()
        loss = torch.nn.functional.mse_loss(student[mask], teacher[mask])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    levels = {n: tuple(float(v) for v in (init[n] * multipliers[n]).detach()) for n in targeted}
    distilled = replace(editor, levels=levels, distilled=True)
    return DistillResult(distilled, losses, time.perf_counter() - started)
