"""`allegiance graph`: the knowledge base, an entity's neighbourhood, a query's answers or a proof as a
link chart (an offline HTML page, SVG, PNG, GraphML, GEXF or DOT).

Stage: a command over a loaded knowledge base, wrapping allegiance.graph. Input: the parsed
arguments and the KnowledgeBase. Output: the file (text formats on stdout unless -o names a file;
the page in graph.html and PNG in graph.png by default, named on stdout when written). Exit 0 with a
non-empty graph; 1 with nothing to draw (no answers, no link, or --why of a fact that does not
hold: then nothing is written and stderr says why); 2 on an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AllegianceError
from ..errors import render as render_error
from ..graph.choices import DEFAULT_RELATIONS, FORMATS, RELATION_GROUPS, TEXT_FORMATS
from ..kb import KnowledgeBase
from .common import Command

if TYPE_CHECKING:
    from ..graph.model import Graph, Scope


class _QueryThenFiles(argparse.Action):
    """`[QUERY] FILE...`: the first item is a query when it has a parenthesis (no file name needs one),
    so open_kb sees only the files."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        items = [str(v) for v in values] if isinstance(values, list) else []
        query = items.pop(0) if items and "(" in items[0] else None
        namespace.query, namespace.files = query, items


def _graph_args(p: argparse.ArgumentParser) -> None:
    p.set_defaults(query=None)
    p.add_argument("files", nargs="*", metavar="[QUERY] FILE", action=_QueryThenFiles,
                   help="a query whose answers to draw, e.g. 'backed(usa, G), tied(G, T)' (anything with a "
                        "parenthesis), then fact and rule files making up the whole knowledge base")
    graph_options(p)


def graph_options(p: argparse.ArgumentParser) -> None:
    """The options `allegiance graph` and the REPL's :graph share."""
    what = p.add_argument_group("what to draw (default: the whole knowledge base)")
    what.add_argument("--focus", metavar="ENTITY", help="an entity's neighbourhood (id, name or alias)")
    what.add_argument("--depth", type=int, default=1, metavar="N", help="with --focus: links away (default 1)")
    what.add_argument("--why", metavar="FACT", help="one fact's proof, e.g. 'indirect_ally(fsa, nusra)'")
    what.add_argument("--relations", metavar="LIST", default=",".join(DEFAULT_RELATIONS),
                      help=f"comma-separated relations or groups drawn as links (groups: {', '.join(RELATION_GROUPS)}; "
                           f"all: every stated relation of two arguments; default: {','.join(DEFAULT_RELATIONS)})")
    p.add_argument("--format", choices=FORMATS, default="html",
                   help="html (default: an interactive page that works offline), svg or png (a picture), "
                        "graphml or gexf (Gephi, Cytoscape, i2), dot (Graphviz)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write (default: standard output for svg, graphml, gexf and dot; graph.html; graph.png)")


def scope(args: argparse.Namespace) -> Scope:
    """What the arguments ask to draw."""
    from ..graph.model import Scope  # networkx loads only when a graph is drawn

    return Scope(relations=tuple(args.relations.split(",")), focus=args.focus, depth=args.depth,
                     query=args.query, why=args.why)


def default_output(fmt: str) -> str | None:
    """graph.html, graph.png; None (standard output) for the text formats."""
    return None if fmt in TEXT_FORMATS else f"graph.{fmt}"


def summary(graph: Graph) -> str:
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    return f"{n} entit{'ies' if n != 1 else 'y'}, {m} link{'s' if m != 1 else ''}"


def _graph(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from ..graph.model import build

    try:
        graph = build(kb, scope(args))
    except AllegianceError as exc:
        typed = args.why if args.why is not None else args.query
        if exc.span is None or exc.span.file != "<query>" or typed is None:
            raise
        print(render_error(exc, {"<query>": typed}), file=sys.stderr)  # the caret under the text as typed
        return 2
    if not graph.number_of_nodes():
        print(graph.graph.get("message") or "nothing to draw: no link of the chosen relations", file=sys.stderr)
        return 1
    try:
        target = write_graph(graph, args.format, args.output)
    except OSError as exc:
        print(f"cannot write {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if target is not None:
        print(f"wrote {target} ({summary(graph)})")
    return 0


GRAPH = Command("graph", "draw the network as a link chart: an offline HTML page, SVG, PNG, GraphML, GEXF or DOT",
                _graph_args, _graph)

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


__all__ = ["GRAPH", "default_output", "graph_options", "scope", "summary", "write_graph"]
