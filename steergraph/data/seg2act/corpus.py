"""Train/test documents for Seg2Act, drawn from the installed manuals and split by document.

:func:`corpus_split` shuffles the installed man pages and Texinfo manuals
(:func:`~steergraph.data.seg2act.documents.find_sources`) with a seed, parses them, keeps
the first ``max_segments`` segments of each (:meth:`Document.head`), and fills the test
split first, then the training split, with documents that have enough segments and
headings; no document name is in both splits. Unreadable files are skipped and counted.

Example:
    >>> split = corpus_split(train=2, test=1, max_segments=30, seed=0)
    >>> len(split["train"]), len(split["test"]), max(len(d.segments) for d in split["test"])
    (2, 1, 30)
    >>> {d.name for d in split["train"]} & {d.name for d in split["test"]}
    set()
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from steergraph.data.seg2act.documents import Document, find_sources, load_document
from steergraph.errors import InputError, InputFileError

__all__ = ["corpus_split"]


def corpus_split(
    *,
    train: int,
    test: int,
    seed: int = 0,
    max_segments: int = 100,
    min_segments: int = 12,
    min_headings: int = 2,
    kinds: tuple[str, ...] = ("man", "info"),
    root: str | Path = "/usr/share",
) -> dict[str, Any]:
    """``{"train": [...], "test": [...], "skipped": n}``: see the module docstring."""
    if train < 0 or test < 0 or train + test == 0:
        raise InputError(f"train={train}, test={test}", fix="ask for at least one document")
    if max_segments < min_segments:
        raise InputError(
            f"max_segments={max_segments} < min_segments={min_segments}",
            fix="raise max_segments",
        )
    sources = find_sources(kinds, root)
    random.Random(seed).shuffle(sources)
    picked: list[Document] = []
    seen: set[str] = set()
    skipped = 0
    for path in sources:
        if len(picked) == train + test:
            break
        try:
            doc = load_document(path).head(max_segments)
        except InputFileError:
            skipped += 1
            continue
        if doc.name in seen or len(doc.segments) < min_segments or doc.headings < min_headings:
            continue
        seen.add(doc.name)
        picked.append(doc)
    if len(picked) < train + test:
        raise InputError(
            f"only {len(picked)} usable documents under {root} ({len(sources)} files)",
            fix="ask for fewer documents, or install more manuals (apt-get install manpages)",
        )
    return {"test": picked[:test], "train": picked[test:], "skipped": skipped}
