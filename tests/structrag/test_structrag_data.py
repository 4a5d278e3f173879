"""StructRAG corpus fixture, tasks (golds recomputed from the task's own documents), scoring."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from steergraph.data.structrag.corpus import (
    FIXTURE,
    load_corpus,
    numbered_lists,
    parse_headings,
)
from steergraph.data.structrag.scoring import mean_scores, score_answer
from steergraph.data.structrag.tasks import FAMILIES, StructTask, split_tasks, structrag_tasks
from steergraph.errors import InputError

TASKS = structrag_tasks(6, seed=0)


def by_family(name: str) -> list[StructTask]:
    return [t for t in TASKS if t.family == name]


def stanza(text: str) -> dict:
    """Parse one rendered dpkg stanza without steergraph's code."""
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", text, re.M))
    deps = ", ".join(v for k, v in fields.items() if k in ("Depends", "Pre-Depends"))
    return {
        "name": fields["Package"],
        "section": fields["Section"],
        "priority": fields["Priority"],
        "size": int(fields["Installed-Size"]),
        "deps": {d.strip() for d in deps.split(",") if d.strip()},
        "description": fields["Description"],
    }


def stanzas(task: StructTask) -> dict[str, dict]:
    return {p["name"]: p for p in (stanza(d["text"]) for d in task.documents)}


def norm(text: str) -> str:
    return " ".join(text.split())


def test_fixture_has_three_kinds_of_real_documents():
    corpus = load_corpus()
    assert FIXTURE.stat().st_size < 450_000
    assert len(corpus["packages"]) == 300
    assert len(corpus["procedures"]) >= 8
    assert 20 <= len(corpus["readmes"]) <= 30
    names = {p["package"] for p in corpus["packages"]}
    assert {"bash", "dpkg", "libc6"} <= names
    kept_deps = [d for p in corpus["packages"] for d in p["depends"] if d in names]
    assert len(kept_deps) > 300  # dependency chains stay inside the corpus
    for p in corpus["packages"]:
        assert stanza(p["text"])["size"] == p["installed_size"]
    titles = {p["title"] for p in corpus["procedures"]}
    assert "Python docs: with" in titles
    for proc in corpus["procedures"]:
        for step in proc["steps"]:
            assert step in norm(proc["text"])
    for readme in corpus["readmes"]:
        assert readme["title"] == f"{readme['package']} documentation"
        assert len({h["level"] for h in readme["headings"]}) >= 2
        assert len(readme["text"]) <= 5000
    ids = [e["id"] for kind in ("packages", "procedures", "readmes") for e in corpus[kind]]
    assert len(ids) == len(set(ids))


def test_parsers_on_small_texts():
    md = "# Top\n\n```\n# not a heading\n```\n\n## A\n\n### A1\n\n## [B](http://x)\n"
    assert parse_headings(md) == [
        {"level": 1, "title": "Top"},
        {"level": 2, "title": "A"},
        {"level": 3, "title": "A1"},
        {"level": 2, "title": "B"},
    ]
    rst = "=====\nTitle\n=====\n\nPart\n----\n\nSub\n~~~\n\nPart 2\n------\n"
    assert [h["level"] for h in parse_headings(rst, "text/x-rst")] == [1, 2, 3, 2]
    text = "Proceeds as follows:\n\n1. a\n\n2. b\n\n   1. nested\n\n   2. nested\n\n3. c\n"
    (found,) = numbered_lists(text)
    assert found["steps"] == ["a", "b", "c"]
    assert found["lead"] == "Proceeds as follows:"


def test_every_family_yields_well_formed_tasks():
    assert Counter(t.family for t in TASKS) == dict.fromkeys(FAMILIES, 6)
    assert len({t.id for t in TASKS}) == len(TASKS)
    for task in TASKS:
        family = FAMILIES[task.family]
        assert re.fullmatch(rf"{task.family}-\d+", task.id)
        assert (task.task_type, task.structure, task.answer_type) == (
            family.task_type,
            family.structure,
            family.answer_type,
        )
        low, high = (5, 10) if task.structure in ("table", "graph", "chunk") else (3, 5)
        assert low <= len(task.documents) <= high, task.id
        assert all(set(d) == {"id", "title", "text", "source"} for d in task.documents)
        assert len({d["id"] for d in task.documents}) == len(task.documents)
        if task.answer_type == "list":
            assert isinstance(task.gold, list) and len(task.gold) >= 2
        elif task.answer_type == "number":
            assert isinstance(task.gold, float)
        else:
            assert isinstance(task.gold, str) and task.gold


def test_package_golds_recomputed_from_documents():
    for t in by_family("package_description"):
        desc = re.search(r'described as "(.*)"\?', t.question).group(1)
        matches = [p for p in stanzas(t).values() if p["description"] == desc]
        assert [p["name"] for p in matches] == [t.gold]
    for t in by_family("package_field"):
        field, name = re.search(r"the (\w+) of the package (\S+)\?", t.question).groups()
        assert stanzas(t)[name][field] == t.gold
    for t in by_family("largest_package"):
        sizes = sorted((p["size"], n) for n, p in stanzas(t).items())
        pick, other = (sizes[-1], sizes[-2]) if "largest" in t.question else sizes[:2]
        assert pick[1] == t.gold and pick[0] != other[0]
    for t in by_family("section_total_size"):
        section = re.search(r"section (\S+)\?", t.question).group(1)
        members = [p for p in stanzas(t).values() if p["section"] == section]
        assert len(members) >= 2
        assert t.gold == sum(p["size"] for p in members)
    for t in by_family("section_members"):
        section = re.search(r"section (\S+)\?", t.question).group(1)
        members = {n for n, p in stanzas(t).items() if p["section"] == section}
        assert members == set(t.gold) and 2 <= len(members) <= 4
        assert len(t.documents) > len(members)


def test_graph_golds_recomputed_from_documents():
    for t in by_family("dependency_link"):
        a, c = re.search(r"Package (\S+) depends on .* depends on (\S+)\.", t.question).groups()
        pkgs = stanzas(t)
        middle = [b for b in pkgs[a]["deps"] if b in pkgs and c in pkgs[b]["deps"]]
        assert middle == [t.gold] and c in pkgs
    for t in by_family("dependents"):
        target = re.search(r"directly on (\S+)\?", t.question).group(1)
        users = {n for n, p in stanzas(t).items() if target in p["deps"]}
        assert users == set(t.gold) and len(users) >= 2


def doc_for(task: StructTask, topic: str) -> dict:
    (doc,) = [d for d in task.documents if d["title"] == f"Python docs: {topic}"]
    return doc


def test_procedure_golds_recomputed_from_documents():
    for t in by_family("step_count"):
        topic = re.search(r"Python docs for (.*) have\?", t.question).group(1)
        numbered = re.findall(r"^\s*(\d+)\.\s", doc_for(t, topic)["text"], re.M)
        assert numbered == [str(i) for i in range(1, len(numbered) + 1)]
        assert t.gold == len(numbered)
    for t in by_family("next_step"):
        topic, quote = re.search(r'Python docs for (.*), what .*: "(.*)"\?$', t.question).groups()
        text = norm(doc_for(t, topic)["text"])
        quote = quote.removesuffix(" ...")
        assert sum(norm(d["text"]).count(quote) for d in t.documents) == 1
        after = text[text.index(quote) :]
        match = re.search(r"\s(\d+)\. (.*)", after)  # the next numbered item
        assert match and match.group(2).startswith(t.gold[:40])


def test_catalogue_golds_recomputed_from_documents():
    def lines_of(t: StructTask) -> list[str]:
        package = re.search(r"[Ii]n the (\S+) documentation", t.question).group(1)
        (doc,) = [d for d in t.documents if d["title"] == f"{package} documentation"]
        return doc["text"].splitlines()

    def is_heading(lines: list[str], i: int) -> bool:
        below = lines[i + 1] if i + 1 < len(lines) else ""
        return lines[i].startswith("#") or bool(re.fullmatch(r"([=\-~^*+#\"'`])\1{2,}", below))

    def clean(line: str) -> str:
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line.strip().strip("#"))  # badges
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links
        return " ".join(re.sub(r"[`*]", "", line).split()).strip(" :")

    def first_line(lines: list[str], title: str, start: int = 0) -> int:
        """The first heading line (markdown ``#`` or underlined) with this title."""
        return next(
            i for i in range(start, len(lines)) if clean(lines[i]) == title and is_heading(lines, i)
        )

    for t in by_family("parent_section"):
        sub = re.search(r'subsection "(.*)"\?', t.question).group(1)
        lines = lines_of(t)
        assert first_line(lines, t.gold) < first_line(lines, sub)
    for t in by_family("section_children"):
        section = re.search(r'section "(.*)" in', t.question).group(1)
        lines = lines_of(t)
        at = first_line(lines, section)
        for child in t.gold:  # children follow their section, in order
            at = first_line(lines, child, at + 1)


def test_deterministic_and_seed_dependent():
    again = structrag_tasks(6, seed=0)
    assert [t.model_dump() for t in again] == [t.model_dump() for t in TASKS]
    other = structrag_tasks(6, seed=1)
    assert [t.model_dump() for t in other] != [t.model_dump() for t in TASKS]
    some = structrag_tasks(3, seed=0, families=["dependents", "step_count"])
    assert [t.model_dump() for t in some] == [
        t.model_dump()
        for t in TASKS
        if t.family in ("dependents", "step_count")
        if int(t.id.rsplit("-", 1)[1]) < 3
    ]


def test_split_is_disjoint_covering_and_has_every_family():
    train, test = split_tasks(TASKS)
    assert {t.id for t in train}.isdisjoint({t.id for t in test})
    assert sorted(t.id for t in train + test) == sorted(t.id for t in TASKS)
    assert {t.family for t in train} == {t.family for t in test} == set(FAMILIES)
    assert abs(len(train) - len(test)) <= len(FAMILIES)
    assert [t.id for t in split_tasks(TASKS)[0]] == [t.id for t in train]


def test_bad_input_errors():
    with pytest.raises(InputError, match="package_description"):
        structrag_tasks(2, families=["nope"])
    with pytest.raises(InputError, match="at least 1"):
        structrag_tasks(0)
    with pytest.raises(InputError, match="answer type"):
        score_answer("x", "x", "boolean")


@pytest.mark.parametrize(
    ("prediction", "gold", "kind", "em", "f1"),
    [
        ("Answer: `libc6`.", "libc6", "entity", 1.0, 1.0),
        ('"dpkg"\nbecause it is required', "dpkg", "entity", 1.0, 1 / 3),
        ("gnupg l10n", "gnupg-l10n", "entity", 0.0, 1.0),
        ("bash", "dash", "entity", 0.0, 0.0),
        ("c, a", ["a", "b"], "list", 0.0, 0.5),
        ("- b\n- a", ["a", "b"], "list", 1.0, 1.0),
        ("b and a", ["A", "B"], "list", 1.0, 1.0),
        ("Fixed Bugs; New Features", ["New Features", "Fixed Bugs"], "list", 1.0, 1.0),
        ("Releases and Versioning, Help", ["Help", "Releases and Versioning"], "list", 1.0, 1.0),
        ("The total is 1,234 KiB.", 1234.0, "number", 1.0, 1.0),
        ("7", 7.0, "number", 1.0, 1.0),
        ("about 1235", 1234.0, "number", 0.0, 0.0),
        ("no number", 3.0, "number", 0.0, 0.0),
        ("The suite is executed.", "The suite is executed.", "text", 1.0, 1.0),
        ("suite executed", "The suite is executed.", "text", 0.0, 0.8),
        ("", "x", "entity", 0.0, 0.0),
        ("   ", ["a", "b"], "list", 0.0, 0.0),
        ("", 0.0, "number", 0.0, 0.0),
    ],
)
def test_score_answer(prediction, gold, kind, em, f1):
    scores = score_answer(prediction, gold, kind)
    assert scores["em"] == em
    assert scores["f1"] == pytest.approx(f1)


def test_mean_scores():
    assert mean_scores([]) == {"em": 0.0, "f1": 0.0, "n": 0}
    rows = [score_answer("a", "a", "entity"), score_answer("b", "a", "entity")]
    assert mean_scores(rows) == {"em": 0.5, "f1": 0.5, "n": 2}
