"""The link chart's files: GraphML and GEXF read back with networkx give the same nodes, edges and
attributes; DOT parses with pydot; SVG is XML naming every entity; PNG is a picture; the page holds
the library, its licence and the graph as data that no name or quote can break out of."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import networkx as nx
import pydot
import pytest

from allegiance.graph import Scope, build, flat_graph, write
from allegiance.graph.html import library_version, page_data
from allegiance.kb import KnowledgeBase


def expected_edges(graph: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The model's edges with the attributes an export must carry, computed from the model itself."""
    found = {}
    for a, b, key, d in graph.edges(keys=True, data=True):
        attrs = {"relation": d["relation"], "negative": d["negative"], "status": d["status"],
                 "claimed_only": d["claimed_only"], "weak": d["weak"], "derived": d["derived"],
                 "source_ids": "; ".join(d["source_ids"]),
                 "statement_ids": "; ".join(s["id"] for s in d["statements"])}
        if d["valid_from"] is not None:
            attrs["valid_from"] = d["valid_from"].isoformat()
        if d["support"] is not None:
            attrs["support"], attrs["support_level"] = d["support"].label, d["support"].level
        found[str(a), str(b), key] = attrs
    return found


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graphml_and_gexf_read_back_the_same(small: KnowledgeBase, fmt: str) -> None:
    graph = build(small)
    data = write(graph, fmt)
    back = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(io.BytesIO(data))
    assert set(back.nodes) == {str(n) for n in graph.nodes}
    for node, d in graph.nodes(data=True):
        got = back.nodes[str(node)]
        assert (got["kind"], got["name"], got["aliases"]) == (d["kind"], d["name"], "; ".join(d["aliases"]))
    edges = expected_edges(graph)
    # A reader may give back a graph without keys (no parallel edges): an edge's key is its relation,
    # with no_ before it when statements deny the fact.
    got_edges = {(a, b, ("no_" if d["negative"] else "") + d["relation"]): d for a, b, d in back.edges(data=True)}
    assert set(got_edges) == set(edges)
    for key, attrs in edges.items():
        assert {k: got_edges[key].get(k) for k in attrs} == attrs, key
    assert len(edges) == graph.number_of_edges() > 5


def test_flat_graph_has_scalar_attributes_only(bundled: KnowledgeBase) -> None:
    flat = flat_graph(build(bundled))
    values = [v for *_, d in flat.edges(data=True) for v in d.values()] + \
        [v for _, d in flat.nodes(data=True) for v in d.values()]
    assert values and all(isinstance(v, str | int | float | bool) for v in values)


def test_dot_parses_with_every_node_and_edge(small: KnowledgeBase) -> None:
    graph = build(small)
    (parsed,) = pydot.graph_from_dot_data(write(graph, "dot").decode())
    names = {n.get_name().strip('"') for n in parsed.get_nodes()} - {"node", "edge", "graph"}
    assert names == {str(n) for n in graph.nodes}
    assert len(parsed.get_edges()) == graph.number_of_edges()
    labels = {e.get_label().strip('"') for e in parsed.get_edges()}
    assert "not member" in labels and "strikes" in labels
    hostile = [n for n in parsed.get_nodes() if n.get_name().strip('"') == "hostile"][0]
    assert "</script>" in hostile.get_label()  # the name is quoted, whatever it holds


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_pictures(small: KnowledgeBase, fmt: str) -> None:
    graph = build(small)
    data = write(graph, fmt)
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
        return
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    # matplotlib draws text as paths but keeps each label's text in a comment-free <g id="text_N">;
    # the title and the legend's kinds are searchable in the SVG's source.
    assert b"Nusra Front" in data or "Nusra Front" in text
    assert write(graph, fmt) == data  # no date in the file: the same graph gives the same bytes


def test_page_is_self_contained_and_keeps_hostile_text_as_data(small: KnowledgeBase) -> None:
    graph = build(small, Scope(relations=("all",)))
    html = write(graph, "html").decode()
    assert library_version() == "cytoscape 3.35.0"
    assert "Copyright (c) 2016-2026, The Cytoscape Consortium." in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing to fetch
    assert "default-src 'none'" in html
    # The name holds </script>: it appears only escaped inside the data block.
    assert html.count("</script>") == 3  # the data block, the library and the page's own script
    block = html.split('<script id="graph-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(block)
    assert data == json.loads(json.dumps(page_data(graph)))
    names = {e["data"]["name"] for e in data["elements"] if e["group"] == "nodes"}
    assert small.catalog.entities["hostile"].name in names
    assert data["dates"] == ["2004-03-09", "2015-12-31"]
    quotes = [s["quote"] for e in data["elements"] if e["group"] == "edges" for s in e["data"]["statements"]]
    assert 'We struck Idlib </script> & "more"' in quotes


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "dot", "svg"])
def test_control_characters_are_escaped_in_files(fmt: str) -> None:
    # XML 1.0 cannot hold \x01 or ESC, and a terminal must not run an ESC sequence written to stdout.
    kb = KnowledgeBase(timeout=None)
    kb.load_text('ally("a\\u0001b", "c\\u001b[31m").\n', "hostile.dl")
    graph = build(kb, Scope(relations=("ally",)))
    data = write(graph, fmt)
    assert b"\x01" not in data and b"\x1b" not in data
    if fmt == "graphml":
        assert set(nx.read_graphml(io.BytesIO(data)).nodes) == {"a\\u0001b", "c\\u001b[31m"}
    elif fmt == "gexf":
        assert set(nx.read_gexf(io.BytesIO(data)).nodes) == {"a\\u0001b", "c\\u001b[31m"}
    kb.close()
