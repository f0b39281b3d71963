"""The link chart as one self-contained, offline HTML page.

Stage: after the model and the layout. Input: a model graph (model.py). Output: the page as text:
page.html with cytoscape.js (vendor/cytoscape.min.js, pinned in vendor/VERSION, MIT licence in
vendor/LICENSE) inlined, the graph as JSON data, and positions from layout.py, so the browser only
draws (pan, zoom, drag, search, click for details, a time slider when statements carry dates).

No request leaves the page: everything is inlined and its Content-Security-Policy forbids any fetch.
The knowledge base's text reaches the page only as JSON inside a data block (with `<`, `>` and `&`
escaped, so no quote or name can close it) and is shown with textContent, never as HTML.
"""

from __future__ import annotations

import html
import json
import math
import re
from functools import cache
from importlib.resources import files
from typing import Any

from .layout import layout
from .model import Graph
from .style import GROUP_COLOR, KIND_STYLE, NEGATIVE_COLOR

_MARKER = re.compile(r"@@([A-Z]+)@@")


@cache
def _asset(name: str) -> str:
    return (files(__package__) / name).read_text(encoding="utf-8")


def library_version() -> str:
    """`cytoscape 3.35.0`: the first line of vendor/VERSION."""
    return _asset("vendor/VERSION").splitlines()[0]


def elements(graph: Graph) -> list[dict[str, Any]]:
    """cytoscape.js's elements: nodes with their positions, then edges with their statements."""
    pos = layout(graph)
    scale = 120.0 + 60.0 * math.sqrt(max(graph.number_of_nodes(), 1))
    found: list[dict[str, Any]] = []
    for node, d in graph.nodes(data=True):
        x, y = pos.get(node, (0.0, 0.0))
        style = KIND_STYLE[d["kind"]]
        found.append({"group": "nodes", "position": {"x": round(x * scale, 1), "y": round(-y * scale, 1)},
                      "data": {"id": str(node), "value": str(node), "name": d["name"], "kind": d["kind"],
                               "aliases": list(d["aliases"]), "role": d["role"], "color": style.color,
                               "shape": style.shape}})
    for n, (a, b, key, d) in enumerate(graph.edges(keys=True, data=True)):
        found.append({"group": "edges", "data": {
            "id": f"e{n}", "source": str(a), "target": str(b), "key": key, "relation": d["relation"],
            "label": ("not " if d["negative"] else "") + d["relation"],
            "color": NEGATIVE_COLOR if d["negative"] else GROUP_COLOR.get(d["group"], GROUP_COLOR["other"]),
            "negative": d["negative"], "symmetric": d["symmetric"], "derived": d["derived"],
            "claimed_only": d["claimed_only"], "weak": d["weak"], "fade": d["fade"], "status": d["status"],
            "reliability": d["reliability"], "rule": d["rule"],
            "support": d["support"].label if d["support"] is not None else None,
            "valid_from": d["valid_from"].isoformat() if d["valid_from"] else None,
            "valid_until": d["valid_until"].isoformat() if d["valid_until"] else None,
            "periods": [p.json() for p in d.get("periods", ())], "undated": d.get("undated", False),
            "statements": d["statements"]}})
    return found


def date_range(graph: Graph) -> list[str] | None:
    """The first and last date any statement of an edge names (ISO), or None: no time slider."""
    days = sorted([s[k] for *_, st in graph.edges(data="statements") for s in st
                   for k in ("valid_from", "valid_until") if s[k]]
                  + [d.isoformat() for *_, periods in graph.edges(data="periods", default=()) for p in periods
                     for d in (p.start, p.end) if d])
    return [days[0], days[-1]] if days else None


def page_data(graph: Graph) -> dict[str, Any]:
    kinds = {k for _, k in graph.nodes(data="kind")}
    groups = {g for *_, g in graph.edges(data="group")}
    return {
        "title": str(graph.graph.get("title", "allegiance")),
        "elements": elements(graph),
        "dates": date_range(graph),
        "legend": {"kinds": [[k, s.color] for k, s in KIND_STYLE.items() if k in kinds],
                   "groups": [[g, c] for g, c in GROUP_COLOR.items() if g in groups]},
    }


def script_json(value: object) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` left to end it early."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(graph: Graph) -> str:
    """The whole page (see the module's docstring)."""
    parts = {
        "TITLE": html.escape(f"{graph.graph.get('title', 'allegiance')} · allegiance graph"),
        "DATA": script_json(page_data(graph)),
        "VERSION": library_version(),
        "LICENSE": _asset("vendor/LICENSE").replace("*/", "* /"),
        "LIBRARY": _asset("vendor/cytoscape.min.js").replace("</script", "<\\/script"),
    }
    # One pass: text put in for one marker is never searched for another.
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("page.html"))


__all__ = ["date_range", "elements", "library_version", "page", "page_data", "script_json"]
