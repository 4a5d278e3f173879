"""Data of the ``seg2act`` method: documents with a known hierarchy, parsed from the
machine's man pages and Texinfo manuals (:mod:`~steergraph.data.seg2act.documents`), and
train/test splits by document (:mod:`~steergraph.data.seg2act.corpus`)."""

from steergraph.data.seg2act.corpus import corpus_split
from steergraph.data.seg2act.documents import (
    Document,
    find_sources,
    is_manual,
    load_document,
    parse_info,
    parse_man,
)

__all__ = [
    "Document",
    "corpus_split",
    "find_sources",
    "is_manual",
    "load_document",
    "parse_info",
    "parse_man",
]
