"""The Riemann-sum estimate of how an edit changes the loss, and the measured change.

An edit turns the post-trained weights ``W_post`` into ``W_post + dW^`` (``dW^`` is the
edited delta minus the delta). Tang et al. (2024, arXiv:2410.13841) write the change
of the loss as a Riemann sum of gradient-delta inner products along the straight path::

    dL = L(W_post + dW^) - L(W_post)  ~  (1/C) * sum_c < grad L(W_post + t_c dW^), dW^ >

with ``C = 5`` and ``t_c = c / C`` for ``c = 0..C-1`` (``rule="left"``, the reference's
form; ``rule="midpoint"`` uses ``(c + 1/2) / C``, exact for a quadratic loss). The sign
of the estimate sorts edits into three classes: about zero, **competitive** (DARE keeps
the model); positive, **decreased** (heavy pruning, 1-bit BitDelta); negative,
**improved**. The band that counts as "about zero" defaults to 5% of what post-training
gained on the calibration set, ``|L(W_base) - L(W_post)|`` (measured, not assumed).

:class:`LossProbe` holds the post-trained model and a calibration set (the one place
the whole model is in memory: gradients need it), moves the weights along an edit and
back exactly, and computes losses and gradient inner products; the gradient at
``W_post`` (every edit's ``c = 0`` term) is computed once. :func:`evaluate_edits` runs
estimate and measurement for a list of editors.

Example:
    >>> import tempfile, pathlib
    >>> from steergraph.editing.editors import Extrapolate
    >>> from steergraph.testing import TINY_ROWS, tiny_model_pair
    >>> base, post = tiny_model_pair(pathlib.Path(tempfile.mkdtemp()))
    >>> report = evaluate_edits(base, post, [Extrapolate(alpha=0.5)], TINY_ROWS, progress=False)
    >>> est = report.estimates[0]
    >>> est.measured > 0 and est.predicted > 0, est.measured_class
    (True, 'decreased')
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from steergraph.editing.calibration import CalibrationSet
from steergraph.editing.editors import DeltaEditor, EditContext
from steergraph.errors import EditingError, InputError

__all__ = [
    "DeltaEstimate",
    "EstimateReport",
    "LossProbe",
    "classify",
    "evaluate_edits",
    "riemann_estimate",
]

EditClass = Literal["competitive", "decreased", "improved"]


def classify(dl: float, band: float) -> EditClass:
    """``competitive`` when ``|dl| <= band``, else ``decreased`` (loss up) or ``improved``."""
    if abs(dl) <= band:
        return "competitive"
    return "decreased" if dl > 0 else "improved"


def _per_parameter(params: Mapping[str, Any], fn: Callable[[Any], Any]) -> dict[str, Any]:
    """``fn`` of each distinct parameter, under every name it has (tied aliases share)."""
    done: dict[int, Any] = {}
    out = {}
    for name, p in params.items():
        if id(p) not in done:
            done[id(p)] = fn(p)
        out[name] = done[id(p)]
    return out


class LossProbe:
    """A model and a calibration set: loss and gradients at ``W + t * direction``."""

    def __init__(self, model: Any, calibration: CalibrationSet) -> None:
        import torch

        self.model = model.eval()
        self.calibration = calibration
        self.params = dict(model.named_parameters(remove_duplicate=False))  # tied aliases too
        with torch.no_grad():
            self._saved = _per_parameter(self.params, lambda p: p.detach().clone())

    @classmethod
    def load(
        cls,
        post: str | Path,
        rows: Sequence[Mapping[str, Any]] | CalibrationSet,
        *,
        max_length: int = 256,
        batch_size: int = 8,
    ) -> LossProbe:
        """Load a model folder (float32) with a calibration set built from ``rows``."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model = AutoModelForCausalLM.from_pretrained(str(post), dtype=torch.float32)
        if isinstance(rows, CalibrationSet):
            return cls(model, rows)
        tok = AutoTokenizer.from_pretrained(str(post))
        return cls(
            model, CalibrationSet.from_rows(tok, rows, max_length=max_length, batch_size=batch_size)
        )

    def restrict(self, items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
        """A direction over this model's parameters: tensors that are not parameters
        (buffers) are skipped, and of tied aliases (``lm_head`` = embeddings) only the
        first is kept, so no parameter moves twice."""
        seen: set[int] = set()
        out = {}
        for name, tensor in items:
            param = self.params.get(name)
            if param is None or id(param) in seen:
                continue
            seen.add(id(param))
            out[name] = tensor
        return out

    def _param(self, name: str) -> Any:
        if name not in self.params:
            raise EditingError(
                "the model in memory has no such parameter",
                tensor=name,
                fix="estimate with the model the checkpoint was saved from",
            )
        return self.params[name]

    def loss(self) -> float:
        """Mean token NLL at the current weights."""
        return self.calibration.loss(self.model)

    def _backward(self) -> None:
        self.model.zero_grad(set_to_none=True)
        for batch in self.calibration.batches:
            (self.calibration.batch_nll(self.model, batch) / self.calibration.tokens).backward()

    def gradient(self) -> dict[str, Any]:
        """The loss gradient at the current weights, per parameter name."""
        self._backward()
        with_grad = {n: p for n, p in self.params.items() if p.grad is not None}
        grads = _per_parameter(with_grad, lambda p: p.grad.detach().clone())
        self.model.zero_grad(set_to_none=True)
        return grads

    def grad_dot(self, direction: Mapping[str, Any]) -> float:
        """``<grad L(current weights), direction>`` without keeping the gradient."""
        self._backward()
        total = 0.0
        for name, d in direction.items():
            grad = self._param(name).grad
            if grad is not None:
                total += float((grad * d).sum())
        self.model.zero_grad(set_to_none=True)
        return total

    @contextlib.contextmanager
    def moving(self, direction: Mapping[str, Any]) -> Iterator[Callable[[float], None]]:
        """Yield ``move(t)``, which puts the weights at ``W + t * direction`` (``W``: the
        weights the probe was made with); they are restored exactly after the block."""
        import torch

        params = {name: self._param(name) for name in direction}

        def move(t: float) -> None:
            with torch.no_grad():
                for name, d in direction.items():
                    step = d.to(params[name].dtype)
                    torch.add(self._saved[name], step, alpha=t, out=params[name])

        try:
            yield move
        finally:
            with torch.no_grad():
                for name, param in params.items():
                    param.copy_(self._saved[name])

    @contextlib.contextmanager
    def shifted(self, direction: Mapping[str, Any], t: float) -> Iterator[None]:
        """Weights at ``W + t * direction`` inside the block, restored exactly after."""
        with self.moving(direction) as move:
            move(t)
            yield


def _dot(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    return float(sum(float((a[n] * d).sum()) for n, d in b.items() if n in a))


def riemann_estimate(
    probe: LossProbe,
    direction: Mapping[str, Any],
    *,
    steps: int = 5,
    rule: Literal["left", "midpoint"] = "left",
    grad_at_start: Mapping[str, Any] | None = None,
) -> tuple[float, list[float]]:
    """(estimate of ``dL``, the ``C`` inner products) for moving by ``direction``."""
    if steps < 1:
        raise InputError(f"steps={steps}: the Riemann sum needs C >= 1", fix="use steps=5")
    if rule not in ("left", "midpoint"):
        raise InputError(f"unknown rule {rule!r}", fix="use 'left' or 'midpoint'")
    offset = 0.0 if rule == "left" else 0.5
    terms = []
    with probe.moving(direction) as move:
        for c in range(steps):
            t = (c + offset) / steps
            if t == 0.0 and grad_at_start is not None:
                terms.append(_dot(grad_at_start, direction))
                continue
            move(t)
            terms.append(probe.grad_dot(direction))
    return sum(terms) / steps, terms


@dataclass
class DeltaEstimate:
    """One edit: predicted and measured ``dL`` and the classes they give."""

    label: str
    editor: dict[str, Any]
    predicted: float
    measured: float
    terms: list[float]
    band: float
    predicted_class: EditClass
    measured_class: EditClass
    direction_norm: float
    seconds: float

    @property
    def sign_agrees(self) -> bool:
        return (self.predicted > 0) == (self.measured > 0)


@dataclass
class EstimateReport:
    """Every edit of a run, with the pair's losses and the band used."""

    loss_post: float
    loss_base: float
    band: float
    steps: int
    rule: str
    estimates: list[DeltaEstimate] = field(default_factory=list)
    calibration_tokens: int = 0

    @property
    def outside_band(self) -> list[DeltaEstimate]:
        return [e for e in self.estimates if abs(e.measured) > self.band]

    @property
    def sign_agreement(self) -> float | None:
        """Share of edits outside the band whose predicted sign is the measured one."""
        out = self.outside_band
        return sum(e.sign_agrees for e in out) / len(out) if out else None

    @property
    def class_agreement(self) -> float | None:
        if not self.estimates:
            return None
        return sum(e.predicted_class == e.measured_class for e in self.estimates) / len(
            self.estimates
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            sign_agreement=self.sign_agreement,
            class_agreement=self.class_agreement,
            outside_band=len(self.outside_band),
        )
        return out


def evaluate_edits(
    base: str | Path,
    post: str | Path,
    editors: Sequence[DeltaEditor],
    calibration: Sequence[Mapping[str, Any]] | CalibrationSet,
    *,
    steps: int = 5,
    rule: Literal["left", "midpoint"] = "left",
    band: float | None = None,
    band_fraction: float = 0.05,
    max_length: int = 256,
    batch_size: int = 8,
    probe: LossProbe | None = None,
    progress: bool = True,
) -> EstimateReport:
    """Predicted (Riemann sum) and measured loss change of each editor on ``(base, post)``.

    ``calibration``: rows in TRL's formats or a :class:`CalibrationSet`. ``band``: the
    absolute ``|dL|`` counted as competitive (default ``band_fraction`` of the
    post-training gain on the calibration set).
    """
    from tqdm.auto import tqdm

    from steergraph.editing.checkpoint import open_checkpoint
    from steergraph.editing.editors import Extrapolate
    from steergraph.editing.stream import edited_deltas

    b, p = open_checkpoint(base), open_checkpoint(post)
    probe = probe or LossProbe.load(
        p.folder, calibration, max_length=max_length, batch_size=batch_size
    )
    loss_post = probe.loss()
    to_base = probe.restrict(edited_deltas(b, p, Extrapolate(alpha=0.0)))  # W_post -> W_base
    with probe.shifted(to_base, 1.0):
        loss_base = probe.loss()
    del to_base
    gain = abs(loss_base - loss_post)
    width = band if band is not None else max(band_fraction * gain, 1e-6)
    report = EstimateReport(
        loss_post, loss_base, width, steps, rule, calibration_tokens=probe.calibration.tokens
    )
    grad0 = probe.gradient()
    ctx = EditContext(grads=grad0)
    bar = tqdm(editors, desc="estimating edits", unit="edit", disable=not progress)
    for editor in bar:
        bar.set_postfix_str(editor.label())
        started = time.perf_counter()
        direction = probe.restrict(edited_deltas(b, p, editor, ctx=ctx))
        predicted, terms = riemann_estimate(
            probe, direction, steps=steps, rule=rule, grad_at_start=grad0
        )
        with probe.shifted(direction, 1.0):
            measured = probe.loss() - loss_post
        norm = math.sqrt(sum(float(d.norm()) ** 2 for d in direction.values()))  # no copies
        report.estimates.append(
            DeltaEstimate(
                label=editor.label(),
                editor=editor.to_dict(),
                predicted=predicted,
                measured=measured,
                terms=terms,
                band=width,
                predicted_class=classify(predicted, width),
                measured_class=classify(measured, width),
                direction_norm=norm,
                seconds=time.perf_counter() - started,
            )
        )
        del direction
    return report
