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

from ..errors import AllegianceError
from ..errors import render as render_error
from ..kb import KnowledgeBase
from .common import Command, selection_of, selection_options
from .graph_options import graph_options, scope, summary, write_graph


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
    selection_options(p)


def _graph(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from ..graph.model import build

    selection = selection_of(args)
    if selection is None:
        return 2
    try:
        graph = build(kb.under(selection), scope(args))
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

__all__ = ["GRAPH"]
