"""What `allegiance graph`, the REPL's :graph and the notebook's %allegiance graph share: their options,
what the options ask to draw, and writing the file.

Stage: the front ends' common ground for link charts (beside common.py, below the CLI and the REPL).
Input: parsed arguments. Output: a Scope (graph/model.py), a written file, a one-line summary.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..graph.choices import DEFAULT_RELATIONS, FORMATS, RELATION_GROUPS, TEXT_FORMATS

if TYPE_CHECKING:
    from ..graph.model import Graph, Scope


def graph_options(p: argparse.ArgumentParser) -> None:
    """The options `allegiance graph` and the REPL's :graph share."""
    what = p.add_argument_group("what to draw (default: the whole knowledge base)")
    what.add_argument("--focus", metavar="ENTITY", help="an entity's neighbourhood (id, name or alias)")
    what.add_argument("--depth", type=int, default=1, metavar="N", help="with --focus: links away (default 1)")
    what.add_argument("--why", metavar="FACT", help="one fact's proof, e.g. 'indirect_ally(fsa, nusra)'")
    what.add_argument("--relations", metavar="LIST", default=",".join(DEFAULT_RELATIONS),
                      help=f"comma-separated relations or groups drawn as links (groups: {', '.join(RELATION_GROUPS)}; "
                           f"all: every stated relation of two arguments; default: {','.join(DEFAULT_RELATIONS)})")
    p.add_argument("--no-support", action="store_true",
                   help="leave out each link's support (faster on charts of many thousands of links)")
    p.add_argument("--format", choices=FORMATS, default="html",
                   help="html (default: an interactive page that works offline), svg or png (a picture), "
                        "graphml or gexf (Gephi, Cytoscape, i2), dot (Graphviz)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write (default: standard output for svg, graphml, gexf and dot; graph.html; graph.png)")


def scope(args: argparse.Namespace) -> Scope:
    """What the arguments ask to draw."""
    from ..graph.model import Scope  # networkx loads only when a graph is drawn

    return Scope(relations=tuple(args.relations.split(",")), focus=args.focus, depth=args.depth,
                     query=args.query, why=args.why, support=not args.no_support)


def default_output(fmt: str) -> str | None:
    """graph.html, graph.png; None (standard output) for the text formats."""
    return None if fmt in TEXT_FORMATS else f"graph.{fmt}"


def summary(graph: Graph) -> str:
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    return f"{n} entit{'ies' if n != 1 else 'y'}, {m} link{'s' if m != 1 else ''}"


def write_graph(graph: Graph, fmt: str, output: str | None) -> str | None:
    """Write the file (None or "-": standard output, for the text formats); the path written, if any.
    Raises OSError when the file cannot be written."""
    from ..graph.export import write

    target = output or default_output(fmt)
    data = write(graph, fmt)
    if target is None or target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return None
    Path(target).write_bytes(data)
    return target


__all__ = ["default_output", "graph_options", "scope", "summary", "write_graph"]
