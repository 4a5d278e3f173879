"""``load_hf_model``: the transformers weights and tokenizer of a local model.

The transformers engine (:mod:`steergraph.llm.engines.hf`) decodes with them and every
TRL trainer trains them; an embedded name is converted once from its GGUF file into
``$STEERGRAPH_HOME`` (:func:`~steergraph.llm.embedded.ensure_converted`). Nothing is
downloaded: a folder that is not there is a :class:`~steergraph.errors.ModelSpecError`.
Loads are serialised by a process-wide lock: transformers builds a model on the "meta"
device first, and two threads loading at once (parallel ``Send`` branches of a graph) can
see each other's meta tensors ("Cannot copy out of meta tensor"). A load from disk
shows no per-load progress bar (:func:`quiet_weights`): it takes seconds, and a CLI
call that loads a cached model should print only what the user asked for.

Example:
    >>> load_hf_model("no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.ModelSpecError: 'no-such-model' is neither an embedded model nor ...
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from steergraph.errors import ModelLoadError, ModelSpecError
from steergraph.llm.embedded import EMBEDDED_MODELS, ensure_converted

__all__ = ["load_hf_model", "quiet_weights"]

_LOADING = threading.Lock()


@contextlib.contextmanager
def quiet_weights(*, errors_only: bool = False) -> Iterator[None]:
    """transformers' "Loading weights" progress bars off while loading from disk; with
    ``errors_only`` its load report too (weights dropped or newly initialised, expected
    when a causal LM becomes a classifier)."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    if errors_only:
        hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if was_on:
            hf_logging.enable_progress_bar()


def load_hf_model(name_or_path: str) -> tuple[Any, Any, str]:
    """Load (model, tokenizer, label) for an embedded name or a local model folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name_or_path in EMBEDDED_MODELS:
        folder: str = str(ensure_converted(name_or_path))
        label = name_or_path
    elif name_or_path.endswith(".gguf"):
        raise ModelSpecError(
            f"'{name_or_path}' is a GGUF file, which transformers does not train or serve here",
            fix="use 'local+gguf:<file>' for llama.cpp, or the transformers folder it came from",
        )
    else:
        folder, label = name_or_path, name_or_path
        if not Path(folder).exists() and "/" not in folder:
            raise ModelSpecError(
                f"'{name_or_path}' is neither an embedded model nor an existing folder",
                fix=f"use {', '.join(sorted(EMBEDDED_MODELS))} or a path to a transformers model",
            )
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    with _LOADING, quiet_weights():
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                folder,
                local_files_only=True,
                dtype=torch.bfloat16 if device == "cuda" else torch.float32,
            ).to(device)
        except OSError as exc:
            raise ModelLoadError(
                f"could not load a causal LM from '{folder}': {str(exc).splitlines()[0]}",
                fix="pass a folder with config.json, weights and a tokenizer (nothing is "
                "downloaded)",
            ) from exc
    model.eval()
    return model, tokenizer, label
