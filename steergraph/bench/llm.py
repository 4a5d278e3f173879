"""Baselines for the LLM-layer benchmarks: llama-cpp-python used directly, as a user would.

Example:
    >>> callable(raw_llama)
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["raw_llama"]


def raw_llama(path: str | Path, *, n_ctx: int = 4096) -> Any:
    """``llama_cpp.Llama`` over ``path`` with our engine's model parameters (llama.cpp's
    AMX/AVX-512 weight repacking off: its Q4_1 path crashes on AMX CPUs), so the raw
    baseline and our engine run the same kernels."""
    import llama_cpp

    from steergraph.llm.engines.llamacpp_runtime import safe_model_params

    default_params = llama_cpp.llama_model_default_params
    llama_cpp.llama_model_default_params = lambda: safe_model_params(  # type: ignore[assignment]
        type("lc", (), {"llama_model_default_params": staticmethod(default_params)})
    )
    try:
        return llama_cpp.Llama(str(path), n_ctx=n_ctx, verbose=False)
    finally:
        llama_cpp.llama_model_default_params = default_params  # type: ignore[assignment]
