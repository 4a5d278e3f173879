"""Reward models: train one on preference pairs with TRL, and score responses with it.

:func:`train_reward_model` turns a causal LM into a sequence classifier with one
output (``AutoModelForSequenceClassification``, ``num_labels=1``: the LM's body plus a
fresh linear ``score`` head) and trains it with ``trl.RewardTrainer`` on
prompt/chosen/rejected pairs (:func:`~steergraph.training.verify.preference_dataset`)
with the Bradley-Terry loss ``-log sigmoid(r_chosen - r_rejected)``.

The scorer, :class:`RewardModelScorer`, and :func:`sequence_classifier` live in
:mod:`steergraph.agents.verify.reward_scorer` (verifiers use them without the trainers)
and are re-exported here.

Example:
    >>> from steergraph.testing import tiny_causal_lm
    >>> model, tok = sequence_classifier(tiny_causal_lm())
    >>> model.config.num_labels, tok.pad_token is not None
    (1, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steergraph.agents.verify.reward_scorer import RewardModelScorer, sequence_classifier
from steergraph.training.recipes import (
    DataLike,
    ModelLike,
    TrainResult,
    as_dataset,
    cpu_safe_args,
    finish_training,
    quiet_loading,
)

__all__ = ["RewardModelScorer", "sequence_classifier", "train_reward_model"]


def train_reward_model(
    base: ModelLike,
    pairs: DataLike,
    *,
    output_dir: str | Path,
    use_margin: bool = False,
    callbacks: list[Any] | None = None,
    **config: Any,
) -> TrainResult:
    """Train a reward model with ``trl.RewardTrainer``; save it into ``output_dir``.

    ``base``: see :func:`sequence_classifier` (a given causal LM is copied, never
    changed). ``pairs``: ``chosen``/``rejected`` columns (conversational or text),
    optionally ``prompt``. A ``margin`` column (as
    :func:`~steergraph.training.verify.preference_dataset` writes) is used by TRL as
    ``-log sigmoid(r_c - r_r - margin)`` only when ``use_margin``; otherwise dropped.
    ``config``: ``RewardConfig`` fields (TRL's learning rate 1e-4 is kept). Load the
    result with ``RewardModelScorer.from_pretrained(result.output_dir)``.
    """
    from trl import RewardConfig, RewardTrainer

    data = as_dataset(pairs, [{"chosen", "rejected"}], "reward-model")
    if "margin" in data.column_names and not use_margin:
        data = data.remove_columns("margin")
    model, tok = sequence_classifier(base)
    out = Path(output_dir)
    args = cpu_safe_args(RewardConfig, out, **config)
    with quiet_loading(bool(args.disable_tqdm)):
        trainer = RewardTrainer(
            model=model, args=args, train_dataset=data, processing_class=tok, callbacks=callbacks
        )
        return finish_training(trainer, model, tok, out)
