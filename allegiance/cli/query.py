"""`allegiance query` and `allegiance inconsistencies`: answers and what does not add up.

Stage: a command over a loaded knowledge base. Input: the parsed arguments and the KnowledgeBase.
Output: answers as a table, CSV or JSON (exit 0 with answers, 1 with none); the inconsistencies,
with `--explain` the statements each rests on (exit 0 with none, 1 with some).
"""

from __future__ import annotations

import argparse
import json
import sys

from .. import render
from ..explain import explain_inconsistencies, inconsistency_supports, support_json
from ..kb import KnowledgeBase
from ..stream import write_answers
from .common import Command, selection_of, selection_options


def _query_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="a query, e.g. 'ally(X, nusra)'")
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=render.FORMATS, default="table")
    selection_options(p)
    p.add_argument("--no-support", action="store_true",
                   help="leave out each answer's support (the grade of the best evidence for it), which costs an "
                        "evaluation per grade level")


def _query(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    kb = kb.under(selection)
    if args.format in ("csv", "json"):  # written as the answers arrive where they can be (stream.py)
        count = write_answers(kb, args.query, args.format, sys.stdout, support=not args.no_support)
        if count is not None:
            return 0 if count else 1
    answers = kb.query(args.query, support=not args.no_support)
    supports = support_json(kb, answers, statements=args.format == "json")
    print(render.answers(args.query, answers.variables, answers.rows, args.format, supports=supports))
    return 0 if answers else 1


QUERY = Command("query", "answer one query and exit (0: answers, 1: none, 2: error)", _query_args, _query)


def _incons_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--explain", action="store_true", help="show the statements each one rests on, weakest first")
    selection_options(p)
    p.add_argument("--no-support", action="store_true", help="leave out each one's support (the grade of its best evidence)")


def _inconsistencies(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    kb = kb.under(selection)
    found = kb.inconsistencies()
    explained = explain_inconsistencies(kb, found) if args.explain else None
    supports = inconsistency_supports(kb, found) if not args.no_support else [None] * len(found)
    if args.format == "json":
        items: list[dict[str, object]] = [{"kind": i.kind, "args": [render.json_value(v) for v in i.args], "message": i.message} for i in found]
        for item, sup in zip(items, supports, strict=True):
            if sup is not None:
                item["support"] = sup
        if explained is not None:
            for item, support in zip(items, explained, strict=True):
                item["statements"] = support
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        if not found:
            print("no inconsistencies")
        for n, inc in enumerate(found):
            sup = supports[n]
            print(f"{inc.kind}: {inc.message}" + (f"   [support {sup['grade']}]" if sup else ""))
            if explained is not None:
                for line in explained[n]:
                    print(f"    {line['text']}  [{line['id']}, {line['source']}, reliability {line['reliability'] or '?'}]")
        if found:
            print(f"({len(found)} inconsistenc{'ies' if len(found) != 1 else 'y'})")
    return 1 if found else 0


INCONSISTENCIES = Command("inconsistencies", "list what does not add up (0: none, 1: some found)", _incons_args,
                          _inconsistencies)

__all__ = ["INCONSISTENCIES", "QUERY"]
