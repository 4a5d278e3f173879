"""SSO recipes: the SSO trainer, the generator variant and reward models on SSO data.

* :func:`sso_rows` -- filtered triplets (:mod:`steergraph.agents.sso.filters`) as SSO
  training rows (:func:`~steergraph.training.sso_trainer.sso_row`);
* :func:`train_sso` -- :class:`~steergraph.training.sso_trainer.SSOTrainer` with the
  CPU-safe defaults of :func:`~steergraph.training.recipes.cpu_safe_args`, full
  fine-tuning or LoRA (``peft_config``; the merged model is saved, the adapter beside
  it); ``sso_variant="generator"`` trains a data generator instead of the policy;
* :func:`preference_rows` -- the plain pairs (``prompt``/``chosen``/``rejected``), TRL's
  preference format, for ``train_dpo`` and ``train_reward_model``;
* :func:`train_sso_reward_model` -- TRL's ``RewardTrainer`` on those pairs.

Example:
    >>> rows = [sso_row("Hi?", "Hello.", "Go away.", "Hey.", "Be kind.", "Be rude.")]
    >>> pair = preference_rows(rows)[0]
    >>> sorted(pair), pair["chosen"][0]["content"]
    (['chosen', 'prompt', 'rejected'], 'Hello.')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from steergraph.agents.sso.rows import preference_rows, sso_row, sso_rows
from steergraph.training.recipes import (
    ModelLike,
    TrainResult,
    cpu_safe_args,
    finish_training,
    model_and_tokenizer,
    quiet_loading,
)
from steergraph.training.sso_config import SSOConfig
from steergraph.training.sso_trainer import SSOTrainer, sso_dataset

__all__ = [
    "preference_rows",
    "sso_row",
    "sso_rows",
    "train_sso",
    "train_sso_reward_model",
]


def train_sso(
    model_or_chat: ModelLike,
    rows: Any,
    *,
    output_dir: str | Path,
    ref_model: Any = None,
    peft_config: Any = None,
    callbacks: list[Any] | None = None,
    **config: Any,
) -> TrainResult:
    """Train with the SSO loss; ``config`` holds :class:`SSOConfig` fields.

    ``rows``: a ``datasets.Dataset`` or rows from :func:`sso_rows`. The model is trained
    in place and saved into ``output_dir`` (see :mod:`steergraph.training.recipes`).
    """
    from datasets import Dataset

    model, tok = model_and_tokenizer(model_or_chat)
    data = rows if isinstance(rows, Dataset) else sso_dataset(list(rows))
    out = Path(output_dir)
    args = cpu_safe_args(SSOConfig, out, **config)
    with quiet_loading(bool(args.disable_tqdm)):
        trainer = SSOTrainer(
            model,
            ref_model=ref_model,
            args=args,
            train_dataset=data,
            processing_class=tok,
            callbacks=callbacks,
            peft_config=peft_config,
        )
        result = finish_training(trainer, model, tok, out)
    result.metrics["dropped_rows"] = trainer.sso_dropped_rows.get("train", 0)
    return result


def train_sso_reward_model(
    base: ModelLike, rows: Sequence[Mapping[str, Any]], *, output_dir: str | Path, **config: Any
) -> TrainResult:
    """A reward model (``trl.RewardTrainer``) on the plain pairs of SSO rows."""
    from steergraph.training.reward_model import train_reward_model

    return train_reward_model(base, preference_rows(rows), output_dir=output_dir, **config)
