"""Folders of Python packages' metadata, a second real record source for StructRAG.

The distributions installed in the running interpreter (``importlib.metadata``), each
written as its ``*.dist-info/METADATA`` header says it: ``Metadata-Version``, ``Name``,
``Version``, ``Summary``, ``License`` (first line), ``Requires-Python`` and one
``Requires-Dist`` line per requirement (PEP 508, markers and extras as written), plus
``Installed-Size``: the KiB its ``RECORD`` lists (the one derived field, in dpkg's unit,
so size questions have a number to compute on). :func:`python_records` picks ``n``
distributions closed under their default requirements as far as ``n`` allows;
:func:`python_questions` asks the forms of :mod:`.folders` that this source can answer:
largest / smallest / total size, a version, how many share a licence, the package between
two others in a requirement chain and how many one requires directly or indirectly
(names normalised as PEP 503 says, requirements read as pip reads them:
:func:`~steergraph.agents.structrag.pymeta.requirement_names`).

Example:
    >>> records = python_records(12, seed=0)
    >>> len(records), all("Name" in r and "Installed-Size" in r for r in records)
    (12, True)
    >>> {q.form for q in python_questions(records, seed=0)} >= {"largest", "total", "version"}
    True
"""

from __future__ import annotations

import importlib.metadata as md
import random
from collections import Counter
from pathlib import Path

import networkx as nx

from steergraph.agents.structrag.pymeta import canonical, requirement_names
from steergraph.data.structrag.folders import (
    FolderQuestion,
    chain_questions,
    closed_sample,
    extreme_questions,
    relation_graph,
)
from steergraph.errors import InputError

__all__ = ["python_questions", "python_records", "write_python_folder"]

_FIELDS = ("Metadata-Version", "Name", "Version", "Summary", "License", "Requires-Python")


def _record(dist: md.Distribution) -> dict[str, str]:
    meta = dist.metadata
    rec = {k: str(meta[k]).strip().split("\n")[0][:120] for k in _FIELDS if meta.get(k)}
    requires = meta.get_all("Requires-Dist") or []
    if requires:
        rec["Requires-Dist"] = "\n".join(requires)  # one requirement per line
    size = sum((f.size or 0) for f in dist.files or [])
    rec["Installed-Size"] = str(max(1, round(size / 1024)))
    return rec


def _requires(record: dict[str, str]) -> list[str]:
    # joined as parse_records joins a repeated key
    return requirement_names(", ".join(record.get("Requires-Dist", "").split("\n")))


def python_records(n: int, *, seed: int = 0) -> list[dict[str, str]]:
    """``n`` installed distributions' records: from seeded starting packages, each
    followed by its installed default requirements, breadth first."""
    if n < 1:
        raise InputError(f"a folder needs at least one record, got n={n}", fix="use n >= 1")
    by_name: dict[str, dict[str, str]] = {}
    for dist in md.distributions():
        name = dist.metadata.get("Name")
        if name and canonical(name) not in by_name:
            by_name[canonical(name)] = _record(dist)
    return closed_sample(by_name, n, _requires, seed=seed,
                         what="Python distributions are installed")  # fmt: skip


def write_python_folder(records: list[dict[str, str]], out: Path) -> Path:
    """One ``<name>.METADATA`` file per record, one ``Requires-Dist:`` line per
    requirement, as a ``.dist-info`` folder holds it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for r in records:
        lines = [f"{k}: {r[k]}" for k in (*_FIELDS, "Installed-Size") if k in r]
        lines += [f"Requires-Dist: {req}" for req in r.get("Requires-Dist", "").split("\n") if req]
        (out / f"{canonical(r['Name'])}.METADATA").write_text("\n".join(lines) + "\n")
    return out


def _graph(records: list[dict[str, str]]) -> nx.DiGraph:
    return relation_graph(records, lambda r: canonical(r["Name"]), _requires)


def python_questions(records: list[dict[str, str]], *, seed: int = 0) -> list[FolderQuestion]:
    """One question per form the records allow (chains need requirements between them)."""
    if not records:
        raise InputError("no records to ask about", fix="pass python_records(n)")
    rng = random.Random(seed)
    r = rng.choice(records)
    qs = [*extreme_questions(records, name="Name"),
          FolderQuestion(form="version", question=f"What is the version of {r['Name']}?",
                         gold=r.get("Version", ""), answer_type="entity")]  # fmt: skip
    licences = Counter(x["License"] for x in records if x.get("License"))
    shared = sorted(lic for lic, c in licences.items() if c >= 2)
    if shared:
        lic = rng.choice(shared)
        qs.append(FolderQuestion(
            form="count_license", question=f"How many packages have the license {lic}?",
            gold=float(licences[lic]), answer_type="number"))  # fmt: skip
    return qs + chain_questions(_graph(records), rng)
