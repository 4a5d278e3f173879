"""Computation plans for the utilizer: per-structure schemas so the model only chooses.

For each structure :func:`plan_schema` builds a pydantic model whose fields are, where
possible, ``Literal`` choices taken from THIS structure: the table's column names, the
graph's entities and relations, the catalogue's section titles; its operations are those
the question's form allows (:func:`question_ops`: "largest" is never ``argmin``; a table
question with no aggregate word gets ``filter`` and ``lookup`` only). Under constrained
decoding the model can then only name things that exist; :mod:`exact` does the
computing. :func:`structure_view` is the compact view the model plans from (columns and
three sample rows, a few triples, the steps, the section titles), :func:`plan_messages`
the prompt, and :func:`plan_call` turns a parsed plan into ``(op, kwargs)`` for
:func:`~steergraph.agents.structrag.exact.compute`.

Example:
    >>> from steergraph.agents.structrag.structures import Table
    >>> t = Table(columns=["package", "installed_kb"], rows=[{"package": "a", "installed_kb": 1}])
    >>> Plan = plan_schema(t, "Which package is largest?")
    >>> Plan.model_json_schema()["properties"]["column"]["enum"]  # the row names last
    ['installed_kb', 'package']
    >>> plan_call(t, Plan(op="argmax", column="installed_kb", filter_column="none", value=""))
    ('argmax', {'column': 'installed_kb', 'filter_column': 'none', 'value': ''})
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, create_model

from steergraph.agents.structrag.exact import (
    ALGORITHM_OPS,
    CATALOGUE_OPS,
    GRAPH_OPS,
    key_column,
)
from steergraph.agents.structrag.matching import normalise, word_set
from steergraph.agents.structrag.structures import (
    Algorithm,
    Catalogue,
    KnowledgeGraph,
    Table,
)

__all__ = [
    "MAX_CHOICES",
    "MAX_VALUE_CHARS",
    "MAX_VALUE_CHOICES",
    "PLAIN_TABLE_OPS",
    "PLAN_HELP",
    "named_in",
    "plan_call",
    "plan_messages",
    "plan_schema",
    "question_ops",
    "rank",
    "structure_view",
]

#: Above this many entities / titles a field is a free (short) string, not a choice.
MAX_CHOICES = 300
#: Most table cells offered as a plan's value (those the question names, when more).
MAX_VALUE_CHOICES = 24
#: Longest free-text plan argument (a value to match, a phrase).
MAX_VALUE_CHARS = 80
_SAMPLE_ROWS = 3
_SAMPLE_TRIPLES = 8
_SHOWN_RELATIONS = 20

ShortText = Annotated[str, Field(max_length=MAX_VALUE_CHARS)]

#: What each structure's ops do, as told to the model (one line each).
PLAN_HELP: dict[str, str] = {
    "table": (
        "argmax/argmin: the row with the largest/smallest column\n"
        "sum/mean: total/average of column\n"
        "count: how many rows have filter_column equal to value\n"
        "group_argmax/group_argmin: the value of column shared by the most/fewest rows\n"
        "filter: which rows have filter_column equal to value\n"
        "lookup: column of the row named value\n"
        "none: no operation answers the question"
    ),
    "graph": (
        "successors: what source points to (over relation)\n"
        "predecessors: what points to source (over relation)\n"
        "successor_count/predecessor_count: how many of those\n"
        "closure: everything source reaches over relation, directly or indirectly\n"
        "closure_size: how many entities that is\n"
        "between: entities X with source -> X -> target\n"
        "path: the chain from source to target\n"
        "none: no operation answers the question"
    ),
    "algorithm": (
        "step_after/step_before: the step after/before the step described by phrase\n"
        "step: step number n\n"
        "step_count: how many steps there are\n"
        "none: no operation answers the question"
    ),
    "catalogue": (
        "parent: the section that contains title\n"
        "children: the sections inside title\n"
        "sections: the top-level sections (title none)\n"
        "none: no operation answers the question"
    ),
}


#: question forms whose words fix the operation: (pattern, the ops allowed per kind).
#: A question matching several forms may use the ops they share (else any of theirs).
_FORMS: tuple[tuple[str, dict[str, tuple[str, ...]]], ...] = (
    (r"\b(largest|biggest|highest|greatest|maximum|heaviest|longest|newest|latest)\b"
     r"|(?<!at )\bmost\b", {"table": ("argmax", "group_argmax")}),
    (r"\b(smallest|lowest|minimum|fewest|lightest|shortest|oldest|earliest)\b"
     r"|(?<!at )\bleast\b", {"table": ("argmin", "group_argmin")}),
    (r"\b(how many|number of)\b",
     {"table": ("count",), "graph": ("successor_count", "predecessor_count", "closure_size"),
      "algorithm": ("step_count",)}),
    (r"\b(total|sum|combined|altogether)\b", {"table": ("sum",)}),
    (r"\b(average|mean)\b", {"table": ("mean",)}),
    (r"\b(indirectly|transitively|recursively)\b", {"graph": ("closure", "closure_size")}),
    (r"\bbetween\b", {"graph": ("between", "path")}),
)  # fmt: skip


#: a table question with none of the forms' words asks for rows or a value, not an
#: aggregate ("What is the version of X?" must not become the most common version)
PLAIN_TABLE_OPS = ("lookup", "filter")  # a small model takes the first it is offered


def question_ops(question: str, kind: str) -> tuple[str, ...] | None:
    """The operations the question's form allows on a ``kind`` structure (``None``: no
    form fixes it). "largest" can never be planned as ``argmin``, "how many" never as a
    lookup, whatever the model would choose.

    >>> question_ops("Which package is the largest?", "table")
    ('argmax', 'group_argmax')
    >>> question_ops("How many packages does apt depend on, directly or indirectly?", "graph")
    ('closure_size',)
    >>> question_ops("How many packages have at least 3 dependencies?", "table")
    ('count',)
    >>> question_ops("Who maintains dpkg?", "table") is None
    True
    """
    allowed: tuple[str, ...] | None = None
    for pattern, by_kind in _FORMS:
        ops = by_kind.get(kind)
        if ops is None or not re.search(pattern, question, re.IGNORECASE):
            continue
        if allowed is None:
            allowed = ops
        else:
            shared = tuple(o for o in allowed if o in ops)
            allowed = shared or tuple(dict.fromkeys((*allowed, *ops)))
    return allowed


def _stems(text: str) -> set[str]:
    """Words without a plural / -ed / -ing / -er ending (``depends`` and ``depend`` meet,
    ``maintains`` and ``maintainer``)."""
    return {re.sub(r"(?<=...)(ing|ed|es|er|s)$", "", w) for w in word_set(text)}


def rank(
    values: Sequence[Any], question: str, prefer: Sequence[str] = (), avoid: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """Distinct non-empty ``values`` with their relevance to ``question``, most relevant
    first (a value named in the question, then by shared words; ties keep their order,
    ``prefer``-red values first; ``avoid``-ed values last, with relevance -1).

    >>> [v for v, _ in rank(["package", "installed_kb", "size"], "largest installed size?")]
    ['size', 'installed_kb', 'package']
    """
    asked, words = normalise(question), _stems(question)
    scored = []
    for i, value in enumerate(dict.fromkeys(str(v) for v in values if str(v).strip())):
        norm, own = normalise(value), _stems(value)
        score = len(own & words) / len(own) if own else 0.0
        if norm and re.search(rf"\b{re.escape(norm)}\b", asked):
            score += 1.0
        if value in avoid:
            score = -1.0
        scored.append((value, score, value in prefer, i))
    scored.sort(key=lambda t: (-t[1], not t[2], t[3]))
    return [(v, score) for v, score, _, _ in scored]


def named_in(values: Sequence[Any], question: str) -> list[str]:
    """The distinct ``values`` the question names word for word, in the order it names them.

    >>> named_in(["b", "apt", "libc6", "x"], "Which package sits between apt and libc6?")
    ['apt', 'libc6']
    >>> named_in(["python", "python-dateutil", "six"], "Does six need python-dateutil?")
    ['six', 'python-dateutil']
    """
    asked, found = normalise(question), {}
    for value in dict.fromkeys(str(v) for v in values):
        norm = normalise(value)
        if norm and (m := re.search(rf"\b{re.escape(norm)}\b", asked)):
            found[value] = m.span()
    inside = {v for v, (a, b) in found.items()  # "python" within "python-dateutil"
              if any(o != v and c <= a and b <= d and d - c > b - a
                     for o, (c, d) in found.items())}  # fmt: skip
    return sorted((v for v in found if v not in inside), key=lambda v: found[v][0])


def _choices(
    values: Sequence[Any],
    question: str,
    sentinel: str | None = None,
    prefer: Sequence[str] = (),
    avoid: Sequence[str] = (),
) -> Any:
    """A ``Literal`` of ``values`` ranked by :func:`rank`, ``sentinel`` after the relevant
    ones; above :data:`MAX_CHOICES` values only the relevant ones (free text if none).

    Small models tend to take the first choice they are offered, so the ranking is what
    they answer when unsure; a capable model still sees (and may pick) every choice.
    """
    ranked = rank(values, question, prefer, avoid)
    if len(ranked) > MAX_CHOICES:
        ranked = [(v, score) for v, score in ranked[:MAX_CHOICES] if score > 0]
        if not ranked:
            return ShortText
    names = [v for v, score in ranked if score > 0]
    if sentinel is not None:
        names.append(sentinel)
    names += [v for v, score in ranked if score <= 0]
    names = list(dict.fromkeys(names))
    if not names:
        return ShortText
    return Literal[tuple(names)]  # type: ignore[valid-type]


def _value_choices(cells: Sequence[str], question: str) -> Any:
    """The cells a filter or lookup may name: all of a small table's; of a larger one only
    those the question shares words with (at most :data:`MAX_VALUE_CHOICES`), then ``""``
    (no filter). Each choice costs decoding time under a grammar: 264 cells of a
    70-record folder took a plan call from seconds to over a minute on SmolLM2."""
    if len(set(cells)) <= MAX_VALUE_CHOICES:
        return _choices(cells, question, "")
    named = [v for v, score in rank(cells, question) if score > 0][:MAX_VALUE_CHOICES]
    return Literal[(*named, "")]  # type: ignore[valid-type]


def _ops(ops: Sequence[str]) -> Any:
    return Literal[(*ops, "none")]  # type: ignore[valid-type]


def _table_columns(table: Table) -> list[str]:
    cols = table.columns or list(dict.fromkeys(k for row in table.rows for k in row))
    return [str(c) for c in cols if str(c).strip()]


def plan_schema(structure: Any, question: str = "") -> type[BaseModel] | None:
    """The plan model for ``structure`` (``None`` for chunks or a structure with nothing
    to choose from, e.g. a table without columns); choices ranked for ``question``."""
    if isinstance(structure, Table):
        cols = _table_columns(structure)
        if not cols:
            return None
        frame, key = structure.to_frame(), [key_column(cols)]
        numeric = [c for c in cols if c in frame.columns and frame[c].dtype.kind in "if"]
        texts = [c for c in cols if c in frame.columns and c not in numeric]
        cells = [v for c in texts for v in frame[c].dropna().astype(str).str.strip()]
        cells = [v for v in cells if len(v) <= MAX_VALUE_CHARS]
        return create_model(
            "TablePlan",
            op=(_ops(question_ops(question, "table") or PLAIN_TABLE_OPS), ...),
            column=(_choices(cols, question, prefer=numeric, avoid=key), ...),
            filter_column=(_choices(texts or cols, question, "none", avoid=key), ...),
            value=(_value_choices(cells, question) if cells else ShortText, ...),
        )
    if isinstance(structure, KnowledgeGraph):
        nodes = [n for t in structure.triples for n in (t.head, t.tail)]
        if not nodes:
            return None
        named = named_in(nodes, question)
        # entities the question names are the only sources offered (in the order it names
        # them); a second one named is the target offered first ("between A and B")
        source = Literal[tuple(named)] if named else _choices(nodes, question)
        target = (Literal[(*named[1:], *named[:1], "none")] if len(named) > 1
                  else _choices(nodes, question, "none"))  # fmt: skip
        return create_model(
            "GraphPlan",
            op=(_ops(question_ops(question, "graph") or GRAPH_OPS), ...),
            source=(source, ...),
            relation=(_choices([t.relation for t in structure.triples], question, "any"), ...),
            target=(target, ...),
        )
    if isinstance(structure, Algorithm):
        if not structure.steps:
            return None
        top = max(len(structure.steps), *(s.number for s in structure.steps))
        labels = [s.text[:MAX_VALUE_CHARS] for s in structure.steps]
        return create_model(
            "AlgorithmPlan",
            op=(_ops(question_ops(question, "algorithm") or ALGORITHM_OPS), ...),
            phrase=(_choices(labels, question), ...),
            n=(Annotated[int, Field(ge=0, le=top)], ...),
        )
    if isinstance(structure, Catalogue):
        titles = [node.title for node, _ in structure.walk()]
        if not titles:
            return None
        return create_model(
            "CataloguePlan",
            op=(_ops(CATALOGUE_OPS), ...),
            title=(_choices(titles, question, "none"), ...),
        )
    return None


def plan_call(structure: Any, plan: BaseModel) -> tuple[str, dict[str, Any]]:
    """``(op, kwargs)`` for :func:`~steergraph.agents.structrag.exact.compute`."""
    fields = plan.model_dump()
    op = str(fields.pop("op"))
    return op, fields


def structure_view(structure: Any) -> str:
    """A compact view of ``structure`` to plan from (not the whole content)."""
    if isinstance(structure, Table):
        cols = _table_columns(structure)
        head = Table(columns=cols, rows=structure.rows[:_SAMPLE_ROWS]).to_text()
        head = head.split("\n", 1)[1] if "\n" in head else head
        name = f"Table: {structure.title} " if structure.title else "Table "
        return (
            f"{name}({len(structure.rows)} rows)\nColumns: {', '.join(cols)}\nFirst rows:\n{head}"
        )
    if isinstance(structure, KnowledgeGraph):
        nodes = {n for t in structure.triples for n in (t.head, t.tail)}
        relations = list(dict.fromkeys(t.relation for t in structure.triples))
        sample = KnowledgeGraph(triples=structure.triples[:_SAMPLE_TRIPLES]).to_text()
        more = len(relations) - _SHOWN_RELATIONS
        rels = ", ".join(relations[:_SHOWN_RELATIONS]) + (f" (+{more} more)" if more > 0 else "")
        name = f"Graph: {structure.title} " if structure.title else "Graph "
        return (
            f"{name}({len(nodes)} entities, {len(structure.triples)} facts)\n"
            f"Relations: {rels}\nSome facts:\n{sample.split(chr(10), 1)[-1]}"
        )
    if isinstance(structure, Catalogue):
        lines = [f"Catalogue: {structure.title}" if structure.title else "Catalogue:"]
        lines += ["  " * len(p) + f"{n.number} {n.title}" for n, p in structure.walk()]
        return "\n".join(lines)
    return str(structure.to_text())


def plan_messages(question: str, structure: Any, view: str) -> list[BaseMessage]:
    """The planning prompt: the ops of ``structure``'s kind, the view and the question."""
    kind = structure.kind
    system = f"Choose an operation on the {kind} below that computes the answer.\n{PLAN_HELP[kind]}"
    return [SystemMessage(system), HumanMessage(f"{view}\n\nQuestion: {question}")]
