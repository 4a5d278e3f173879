"""The five StructRAG knowledge structures as typed, serializable objects code can use.

Each structure is a pydantic model (so graph state can hold it and checkpoints can
store it) with a ``kind`` tag, ``to_text(max_chars)`` for prompting, and a view that a
program can compute on:

* :class:`Table` -- rows with named columns and the document each row came from;
  :meth:`Table.to_frame` gives a pandas ``DataFrame`` with numeric columns coerced.
* :class:`KnowledgeGraph` -- head-relation-tail triples; :meth:`KnowledgeGraph.to_networkx`
  gives a ``networkx.MultiDiGraph`` (edge attributes ``relation`` and ``source``).
* :class:`Algorithm` -- numbered steps tied to their documents.
* :class:`Catalogue` -- a numbered hierarchy of titled summaries (a tree).
* :class:`Chunks` -- retrieved raw text passages with their retrieval scores.

:func:`structure_from_dict` turns a dumped structure back into its class.

Example:
    >>> t = Table(title="packages", columns=["package", "installed_kb"],
    ...           rows=[{"package": "a", "installed_kb": "12"},
    ...                 {"package": "b", "installed_kb": "30"}], sources=["d1", "d2"])
    >>> int(t.to_frame()["installed_kb"].max())
    30
    >>> g = KnowledgeGraph(triples=[Triple(head="a", relation="depends", tail="b")])
    >>> list(g.to_networkx().successors("a"))
    ['b']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = [
    "STRUCTURE_TYPES",
    "Algorithm",
    "Catalogue",
    "CatalogueNode",
    "Chunk",
    "Chunks",
    "KnowledgeGraph",
    "Step",
    "Structure",
    "StructureType",
    "Table",
    "Triple",
    "structure_from_dict",
]

StructureType = Literal["table", "graph", "algorithm", "catalogue", "chunk"]
#: The five structure types, in the order the router lists them.
STRUCTURE_TYPES: tuple[StructureType, ...] = ("table", "graph", "algorithm", "catalogue", "chunk")


def _lines(kind: str, title: str, body: list[str], max_chars: int | None) -> str:
    head = f"{kind}: {title}" if title else f"{kind}:"
    return _clip("\n".join([head, *body]), max_chars)


def _clip(text: str, max_chars: int | None) -> str:
    if max_chars is None or len(text) <= max_chars:
        return text
    return text[: max(0, max_chars - 4)].rstrip() + "\n..."


class Table(BaseModel):
    """A table: ``columns``, ``rows`` (column -> value) and each row's source document."""

    kind: Literal["table"] = "table"
    title: str = ""
    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (columns that parse as numbers become numeric) and each
        row's document in ``source`` (``_source`` when the table has its own ``source``)."""
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=self.columns or None)
        for col in frame.columns:
            converted = pd.to_numeric(frame[col], errors="coerce")
            present = frame[col].notna() & (frame[col].astype(str).str.strip() != "")
            if present.any() and converted[present].notna().all():
                frame[col] = converted
        if self.sources and len(self.sources) == len(frame):
            frame["_source" if "source" in frame.columns else "source"] = self.sources
        return frame

    def to_text(self, max_chars: int | None = None) -> str:
        """A markdown table (cells with ``|`` escaped)."""
        cols = self.columns or sorted({k for row in self.rows for k in row})

        def cell(v: Any) -> str:
            return "" if v is None else str(v).replace("|", "/").replace("\n", " ")

        body = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        body += ["| " + " | ".join(cell(row.get(c)) for c in cols) + " |" for row in self.rows]
        return _lines("Table", self.title, body, max_chars)


class Triple(BaseModel):
    """One head-relation-tail fact and the document it came from."""

    head: str
    relation: str
    tail: str
    source: str = ""


class KnowledgeGraph(BaseModel):
    """A graph of triples; :meth:`to_networkx` is the view programs walk."""

    kind: Literal["graph"] = "graph"
    title: str = ""
    triples: list[Triple] = Field(default_factory=list)

    def to_networkx(self) -> nx.MultiDiGraph:
        """A ``MultiDiGraph``: nodes are entities, edges carry ``relation`` and ``source``."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        for t in self.triples:
            graph.add_edge(t.head, t.tail, relation=t.relation, source=t.source)
        return graph

    def to_text(self, max_chars: int | None = None) -> str:
        """One ``(head, relation, tail)`` line per triple."""
        body = [f"({t.head}, {t.relation}, {t.tail})" for t in self.triples]
        return _lines("Graph", self.title, body, max_chars)


class Step(BaseModel):
    """One step of a procedure, its number and the document it came from."""

    number: int
    text: str
    source: str = ""


class Algorithm(BaseModel):
    """A numbered procedure (pseudo-code steps tied to the documents)."""

    kind: Literal["algorithm"] = "algorithm"
    title: str = ""
    steps: list[Step] = Field(default_factory=list)

    def to_text(self, max_chars: int | None = None) -> str:
        """``Algorithm: title`` and one ``n. step`` line per step."""
        return _lines(
            "Algorithm", self.title, [f"{s.number}. {s.text}" for s in self.steps], max_chars
        )


class CatalogueNode(BaseModel):
    """A catalogue entry: number (``"2.1"``), title, summary, source, children."""

    number: str
    title: str
    summary: str = ""
    source: str = ""
    children: list[CatalogueNode] = Field(default_factory=list)

    def walk(self) -> list[tuple[CatalogueNode, list[CatalogueNode]]]:
        """This node and every descendant, each with its list of ancestors (outermost first)."""
        out: list[tuple[CatalogueNode, list[CatalogueNode]]] = []
        stack: list[tuple[CatalogueNode, list[CatalogueNode]]] = [(self, [])]
        while stack:
            node, parents = stack.pop()
            out.append((node, parents))
            stack.extend((c, [*parents, node]) for c in reversed(node.children))
        return out


class Catalogue(BaseModel):
    """A numbered hierarchy of summaries (a forest of :class:`CatalogueNode`)."""

    kind: Literal["catalogue"] = "catalogue"
    title: str = ""
    roots: list[CatalogueNode] = Field(default_factory=list)

    def walk(self) -> list[tuple[CatalogueNode, list[CatalogueNode]]]:
        """Every node in document order with its ancestors."""
        return [pair for root in self.roots for pair in root.walk()]

    def find(self, title: str) -> list[tuple[CatalogueNode, list[CatalogueNode]]]:
        """Nodes whose title contains ``title`` (case-insensitive), with their ancestors."""
        needle = title.lower().strip()
        return [(n, p) for n, p in self.walk() if needle and needle in n.title.lower()]

    def to_text(self, max_chars: int | None = None) -> str:
        """Indented ``number title: summary`` lines."""
        body = [
            "  " * len(parents)
            + f"{node.number} {node.title}"
            + (f": {node.summary}" if node.summary else "")
            for node, parents in self.walk()
        ]
        return _lines("Catalogue", self.title, body, max_chars)


class Chunk(BaseModel):
    """A passage of raw text, its source document and its retrieval score."""

    text: str
    source: str = ""
    score: float | None = None


class Chunks(BaseModel):
    """Retrieved raw passages (the fallback structure)."""

    kind: Literal["chunk"] = "chunk"
    title: str = ""
    chunks: list[Chunk] = Field(default_factory=list)

    def to_text(self, max_chars: int | None = None) -> str:
        """Passages separated by blank lines, each headed by its source."""
        parts = [f"[{c.source}]\n{c.text}" if c.source else c.text for c in self.chunks]
        return _clip("\n\n".join(parts), max_chars)


Structure = Annotated[
    Table | KnowledgeGraph | Algorithm | Catalogue | Chunks, Field(discriminator="kind")
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Structure)


def structure_from_dict(
    data: dict[str, Any],
) -> Table | KnowledgeGraph | Algorithm | Catalogue | Chunks:
    """Rebuild a structure from ``model_dump()`` output (dispatching on ``kind``)."""
    return _ADAPTER.validate_python(data)
