"""StructRAG's roles: router, structurizers, utilizer, baselines, and the typed structures.

Example:
    >>> from steergraph.agents.structrag import STRUCTURE_TYPES
    >>> STRUCTURE_TYPES
    ('table', 'graph', 'algorithm', 'catalogue', 'chunk')
"""

from steergraph.agents.structrag.baselines import chunk_rag_answer, long_context_answer
from steergraph.agents.structrag.documents import Doc, DocIssue, docs_from_texts, load_documents
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.agents.structrag.router import Router, router_messages
from steergraph.agents.structrag.structures import (
    STRUCTURE_TYPES,
    Algorithm,
    Catalogue,
    CatalogueNode,
    Chunk,
    Chunks,
    KnowledgeGraph,
    Step,
    Table,
    Triple,
    structure_from_dict,
)
from steergraph.agents.structrag.structurizers import StructureResult, structurize
from steergraph.agents.structrag.utilizer import Utilizer, UtilizerResult

__all__ = [
    "STRUCTURE_TYPES",
    "Algorithm",
    "Catalogue",
    "CatalogueNode",
    "Chunk",
    "Chunks",
    "Doc",
    "DocIssue",
    "KnowledgeGraph",
    "Retriever",
    "Router",
    "Step",
    "StructureResult",
    "Table",
    "Triple",
    "Utilizer",
    "UtilizerResult",
    "chunk_rag_answer",
    "docs_from_texts",
    "load_documents",
    "long_context_answer",
    "router_messages",
    "structure_from_dict",
    "structurize",
]
