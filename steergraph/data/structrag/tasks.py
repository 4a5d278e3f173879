"""Loong-style StructRAG tasks over the committed corpus, with program-computed golds.

Each task gives a question and a handful of real documents (the ones it needs plus
distractors, shuffled) from :mod:`steergraph.data.structrag.corpus`; its gold answer
is computed by code from the corpus' parsed fields, and a candidate is skipped when
its answer would be ambiguous in those documents. Eleven families cover the four
Loong task types and the five StructRAG structures (family (task type, structure)):

* package_description (spotlight, chunk): which package is described as "..."
* package_field (spotlight, chunk): the priority / section of a package
* largest_package (comparison, table): largest (or smallest) installed size
* section_total_size (comparison, table): total installed size of a section
* section_members (clustering, table): which packages are in a section
* dependency_link (chain, graph): A depends on ? which depends on C
* dependents (clustering, graph): which packages depend directly on X
* next_step (chain, algorithm): the step after a quoted step of a procedure
* step_count (spotlight, algorithm): how many numbered steps a procedure has
* parent_section (spotlight, catalogue): the section holding a subsection
* section_children (clustering, catalogue): the subsections of a section

Tasks are deterministic given ``seed``; :func:`split_tasks` splits them about 50/50
within each family by a stable hash of the task id.

Example:
    >>> tasks = structrag_tasks(2, seed=0, families=["step_count", "largest_package"])
    >>> [t.id for t in tasks]
    ['largest_package-0', 'largest_package-1', 'step_count-0', 'step_count-1']
    >>> train, test = split_tasks(tasks)
    >>> len(train), len(test)
    (2, 2)
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel

from steergraph.agents.structrag.structures import StructureType
from steergraph.data.structrag.corpus import doc_fields, heading_parents, load_corpus
from steergraph.errors import InputError

__all__ = ["FAMILIES", "Family", "StructTask", "split_tasks", "structrag_tasks"]

TaskType = Literal["spotlight", "comparison", "clustering", "chain"]
AnswerType = Literal["entity", "list", "number", "text"]
Made = tuple[str, list[dict[str, Any]], Any] | None  # (question, needed docs + distractors, gold)


class StructTask(BaseModel):
    """One question over documents, with its program-computed gold answer."""

    id: str
    family: str
    task_type: TaskType
    structure: StructureType
    question: str
    documents: list[dict]
    gold: str | list[str] | float
    answer_type: AnswerType


@dataclass(frozen=True)
class Family:
    """A task family: its Loong type, target structure, answer type and generator."""

    name: str
    task_type: TaskType
    structure: StructureType
    answer_type: AnswerType
    candidates: Callable[[random.Random], list[Any]]
    make: Callable[[random.Random, Any], Made]


# -- corpus views -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _corpus() -> dict[str, Any]:
    corpus = load_corpus()
    pkgs = {p["package"]: p for p in corpus["packages"]}
    deps = {n: {d for d in p["pre_depends"] + p["depends"] if d in pkgs} for n, p in pkgs.items()}
    sections: dict[str, list[str]] = defaultdict(list)
    for name in sorted(pkgs):
        sections[pkgs[name]["section"]].append(name)
    return {**corpus, "pkgs": pkgs, "deps": deps, "sections": dict(sections)}


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _with_distractors(
    rng: random.Random, needed: list[dict], pool: list[dict], low: int, high: int
) -> list[dict]:
    """The needed entries plus distractors from pool (total in [low, high]), shuffled."""
    ids = {e["id"] for e in needed}
    rest = [e for e in pool if e["id"] not in ids]
    total = max(len(needed), rng.randint(low, high))
    docs = needed + rng.sample(rest, min(len(rest), total - len(needed)))
    rng.shuffle(docs)
    return docs


def _pkg_docs(rng: random.Random, needed: list[str], exclude: Callable[[str], bool]) -> list:
    c = _corpus()
    pool = [c["pkgs"][n] for n in sorted(c["pkgs"]) if n not in needed and not exclude(n)]
    return _with_distractors(rng, [c["pkgs"][n] for n in needed], pool, 5, 10)


def _rarity_order(rng: random.Random, items: list[Any], value: Callable[[Any], str]) -> list:
    """Shuffle, favouring items whose value is rare (so golds are varied)."""
    freq = Counter(value(i) for i in items)
    keyed = [(rng.random() * freq[value(i)], n) for n, i in enumerate(items)]
    return [items[n] for _, n in sorted(keyed)]


# -- package families -------------------------------------------------------------------


def _desc_candidates(rng: random.Random) -> list[str]:
    pkgs = _corpus()["pkgs"]
    count = Counter(_norm(p["description"]) for p in pkgs.values())
    names = [n for n in sorted(pkgs) if count[_norm(pkgs[n]["description"])] == 1]
    rng.shuffle(names)
    return names


def _make_desc(rng: random.Random, name: str) -> Made:
    desc = _corpus()["pkgs"][name]["description"]
    docs = _pkg_docs(rng, [name], lambda n: _norm(desc) in _norm(_corpus()["pkgs"][n]["text"]))
    return f'Which package is described as "{desc}"?', docs, name


def _field_candidates(rng: random.Random) -> list[tuple[str, str]]:
    pkgs = _corpus()["pkgs"]
    items = [(n, f) for n in sorted(pkgs) for f in ("priority", "section")]
    return _rarity_order(rng, items, lambda i: pkgs[i[0]][i[1]])


def _make_field(rng: random.Random, item: tuple[str, str]) -> Made:
    name, field = item
    docs = _pkg_docs(rng, [name], lambda n: False)
    gold = _corpus()["pkgs"][name][field]
    return f"What is the {field} of the package {name}?", docs, gold


def _largest_candidates(rng: random.Random) -> list[str]:
    return ["largest", "smallest"] * 200  # each draw picks fresh documents


def _make_largest(rng: random.Random, direction: str) -> Made:
    pkgs = _corpus()["pkgs"]
    docs = _pkg_docs(rng, [], lambda n: False)
    sizes = sorted((pkgs[d["package"]]["installed_size"], d["package"]) for d in docs)
    pick, runner_up = (sizes[-1], sizes[-2]) if direction == "largest" else (sizes[0], sizes[1])
    if pick[0] == runner_up[0]:
        return None  # a tie: no single answer
    question = f"Among the packages in these documents, which has the {direction} installed size?"
    return question, docs, pick[1]


def _section_candidates(rng: random.Random) -> list[str]:
    names = [s for s, members in sorted(_corpus()["sections"].items()) if len(members) >= 2]
    rng.shuffle(names)
    return names


def _section_docs(rng: random.Random, section: str) -> list[dict]:
    members = _corpus()["sections"][section]
    chosen = rng.sample(members, min(len(members), rng.randint(2, 4)))
    return _pkg_docs(rng, chosen, lambda n: _corpus()["pkgs"][n]["section"] == section)


def _make_total(rng: random.Random, section: str) -> Made:
    docs = _section_docs(rng, section)
    total = sum(d["installed_size"] for d in docs if d["section"] == section)
    question = f"What is the total installed size in KiB of the packages in section {section}?"
    return question, docs, float(total)


def _make_members(rng: random.Random, section: str) -> Made:
    docs = _section_docs(rng, section)
    gold = sorted(d["package"] for d in docs if d["section"] == section)
    return f"Which of these packages are in section {section}?", docs, gold


def _link_candidates(rng: random.Random) -> list[tuple[str, str, str]]:
    deps = _corpus()["deps"]
    triples = [
        (a, b, c)
        for a in sorted(deps)
        for b in sorted(deps[a])
        for c in sorted(deps[b])
        if len({a, b, c}) == 3 and c not in deps[a]
    ]
    return _rarity_order(rng, triples, lambda t: t[2])


def _make_link(rng: random.Random, triple: tuple[str, str, str]) -> Made:
    a, b, c = triple
    deps = _corpus()["deps"]
    docs = _pkg_docs(rng, [a, b, c], lambda n: n in deps[a] and c in deps[n])
    question = f"Package {a} depends on a package that depends on {c}. Which package is it?"
    return question, docs, b


def _dependents_candidates(rng: random.Random) -> list[str]:
    deps = _corpus()["deps"]
    count = Counter(d for ds in deps.values() for d in ds)
    targets = [x for x in sorted(count) if count[x] >= 2]
    rng.shuffle(targets)
    return targets


def _make_dependents(rng: random.Random, target: str) -> Made:
    deps = _corpus()["deps"]
    users = [n for n in sorted(deps) if target in deps[n]]
    chosen = rng.sample(users, min(len(users), rng.randint(2, 4)))
    docs = _pkg_docs(rng, [target, *chosen], lambda n: target in deps[n])
    gold = sorted(d["package"] for d in docs if target in deps[d["package"]])
    return f"Which of these packages depend directly on {target}?", docs, gold


# -- procedure families -----------------------------------------------------------------


def _proc_docs(rng: random.Random, proc: dict) -> list[dict]:
    return _with_distractors(rng, [proc], _corpus()["procedures"], 3, 5)


def _step_candidates(rng: random.Random) -> list[tuple[dict, int]]:
    items = [(p, k) for p in _corpus()["procedures"] for k in range(len(p["steps"]) - 1)]
    rng.shuffle(items)
    return items


def _make_next_step(rng: random.Random, item: tuple[dict, int]) -> Made:
    proc, k = item
    words = proc["steps"][k].split()
    quote = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
    prefix = _norm(" ".join(words[:12]))
    if sum(_norm(s).startswith(prefix) for s in proc["steps"]) != 1:
        return None
    docs = _proc_docs(rng, proc)
    if sum(_norm(d["text"]).count(prefix) for d in docs) != 1:
        return None  # the quoted step must point at one place
    question = (
        f"In the procedure described in the Python docs for {proc['topic']}, "
        f'what is the step right after: "{quote}"?'
    )
    return question, docs, proc["steps"][k + 1]


def _count_candidates(rng: random.Random) -> list[dict]:
    numbered = re.compile(r"^\s*\d+\.\s", re.M)
    procs = [
        p for p in _corpus()["procedures"] if len(numbered.findall(p["text"])) == len(p["steps"])
    ]
    rng.shuffle(procs)  # (documents with nested numbered lists would be ambiguous)
    return procs


def _make_count(rng: random.Random, proc: dict) -> Made:
    question = (
        f"How many numbered steps does the procedure in the Python docs for {proc['topic']} have?"
    )
    return question, _proc_docs(rng, proc), float(len(proc["steps"]))


# -- readme families --------------------------------------------------------------------

_SEPARATORS = re.compile(r",|;|\band\b|\n")


def _heading_candidates(rng: random.Random) -> list[tuple[dict, int]]:
    items = []
    for readme in _corpus()["readmes"]:
        text = _norm(readme["text"])
        titles = Counter(h["title"] for h in readme["headings"])
        for i, h in enumerate(readme["headings"]):
            if titles[h["title"]] == 1 and _norm(h["title"]) in text:
                items.append((readme, i))
    rng.shuffle(items)
    return items


def _parent_candidates(rng: random.Random) -> list[tuple[dict, int]]:
    items = _heading_candidates(rng)
    # subsections of real sections first, then those right under the document title
    return sorted(items, key=lambda it: heading_parents(it[0]["headings"])[it[1]] == 0)


def _make_parent(rng: random.Random, item: tuple[dict, int]) -> Made:
    readme, i = item
    parent = heading_parents(readme["headings"])[i]
    if parent is None:
        return None
    sub, gold = readme["headings"][i]["title"], readme["headings"][parent]["title"]
    if _norm(gold) not in _norm(readme["text"]):
        return None
    question = (
        f'In the {readme["package"]} documentation, which section contains the subsection "{sub}"?'
    )
    return question, _with_distractors(rng, [readme], _corpus()["readmes"], 3, 5), gold


def _make_children(rng: random.Random, item: tuple[dict, int]) -> Made:
    readme, i = item
    heads = readme["headings"]
    kids = [heads[j]["title"] for j, p in enumerate(heading_parents(heads)) if p == i]
    text = _norm(readme["text"])
    if not 2 <= len(kids) <= 6 or len(set(kids)) != len(kids):
        return None
    if any(_SEPARATORS.search(k) or _norm(k) not in text for k in kids):
        return None  # items a list answer could not be split back into
    question = (
        f'List the subsections of the section "{heads[i]["title"]}" '
        f"in the {readme['package']} documentation."
    )
    return question, _with_distractors(rng, [readme], _corpus()["readmes"], 3, 5), kids


_SPECS = [  # name, task type, structure, answer type, candidates, make
    ("package_description", "spotlight", "chunk", "entity", _desc_candidates, _make_desc),
    ("package_field", "spotlight", "chunk", "entity", _field_candidates, _make_field),
    ("largest_package", "comparison", "table", "entity", _largest_candidates, _make_largest),
    ("section_total_size", "comparison", "table", "number", _section_candidates, _make_total),
    ("section_members", "clustering", "table", "list", _section_candidates, _make_members),
    ("dependency_link", "chain", "graph", "entity", _link_candidates, _make_link),
    ("dependents", "clustering", "graph", "list", _dependents_candidates, _make_dependents),
    ("next_step", "chain", "algorithm", "text", _step_candidates, _make_next_step),
    ("step_count", "spotlight", "algorithm", "number", _count_candidates, _make_count),
    ("parent_section", "spotlight", "catalogue", "entity", _parent_candidates, _make_parent),
    ("section_children", "clustering", "catalogue", "list", _heading_candidates, _make_children),
]
FAMILIES: dict[str, Family] = {spec[0]: Family(*spec) for spec in _SPECS}


def structrag_tasks(
    n_per_family: int = 6, *, seed: int = 0, families: Sequence[str] | None = None
) -> list[StructTask]:
    """Up to ``n_per_family`` tasks of each family (fewer where the corpus has fewer)."""
    if n_per_family < 1:
        raise InputError(
            f"n_per_family must be at least 1, got {n_per_family}", fix="ask for 1 or more"
        )
    names = list(FAMILIES) if families is None else list(families)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise InputError(
            f"unknown StructRAG task families {unknown}",
            fix=f"choose from {', '.join(FAMILIES)}",
        )
    tasks = []
    for name in (n for n in FAMILIES if n in names):
        family, rng, seen = FAMILIES[name], random.Random(f"structrag:{seed}:{name}"), set()
        for candidate in family.candidates(rng):
            made = family.make(rng, candidate)
            key = made and made[0] + "|" + ",".join(sorted(d["id"] for d in made[1]))
            if not made or key in seen:
                continue
            question, docs, gold = made
            seen.add(key)
            tasks.append(
                StructTask(
                    id=f"{name}-{len(seen) - 1}",
                    family=name,
                    task_type=family.task_type,
                    structure=family.structure,
                    question=question,
                    documents=[doc_fields(d) for d in docs],
                    gold=gold,
                    answer_type=family.answer_type,
                )
            )
            if len(seen) == n_per_family:
                break
    return tasks


def split_tasks(tasks: Sequence[StructTask]) -> tuple[list[StructTask], list[StructTask]]:
    """(train, test): within each family, the first half by hash of the id is train."""
    by_family: dict[str, list[StructTask]] = defaultdict(list)
    for task in tasks:
        by_family[task.family].append(task)
    train_ids: set[str] = set()
    for group in by_family.values():
        ranked = sorted(group, key=lambda t: hashlib.sha256(t.id.encode()).hexdigest())
        train_ids |= {t.id for t in ranked[: (len(ranked) + 1) // 2]}
    return [t for t in tasks if t.id in train_ids], [t for t in tasks if t.id not in train_ids]
