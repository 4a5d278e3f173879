"""Data of the ``babel`` method: real code per language found on this machine
(:mod:`~steergraph.data.babel.sources`), deduplicated and split by file
(:mod:`~steergraph.data.babel.corpus`)."""

from steergraph.data.babel.corpus import (
    CodeFile,
    Corpus,
    build_corpus,
    default_sources,
    load_corpus,
)
from steergraph.data.babel.sources import LANGUAGES, default_roots

__all__ = [
    "LANGUAGES",
    "CodeFile",
    "Corpus",
    "build_corpus",
    "default_roots",
    "default_sources",
    "load_corpus",
]
