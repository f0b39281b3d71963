"""Where each node of a link chart stands: networkx's layouts, seeded, done once per file.

Stage: after the model. Input: a model graph. Output: positions in about [-1, 1]², node -> (x, y);
the page and the pictures both start from them, so the page never lays itself out in the browser.

Up to SPRING_LIMIT nodes: the force-directed spring layout (networkx's Fruchterman-Reingold), seeded.
Beyond, networkx runs it as a Python loop per node whose cost grows with the square of the nodes
(seconds at 1,000, minutes at 10,000), so the nodes stand on
concentric shells (networkx's shell layout) by their distance from the centre: the focus entity, the
proven fact's ends, else the most connected node; what that centre does not reach goes on an outer shell.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from .model import Graph

SEED = 7  # one layout for one graph, run after run
SPRING_LIMIT = 500  # up to here networkx runs it on dense arrays; beyond, a Python loop per node

Positions = dict[Any, tuple[float, float]]


def layout(graph: Graph) -> Positions:
    """Positions for every node (see the module's docstring)."""
    n = graph.number_of_nodes()
    if n == 0:
        return {}
    simple = nx.Graph()  # one undirected link per pair, without the model's attributes (cheaper than a view's copy)
    simple.add_nodes_from(graph)
    simple.add_edges_from(graph.edges())
    if n <= SPRING_LIMIT:
        pos = nx.spring_layout(simple, seed=SEED, iterations=50, k=2.0 / math.sqrt(n))
    else:
        pos = nx.shell_layout(simple, nlist=shells(simple, center(graph)))
    return {node: (float(x), float(y)) for node, (x, y) in pos.items()}


def center(graph: Graph) -> Any:
    """The node the chart is about: the focus or a proven fact's end, else the most connected one."""
    for node, role in graph.nodes(data="role"):
        if role in ("focus", "proven"):
            return node
    return max(graph.nodes, key=lambda v: (graph.degree(v), str(v)))


def shells(simple: Any, start: Any) -> list[list[Any]]:
    """The nodes by their distance from start (networkx's breadth-first search), then the rest."""
    distance = nx.single_source_shortest_path_length(simple, start)
    rings: list[list[Any]] = [[] for _ in range(max(distance.values()) + 1)]
    for node, d in distance.items():
        rings[d].append(node)
    rest = [v for v in simple.nodes if v not in distance]
    return rings + ([rest] if rest else [])


__all__ = ["SEED", "SPRING_LIMIT", "Positions", "center", "layout", "shells"]
