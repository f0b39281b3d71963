"""Link charts: the knowledge base, an entity's neighbourhood, a query's answers or a proof, as a graph
to look at (an interactive page) or to take elsewhere (Gephi, Cytoscape, i2, Graphviz, a report).

Stage: after the engine and explain. Input: a KnowledgeBase and a `Selection`. Output: a networkx
graph (model.py), then a file in one of FORMATS.

    model.py     the graph: entities as nodes, facts as edges with their statements (networkx)
    style.py     colours and shapes by kind and relation group (constants)
    layout.py    positions: networkx's spring layout, seeded
    html.py      one self-contained offline page: cytoscape.js (vendor/, pinned, MIT) inlined
    export.py    GraphML, GEXF, DOT (pydot), SVG and PNG (networkx's layout drawn by matplotlib)

Each imports only the ones above it in this list.
"""

from .export import FORMATS, TEXT_FORMATS, flat_graph, write
from .layout import layout
from .model import DEFAULT_RELATIONS, RELATION_GROUPS, Graph, Selection, build, relation_names

__all__ = ["DEFAULT_RELATIONS", "FORMATS", "RELATION_GROUPS", "TEXT_FORMATS", "Graph", "Selection", "build",
           "flat_graph", "layout", "relation_names", "write"]
