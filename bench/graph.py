"""Link charts: the bundled knowledge base's chart, and a focus chart of about 10,000 entities.

Stage: measurement tasks run in a child process. Input: parameters (sizes) and the Clock. Output:
one sample per chart written (the model built, laid out and written as the offline page); loading
the knowledge base happens before the clock.
"""

from __future__ import annotations

from typing import Any

from .clock import Clock
from .data import random_graph
from .subjects import _import, _kb, _need


def _chart(kb: Any, scope: dict[str, Any], clock: Clock) -> dict[str, Any]:
    model = _import("allegiance.graph.model")
    export = _import("allegiance.graph.export")
    with clock:
        graph = _need(model, "build")(kb, _need(model, "Scope")(**scope))
        page = _need(export, "write")(graph, "html")
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "bytes": len(page)}


def bundled_chart(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance graph` of the bundled knowledge base (every default relation), repeated."""
    kb = _need(_kb(), "bundled")(timeout=None)
    found: dict[str, Any] = {}
    for _ in range(params.get("repeat", 5)):
        found = _chart(kb, {}, clock)
    # The first call also evaluates the rules (the engine is lazy), as a command's one call does.
    return {**found, "latency": True, "first": clock.samples[0]}


def focus_chart(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance graph --focus g0 --depth 30` over `ally` statements between `nodes` declared
    entities (random_graph with 1.5 edges per node: one component holds most of them)."""
    nodes = params["nodes"]
    edges = random_graph(nodes, nodes * 3 // 2)
    text = "".join(f'.entity g{i} {{ name: "Group {i}" kind: group }}\n' for i in range(nodes))
    text += ('.source s { title: "generated" reliability: B }\n'
             '.relation ally(a, b) { symmetric: yes phrases: "{a} is allied with {b}" }\n.source s.\n')
    text += "".join(f"ally(g{a}, g{b}).\n" for a, b in edges)
    kb = _kb()(timeout=None)
    _need(kb, "load_text")(text, "chart.facts")
    return _chart(kb, {"focus": "g0", "depth": 30, "relations": ("ally",)}, clock)


__all__ = ["bundled_chart", "focus_chart"]
