"""``FaissVectorStore``: a LangChain ``VectorStore`` over a FAISS inner-product index.

Documents live in a dict keyed by id; vectors in ``IndexIDMap2(IndexFlatIP)`` so
they can be removed by id. With normalised embeddings (MiniLM) scores are cosine
similarities. ``save(folder)`` writes ``index.faiss`` + ``docs.json``;
``FaissVectorStore.load(folder, embeddings)`` reads them back. (langchain-community
has a FAISS store too; it is not a dependency, and this one is ~150 lines.)

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> store = FaissVectorStore(DeterministicFakeEmbedding(size=8))
    >>> ids = store.add_texts(["alpha", "beta"])
    >>> store.similarity_search("alpha", k=1)[0].page_content
    'alpha'
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from steergraph.errors import InputError, InputFileError

__all__ = ["FaissVectorStore"]


class FaissVectorStore(VectorStore):
    """Add / search / delete / save / load over FAISS (see module docstring)."""

    def __init__(self, embedding: Embeddings) -> None:
        self._embedding = embedding
        self._index: Any = None
        self._docs: dict[str, Document] = {}
        self._id_to_int: dict[str, int] = {}
        self._int_to_id: dict[int, str] = {}
        self._next = 0

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    def __len__(self) -> int:
        return len(self._docs)

    def _ensure_index(self, dim: int) -> Any:
        import faiss

        if self._index is None:
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        elif self._index.d != dim:
            raise InputError(
                f"embedding dimension {dim} does not match the index dimension {self._index.d}",
                fix="use the same embedding model for adding and searching",
            )
        return self._index

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and add texts; return their ids (re-adding an id replaces it)."""
        texts = list(texts)
        if not texts:
            return []
        metadatas = metadatas or [{} for _ in texts]
        ids = ids or [str(uuid.uuid4()) for _ in texts]
        if not (len(metadatas) == len(ids) == len(texts)):
            raise InputError(
                f"got {len(texts)} texts, {len(metadatas)} metadatas and {len(ids)} ids",
                fix="pass lists of the same length",
            )
        existing = [i for i in ids if i in self._docs]
        if existing:
            self.delete(existing)
        vectors = np.asarray(self._embedding.embed_documents(texts), dtype="float32")
        index = self._ensure_index(vectors.shape[1])
        ints = np.arange(self._next, self._next + len(texts), dtype="int64")
        self._next += len(texts)
        index.add_with_ids(vectors, ints)
        for doc_id, num, text, meta in zip(ids, ints.tolist(), texts, metadatas):
            self._docs[doc_id] = Document(page_content=text, metadata=dict(meta), id=doc_id)
            self._id_to_int[doc_id] = num
            self._int_to_id[num] = doc_id
        return ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Remove documents by id; True if all were present."""
        if not ids:
            return False
        present = [i for i in ids if i in self._docs]
        if present and self._index is not None:
            nums = np.asarray([self._id_to_int.pop(i) for i in present], dtype="int64")
            self._index.remove_ids(nums)
            for num, doc_id in zip(nums.tolist(), present):
                self._int_to_id.pop(num, None)
                self._docs.pop(doc_id, None)
        return len(present) == len(ids)

    def get_by_ids(self, ids: list[str], /) -> list[Document]:
        return [self._docs[i] for i in ids if i in self._docs]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Return the ``k`` most similar documents with their inner-product scores."""
        if self._index is None or not self._docs:
            return []
        vector = np.asarray([self._embedding.embed_query(query)], dtype="float32")
        scores, nums = self._index.search(vector, min(k, len(self._docs)))
        return [
            (self._docs[self._int_to_id[n]], float(s))
            for s, n in zip(scores[0].tolist(), nums[0].tolist())
            if n != -1
        ]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def _select_relevance_score_fn(self) -> Any:
        return lambda score: (score + 1.0) / 2.0

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> FaissVectorStore:
        store = cls(embedding)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    def save(self, folder: str | Path) -> Path:
        """Write ``index.faiss`` and ``docs.json`` into ``folder``."""
        import faiss

        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        if self._index is not None:
            faiss.write_index(self._index, str(path / "index.faiss"))
        records = [
            {"id": i, "int": self._id_to_int[i], "text": d.page_content, "metadata": d.metadata}
            for i, d in self._docs.items()
        ]
        (path / "docs.json").write_text(json.dumps({"next": self._next, "docs": records}))
        return path

    @classmethod
    def load(cls, folder: str | Path, embedding: Embeddings) -> FaissVectorStore:
        """Read a store written by :meth:`save`."""
        import faiss

        path = Path(folder)
        if not (path / "docs.json").exists():
            raise InputFileError(
                f"{path} holds no saved vector store (docs.json missing)",
                fix="pass the folder given to FaissVectorStore.save",
            )
        data = json.loads((path / "docs.json").read_text())
        store = cls(embedding)
        if (path / "index.faiss").exists():
            store._index = faiss.read_index(str(path / "index.faiss"))
        store._next = data["next"]
        for rec in data["docs"]:
            store._docs[rec["id"]] = Document(rec["text"], metadata=rec["metadata"], id=rec["id"])
            store._id_to_int[rec["id"]] = rec["int"]
            store._int_to_id[rec["int"]] = rec["id"]
        return store
