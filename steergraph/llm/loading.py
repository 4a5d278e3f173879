"""``load_chat_model(spec)``: the one way to get a chat model in steergraph.

Accepted specs:

* ``"local"`` -- the embedded default (SmolLM2-135M-Instruct);
* ``"local:<name>"`` -- an embedded model (``smollm2``, ``gemma3``);
* ``"local:<path or hub id>"`` -- any transformers causal LM already on disk
  (a folder, or a Hugging Face cache entry; nothing is downloaded), or a ``.gguf``;
* ``"local+hf:<...>"`` / ``"local+gguf:<...>"`` -- the same, forcing the
  transformers or the llama.cpp engine (plain ``local`` picks the fastest installed,
  see :mod:`steergraph.llm.engines.select`);
* ``"<provider>:<model>"`` -- handed to LangChain's ``init_chat_model``
  (``openai:gpt-4o-mini``, ``anthropic:...``, ``ollama:...``); ``openai:<name>`` talks
  to any OpenAI-compatible server (vLLM, llama.cpp's server) given ``base_url=...`` or
  ``STEERGRAPH_OPENAI_BASE_URL``/``OPENAI_BASE_URL`` (:mod:`steergraph.llm.openai_server`);
* a ``BaseChatModel`` instance -- returned as is.

Example:
    >>> from steergraph.llm.loading import parse_spec
    >>> parse_spec("local")
    ('local', 'smollm2')
    >>> parse_spec("local+gguf:gemma3")
    ('local+gguf', 'gemma3')
    >>> parse_spec("openai:gpt-4o-mini")
    ('provider', 'openai:gpt-4o-mini')
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from steergraph.errors import ModelSpecError
from steergraph.llm.embedded import DEFAULT_MODEL

__all__ = ["ACCEPTED_SPECS", "load_chat_model", "parse_spec"]

ACCEPTED_SPECS = (
    "'local' (embedded SmolLM2), 'local:smollm2', 'local:gemma3', 'local:<model folder or "
    ".gguf>', 'local+hf:<...>' or 'local+gguf:<...>' to force an engine, "
    "'<provider>:<model>' for langchain's init_chat_model (e.g. 'openai:gpt-4o-mini'), "
    "or a BaseChatModel instance"
)
_engines: dict[tuple[str, str], tuple[Any, str]] = {}
_LOCAL_KINDS = {"local": "auto", "local+hf": "hf", "local+gguf": "gguf"}
_cache_lock = threading.Lock()


def parse_spec(spec: str) -> tuple[str, str]:
    """Split a spec string into (kind, target); raise ModelSpecError if malformed."""
    if not isinstance(spec, str) or not spec.strip():
        raise ModelSpecError(
            f"empty or non-string model spec {spec!r}", fix=f"use {ACCEPTED_SPECS}"
        )
    spec = spec.strip()
    if spec in _LOCAL_KINDS:
        return spec, DEFAULT_MODEL
    for kind in _LOCAL_KINDS:
        if spec.startswith(kind + ":"):
            target = spec.removeprefix(kind + ":").strip()
            if not target:
                raise ModelSpecError(f"'{kind}:' names no model", fix=f"use {ACCEPTED_SPECS}")
            return kind, target
    if ":" in spec:
        provider, model = spec.split(":", 1)
        if provider and model:
            return "provider", spec
    raise ModelSpecError(f"unknown model spec '{spec}'", fix=f"use {ACCEPTED_SPECS}")


def load_chat_model(spec: str | BaseChatModel = "local", **kwargs: Any) -> BaseChatModel:
    """Return a chat model for ``spec`` (see the module docstring for the forms).

    Local weights are loaded once per model and shared, so graphs can call this freely.
    """
    if isinstance(spec, BaseChatModel):
        return spec
    kind, target = parse_spec(spec)  # type: ignore[arg-type]
    if kind == "provider":
        from langchain.chat_models import init_chat_model

        if target.startswith("openai:"):  # any OpenAI-compatible server (vLLM, llama.cpp)
            from steergraph.llm.openai_server import openai_settings

            kwargs = {**openai_settings(kwargs.pop("base_url", None)), **kwargs}
        try:
            return init_chat_model(target, **kwargs)
        except (ValueError, ImportError) as exc:
            raise ModelSpecError(
                f"langchain could not build '{target}': {str(exc).splitlines()[0]}",
                fix=f"install the provider's package (e.g. langchain-openai) or use "
                f"{ACCEPTED_SPECS}",
            ) from exc
    from steergraph.llm.engines.select import build_engine, default_engine
    from steergraph.llm.local import LocalChatModel

    engine_choice = _LOCAL_KINDS[kind]
    if engine_choice == "auto":
        engine_choice = default_engine()
    key = (engine_choice, os.path.abspath(target) if Path(target).exists() else target)
    with _cache_lock:  # one engine (weights in memory) per model, shared by all settings
        if key not in _engines:
            _engines[key] = build_engine(target, engine_choice)
        engine, label = _engines[key]
    return LocalChatModel(engine=engine, model_name=label, **kwargs)
