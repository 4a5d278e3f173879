"""Dense retrieval over StructRAG documents: chunk, embed, search, rank documents.

StructRAG's authors advise retrieving first and structuring second when the knowledge
base is large; :class:`Retriever` is that first step. It splits each :class:`Doc` with
:func:`~steergraph.agents.structrag.documents.split_text`, embeds the chunks into a
:class:`~steergraph.llm.vectorstore.FaissVectorStore` (MiniLM by default, so scores are
cosine similarities) on the first search, and answers:

* :meth:`Retriever.search` -- the best chunks as :class:`Chunk` (``source`` = doc title);
* :meth:`Retriever.top_documents` -- unique documents ranked by their best chunk;
* :meth:`Retriever.similarities` -- cosine of a query to arbitrary texts (used to pick
  the pieces of a document worth an LLM call).

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from steergraph.agents.structrag.documents import docs_from_texts
    >>> docs = docs_from_texts({"a": "alpha", "b": "beta"})
    >>> r = Retriever(docs, DeterministicFakeEmbedding(size=16))
    >>> [c.source for c in r.search("alpha", k=1)]
    ['a']
    >>> [d.title for d in r.top_documents("beta", k=2)][0]
    'b'
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from steergraph.agents.structrag.documents import Doc, split_text
from steergraph.agents.structrag.structures import Chunk
from steergraph.errors import InputError

__all__ = ["Retriever"]


class Retriever:
    """Chunk-level dense retrieval over ``docs`` (the index is built on first use)."""

    def __init__(
        self,
        docs: Sequence[Doc],
        embeddings: Embeddings | None = None,
        *,
        chunk_chars: int = 1200,
        overlap: int = 150,
    ) -> None:
        self.docs: list[Doc] = list(docs)
        ids = [d.id for d in self.docs]
        if len(set(ids)) != len(ids):
            raise InputError(
                "documents given to Retriever have duplicate ids",
                fix="give each Doc a unique id (load_documents / docs_from_texts do)",
            )
        self._embeddings = embeddings
        self.chunk_chars = chunk_chars
        self.overlap = overlap
        split_text("", chunk_chars=chunk_chars, overlap=overlap)  # validates the sizes
        self._by_id = {d.id: d for d in self.docs}
        self._store = None

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model (MiniLM unless one was given)."""
        if self._embeddings is None:
            from steergraph.llm import MiniLMEmbeddings

            self._embeddings = MiniLMEmbeddings()
        return self._embeddings

    @property
    def doc_ids(self) -> set[str]:
        """Ids of the documents this retriever searches."""
        return set(self._by_id)

    def _index(self):
        if self._store is None:
            from steergraph.llm.vectorstore import FaissVectorStore

            store = FaissVectorStore(self.embeddings)
            texts, metas, ids = [], [], []
            for doc in self.docs:
                pieces = split_text(doc.text, chunk_chars=self.chunk_chars, overlap=self.overlap)
                for n, piece in enumerate(pieces):
                    texts.append(piece)
                    metas.append({"doc_id": doc.id, "title": doc.title, "chunk": n})
                    ids.append(f"{doc.id}:{n}")
            store.add_texts(texts, metas, ids=ids)
            self._store = store
        return self._store

    @staticmethod
    def _check(query: str, k: int) -> None:
        if not isinstance(query, str) or not query.strip():
            raise InputError("the retrieval query is empty", fix="give a question or keywords")
        if k < 1:
            raise InputError(f"k={k} must be at least 1", fix="ask for 1 or more results")

    def _hits(self, query: str, k: int, doc_ids: Collection[str] | None) -> list:
        store = self._index()
        total = len(store)
        if not total:
            return []
        if doc_ids is None:
            return store.similarity_search_with_score(query, k)
        wanted = set(doc_ids)
        fetch = min(total, max(4 * k, 32))
        while True:
            hits = [
                h
                for h in store.similarity_search_with_score(query, fetch)
                if h[0].metadata["doc_id"] in wanted
            ]
            if len(hits) >= k or fetch >= total:
                return hits[:k]
            fetch = min(total, fetch * 4)

    def search(
        self, query: str, k: int = 5, *, doc_ids: Collection[str] | None = None
    ) -> list[Chunk]:
        """The ``k`` chunks most similar to ``query`` (only of ``doc_ids`` if given)."""
        self._check(query, k)
        return [
            Chunk(text=doc.page_content, source=doc.metadata["title"], score=round(score, 6))
            for doc, score in self._hits(query, k, doc_ids)
        ]

    def top_documents(
        self, query: str, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[Doc]:
        """Up to ``k`` unique documents (only of ``doc_ids`` if given), ranked by the
        score of their best chunk."""
        self._check(query, k)
        store = self._index()
        wanted = None if doc_ids is None else set(doc_ids)
        out: list[Doc] = []
        seen: set[str] = set()
        for doc, _ in store.similarity_search_with_score(query, len(store)):
            doc_id = doc.metadata["doc_id"]
            if wanted is not None and doc_id not in wanted:
                continue
            if doc_id not in seen:
                seen.add(doc_id)
                out.append(self._by_id[doc_id])
                if len(out) >= k:
                    break
        return out

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        """Cosine similarity of ``query`` to each of ``texts`` (0.0 for an all-zero vector)."""
        self._check(query, 1)
        if not texts:
            return []
        q = np.asarray(self.embeddings.embed_query(query), dtype="float32")
        m = np.asarray(self.embeddings.embed_documents(list(texts)), dtype="float32")
        norms = np.linalg.norm(m, axis=1) * (np.linalg.norm(q) or 1.0)
        return [float(x) for x in (m @ q) / np.where(norms == 0, 1.0, norms)]
