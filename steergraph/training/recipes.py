"""Training recipes on TRL's trainers (SFT, DPO, GRPO), safe and quick on CPU.

Each ``train_*`` takes a :class:`~steergraph.llm.local.LocalChatModel` (its
``.hf_model`` and ``.tokenizer``), a ``(model, tokenizer)`` pair or a model folder /
embedded name, runs the real TRL trainer, saves the final model and tokenizer into
``output_dir`` (``trainer.save_model``) and returns a :class:`TrainResult`.

* The model is trained **in place**: the object the caller gave (so a
  ``LocalChatModel`` wrapping it samples from the trained policy at once) is
  returned to eval mode afterwards. Nothing new is returned but the result record.
* Training writes into ``output_dir`` only. Errors from TRL propagate unchanged
  (whatever TRL wrote stays); empty datasets and missing columns are caught first
  as :class:`~steergraph.errors.InputError`.
* :func:`policy_from` turns ``output_dir`` into a chat model, optionally exporting
  ``model.gguf`` next to the weights so llama.cpp serves the trained policy.

Defaults that differ from TRL's (:func:`cpu_safe_args`), and why:

=============================  ==============  ==========================================
field                          here            why
=============================  ==============  ==========================================
``bf16``                       False on CPU    TRL turns bf16 autocast on; on CPU it is
                                               ~10x slower and less exact
``activation_checkpointing``   False on CPU    TRL's default True recomputes every layer;
(``gradient_checkpointing``)                   memory is not the limit on CPU. Set via the
                                               new name (the old one warns in transformers 5)
``use_cpu``                    True on CPU     no accelerator probing
``dataloader_pin_memory``      False on CPU    pinning needs an accelerator
``report_to``                  ``[]``          no trackers (wandb, tensorboard) by surprise
``save_strategy``              ``"no"``        no checkpoints; the final model is saved
``logging_steps``              1               a loss per step (short runs log nothing at 10)
``num_train_epochs``           1               one pass per feedback round (TRL: 3)
``per_device_train_batch_size`` 4              CPU-sized (TRL: 8); GRPO: ``num_generations``
``num_generations`` (GRPO)     4               CPU-sized (TRL: 8); a batch is one group
``max_completion_length``      128 (GRPO)      CPU-sized (TRL: 256)
=============================  ==============  ==========================================

The learning rates stay TRL's per-method defaults (SFT 2e-5, DPO 1e-6, GRPO 1e-6).
Pass ``disable_tqdm=True`` to also silence dataset progress bars and load reports.

Example:
    >>> args = cpu_safe_args(__import__("trl").SFTConfig, "/tmp/sft", max_steps=2)
    >>> args.report_to, args.save_strategy.value, args.logging_steps, args.max_steps
    ([], 'no', 1, 2)
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from steergraph.errors import CapabilityError, InputError
from steergraph.training.data_format import DataLike, as_dataset, plain_conversations

if TYPE_CHECKING:
    from steergraph.llm.local import LocalChatModel

__all__ = [
    "DataLike",
    "ModelLike",
    "TrainResult",
    "as_dataset",
    "cpu_safe_args",
    "finish_training",
    "has_accelerator",
    "model_and_tokenizer",
    "plain_conversations",
    "policy_from",
    "quiet_loading",
    "require_rows_left",
    "train_dpo",
    "train_grpo",
    "train_sft",
    "trainable_name",
]

C = TypeVar("C")
#: What the ``train_*`` recipes train: a chat model, (model, tokenizer), or a folder/name.
ModelLike: TypeAlias = "LocalChatModel | tuple[Any, Any] | str | Path"


@dataclass
class TrainResult:
    """What a training run left: where, its logs, how long, how many optimizer steps."""

    output_dir: Path
    log_history: list[dict[str, Any]]
    train_seconds: float
    steps: int
    metrics: dict[str, Any]

    @property
    def losses(self) -> list[float]:
        """The logged training loss of each logging step."""
        return [float(h["loss"]) for h in self.log_history if "loss" in h]

    def summary(self) -> str:
        """``N steps in T s, loss a -> b`` (what the CLI prints after training)."""
        losses = self.losses
        loss = f"loss {losses[0]:.3f} -> {losses[-1]:.3f}" if losses else "no loss logged"
        return f"{self.steps} steps in {self.train_seconds:.1f} s, {loss}"


def has_accelerator() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def cpu_safe_args(config_cls: type[C], output_dir: str | Path, **overrides: Any) -> C:
    """Build a TRL config (``SFTConfig``, ``DPOConfig``, ``GRPOConfig``, ``RewardConfig``).

    Applies the defaults in the module docstring (CPU ones only when
    ``torch.cuda.is_available()`` is False); ``overrides`` win. A
    ``gradient_checkpointing*`` override is passed under its transformers 5 name
    ``activation_checkpointing*``. Unknown fields raise :class:`InputError`.
    """
    fields = {f.name for f in dataclasses.fields(config_cls)}  # type: ignore[arg-type]
    new_names = "activation_checkpointing" in fields
    ckpt = "activation_checkpointing" if new_names else "gradient_checkpointing"
    values: dict[str, Any] = {
        "output_dir": str(output_dir),
        "report_to": [],
        "save_strategy": "no",
        "logging_steps": 1,
        "num_train_epochs": 1,
        "per_device_train_batch_size": 4,
    }
    if has_accelerator():
        values[ckpt] = True  # TRL's default, set under the name that does not warn
    else:
        values.update({"bf16": False, ckpt: False, "use_cpu": True, "dataloader_pin_memory": False})
    if "num_generations" in fields:  # GRPO/RLOO: a batch holds whole groups of completions
        values["num_generations"] = groups = overrides.get("num_generations") or 4
        values["per_device_train_batch_size"] = groups
    if new_names:
        for old in ("gradient_checkpointing", "gradient_checkpointing_kwargs"):
            if old in overrides:
                overrides[old.replace("gradient", "activation")] = overrides.pop(old)
    values.update(overrides)
    unknown = sorted(set(values) - fields)
    if unknown:
        raise InputError(
            f"{config_cls.__name__} has no field(s) {', '.join(unknown)}",
            fix=f"see the fields of trl.{config_cls.__name__}",
        )
    return config_cls(**values)


# ------------------------------------------------------------------ helpers
def trainable_name(spec: str | Path) -> str:
    """The embedded name or folder that a local model spec names, for training
    (``"local"`` -> ``"smollm2"``, ``"local:qwen-coder-0.5b"`` -> ``"qwen-coder-0.5b"``,
    a folder as is); an API model raises InputError.

    >>> trainable_name("local"), trainable_name("local+hf:qwen-coder-0.5b")
    ('smollm2', 'qwen-coder-0.5b')
    """
    from steergraph.llm.loading import parse_spec

    text = str(spec)
    if Path(text).exists() or (":" not in text and not text.startswith("local")):
        return text
    kind, target = parse_spec(text)
    if kind == "provider":
        raise InputError(
            f"cannot train the API model {text!r}",
            fix="use a local model: local, local:qwen-coder-0.5b or local:<model folder>",
        )
    return target


def model_and_tokenizer(model_or_chat: ModelLike) -> tuple[Any, Any]:
    """(transformers model, tokenizer) from a LocalChatModel, a pair, or a folder/name."""
    if isinstance(model_or_chat, (tuple, list)) and len(model_or_chat) == 2:
        return model_or_chat[0], model_or_chat[1]
    if isinstance(model_or_chat, (str, Path)):
        from steergraph.llm.engines.hf_weights import load_hf_model

        model, tok, _ = load_hf_model(trainable_name(model_or_chat))
        return model, tok
    if hasattr(model_or_chat, "engine"):  # a LocalChatModel; ask before loading a GGUF's twin
        if getattr(model_or_chat, "engine_name", "hf") != "hf":
            raise CapabilityError(
                "this chat model serves a GGUF file with llama.cpp; training would change only "
                "its transformers twin, not what it samples from",
                fix="load it with engine='hf', or pass (chat.hf_model, chat.tokenizer) and serve "
                "the result with policy_from(output_dir)",
            )
        return model_or_chat.hf_model, model_or_chat.tokenizer
    raise InputError(
        f"cannot train a {type(model_or_chat).__name__}",
        fix="pass a LocalChatModel, a (model, tokenizer) pair, or a model folder",
    )


@contextlib.contextmanager
def quiet_loading(enabled: bool) -> Iterator[None]:
    """Silence known-noisy warnings, and (if ``enabled``) progress bars and load reports."""
    import datasets
    from transformers.utils import logging as hf_logging

    bars = datasets.is_progress_bar_enabled()
    hf_bars = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    with warnings.catch_warnings():
        # TRL 1.16 still calls transformers' deprecated `is_gradient_checkpointing`.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        if enabled:
            datasets.disable_progress_bars()
            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        try:
            yield
        finally:
            if enabled and bars:
                datasets.enable_progress_bars()
            if enabled and hf_bars:
                hf_logging.enable_progress_bar()
            hf_logging.set_verbosity(level)


def _is_peft(model: Any) -> bool:
    from accelerate.utils import is_peft_model

    return bool(is_peft_model(model))


def require_rows_left(trainer: Any, given: int) -> None:
    """InputError when TRL dropped every row (no completion token left within
    ``max_length``), instead of torch's ``num_samples=0`` from the sampler."""
    if len(trainer.train_dataset) == 0:
        raise InputError(
            f"all {given} training rows were dropped: at max_length={trainer.args.max_length} "
            "tokens no completion token is left after the prompt",
            fix="raise max_length, or shorten the prompts",
        )


def finish_training(trainer: Any, model: Any, tokenizer: Any, output_dir: Path) -> TrainResult:
    """Train, save model + tokenizer into ``output_dir``, and put the model in eval mode.

    A PEFT (LoRA) run saves its adapter into ``output_dir/adapter`` and the merged model
    into ``output_dir``; the caller's model object then holds the merged weights.
    """
    from steergraph.llm.engines.select import EXPORTED_GGUF

    started = time.perf_counter()
    try:
        out = trainer.train()
    finally:
        model.eval()
    seconds = time.perf_counter() - started
    output_dir.mkdir(parents=True, exist_ok=True)
    if not trainer.is_world_process_zero():  # multi-process runs: rank 0 writes the files
        pass
    elif _is_peft(trainer.model):  # keep the adapter, and save the merged model as the result
        trainer.model.save_pretrained(str(output_dir / "adapter"))
        merged = trainer.model.merge_and_unload()  # the caller's model, LoRA folded in
        merged.eval()
        merged.save_pretrained(str(output_dir))
    else:
        trainer.save_model(str(output_dir))
    if trainer.is_world_process_zero():
        if not (output_dir / "tokenizer_config.json").is_file():
            tokenizer.save_pretrained(str(output_dir))
        (output_dir / EXPORTED_GGUF).unlink(missing_ok=True)  # exported from the old weights
    return TrainResult(
        output_dir=output_dir,
        log_history=list(trainer.state.log_history),
        train_seconds=seconds,
        steps=int(trainer.state.global_step),
        metrics=dict(out.metrics),
    )


# ------------------------------------------------------------------ recipes
def train_sft(
    model_or_chat: ModelLike,
    dataset: DataLike,
    *,
    output_dir: str | Path,
    callbacks: list[Any] | None = None,
    **config: Any,
) -> TrainResult:
    """Supervised fine-tuning with ``trl.SFTTrainer``.

    ``dataset``: prompt/completion (e.g. :func:`~steergraph.training.verify.sft_dataset`;
    the loss covers only the completion), ``messages`` or ``text``. ``config`` holds
    ``SFTConfig`` fields (``max_steps``, ``learning_rate``...).
    """
    from trl import SFTConfig, SFTTrainer

    model, tok = model_and_tokenizer(model_or_chat)
    data = as_dataset(dataset, [{"prompt", "completion"}, {"messages"}, {"text"}], "SFT")
    data = plain_conversations(data, tok)
    out = Path(output_dir)
    args = cpu_safe_args(SFTConfig, out, **config)
    with quiet_loading(bool(args.disable_tqdm)):
        trainer = SFTTrainer(
            model=model, args=args, train_dataset=data, processing_class=tok, callbacks=callbacks
        )
        require_rows_left(trainer, len(data))
        return finish_training(trainer, model, tok, out)


def train_dpo(
    model_or_chat: ModelLike,
    dataset: DataLike,
    *,
    output_dir: str | Path,
    ref_model: Any = None,
    callbacks: list[Any] | None = None,
    **config: Any,
) -> TrainResult:
    """Direct preference optimization with ``trl.DPOTrainer``.

    ``dataset``: prompt/chosen/rejected (e.g.
    :func:`~steergraph.training.verify.preference_dataset`). The reference model is
    ``ref_model``, else a frozen copy of the policy as given (TRL 1.16 would otherwise
    reload it from ``config._name_or_path``, which an in-memory or already trained
    model does not match); with ``precompute_ref_log_probs=True`` no copy is kept.
    """
    from trl import DPOConfig, DPOTrainer

    model, tok = model_and_tokenizer(model_or_chat)
    data = as_dataset(dataset, [{"chosen", "rejected"}], "DPO")
    out = Path(output_dir)
    args = cpu_safe_args(DPOConfig, out, **config)
    if ref_model is None and not args.precompute_ref_log_probs:
        ref_model = copy.deepcopy(model).eval()
        ref_model.requires_grad_(False)
    with quiet_loading(bool(args.disable_tqdm)):
        trainer = DPOTrainer(
            model=model,
            ref_model=ref_model,
            args=args,
            train_dataset=data,
            processing_class=tok,
            callbacks=callbacks,
        )
        return finish_training(trainer, model, tok, out)


@contextlib.contextmanager
def _reference_snapshot(model: Any, needed: bool) -> Iterator[None]:
    """GRPO (``beta > 0``) loads its reference from ``config._name_or_path`` (it takes no
    ``ref_model``): point that at a saved copy of the policy as given."""
    if not needed:
        yield
        return
    original = model.config._name_or_path
    with tempfile.TemporaryDirectory(prefix="steergraph-ref-") as tmp:
        model.save_pretrained(tmp)
        model.config._name_or_path = tmp
        try:
            yield
        finally:
            model.config._name_or_path = original


def train_grpo(
    model_or_chat: ModelLike,
    prompts_dataset: DataLike,
    reward_funcs: Callable[..., Any] | Sequence[Callable[..., Any]],
    *,
    output_dir: str | Path,
    num_generations: int = 4,
    max_completion_length: int = 128,
    callbacks: list[Any] | None = None,
    **config: Any,
) -> TrainResult:
    """Group relative policy optimization with ``trl.GRPOTrainer`` (generation on CPU works).

    ``prompts_dataset``: a ``prompt`` column plus whatever the reward functions read
    (e.g. :func:`~steergraph.training.verify.prompt_dataset` and
    :func:`~steergraph.training.verify.reward_function`). Each step samples
    ``num_generations`` completions per prompt; the batch defaults to one group.
    """
    from trl import GRPOConfig, GRPOTrainer

    model, tok = model_and_tokenizer(model_or_chat)
    data = as_dataset(prompts_dataset, [{"prompt"}], "GRPO")
    funcs = [reward_funcs] if callable(reward_funcs) else list(reward_funcs)
    if not funcs:
        raise InputError("GRPO needs at least one reward function", fix="pass reward_funcs")
    out = Path(output_dir)
    args = cpu_safe_args(
        GRPOConfig,
        out,
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        **config,
    )
    with quiet_loading(bool(args.disable_tqdm)):
        with _reference_snapshot(model, args.beta != 0.0):
            trainer = GRPOTrainer(
                model=model,
                reward_funcs=funcs,
                args=args,
                train_dataset=data,
                processing_class=tok,
                callbacks=callbacks,
            )
        return finish_training(trainer, model, tok, out)


def policy_from(
    output_dir: str | Path,
    *,
    export: bool = True,
    dtype: str = "f16",
    engine: str = "auto",
    **chat_kwargs: Any,
) -> LocalChatModel:
    """Load a trained ``output_dir`` as a :class:`~steergraph.llm.local.LocalChatModel`.

    With ``export`` it first writes ``model.gguf`` there (:func:`export_gguf`, ``dtype``
    ``f32``/``f16``/``q8_0``), so ``engine="auto"`` serves it with llama.cpp when
    installed; an architecture the exporter lacks raises ``CapabilityError``.
    """
    from steergraph.llm.gguf_export import export_gguf
    from steergraph.llm.local import LocalChatModel

    folder = Path(output_dir)
    if not (folder / "config.json").is_file():
        raise InputError(
            f"'{folder}' holds no trained model (no config.json)",
            fix="pass the output_dir of a train_* call",
        )
    if export:
        export_gguf(folder, dtype=dtype)
    return LocalChatModel.from_pretrained(str(folder), engine=engine, **chat_kwargs)
