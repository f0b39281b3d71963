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
from ..selection import time_json
from ..timeline import timeline, timelines
from .common import Command, query_or_inconsistencies, selection_of, selection_options


def _timeline_args(p: argparse.ArgumentParser) -> None:
    query_or_inconsistencies(
        p, "a query, e.g. 'strikes(russia, X)', or a relation's name alone, e.g. help_while_striking",
        "instead of a query: the timeline of every inconsistency relation, all from one evaluation")
    p.add_argument("--format", choices=render.FORMATS, default="table")
    selection_options(p)


def _timeline(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    if args.inconsistencies:
        every = timelines(kb, [rel.sym.name for rel in kb.inconsistency_relations()], selection)
        print(timeline_render.render_many(every, args.format, settings=time_json(selection)))
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
    print(timeline_render.render(found, args.format, settings=time_json(selection)))
    return 0 if found else 1


TIMELINE = Command("timeline", "when each answer holds: its maximal periods of validity (0: answers, 1: none)",
                   _timeline_args, _timeline)

__all__ = ["TIMELINE"]
