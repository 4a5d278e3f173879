"""Delta-parameter editing: edit what post-training changed, streamed over model files.

``dW = W_post - W_base`` carries everything post-training did. The editors
(:mod:`~steergraph.editing.editors`: DARE and its k extension, biased masks, BitDelta
1-bit and multi-bit with optional scale distillation, low rank, TIES, extrapolation,
delta quantization) rewrite it tensor by tensor; :func:`edit_checkpoint` streams the
result into a model folder and :func:`write_delta` into a compact delta file that
:func:`apply_delta` puts back on the base later; :func:`evaluate_edits` gives the
Riemann-sum estimate of each edit's loss change beside the measured change (Tang et al.,
2024, arXiv:2410.13841).

Example:
    >>> import tempfile, pathlib
    >>> from steergraph.testing import TINY_ROWS, tiny_model_pair
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> base, post = tiny_model_pair(tmp)
    >>> edit_checkpoint(base, post, Dare(p=0.9), tmp / "dare", progress=False).edited > 0
    True
    >>> report = evaluate_edits(base, post, [BitDelta(bits=1)], TINY_ROWS, progress=False)
    >>> report.estimates[0].measured_class in ("competitive", "decreased", "improved")
    True
"""

from steergraph.editing.bitdelta import DistillResult, distill_bitdelta
from steergraph.editing.calibration import CalibrationSet
from steergraph.editing.checkpoint import Checkpoint, check_pair, open_checkpoint
from steergraph.editing.delta_file import DeltaFile, DeltaFileInfo, apply_delta, write_delta
from steergraph.editing.editors import (
    BiasedDare,
    BitDelta,
    Dare,
    DeltaEditor,
    EditContext,
    Extrapolate,
    LowRank,
    QuantizeDelta,
    Ties,
)
from steergraph.editing.estimate import (
    DeltaEstimate,
    EstimateReport,
    LossProbe,
    classify,
    evaluate_edits,
    riemann_estimate,
)
from steergraph.editing.specs import EDITORS, editor_from_dict, parse_editor
from steergraph.editing.stream import EditResult, edit_checkpoint, edited_deltas, merge_checkpoints

__all__ = [
    "EDITORS",
    "BiasedDare",
    "BitDelta",
    "CalibrationSet",
    "Checkpoint",
    "Dare",
    "DeltaEditor",
    "DeltaEstimate",
    "DeltaFile",
    "DeltaFileInfo",
    "DistillResult",
    "EditContext",
    "EditResult",
    "EstimateReport",
    "Extrapolate",
    "LossProbe",
    "LowRank",
    "QuantizeDelta",
    "Ties",
    "apply_delta",
    "check_pair",
    "classify",
    "distill_bitdelta",
    "edit_checkpoint",
    "edited_deltas",
    "editor_from_dict",
    "evaluate_edits",
    "merge_checkpoints",
    "open_checkpoint",
    "parse_editor",
    "riemann_estimate",
    "write_delta",
]
