"""Pictures of graphs: Mermaid text and PNG rendered offline.

PNG goes through langchain-core's ``draw_png`` (pygraphviz, whose wheel bundles
graphviz); ``draw_mermaid_png`` calls a web service and is never used.

Example:
    >>> from steergraph.graphs import build_graph
    >>> graph_mermaid(build_graph("demo")).startswith("---")
    True
"""

from steergraph.viz.graphs import graph_mermaid, graph_png, write_graph_picture

__all__ = ["graph_mermaid", "graph_png", "write_graph_picture"]
