"""Link charts: the knowledge base, an entity's neighbourhood, a query's answers or a proof, as a graph
to look at (an interactive page) or to take elsewhere (Gephi, Cytoscape, i2, Graphviz, a report).

Stage: after the engine and explain. Input: a KnowledgeBase and a `Scope`. Output: a networkx
graph (model.py), then a file in one of FORMATS.

    choices.py   the relation groups and the formats (constants; no networkx, so commands start fast)
    model.py     the graph: entities as nodes, facts as edges with their statements (networkx)
    style.py     colours and shapes by kind and relation group (constants)
    layout.py    positions: networkx's spring layout, seeded
    html.py      one self-contained offline page: cytoscape.js (vendor/, pinned, MIT) inlined
    export.py    GraphML, GEXF, DOT (pydot), SVG and PNG (networkx's layout drawn by matplotlib)

Each imports only the ones above it in this list. The names below other than choices.py's load
their module (and networkx, matplotlib) on first use, so `import allegiance.graph` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .choices import DEFAULT_RELATIONS, FORMATS, RELATION_GROUPS, TEXT_FORMATS

if TYPE_CHECKING:
    from .export import flat_graph, write
    from .layout import layout
    from .model import Graph, Scope, build, relation_names

_LAZY = {"flat_graph": "export", "write": "export", "layout": "layout", "Graph": "model", "Scope": "model",
         "build": "model", "relation_names": "model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")



__all__ = ["DEFAULT_RELATIONS", "FORMATS", "RELATION_GROUPS", "TEXT_FORMATS", "Graph", "Scope", "build",
           "flat_graph", "layout", "relation_names", "write"]
