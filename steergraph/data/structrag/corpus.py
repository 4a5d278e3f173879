"""Build and load the committed StructRAG corpus: real documents of three kinds.

The fixture ``fixtures/structrag_corpus.json`` holds documents read from this
machine's offline sources, so StructRAG tasks and benchmarks have real, varied text
without depending on the machine they run on:

* ``packages`` -- Debian packages from ``/var/lib/dpkg/status``: about 300 stanzas,
  chosen as dependency closures (so dependency chains stay inside the corpus), with
  Package, Version, Section, Priority, Architecture, Installed-Size, Pre-Depends and
  Depends (names only, first alternative) and a short Description. A document's text
  is its stanza rendered back in dpkg's ``Key: Value`` format.
* ``procedures`` -- numbered procedures from Python's own documentation
  (``pydoc_data.topics.topics``): each document is the section of a topic holding one
  numbered list whose lead-in speaks of steps, a flow or a process, with the parsed
  steps (first paragraph of each item) stored beside it.
* ``readmes`` -- long descriptions from ``*.dist-info/METADATA`` of the packages
  installed in ``/work/main/.venv`` (markdown or reStructuredText) that have at least
  two heading levels and a section with two or more subsections, cut at a section
  boundary near 5000 characters, with the parsed heading tree beside each.

Every entry has the :class:`~steergraph.agents.structrag.documents.Doc` fields
``id``, ``title``, ``text``, ``source`` plus its parsed data. :func:`load_corpus`
reads only the fixture; regenerate it with ``python -m steergraph.data.structrag.corpus``.

Example:
    >>> corpus = load_corpus()
    >>> sorted(corpus)[:3], len(corpus["packages"]) > 100
    (['packages', 'procedures', 'readmes'], True)
    >>> parse_headings("Intro\\n=====\\n\\nUse\\n---\\n", "text/x-rst")
    [{'level': 1, 'title': 'Intro'}, {'level': 2, 'title': 'Use'}]
    >>> numbered_lists("Do this:\\n\\n1. one\\n   more\\n\\n2. two\\n")[0]["steps"]
    ['one more', 'two']
"""

from __future__ import annotations

import email
import json
import re
from collections import defaultdict
from itertools import zip_longest
from pathlib import Path
from typing import Any

from steergraph.agents.structrag.debian import relation_names
from steergraph.errors import InputFileError

__all__ = [
    "FIXTURE",
    "build_corpus",
    "doc_fields",
    "dpkg_stanzas",
    "heading_parents",
    "load_corpus",
    "numbered_lists",
    "parse_headings",
    "write_fixture",
]

FIXTURE = Path(__file__).parents[1] / "fixtures" / "structrag_corpus.json"
DPKG_STATUS = Path("/var/lib/dpkg/status")
SITE_PACKAGES = Path("/work/main/.venv/lib/python3.11/site-packages")
MAX_PACKAGES = 300
MAX_README_CHARS = 5000
MAX_PROCEDURE_CHARS = 6000
MAX_READMES = 25
_PROCEDURE_LEAD = re.compile(r"step|flow|follow|process|proceed", re.I)


def doc_fields(entry: dict[str, Any]) -> dict[str, str]:
    """The ``Doc`` fields (id, title, text, source) of a corpus entry."""
    return {key: entry[key] for key in ("id", "title", "text", "source")}


def dpkg_stanzas(text: str) -> list[dict[str, str]]:
    """dpkg stanzas as {field: value}, continuation lines joined with newlines."""
    out = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Package" in fields:
            out.append(fields)
    return out


# the stanza fields kept, in dpkg's order; field name = key.lower() with "-" -> "_"
_STANZA_KEYS = ("Package", "Priority", "Section", "Installed-Size", "Architecture", "Version")
_STANZA_KEYS += ("Pre-Depends", "Depends", "Description")


def _field(key: str) -> str:
    return key.lower().replace("-", "_")


def _render_stanza(p: dict[str, Any]) -> str:
    """dpkg's ``Key: Value`` lines; the long description as indented continuation lines."""
    values = {k: p[_field(k)] for k in _STANZA_KEYS}
    lines = [
        f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in values.items() if v != []
    ]
    return "\n".join(lines + [" " + line for line in p["long_description"]])


def _packages(status: Path) -> list[dict[str, Any]]:
    import networkx as nx

    parsed = {}
    for f in dpkg_stanzas(status.read_text(encoding="utf-8", errors="replace")):
        desc = f.get("Description", "").split("\n")
        long = [line.strip() for line in desc[1:] if line.strip() not in ("", ".")][:3]
        p = {_field(key): f.get(key, "") for key in _STANZA_KEYS}
        p["installed_size"] = int(p["installed_size"] or 0)
        p["pre_depends"] = relation_names(p["pre_depends"])
        p["depends"] = relation_names(p["depends"])
        p["description"], p["long_description"] = desc[0].strip(), long
        parsed[p["package"]] = p
    graph = nx.DiGraph()
    graph.add_nodes_from(parsed)
    deps = [(n, d) for n, p in parsed.items() for d in p["pre_depends"] + p["depends"]]
    graph.add_edges_from((n, d) for n, d in deps if d in parsed)
    by_section: dict[str, list[str]] = defaultdict(list)
    for name in sorted(parsed):
        by_section[parsed[name]["section"]].append(name)
    # seeds round-robin over sections (sorted), so small sections are represented too
    order = [
        n for group in zip_longest(*(by_section[s] for s in sorted(by_section))) for n in group
    ]
    kept: set[str] = set()
    for name in filter(None, order):
        extra = ({name} | nx.descendants(graph, name)) - kept
        if len(kept) + len(extra) <= MAX_PACKAGES:
            kept |= extra
    out = []
    for name in sorted(kept):
        p = parsed[name]
        out.append(
            {
                "id": f"pkg-{name}",
                "title": f"Debian package {name}",
                "text": _render_stanza(p),
                "source": str(status),
                **{k: v for k, v in p.items() if k != "long_description"},
            }
        )
    return out


def numbered_lists(text: str) -> list[dict[str, Any]]:
    """Numbered lists ``1.``, ``2.``, ... at the left margin (nested lists stay in their step).

    Each is ``{"start", "end", "lead", "steps"}``: line span, the paragraph before it,
    and each item's first paragraph, whitespace-normalised.
    """
    lines, found, i = text.splitlines(), [], 0
    item, any_item = re.compile(r"^(\d+)\.\s+(\S.*)$"), re.compile(r"^\s*\d+\.\s")
    while i < len(lines):
        if not lines[i].startswith("1."):
            i += 1
            continue
        start, j, steps = i, i, []
        while j < len(lines):
            m = item.match(lines[j])
            if m and m.group(1) == str(len(steps) + 1):
                para, j = [m.group(2)], j + 1
                while j < len(lines) and lines[j].strip() and not any_item.match(lines[j]):
                    para, j = [*para, lines[j]], j + 1
                steps.append(" ".join(" ".join(para).split()))
            elif lines[j][:1].strip():
                break  # text back at the left margin ends the list
            else:
                j += 1
        end = j
        while end > start and not lines[end - 1].strip():
            end -= 1
        lead = text.split("\n".join(lines[start:end]))[0].rstrip().split("\n\n")[-1]
        lead = " ".join(lead.split())
        if len(steps) >= 2:
            found.append({"start": start, "end": end, "lead": lead, "steps": steps})
        i = max(j, i + 1)
    return found


def _procedures() -> list[dict[str, Any]]:
    from pydoc_data.topics import topics

    found, seen = [], set()
    for topic in sorted(topics, key=lambda t: (len(topics[t]), t)):  # a repeat keeps the
        lines = topics[topic].splitlines()  # shorter topic's copy
        heads = _heading_spans(topics[topic], markdown=False)
        procs = [p for p in numbered_lists(topics[topic]) if _PROCEDURE_LEAD.search(p["lead"])]
        for n, proc in enumerate(procs):  # (other numbered lists are notes or cases)
            if tuple(proc["steps"]) in seen:
                continue
            seen.add(tuple(proc["steps"]))
            above = [h for h in heads if h[0] < proc["start"]]
            label = above[-1][2] if above else topic
            if label == "Overview" and len(above) > 1:
                label = f"{above[-2][2]}: overview"
            # the section holding the list, without neighbouring lists or their lead-ins
            start = max([proc["start"] - 60, *(h[0] for h in above[-1:])])
            start = max(start, procs[n - 1]["end"] if n else 0)
            ends = [h[0] for h in heads if h[0] > proc["start"]] + [len(lines)]
            end = min([*ends, *(q["start"] for q in procs[n + 1 : n + 2])])
            text = "\n".join(lines[start:end]).strip()
            if n + 1 < len(procs) and procs[n + 1]["start"] < ends[0]:
                text = text[: text.rfind("\n\n")].rstrip()
            if len(text) > MAX_PROCEDURE_CHARS:
                list_end = len("\n".join(lines[start : proc["end"]]))
                text = text[: max(text.rfind("\n\n", 0, MAX_PROCEDURE_CHARS), list_end)]
            found.append({"topic": topic, "label": label, "proc": proc, "text": text})
    out = []
    for r in sorted(found, key=lambda r: (r["topic"], r["proc"]["start"])):
        same = [f for f in found if f["topic"] == r["topic"]]
        name = r["topic"] if len(same) == 1 else f"{r['topic']} ({r['label']})"
        if sum(f["label"] == r["label"] for f in same) > 1:  # label by the lead's subject
            subject = re.split(r",| is | uses | proceeds ", r["proc"]["lead"])[0]
            name = f"{r['topic']} ({subject[:60].rstrip(' :')})"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        out.append(
            {
                "id": f"proc-{slug}",
                "title": f"Python docs: {name}",
                "text": r["text"],
                "source": f"pydoc_data.topics:{r['topic']}",
                "topic": name,
                "steps": r["proc"]["steps"],
            }
        )
    return out


_UNDERLINE = re.compile(r"^([=\-~^*+#\"'`])\1{2,}\s*$")


def _clean_title(title: str) -> str:
    title = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", title)  # images
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # links
    title = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", title)  # rst links
    title = re.sub(r"<[^>]+>", "", title)  # html tags
    title = re.sub(r"(?<!\w)_{1,2}(\S[^_]*?)_{1,2}(?!\w)", r"\1", title.strip().rstrip("#"))
    title = re.sub(r"[*`]", "", title)
    return " ".join(title.split()).strip(" :")


def _heading_spans(text: str, markdown: bool) -> list[tuple[int, tuple[str, int], str]]:
    """(line index, style, title) of headings; code fences skipped in markdown."""
    lines = text.splitlines()
    out: list[tuple[int, tuple[str, int], str]] = []
    fenced = False
    for i, line in enumerate(lines):
        if markdown and re.match(r"^\s*(```|~~~)", line):
            fenced = not fenced
            continue
        if fenced:
            continue
        m = re.match(r"^(#{1,6})\s+(.+)$", line) if markdown else None
        if m:
            out.append((i, ("#", len(m.group(1))), _clean_title(m.group(2))))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        u = _UNDERLINE.match(nxt)
        prev_blank = i == 0 or not lines[i - 1].strip() or bool(_UNDERLINE.match(lines[i - 1]))
        if not (u and line.strip() and not line[0].isspace() and prev_blank):
            continue
        if markdown and u.group(1) not in "=-":
            continue
        if not markdown and len(nxt.rstrip()) < len(line.rstrip()):
            continue
        over = i > 0 and lines[i - 1].strip() == nxt.strip()
        style = ("setext", "=-".index(u.group(1))) if markdown else (u.group(1), int(over))
        out.append((i, style, _clean_title(line)))
    return [h for h in out if h[2] and len(h[2]) <= 80]


def _levels(spans: list[tuple[int, tuple[str, int], str]], markdown: bool) -> list[int]:
    if markdown:  # ATX level n, setext = level 1 or 2
        raw = [s[1] + (s[0] == "setext") for _, s, _ in spans]
    else:  # reStructuredText: levels in order of first appearance of each style
        styles = list(dict.fromkeys(s for _, s, _ in spans))
        raw = [styles.index(s) + 1 for _, s, _ in spans]
    ranks = sorted(set(raw))
    return [ranks.index(r) + 1 for r in raw]


def parse_headings(text: str, content_type: str = "text/markdown") -> list[dict[str, Any]]:
    """The heading tree of a markdown or rst text: ``[{"level", "title"}]`` in order."""
    markdown = "rst" not in content_type
    spans = _heading_spans(text, markdown)
    return [{"level": lv, "title": t} for (_, _, t), lv in zip(spans, _levels(spans, markdown))]


def heading_parents(headings: list[dict[str, Any]]) -> list[int | None]:
    """Index of each heading's parent (the nearest earlier heading of a lower level)."""
    parents: list[int | None] = []
    for i, h in enumerate(headings):
        j = i - 1
        while j >= 0 and headings[j]["level"] >= h["level"]:
            j -= 1
        parents.append(j if j >= 0 else None)
    return parents


def _readmes(site: Path) -> list[dict[str, Any]]:
    out = []
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        msg = email.message_from_string(meta.read_text(encoding="utf-8", errors="replace"))
        name = msg.get("Name", meta.parent.name.split("-")[0])
        body = str(msg.get_payload() or msg.get("Description") or "")
        kind = (msg.get("Description-Content-Type") or "text/x-rst").split(";")[0]
        if name == "steergraph" or len(body) < 800:
            continue
        markdown = "markdown" in kind
        lines = body.splitlines()
        spans = _heading_spans(body, markdown)
        if len(body) > MAX_README_CHARS:
            offsets = [len("\n".join(lines[: s[0]])) for s in spans]
            cuts = [o for o in offsets if 1500 <= o <= MAX_README_CHARS]
            if not cuts:
                continue
            body = body[: max(cuts)].rstrip()
            if not markdown:  # drop a dangling rst overline left by the cut
                body = re.sub(r"\n([=\-~^*+#\"'`])\1{2,}\s*$", "", body).rstrip()
        headings = parse_headings(body, kind)
        parents = [p for p in heading_parents(headings) if p is not None]
        if not any(parents.count(p) >= 2 for p in parents):  # no section with 2 subsections
            continue
        out.append(
            {
                "id": f"readme-{name.lower()}",
                "title": f"{name} documentation",
                "text": body,
                "source": f"{meta.parent.name}/METADATA",
                "package": name,
                "content_type": kind,
                "headings": headings,
            }
        )
    # the richest heading trees first, then by name
    out.sort(key=lambda r: (-min(len(r["headings"]), 25), r["package"].lower()))
    return sorted(out[:MAX_READMES], key=lambda r: r["package"].lower())


def build_corpus(
    status: str | Path = DPKG_STATUS, site_packages: str | Path = SITE_PACKAGES
) -> dict[str, Any]:
    """Read the machine's sources into ``{"packages", "procedures", "readmes"}``."""
    status, site = Path(status), Path(site_packages)
    for path in (p for p in (status, site) if not p.exists()):
        fix = "build the fixture on a Debian machine with the project's .venv"
        raise InputFileError(f"StructRAG corpus source {path} does not exist", fix=fix)
    return {
        "sources": {
            "packages": str(status),
            "procedures": "pydoc_data.topics.topics",
            "readmes": f"{site}/*.dist-info/METADATA",
        },
        "packages": _packages(status),
        "procedures": _procedures(),
        "readmes": _readmes(site),
    }


def write_fixture(out: Path = FIXTURE) -> Path:
    """Build the corpus from this machine and write the JSON fixture."""
    out.parent.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus()
    parts = ['{"sources": ' + json.dumps(corpus["sources"], ensure_ascii=False)]
    for kind in ("packages", "procedures", "readmes"):  # one entry a line: small, diffable
        rows = ",\n".join(json.dumps(e, ensure_ascii=False) for e in corpus[kind])
        parts.append(f'"{kind}": [\n{rows}\n]')
    out.write_text(",\n".join(parts) + "}\n", encoding="utf-8")
    return out


def load_corpus(path: Path = FIXTURE) -> dict[str, Any]:
    """The committed corpus (never reads the machine's own sources)."""
    if not path.exists():
        raise InputFileError(
            f"StructRAG corpus fixture {path} is missing",
            fix="run `python -m steergraph.data.structrag.corpus` to rebuild it",
        )
    return json.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    print(write_fixture())
