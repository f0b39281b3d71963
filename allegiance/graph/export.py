"""A link chart as a file: GraphML and GEXF (for Gephi, Cytoscape, i2), DOT (Graphviz), SVG and PNG
(for reports), and the page (html.py).

Stage: after the model. Input: a model graph (model.py) and a format. Output: the file's bytes.
Nothing here lays out or draws by hand: networkx writes GraphML and GEXF and lays the graph out,
pydot writes DOT, matplotlib draws SVG and PNG.

GraphML and GEXF carry scalar attributes only, so `flat_graph` flattens the model: nodes keep name,
kind, aliases ("; "-joined) and role; edges keep relation, negative, symmetric, derived, status,
claimed_only, weak, reliability, support (its label) and support_level, valid_from, valid_until
(ISO dates), undated, source_ids and
statement_ids ("; "-joined), statements (their count), rule and proof_depth; missing values are left out.
Node ids are the values as text. Control characters in any text are escaped (`\\u001b`), as in
every other output: XML 1.0 cannot hold them, and a terminal must not run them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import networkx as nx

from ..printable import escape
from .choices import FORMATS, TEXT_FORMATS
from .html import page
from .layout import layout
from .model import Graph
from .style import GROUP_COLOR, KIND_STYLE, NEGATIVE_COLOR


def _text(value: object) -> str:
    """Text as a file may hold it: control characters (which XML 1.0 forbids) escaped as \\u001b,
    as everywhere else (printable.py); tabs and line breaks kept."""
    return escape(str(value), keep="\t\n")


def flat_graph(graph: Graph) -> Graph:
    """The model with scalar attributes only and text node ids (see the module's docstring)."""
    flat: Graph = nx.MultiDiGraph()
    flat.graph.update({k: _text(v) if isinstance(v, str) else v for k, v in graph.graph.items()
                       if isinstance(v, str | int | float | bool)})
    for node, data in graph.nodes(data=True):
        flat.add_node(_text(node), label=_text(data["name"]), name=_text(data["name"]), kind=data["kind"],
                      aliases=_text("; ".join(data["aliases"])), role=data["role"])
    for a, b, key, data in graph.edges(keys=True, data=True):
        attrs: dict[str, Any] = {
            "relation": data["relation"], "negative": data["negative"], "symmetric": data["symmetric"],
            "derived": data["derived"], "status": data["status"], "claimed_only": data["claimed_only"],
            "weak": data["weak"], "reliability": data["reliability"],
            "source_ids": _text("; ".join(data["source_ids"])),
            "statement_ids": _text("; ".join(s["id"] for s in data["statements"])),
            "statements": len(data["statements"]), "rule": _text(data["rule"]),
            "undated": data.get("undated", False),
        }
        for name in ("valid_from", "valid_until"):
            if data[name] is not None:
                attrs[name] = data[name].isoformat()
        if data["support"] is not None:
            attrs["support"] = _text(data["support"].label)
            attrs["support_level"] = data["support"].level
        if "proof_depth" in data:
            attrs["proof_depth"] = data["proof_depth"]
        flat.add_edge(_text(a), _text(b), key=key, **attrs)
    return flat


def _graphml(graph: Graph) -> bytes:
    out = io.BytesIO()
    nx.write_graphml(flat_graph(graph), out, encoding="utf-8")
    return out.getvalue()


def _gexf(graph: Graph) -> bytes:
    out = io.BytesIO()
    nx.write_gexf(flat_graph(graph), out, encoding="utf-8")
    return out.getvalue()


def _dot(graph: Graph) -> bytes:
    flat = flat_graph(graph)
    for _, data in flat.nodes(data=True):
        del data["name"]  # pydot's own name for the node id; the label says it
        data["shape"] = {"ellipse": "ellipse", "hexagon": "hexagon", "round-rectangle": "box",
                         "diamond": "diamond", "triangle": "triangle", "vee": "invtriangle"}[KIND_STYLE[data["kind"]].shape]
    for a, b, key, data in graph.edges(keys=True, data=True):
        style = flat.edges[_text(a), _text(b), key]
        style["label"] = ("not " if data["negative"] else "") + data["relation"]
        style["color"] = NEGATIVE_COLOR if data["negative"] else GROUP_COLOR.get(data["group"], GROUP_COLOR["other"])
        style["style"] = "dashed" if data["claimed_only"] or data["derived"] else "solid"
        if data["symmetric"]:
            style["dir"] = "none"
    text: str = nx.nx_pydot.to_pydot(flat).to_string()
    return text.encode()


def _picture(graph: Graph, fmt: str) -> bytes:
    # The object-oriented API, not pyplot: no global figure state, no display needed.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    n = graph.number_of_nodes()
    side = min(40.0, max(8.0, math.sqrt(n) * 2.2))
    fig = Figure(figsize=(side, side * 0.75))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    pos = layout(graph)
    for kind, style in KIND_STYLE.items():
        nodes = [v for v, k in graph.nodes(data="kind") if k == kind]
        if nodes:
            nx.draw_networkx_nodes(graph, pos, nodelist=nodes, node_color=style.color, node_shape=style.marker,
                                   node_size=500, ax=ax, edgecolors="#333333", linewidths=0.5)
    for a, b, key, data in graph.edges(keys=True, data=True):
        color = NEGATIVE_COLOR if data["negative"] else GROUP_COLOR.get(data["group"], GROUP_COLOR["other"])
        nx.draw_networkx_edges(graph, pos, edgelist=[(a, b, key)], edge_color=color, ax=ax, node_size=500,
                               style="dashed" if data["claimed_only"] or data["derived"] else "solid",
                               alpha=min(data["fade"], 0.9), arrows=True,
                               arrowstyle="-[" if data["negative"] else "-" if data["symmetric"] else "-|>",
                               connectionstyle="arc3,rad=0.08", width=1.4)
    nx.draw_networkx_labels(graph, pos, labels={v: _text(d) for v, d in graph.nodes(data="name")}, font_size=8, ax=ax)
    nx.draw_networkx_edge_labels(graph, pos, ax=ax, font_size=6, edge_labels={
        (a, b, k): ("not " if d["negative"] else "") + d["relation"] for a, b, k, d in graph.edges(keys=True, data=True)})
    legend = [Line2D([], [], marker=s.marker, color="w", markerfacecolor=s.color, markersize=10, label=k)
              for k, s in KIND_STYLE.items() if any(kind == k for _, kind in graph.nodes(data="kind"))]
    legend += [Line2D([], [], color=c, label=g) for g, c in GROUP_COLOR.items()
               if any(d == g for *_, d in graph.edges(data="group"))]
    if legend:
        ax.legend(handles=legend, loc="lower left", fontsize=8, frameon=False)
    ax.set_title(_text(graph.graph.get("title", "")))
    out = io.BytesIO()
    # No creation date and no random ids in the file: the same graph gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {}
    with rc_context({"svg.hashsalt": "allegiance"}):
        fig.savefig(out, format=fmt, bbox_inches="tight", metadata=metadata, dpi=100)
    return out.getvalue()


def _html(graph: Graph) -> bytes:
    return page(graph).encode()


WRITERS: dict[str, Callable[[Graph], bytes]] = {
    "graphml": _graphml, "gexf": _gexf, "dot": _dot,
    "svg": lambda g: _picture(g, "svg"), "png": lambda g: _picture(g, "png"), "html": _html,
}


def write(graph: Graph, fmt: str) -> bytes:
    """The graph as a file in `fmt` (one of FORMATS)."""
    return WRITERS[fmt](graph)


__all__ = ["FORMATS", "TEXT_FORMATS", "WRITERS", "flat_graph", "write"]
