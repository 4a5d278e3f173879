"""Folders of real records with questions whose gold answers a program computes.

The StructRAG evaluation on plain folders (issue 18), apart from the benchmark's
committed corpus: the packages installed on this machine, read from dpkg's status
database (``/var/lib/dpkg/status``), one record per file (the fields a user reads:
Package, Version, Section, Priority, Installed-Size, Maintainer, Pre-Depends, Depends,
the description's first line), or, for folders larger than a machine's installed set
(7,000 records), apt's list of the archive's packages (:func:`archive_list`).
:func:`dpkg_records` picks ``n`` packages closed under
dependencies as far as ``n`` allows (chains for the graph questions), seeded;
:func:`folder_questions` asks every question form StructRAG exists for, each with a gold
answer computed from the records: largest / smallest by Installed-Size, the total, how
many in a section / with a priority, the section with the most packages, a version, a
maintainer, the package between two others in a dependency chain, and how many packages
one depends on directly or indirectly (first alternatives, as apt reads them).

Example:
    >>> records = dpkg_records(12, seed=0)
    >>> len(records), all("Package" in r and "Installed-Size" in r for r in records)
    (12, True)
    >>> forms = {q.form for q in folder_questions(records, seed=0)}
    >>> {"largest", "total", "count_section", "version"} <= forms
    True
"""

from __future__ import annotations

import random
import subprocess
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import networkx as nx
from pydantic import BaseModel

from steergraph.agents.structrag.debian import relation_names
from steergraph.data.structrag.corpus import dpkg_stanzas
from steergraph.errors import InputError

__all__ = [
    "FORMS",
    "FolderQuestion",
    "archive_list",
    "chain_questions",
    "closed_sample",
    "count_questions",
    "dpkg_records",
    "extreme_questions",
    "folder_questions",
    "relation_graph",
    "write_folder",
    "write_records",
]

STATUS = Path("/var/lib/dpkg/status")
APT_LISTS = Path("/var/lib/apt/lists")
_KEEP = ("Package", "Version", "Section", "Priority", "Installed-Size", "Maintainer",
         "Pre-Depends", "Depends", "Description")  # fmt: skip
FORMS = ("largest", "smallest", "total", "count_section", "count_priority", "most_section",
         "version", "maintainer", "between", "closure")  # fmt: skip


class FolderQuestion(BaseModel):
    """One question about a folder: its form, text, gold answer and answer type."""

    form: str
    question: str
    gold: str | list[str] | float
    answer_type: str


def _deps(record: dict[str, str]) -> list[str]:
    return relation_names(", ".join(record.get(f, "") for f in ("Pre-Depends", "Depends")))


def _read_list(path: Path) -> str:
    """A dpkg status file or an apt package list (lz4-compressed as apt keeps them)."""
    if path.suffix != ".lz4":
        return path.read_text(errors="replace")
    try:
        done = subprocess.run(["lz4cat", str(path)], capture_output=True, check=True,
                              timeout=300)  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InputError(f"cannot decompress {path}: {exc}", fix="apt-get install lz4") from None
    return done.stdout.decode("utf-8", errors="replace")


def archive_list() -> Path:
    """apt's list of the archive's packages (``apt-get update`` writes it)."""
    found = sorted(APT_LISTS.glob("*_binary-*_Packages*")) if APT_LISTS.is_dir() else []
    if not found:
        raise InputError(f"no apt package list in {APT_LISTS}", fix="run apt-get update")
    return found[0]


def dpkg_records(n: int, *, seed: int = 0, status: Path | None = STATUS) -> list[dict[str, str]]:
    """``n`` packages' records: from seeded starting packages, each followed by its
    dependencies, breadth first, until ``n`` are taken. ``status``: dpkg's database (the
    installed packages), or an apt package list (:func:`archive_list`, every package of
    the archive: enough for 7,000-record folders)."""
    if n < 1:
        raise InputError(f"a folder needs at least one record, got n={n}", fix="use n >= 1")
    if status is None or not Path(status).is_file():
        raise InputError(f"no dpkg status database at {status}", fix="run on a Debian system")
    stanzas = dpkg_stanzas(_read_list(Path(status)))
    by_name = {
        f["Package"]: {k: f[k].split("\n")[0].strip() for k in _KEEP if f.get(k)}
        for f in stanzas
        if "installed" in f.get("Status", "installed")  # a package list has no Status
    }  # a field's first line: no continuation lines (long descriptions)
    listed = not any("Status" in f for f in stanzas)  # an apt list: the archive, not installed
    what = f"packages are listed in {status}" if listed else "packages are installed"
    return closed_sample(by_name, n, _deps, seed=seed, what=what)


def closed_sample(
    by_name: dict[str, dict[str, str]],
    n: int,
    deps: Callable[[dict[str, str]], list[str]],
    *,
    seed: int = 0,
    what: str = "records exist",
) -> list[dict[str, str]]:
    """``n`` of the records: seeded starts (those with the most dependencies first), each
    followed by its dependencies among the records, breadth first, until ``n`` are taken."""
    if len(by_name) < n:
        raise InputError(f"only {len(by_name)} {what}, {n} were asked for",
                         fix=f"use n <= {len(by_name)}")  # fmt: skip
    rng = random.Random(seed)
    starts = sorted(by_name, key=lambda p: (-len(deps(by_name[p])), p))[: max(n, 8)]
    rng.shuffle(starts)
    taken: dict[str, None] = {}
    queue = list(starts)
    while len(taken) < n:
        name = queue.pop(0) if queue else rng.choice(sorted(set(by_name) - set(taken)))
        if name in taken or name not in by_name:
            continue
        taken[name] = None
        queue[:0] = [d for d in deps(by_name[name]) if d in by_name and d not in taken]
    return [by_name[name] for name in taken]


def write_records(
    records: list[dict[str, str]],
    out: Path,
    fields: Sequence[str],
    filename: Callable[[dict[str, str]], str],
) -> Path:
    """One file per record (its ``fields`` as ``Field: value`` lines) in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for r in records:
        text = "".join(f"{k}: {r[k]}\n" for k in fields if k in r)
        (out / filename(r)).write_text(text, encoding="utf-8")
    return out


def write_folder(records: list[dict[str, str]], out: Path) -> Path:
    """One ``<package>.txt`` per record (``Field: value`` lines) in ``out``."""
    return write_records(records, out, _KEEP, lambda r: f"{r['Package']}.txt")


def relation_graph(
    records: list[dict[str, str]],
    head: Callable[[dict[str, str]], str],
    targets: Callable[[dict[str, str]], list[str]],
) -> nx.DiGraph:
    """The directed graph of each record's ``head`` to its ``targets`` (the golds' source)."""
    g = nx.DiGraph()
    g.add_edges_from((head(r), t) for r in records for t in targets(r))
    return g


def _graph(records: list[dict[str, str]]) -> nx.DiGraph:
    return relation_graph(records, lambda r: r["Package"], _deps)


def extreme_questions(
    records: list[dict[str, str]],
    name: str = "Package",
    *,
    field: str = "Installed-Size",
    noun: str = "package",
) -> list[FolderQuestion]:
    """Largest, smallest and total ``field`` (records named by field ``name``, called
    ``noun`` in the questions)."""
    size = {r[name]: int(r.get(field) or 0) for r in records}
    top, low = max(size.values()), min(size.values())
    qs = [
        FolderQuestion(
            form="total",
            question=f"What is the total {field} of all the {noun}s?",
            gold=float(sum(size.values())),
            answer_type="number",
        )
    ]
    for form, best, word in (("largest", top, "largest"), ("smallest", low, "smallest")):
        names = sorted(p for p, s in size.items() if s == best)
        gold: str | list[str] = names[0] if len(names) == 1 else names
        qs.append(FolderQuestion(
            form=form, question=f"Which {noun} has the {word} {field}?", gold=gold,
            answer_type="entity" if len(names) == 1 else "list"))  # fmt: skip
    return qs


def count_questions(
    records: list[dict[str, str]],
    rng: random.Random,
    *,
    field: str = "Section",
    phrase: str = "are in section",
    noun: str = "package",
    most: bool = True,
) -> list[FolderQuestion]:
    """How many ``noun``s have a (seeded) value of ``field``; with ``most``, also the value
    most of them have. Nothing when no record has the field."""
    counts = Counter(r.get(field, "") for r in records if r.get(field))
    if not counts:
        return []
    key = field.lower()
    value = rng.choice(sorted(counts))
    qs = [FolderQuestion(form=f"count_{key}", question=f"How many {noun}s {phrase} {value}?",
                         gold=float(counts[value]), answer_type="number")]  # fmt: skip
    if most:
        top = max(counts.values())
        winners = sorted(s for s, c in counts.items() if c == top)
        qs.append(FolderQuestion(
            form=f"most_{key}", question=f"Which {key} has the most {noun}s?",
            gold=winners[0] if len(winners) == 1 else winners,
            answer_type="entity" if len(winners) == 1 else "list"))  # fmt: skip
    return qs


def _counts(records: list[dict[str, str]], rng: random.Random) -> list[FolderQuestion]:
    sections = count_questions(records, rng)
    priority = count_questions(records, rng, field="Priority", phrase="have priority", most=False)
    return [sections[0], *priority, *sections[1:]]


def _lookups(records: list[dict[str, str]], rng: random.Random) -> list[FolderQuestion]:
    r = rng.choice(records)
    m = rng.choice([x for x in records if x.get("Maintainer")] or records)
    return [
        FolderQuestion(form="version", question=f"What is the version of {r['Package']}?",
                       gold=r.get("Version", ""), answer_type="entity"),
        FolderQuestion(form="maintainer", question=f"Who is the maintainer of {m['Package']}?",
                       gold=m.get("Maintainer", ""), answer_type="entity"),
    ]  # fmt: skip


def chain_questions(
    g: nx.DiGraph,
    rng: random.Random,
    *,
    noun: str = "package",
    chain: str = "dependency chain",
    verb: str = "depend on",
) -> list[FolderQuestion]:
    """Questions on a relation graph (default: dependencies): the ``noun`` between two
    others in the ``chain``, and how many ``noun``s one reaches (``verb``)."""
    qs = []
    pairs = {(a, c) for a in g for b in g.successors(a) for c in g.successors(b)
             if c != a and not g.has_edge(a, c)}  # fmt: skip
    middles = {(a, c): sorted(b for b in g.successors(a) if g.has_edge(b, c)) for a, c in pairs}
    unique = sorted(pair for pair, mids in middles.items() if len(mids) == 1)
    if unique:  # "sits between": a chain with one package in the middle
        a, c = rng.choice(unique)
        qs.append(FolderQuestion(
            form="between", question=f"Which {noun} sits between {a} and {c} in the "
            f"{chain}?", gold=middles[(a, c)][0], answer_type="entity"))  # fmt: skip
    deep = sorted(p for p in g if len(nx.descendants(g, p)) > g.out_degree(p))
    if deep:
        p = rng.choice(deep)
        reached = float(len(nx.descendants(g, p)))
        qs.append(FolderQuestion(
            form="closure", question=f"How many {noun}s does {p} {verb}, directly or "
            "indirectly?", gold=reached, answer_type="number"))  # fmt: skip
    return qs


def folder_questions(records: list[dict[str, str]], *, seed: int = 0) -> list[FolderQuestion]:
    """One question per form the records allow (chains need dependencies between them)."""
    if not records:
        raise InputError("no records to ask about", fix="pass dpkg_records(n)")
    rng = random.Random(seed)
    return [*extreme_questions(records), *_counts(records, rng), *_lookups(records, rng),
            *chain_questions(_graph(records), rng)]  # fmt: skip
