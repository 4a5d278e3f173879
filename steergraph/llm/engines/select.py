"""Which engine runs a local model, and building it.

``local`` specs pick an engine (``STEERGRAPH_ENGINE`` sets the default):

* ``auto`` -- llama.cpp when ``llama-cpp-python`` is installed and the model has a
  GGUF file (the embedded models do; so does a folder written by
  ``steergraph models export``), else transformers. If the llama.cpp engine fails
  to load, ``auto`` falls back to transformers and says so in one line;
* ``hf`` -- transformers (trainable weights; what TRL trainers need);
* ``gguf`` -- llama.cpp, and an error (no fallback) when it cannot be used.

Example:
    >>> from steergraph.llm.engines.select import default_engine
    >>> default_engine() in {"auto", "hf", "gguf"}
    True
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from steergraph.errors import CapabilityError, ModelLoadError, ModelSpecError
from steergraph.llm.embedded import (
    EMBEDDED_MODELS,
    embedded_gguf,
    embedded_tokenizer,
    ensure_converted,
)

__all__ = ["ENGINES", "build_engine", "default_engine", "find_gguf"]

ENGINES = ("auto", "hf", "gguf")
EXPORTED_GGUF = "model.gguf"


def default_engine() -> str:
    """The engine ``local`` specs use: ``$STEERGRAPH_ENGINE`` or ``auto``."""
    choice = os.environ.get("STEERGRAPH_ENGINE", "auto").strip().lower() or "auto"
    if choice not in ENGINES:
        raise ModelSpecError(
            f"STEERGRAPH_ENGINE={choice!r} is not an engine",
            fix=f"set it to one of {', '.join(ENGINES)}",
        )
    return choice


def find_gguf(target: str) -> Path | None:
    """The GGUF file for an embedded name, a ``.gguf`` path, or an exported folder."""
    if target in EMBEDDED_MODELS:
        return embedded_gguf(target)
    path = Path(target)
    if path.suffix == ".gguf":
        return path
    if (path / EXPORTED_GGUF).is_file():
        return path / EXPORTED_GGUF
    return None


def _tokenizer_for(target: str, gguf: Path) -> tuple[Any, str | None]:
    """The HF tokenizer paired with a GGUF file, and the transformers folder if known."""
    from transformers import AutoTokenizer

    if target in EMBEDDED_MODELS:
        if EMBEDDED_MODELS[target].split is not None:  # no conversion needed to serve it
            folder = str(embedded_tokenizer(target))
            return AutoTokenizer.from_pretrained(folder, local_files_only=True), target
        folder = str(ensure_converted(target))
        return AutoTokenizer.from_pretrained(folder, local_files_only=True), folder
    parent = gguf.parent
    if (parent / "tokenizer_config.json").is_file():
        hf_folder = str(parent) if (parent / "config.json").is_file() else None
        return AutoTokenizer.from_pretrained(str(parent), local_files_only=True), hf_folder
    try:
        return AutoTokenizer.from_pretrained(str(parent), gguf_file=gguf.name), None
    except Exception as exc:  # transformers raises many kinds for unknown GGUF vocabularies
        raise ModelLoadError(
            f"could not build a tokenizer from '{gguf}': {str(exc).splitlines()[0]}",
            fix="put the model's tokenizer files next to the .gguf file",
        ) from exc


def _gguf_engine(target: str) -> tuple[Any, str]:
    from steergraph.llm.engines.llamacpp import LlamaCppEngine
    from steergraph.llm.engines.llamacpp_runtime import check_gguf_file, llama_cpp_available

    if not llama_cpp_available():
        raise CapabilityError(
            "the llama.cpp engine needs llama-cpp-python, which is not installed",
            fix="run `make install-llamacpp` (builds llama-cpp-python==0.3.36, about 2-3 min) "
            "or use 'local+hf:<model>'",
        )
    gguf = find_gguf(target)
    if gguf is None:
        raise ModelLoadError(
            f"'{target}' has no GGUF file for llama.cpp",
            fix="export it with `steergraph models export FOLDER` or use 'local+hf:<model>'",
        )
    check_gguf_file(gguf)
    tokenizer, hf_folder = _tokenizer_for(target, gguf)

    def load_twin() -> Any:
        from steergraph.llm.engines.hf_weights import load_hf_model

        return load_hf_model(target if target in EMBEDDED_MODELS else str(hf_folder))[0]

    n_ctx = int(os.environ.get("STEERGRAPH_LLAMA_CTX", "8192"))
    engine = LlamaCppEngine(
        gguf, tokenizer, hf_loader=load_twin if hf_folder else None, n_ctx=n_ctx
    )
    return engine, target


def _hf_engine(target: str) -> tuple[Any, str]:
    from steergraph.llm.engines.fast_copy import default_precision
    from steergraph.llm.engines.hf import HFEngine
    from steergraph.llm.engines.hf_weights import load_hf_model

    model, tokenizer, label = load_hf_model(target)
    return HFEngine(model, tokenizer, precision=default_precision()), label


def build_engine(target: str, engine: str = "auto") -> tuple[Any, str]:
    """Build the engine for a local model; return (engine, label). See module docstring."""
    if engine not in ENGINES:
        raise ModelSpecError(f"unknown engine {engine!r}", fix=f"use one of {', '.join(ENGINES)}")
    if engine == "auto":
        engine = default_engine()
    if engine == "hf":
        return _hf_engine(target)
    if engine == "gguf":
        return _gguf_engine(target)
    from steergraph.llm.engines.llamacpp_runtime import llama_cpp_available

    is_gguf = Path(target).suffix == ".gguf"
    if not is_gguf and not llama_cpp_available():
        return _hf_engine(target)
    try:
        if is_gguf or find_gguf(target) is not None:
            return _gguf_engine(target)
    except (ModelLoadError, CapabilityError) as exc:
        if is_gguf:
            raise
        print(
            f"steergraph: llama.cpp engine unavailable ({exc.message}); using transformers",
            file=sys.stderr,
        )
    return _hf_engine(target)
