"""Layout: seeded (the same graph stands the same way twice); beyond SPRING_LIMIT nodes, shells by
distance from the chart's centre, computed in linear time instead of the spring layout's square."""

from __future__ import annotations

import math

import networkx as nx

from allegiance.graph.layout import SPRING_LIMIT, layout


def chart(n: int, focus: int) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for i in range(n):
        graph.add_node(i, name=str(i), kind="group", aliases=(), role="focus" if i == focus else "")
    for i in range(n - 1):  # a path, and a second component of two nodes
        if i != n - 3:
            graph.add_edge(i, i + 1, key="ally")
    return graph


def test_small_charts_use_the_seeded_spring_layout() -> None:
    graph = chart(40, focus=0)
    assert layout(graph) == layout(graph)
    assert len(layout(graph)) == 40


def test_large_charts_stand_on_shells_by_distance_from_the_focus() -> None:
    n = SPRING_LIMIT + 200
    focus = 600
    pos = layout(chart(n, focus))
    assert set(pos) == set(range(n))
    radius = {v: math.hypot(*p) for v, p in pos.items()}
    assert radius[focus] < 1e-6  # (networkx computes shells in float32)
    distance = nx.single_source_shortest_path_length(nx.Graph(chart(n, focus).to_undirected()), focus)
    # Farther from the focus, never nearer the centre; the unreached component on the outermost shell.
    ordered = sorted(distance, key=lambda v: distance[v])
    assert all(radius[a] <= radius[b] + 1e-6 for a, b in zip(ordered, ordered[1:], strict=False))
    unreached = set(range(n)) - set(distance)
    assert unreached == {n - 2, n - 1}
    assert min(radius[v] for v in unreached) >= max(radius.values()) - 1e-6
