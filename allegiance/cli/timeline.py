"""`allegiance timeline`: when each answer of a query holds, over the statements' valid time.

Stage: a command over a loaded knowledge base, wrapping allegiance.timeline. Input: the parsed
arguments (a query, or a relation's name alone, or --inconsistencies: every inconsistency
relation, from one evaluation) and the KnowledgeBase. Output: each answer's maximal periods as a
table, CSV or JSON (open ends shown as such, a note where the answer rests on undated statements);
exit 0 with answers, 1 with none.
"""

from __future__ import annotations

import argparse
import sys

from .. import render, timeline_render
from ..errors import AllegianceError
from ..errors import render as render_error
from ..kb import KnowledgeBase
from ..timeline import timeline, timelines
from .common import Command, selection_of, selection_options


class _QueryThenFiles(argparse.Action):
    """`QUERY FILE...`, or with --inconsistencies (before or after them) `FILE...` alone: decided
    while parsing, so that open_kb sees only the files."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        items = [str(v) for v in values] if isinstance(values, list) else []
        query = None if getattr(namespace, "inconsistencies", False) or not items else items.pop(0)
        namespace.query, namespace.files = query, items


class _Inconsistencies(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        namespace.inconsistencies = True
        if getattr(namespace, "query", None) is not None:  # the files came first: that was one
            namespace.files = [namespace.query, *namespace.files]
            namespace.query = None


def _timeline_args(p: argparse.ArgumentParser) -> None:
    p.set_defaults(query=None, files=[])
    p.add_argument("files", nargs="*", metavar="QUERY [FILE]", action=_QueryThenFiles,
                   help="a query, e.g. 'strikes(russia, X)', or a relation's name alone, e.g. help_while_striking; "
                        "then fact and rule files making up the whole knowledge base")
    p.add_argument("--inconsistencies", nargs=0, action=_Inconsistencies, default=False,
                   help="instead of a query: the timeline of every inconsistency relation, all from one evaluation")
    p.add_argument("--format", choices=render.FORMATS, default="table")
    selection_options(p)


def _timeline(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    if args.inconsistencies:
        every = timelines(kb, [rel.sym.name for rel in kb.inconsistency_relations()], selection)
        print(timeline_render.render_many(every, args.format))
        return 0 if any(every) else 1
    if args.query is None:
        print("allegiance timeline: name a query, or --inconsistencies", file=sys.stderr)
        return 2
    try:
        found = timeline(kb, args.query, selection)  # --at is refused: a timeline covers every date
    except AllegianceError as exc:
        if exc.span is None or exc.span.file != "<query>":
            raise
        print(render_error(exc, {"<query>": args.query}), file=sys.stderr)  # the query as typed, with a caret
        return 2
    print(timeline_render.render(found, args.format))
    return 0 if found else 1


TIMELINE = Command("timeline", "when each answer holds: its maximal periods of validity (0: answers, 1: none)",
                   _timeline_args, _timeline)

__all__ = ["TIMELINE"]
