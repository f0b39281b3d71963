"""`allegiance sources`: what each answer rests on, and which answers rest on a single source.

Stage: a command over a loaded knowledge base, wrapping allegiance.explain.critical. Input: the
parsed arguments (a query or a fact, the selection options) and the KnowledgeBase. Output: for each
answer, the sources it cannot do without (leave-one-out: without any one of them the answer goes),
as text or JSON; exit 0 with answers, 1 with none, 2 on an error.
"""

from __future__ import annotations

import argparse
import json

from ..explain.critical import reliance_json, reliance_text, rests_on
from ..kb import KnowledgeBase
from ..parse import parse_query
from .common import Command, selection_of, selection_options


def _sources_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="a query or a fact, e.g. 'indirect_ally(X, Y)' or 'member(nusra, jaish_al_fatah)'")
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=("text", "json"), default="text")
    selection_options(p)


def _sources(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    query = parse_query(args.query, dialect=kb.dialect)
    found = rests_on(kb, query, selection)
    if args.format == "json":
        print(json.dumps(reliance_json(query, found, kb), ensure_ascii=False, indent=2))
    else:
        print(reliance_text(query, found, kb))
    return 0 if found else 1


SOURCES = Command("sources", "the sources each answer cannot do without, and the single-source ones (0: answers, 1: none)",
                  _sources_args, _sources)

__all__ = ["SOURCES"]
