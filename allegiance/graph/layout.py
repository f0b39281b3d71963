"""Where each node of a link chart stands: networkx's force-directed layout, seeded, done once.

Stage: after the model. Input: a model graph. Output: positions in [-1, 1]², node -> (x, y); the page
and the pictures both start from them, so the page never lays itself out in the browser.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from .model import Graph

SEED = 7  # one layout for one graph, run after run

Positions = dict[Any, tuple[float, float]]


def layout(graph: Graph) -> Positions:
    """Positions in [-1, 1]²: networkx's force-directed layout, seeded, computed once per file."""
    if graph.number_of_nodes() == 0:
        return {}
    simple = nx.Graph(graph.to_undirected(as_view=True))
    n = simple.number_of_nodes()
    # Fewer rounds on large graphs: the layout is done once, but a 10,000-node focus must not take minutes.
    iterations = 50 if n <= 1000 else 15
    pos = nx.spring_layout(simple, seed=SEED, iterations=iterations, k=2.0 / math.sqrt(n))
    return {node: (float(x), float(y)) for node, (x, y) in pos.items()}


__all__ = ["SEED", "Positions", "layout"]
