"""Exact computations on StructRAG structures: the program computes, the model only chooses.

Each function is pure and returns a result dict ``{"answer": str, "op": str, "args":
dict, "value": ...}`` (``value`` is JSON-safe: a number, a string or a list), or
``None`` when the operation does not apply (unknown column, no matching entity, a
non-numeric column for ``argmax``, nothing found, ...). The utilizer falls back to the
model on ``None``.

* :func:`table_op` -- ``argmax``, ``argmin``, ``sum``, ``mean``, ``count``,
  ``group_argmax``/``group_argmin`` (the most/least frequent value of a column),
  ``filter``, ``lookup`` on :meth:`Table.to_frame`.
* :func:`graph_op` -- ``successors``, ``predecessors`` and their counts, ``closure`` and
  ``closure_size`` (everything reachable, directly or indirectly), ``between``, ``path``
  on :meth:`KnowledgeGraph.to_networkx`.
* :func:`algorithm_op` -- ``step_after``, ``step_before``, ``step_count``, ``step``.
* :func:`catalogue_op` -- ``parent``, ``children``, ``sections``.
* :func:`compute` dispatches on the structure's ``kind``.

Names are matched tolerantly (:func:`~steergraph.agents.structrag.matching.match_name`):
exact, then case-insensitive after normalising punctuation and spaces, then containment.

Example:
    >>> from steergraph.agents.structrag.structures import Table
    >>> t = Table(columns=["package", "installed_kb"],
    ...           rows=[{"package": "a", "installed_kb": "12"},
    ...                 {"package": "b", "installed_kb": "30"}])
    >>> table_op(t, "argmax", column="Installed KB")["answer"]
    'b'
    >>> table_op(t, "lookup", column="installed_kb", value="A")["answer"]
    '12'
    >>> table_op(t, "argmax", column="package") is None  # not numeric
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from steergraph.agents.structrag.matching import given, match_name, normalise, word_set
from steergraph.agents.structrag.structures import (
    Algorithm,
    Catalogue,
    CatalogueNode,
    Chunks,
    KnowledgeGraph,
    Table,
)

__all__ = [
    "ALGORITHM_OPS",
    "CATALOGUE_OPS",
    "GRAPH_OPS",
    "TABLE_OPS",
    "algorithm_op",
    "catalogue_op",
    "compute",
    "graph_op",
    "key_column",
    "table_op",
]

TABLE_OPS: tuple[str, ...] = ("argmax", "argmin", "sum", "mean", "count", "group_argmax",
                              "group_argmin", "filter", "lookup")  # fmt: skip
GRAPH_OPS: tuple[str, ...] = ("successors", "predecessors", "successor_count",
                              "predecessor_count", "closure", "closure_size", "between",
                              "path")  # fmt: skip
ALGORITHM_OPS: tuple[str, ...] = ("step_after", "step_before", "step_count", "step")
CATALOGUE_OPS: tuple[str, ...] = ("children", "parent", "sections")
_KEY_NAMES = ("package", "name", "title", "id")


def _plain(value: Any) -> Any:
    """A JSON-safe Python value (numpy scalars unwrapped, NaN -> None)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _fmt(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(round(value, 3))
    return "" if value is None else str(value)


def _result(op: str, args: dict[str, Any], value: Any, answer: str) -> dict[str, Any] | None:
    if not answer.strip():
        return None
    return {"answer": answer, "op": op, "args": args, "value": value}


def _list_result(op: str, args: dict[str, Any], items: Sequence[Any]) -> dict[str, Any] | None:
    items = [_fmt(i) for i in dict.fromkeys(items) if _fmt(i)]
    return _result(op, args, items, ", ".join(items)) if items else None


# --------------------------------------------------------------------------- tables
def key_column(columns: Sequence[str]) -> str | None:
    """The row-name column: the first named package/name/title/id, else the first.

    >>> key_column(["size", "Name", "id"])
    'Name'
    """
    for want in _KEY_NAMES:
        for col in columns:
            if normalise(col) == want:
                return col
    return columns[0] if columns else None


def _rows_matching(frame: Any, column: str, value: str) -> Any:
    """Rows whose ``column`` equals ``value`` (numbers numerically, text normalised),
    else those whose text contains it."""
    series = frame[column]
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        number = None
    if number is not None and series.dtype.kind in "if":
        return frame[series == number]
    text = series.map(normalise)
    needle = normalise(value)
    if not needle:
        return frame.iloc[0:0]
    equal = frame[text == needle]
    if len(equal):
        return equal
    return frame[text.map(lambda s: bool(s) and needle in s)]


def _numeric_op(op: str, frame: Any, args: dict[str, Any]) -> dict[str, Any] | None:
    """``argmax``/``argmin``/``sum``/``mean`` of ``args["column"]`` (rows filtered when
    ``args`` has a filter column and value)."""
    col, fcol, value, key = args["column"], args["filter_column"], args["value"], args["key_column"]
    if col is not None and col != key and op in ("argmax", "argmin"):
        if frame[col].dtype.kind not in "if":  # "the section with the most ...": a group count
            return _group_op(f"group_{op}", frame, args)
    if col is None or frame[col].dtype.kind not in "if":
        return None
    rows = _rows_matching(frame, fcol, value) if fcol and value else frame
    series = rows[col].dropna()
    if series.empty:
        return None
    if op in ("sum", "mean"):
        number = _plain(series.sum() if op == "sum" else series.mean())
        return _result(op, args, number, _fmt(number))
    best = series.max() if op == "argmax" else series.min()
    keys = dict.fromkeys(_fmt(k) for k in rows.loc[series[series == best].index, key])
    return _result(op, args, _plain(best), ", ".join(keys))  # a duplicate record named once


def _group_op(op: str, frame: Any, args: dict[str, Any]) -> dict[str, Any] | None:
    """The most (``group_argmax``) or least (``group_argmin``) frequent value(s) of
    ``args["column"]``, over the rows a filter keeps (a filter on the counted column
    itself would leave one group: it is ignored); ties are all named."""
    col, fcol, value = args["column"], args["filter_column"], args["value"]
    if col is None:
        return None
    if fcol == col:
        fcol = value = args["filter_column"] = args["value"] = None
    rows = _rows_matching(frame, fcol, value) if fcol and value else frame
    values = rows[col].dropna().map(_fmt)
    counts = values[values.str.strip() != ""].value_counts()
    if counts.empty or counts.max() == 1:  # every value once: no group to name
        return None
    best = counts.max() if op == "group_argmax" else counts.min()
    winners = sorted(str(v) for v in counts[counts == best].index)
    return _result(op, {**args, "rows": int(best)}, winners, ", ".join(winners))


def table_op(
    table: Table,
    op: str,
    column: str | None = None,
    value: str | None = None,
    *,
    filter_column: str | None = None,
) -> dict[str, Any] | None:
    """Compute ``op`` on ``table``.

    * ``argmax`` / ``argmin`` -- the key value(s) of the row(s) with the largest /
      smallest numeric ``column`` (a text column other than the key: as
      ``group_argmax`` / ``group_argmin``); ``sum`` / ``mean`` of ``column``. With
      ``filter_column`` and ``value`` these use only rows where ``filter_column == value``.
    * ``count`` -- rows where ``(filter_column or column) == value``; without a value,
      the rows with a ``column`` (all rows without a column).
    * ``group_argmax`` / ``group_argmin`` -- the value of ``column`` shared by the most /
      fewest rows (filtered as above), e.g. the section with the most packages.
    * ``filter`` -- key values of rows where ``(filter_column or column) == value``.
    * ``lookup`` -- ``column`` of the row whose ``(filter_column or key column) == value``.
    """
    column, filter_column = given(column), given(filter_column)
    frame = table.to_frame()
    if frame.empty or op not in TABLE_OPS:
        return None
    names = [str(c) for c in frame.columns]
    key = key_column([c for c in names if c != "source" or "source" in table.columns])
    col = match_name(column, names) if column else None
    fcol = match_name(filter_column, names) if filter_column else None
    value = (value or "").strip()
    args = {"column": col, "value": value or None, "filter_column": fcol, "key_column": key}
    if (column and col is None) or (filter_column and fcol is None) or key is None:
        return None
    if op in ("argmax", "argmin", "sum", "mean"):
        return _numeric_op(op, frame, args)
    if op in ("group_argmax", "group_argmin"):
        return _group_op(op, frame, args)
    if op == "count":
        where = fcol or col
        if value and where:
            n = len(_rows_matching(frame, where, value))
        else:
            n = int(frame[col].notna().sum()) if col else len(frame)
        return _result(op, args, n, str(n))
    if op == "filter":
        where = fcol or col
        if not where or not value:
            return None
        return _list_result(op, args, _rows_matching(frame, where, value)[key].tolist())
    # lookup (a filter on the looked-up column itself is a slip: the row is named by key)
    where = fcol if fcol and fcol != col else key
    if col is None or not value:
        return None
    rows = _rows_matching(frame, where, value)
    if rows.empty and where == key:
        found = match_name(value, [_fmt(k) for k in frame[key]])
        rows = frame[frame[key].map(_fmt) == found] if found else rows
    return _list_result(op, args, rows[col].dropna().tolist())


# --------------------------------------------------------------------------- graphs
def _relation_ok(have: str, want: str) -> bool:
    a, b = normalise(have), normalise(want)
    return bool(a) and (a == b or b in a or a in b)


def graph_op(
    graph: KnowledgeGraph,
    op: str,
    source: str | None = None,
    target: str | None = None,
    relation: str | None = None,
) -> dict[str, Any] | None:
    """Compute ``op`` on ``graph`` (entities matched with :func:`match_name`).

    * ``between`` -- nodes X with ``source -> X -> target`` (or the reverse when the
      question named the two the other way round; ``args["reversed"]`` says so).
    * ``successors`` / ``predecessors`` -- neighbours of ``source``, optionally only
      over edges whose relation matches ``relation``; ``successor_count`` /
      ``predecessor_count`` -- how many there are.
    * ``closure`` / ``closure_size`` -- every entity reachable from ``source`` over such
      edges, directly or indirectly (``nx.descendants``), and how many.
    * ``path`` -- the shortest directed path ``source -> ... -> target`` (or reversed)
      over such edges.
    """
    import networkx as nx

    full = graph.to_networkx()
    if op not in GRAPH_OPS or full.number_of_nodes() == 0:
        return None
    rel, source, target = given(relation), given(source), given(target)
    a = match_name(source, full.nodes) if source else None
    b = match_name(target, full.nodes) if target else None
    args: dict[str, Any] = {"source": a, "target": b, "relation": rel}
    if a is None:
        return None
    g = _over(full, rel)
    if op in ("successors", "predecessors", "successor_count", "predecessor_count"):
        found = []
        if a in g:
            near = g.successors(a) if op.startswith("successor") else g.predecessors(a)
            found = list(dict.fromkeys(near))
        if op.endswith("_count"):
            return _result(op, args, len(found), str(len(found)))
        return _list_result(op, args, found)
    if op in ("closure", "closure_size"):
        reached = sorted(nx.descendants(g, a)) if a in g else []
        if op == "closure_size":
            return _result(op, args, len(reached), str(len(reached)))
        return _list_result(op, args, reached)
    if b is None or a == b or a not in g or b not in g:
        return None
    return _between_or_path(op, g, a, b, args)


def _between_or_path(op: str, g: Any, a: str, b: str, args: dict[str, Any]) -> dict | None:
    """``between`` / ``path`` from ``a`` to ``b``, else from ``b`` to ``a`` (the question
    may name the two the other way round; ``args["reversed"]`` says so)."""
    import networkx as nx

    for first, last, flipped in ((a, b, False), (b, a, True)):
        if op == "between":
            mids = g.successors(first)
            found = [x for x in mids if x not in (first, last) and g.has_edge(x, last)]
            if found:
                return _list_result(op, {**args, "reversed": flipped}, found)
        else:
            try:
                path = nx.shortest_path(g, first, last)
            except nx.NetworkXNoPath:
                continue
            return _result(op, {**args, "reversed": flipped}, path, " -> ".join(path))
    return None


def _over(graph: Any, relation: str | None) -> Any:
    """The graph of the edges whose relation matches ``relation`` (all without one)."""
    if not relation:
        return graph
    keep = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True)
            if _relation_ok(d.get("relation", ""), relation)]  # fmt: skip
    return graph.edge_subgraph(keep)


# ------------------------------------------------------------------------ algorithms
def algorithm_op(
    algorithm: Algorithm, op: str, phrase: str | None = None, n: int | None = None
) -> dict[str, Any] | None:
    """Compute ``op`` on ``algorithm``'s steps.

    * ``step_after`` / ``step_before`` -- the step after / before the one whose text
      shares the most words with ``phrase``.
    * ``step_count`` -- the number of steps; ``step`` -- the ``n``-th step (by its
      number, else by position).
    """
    steps = algorithm.steps
    if not steps or op not in ALGORITHM_OPS:
        return None
    if op == "step_count":
        return _result(op, {}, len(steps), str(len(steps)))
    if op == "step":
        if n is None:
            return None
        hit = next((s for s in steps if s.number == n), None)
        if hit is None and 1 <= n <= len(steps):
            hit = steps[n - 1]
        return _result(op, {"n": n}, hit.text, hit.text) if hit else None
    want = word_set(phrase or "")
    if not want:
        return None
    scores = [len(want & word_set(s.text)) / len(want | word_set(s.text)) for s in steps]
    best = max(range(len(steps)), key=lambda i: scores[i])
    if scores[best] == 0:
        return None
    other = best + 1 if op == "step_after" else best - 1
    if not 0 <= other < len(steps):
        return None
    args = {"phrase": phrase, "matched_step": steps[best].number}
    return _result(op, args, steps[other].text, steps[other].text)


# ------------------------------------------------------------------------ catalogues
def _find_node(
    catalogue: Catalogue, title: str
) -> tuple[CatalogueNode, list[CatalogueNode]] | None:
    pairs = catalogue.walk()
    found = match_name(title, [n.title for n, _ in pairs])
    if found is None:
        numbered = [(n, p) for n, p in pairs if n.number == title.strip()]
        return numbered[0] if numbered else None
    return next((n, p) for n, p in pairs if n.title == found)


def catalogue_op(catalogue: Catalogue, op: str, title: str | None = None) -> dict[str, Any] | None:
    """Compute ``op`` on ``catalogue``.

    * ``parent`` -- the title of the parent of the node matching ``title``.
    * ``children`` -- the child titles of that node.
    * ``sections`` -- with a ``title``, like ``children``; without, the top-level titles
      (the single root's children when there is one root).
    """
    if not catalogue.roots or op not in CATALOGUE_OPS:
        return None
    if not title or normalise(title) in ("", "none"):
        if op != "sections":
            return None
        roots = catalogue.roots
        nodes = roots[0].children if len(roots) == 1 and roots[0].children else roots
        return _list_result(op, {"title": None}, [n.title for n in nodes])
    hit = _find_node(catalogue, title or "")
    if hit is None:
        return None
    node, parents = hit
    args = {"title": node.title, "number": node.number}
    if op == "parent":
        return _result(op, args, parents[-1].title, parents[-1].title) if parents else None
    return _list_result(op, args, [c.title for c in node.children])


# ------------------------------------------------------------------------- dispatch
def compute(structure: Any, op: str, **args: Any) -> dict[str, Any] | None:
    """Run ``op`` with ``args`` on any structure (``None`` for chunks or a wrong op)."""
    if isinstance(structure, Table):
        return table_op(structure, op, **args)
    if isinstance(structure, KnowledgeGraph):
        return graph_op(structure, op, **args)
    if isinstance(structure, Algorithm):
        return algorithm_op(structure, op, **args)
    if isinstance(structure, Catalogue):
        return catalogue_op(structure, op, **args)
    if isinstance(structure, Chunks):
        return None
    return None
