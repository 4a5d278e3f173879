"""Folders of man pages as records, a third real record source for StructRAG.

The machine's man pages (sections 1, 5 and 8 of ``/usr/share/man``), each read by
Seg2Act's groff reader (:func:`~steergraph.data.seg2act.parse_man`) and kept as the
record a reader skims: ``Name`` and ``Section`` (from the file name), ``Description``
(the NAME line after its dash), ``Synopsis`` (its first line), ``See-Also`` (the pages the
SEE ALSO section names, without their section numbers: the links) and ``Word-Count`` (the
words of the whole page, the one derived field, so size questions have a number). A name
in several sections keeps its first page in the order 1, 8, 5; symbolic links (other names
of a page) and pages without a NAME section (``.so`` redirects) are not records.
:func:`man_records` picks ``n`` pages closed under their links as far as ``n`` allows;
:func:`man_questions` asks the forms this source answers: most / fewest / total words,
how many pages in a section and the section with the most, a page's description, the
page between two others in a see-also chain, and how many pages one refers to directly
or indirectly.

Example (``man_records(70)`` reads every page once, about 20 s here; three records
written by hand show the questions):
    >>> records = [{"Name": "a", "Section": "1", "Word-Count": "10", "See-Also": "b"},
    ...            {"Name": "b", "Section": "1", "Word-Count": "30", "See-Also": "c, d"},
    ...            {"Name": "c", "Section": "8", "Word-Count": "5"}]
    >>> golds = {q.form: q.gold for q in man_questions(records)}
    >>> golds["largest"], golds["most_section"], golds["between"], golds["closure"]
    ('b', '1', 'b', 3.0)
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

from steergraph.data.structrag.folders import (
    FolderQuestion,
    chain_questions,
    closed_sample,
    count_questions,
    extreme_questions,
    relation_graph,
    write_records,
)
from steergraph.errors import InputError

__all__ = ["MAN_ROOT", "man_questions", "man_records", "write_man_folder"]

MAN_ROOT = Path("/usr/share/man")
_SECTIONS = ("man1", "man8", "man5")
_FIELDS = ("Name", "Section", "Description", "Synopsis", "See-Also", "Word-Count")
_LINK = re.compile(r"([A-Za-z0-9_][\w.+:-]*)\s?\((\d)[a-z]*\)")
_PAGE = re.compile(r"^(.+)\.(\d\w*)(?:\.gz)?$")


def _sections(doc: object) -> dict[str, list[str]]:
    """The segments under each top-level heading, by upper-cased heading text."""
    out: dict[str, list[str]] = {}
    current = ""
    for action, segment in zip(doc.actions, doc.segments):  # type: ignore[attr-defined]
        if action == "+":
            current = segment.strip().upper()
            out.setdefault(current, [])
        elif current:
            out[current].append(segment)
    return out


def _record(path: Path) -> dict[str, str] | None:
    from steergraph.data.seg2act import load_document

    m = _PAGE.match(path.name)
    if not m or path.is_symlink():  # a link is another name of a page read under its own
        return None
    try:
        doc = load_document(path)
    except InputError:
        return None
    parts = _sections(doc)
    name_line = " ".join(parts.get("NAME", []))
    if not name_line:
        return None  # not a page with a NAME section (a .so redirect, a stub)
    rec = {"Name": m.group(1), "Section": m.group(2)}
    if " - " in name_line:
        rec["Description"] = name_line.split(" - ", 1)[1].strip()[:120]
    synopsis = " ".join(parts.get("SYNOPSIS", [])[:2]).strip()
    if synopsis:
        rec["Synopsis"] = synopsis[:120]
    links = [x for x, _ in _LINK.findall(" ".join(parts.get("SEE ALSO", [])))]
    links = [x for x in dict.fromkeys(links) if x != rec["Name"]]
    if links:
        rec["See-Also"] = ", ".join(links)
    rec["Word-Count"] = str(sum(len(s.split()) for s in doc.segments))
    return rec


@functools.lru_cache(maxsize=4)
def _all_pages(root: str) -> dict[str, dict[str, str]]:
    by_name: dict[str, dict[str, str]] = {}
    for section in _SECTIONS:
        for path in sorted((Path(root) / section).glob("*")):
            rec = _record(path)
            if rec is not None and rec["Name"] not in by_name:
                by_name[rec["Name"]] = rec
    return by_name


def _links(record: dict[str, str]) -> list[str]:
    return [x.strip() for x in record.get("See-Also", "").split(",") if x.strip()]


def man_records(n: int, *, seed: int = 0, root: str | Path = MAN_ROOT) -> list[dict[str, str]]:
    """``n`` man pages' records under ``root``: seeded starting pages, each followed by
    the pages it links to, breadth first (all pages are read once per process)."""
    if n < 1:
        raise InputError(f"a folder needs at least one record, got n={n}", fix="use n >= 1")
    return closed_sample(_all_pages(str(root)), n, _links, seed=seed,
                         what=f"man pages are installed under {root}")  # fmt: skip


def write_man_folder(records: list[dict[str, str]], out: Path) -> Path:
    """One ``<name>.<section>.txt`` per record (``Field: value`` lines) in ``out``."""
    return write_records(records, out, _FIELDS, lambda r: f"{r['Name']}.{r['Section']}.txt")


def man_questions(records: list[dict[str, str]], *, seed: int = 0) -> list[FolderQuestion]:
    """One question per form the records allow (chains need links between them)."""
    if not records:
        raise InputError("no records to ask about", fix="pass man_records(n)")
    rng = random.Random(seed)
    qs = [*extreme_questions(records, name="Name", field="Word-Count", noun="manual page"),
          *count_questions(records, rng, noun="manual page")]  # fmt: skip
    described = [r for r in records if r.get("Description")]
    if described:
        r = rng.choice(described)
        qs.append(FolderQuestion(form="description", answer_type="entity",
                                 question=f"What is the description of {r['Name']}?",
                                 gold=r["Description"]))  # fmt: skip
    links = relation_graph(records, lambda r: r["Name"], _links)
    return qs + chain_questions(links, rng, noun="manual page",
                                chain="see-also chain", verb="refer to")  # fmt: skip
