"""Make a real post-trained model here: a short TRL SFT of an embedded model, cached.

Delta-parameter editing needs a base and a post-trained version of it. This recipe
fine-tunes an embedded model (SmolLM2-135M-Instruct by default; Gemma 3 270M for a
second family) with ``trl.SFTTrainer`` on the instruction rows of
:mod:`steergraph.data.delta.post_train` (Debian package questions and HumanEval bodies,
completion-only loss), and keeps the result in
``$STEERGRAPH_HOME/models/<base>-sft-<hash of the recipe>``, so every caller with the
same :class:`PostTrainRecipe` (the tests, the notebook, the benchmark) trains once.
Training writes to a temporary folder renamed when complete: a killed run leaves no
half model in the cache. The model trains and is saved in float32, the dtype of the
converted base, on any device (a bf16 post model would not pair with it). Tokenizers
without a chat template get the rows as plain ``Question: ... / Answer:`` text.

Example:
    >>> QUICK_RECIPE.steps, PostTrainRecipe().steps > QUICK_RECIPE.steps
    (8, True)
    >>> PostTrainRecipe(base="gemma3").folder_name().startswith("gemma3-sft-")
    True
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["QUICK_RECIPE", "PostTrainRecipe", "calibration_rows", "post_trained"]

_RECORD = "steergraph-post-train.json"


@dataclass(frozen=True)
class PostTrainRecipe:
    """How the post-trained model is made (every field changes the cache key)."""

    base: str = "smollm2"
    steps: int = 120
    learning_rate: float = 1e-4
    batch_size: int = 4
    max_length: int = 256
    seed: int = 0
    rows: int | None = None  # first N training rows (None: all)

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]

    def folder_name(self) -> str:
        return f"{self.base}-sft-{self.key()}"


#: the recipe of the tests and the notebook: 8 steps, about a minute on 2 cores
QUICK_RECIPE = PostTrainRecipe(steps=8, learning_rate=3e-4, batch_size=4, max_length=160)


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Conversational rows as plain prompt/completion strings (no chat template)."""
    return [
        {
            "prompt": f"Question: {r['prompt'][0]['content']}\nAnswer:",
            # the space opens the completion, so no token straddles the boundary
            "completion": " " + r["completion"][0]["content"],
        }
        for r in rows
    ]


def calibration_rows(tokenizer: Any = None, n: int | None = None) -> list[dict[str, Any]]:
    """Held-out rows (never trained on) in the format the recipe trained with."""
    from steergraph.data.delta.post_train import post_train_rows

    rows = post_train_rows("calibration", n=n)
    if tokenizer is not None and not getattr(tokenizer, "chat_template", None):
        return _plain(rows)
    return rows


def post_trained(
    recipe: PostTrainRecipe = PostTrainRecipe(),
    *,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """The folder of the post-trained model for ``recipe``; trains it the first time."""
    from steergraph.llm.embedded import EMBEDDED_MODELS
    from steergraph.paths import build_once, models_dir

    if recipe.base not in EMBEDDED_MODELS:
        raise InputError(
            f"unknown base model {recipe.base!r} for the post-training recipe",
            fix=f"use one of {', '.join(sorted(EMBEDDED_MODELS))}",
        )
    if recipe.steps < 1 or recipe.learning_rate <= 0:
        raise InputError(
            f"steps={recipe.steps}, learning_rate={recipe.learning_rate}",
            fix="use steps >= 1 and a positive learning rate",
        )
    target = models_dir() / recipe.folder_name()
    build_once(recipe.folder_name(), lambda: (target / _RECORD).is_file() and not force,
               lambda: _post_train(recipe, target, progress))  # fmt: skip
    return target


def _post_train(recipe: PostTrainRecipe, target: Path, progress: bool) -> None:
    from steergraph.data.delta.post_train import post_train_rows
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.paths import models_dir
    from steergraph.training.recipes import train_sft

    model, tok, _ = load_hf_model(recipe.base)
    model = model.float()  # the base is saved in float32: the pair must share its dtype
    rows = post_train_rows("train", n=recipe.rows)
    data = rows if getattr(tok, "chat_template", None) else _plain(rows)
    data = [{k: v for k, v in r.items() if k != "id"} for r in data]
    with tempfile.TemporaryDirectory(dir=models_dir(), prefix=".post-train-") as tmp:
        out = Path(tmp) / "model"
        result = train_sft(
            (model, tok),
            data,
            output_dir=out,
            max_steps=recipe.steps,
            learning_rate=recipe.learning_rate,
            per_device_train_batch_size=recipe.batch_size,
            max_length=recipe.max_length,
            seed=recipe.seed,
            lr_scheduler_type="constant",
            disable_tqdm=not progress,
        )
        record = {
            "recipe": asdict(recipe),
            "losses": result.losses,
            "train_seconds": result.train_seconds,
            "steps": result.steps,
        }
        (out / _RECORD).write_text(json.dumps(record, indent=2))
        if target.exists():
            shutil.rmtree(target)
        out.rename(target)
