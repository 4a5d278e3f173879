"""Data of the ``seg2act`` method (in progress): documents with a known hierarchy, parsed
from the machine's man pages and Texinfo manuals (:mod:`~steergraph.data.seg2act.documents`)."""

from steergraph.data.seg2act.documents import (
    Document,
    find_sources,
    load_document,
    parse_info,
    parse_man,
)

__all__ = ["Document", "find_sources", "load_document", "parse_info", "parse_man"]
