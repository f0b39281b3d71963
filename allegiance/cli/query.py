"""`allegiance query` and `allegiance inconsistencies`: answers and what does not add up.

Stage: a command over a loaded knowledge base. Input: the parsed arguments and the KnowledgeBase.
Output: answers as a table, CSV or JSON (exit 0 with answers, 1 with none); the inconsistencies,
each with its support, its weakest premise and whether it rests on a single source; with `--explain`
the statements each rests on (exit 0 with none, 1 with some).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys

from .. import render
from ..errors import render as render_error
from ..explain import explain_inconsistencies, support_json
from ..explain.findings import PREMISES, finding_json, finding_lines, findings, findings_csv, summary_line
from ..kb import KnowledgeBase
from ..selection import time_json
from ..stream import write_answers
from ..undated import mark, undated
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
    whole, kb = kb, kb.under(selection)
    for warning in kb.checked_query(args.query).warnings:  # a comparison that never holds (analysis/kinds.py)
        print(render_error(warning, {"<query>": args.query}), file=sys.stderr)
    marked = not args.no_support and selection.at is not None  # support marks undated answers (undated.py)
    if args.format in ("csv", "json") and not marked:  # written as the answers arrive where they can be (stream.py)
        count = write_answers(kb, args.query, args.format, sys.stdout, support=not args.no_support,
                              settings=time_json(selection))
        if count is not None:
            return 0 if count else 1
    answers = kb.query(args.query, support=not args.no_support)
    supports = support_json(kb, answers, statements=args.format == "json")
    if supports is not None:
        supports = mark(supports, undated(whole, selection, answers))
    # a table a few thousand lines at a time: a large answer is never one string
    lines = render.answer_lines(args.query, answers.variables, answers.rows, args.format, supports=supports,
                                settings=time_json(selection))
    while chunk := list(itertools.islice(lines, 5_000)):
        sys.stdout.write("\n".join(chunk) + "\n")
    return 0 if answers else 1


QUERY = Command("query", "answer one query and exit (0: answers, 1: none, 2: error)", _query_args, _query)


def _incons_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=render.FORMATS, default="table")
    p.add_argument("--explain", action="store_true",
                   help="show the statements each one rests on, weakest first, each with its grade and who asserts "
                        "and reports it")
    selection_options(p)
    p.add_argument("--no-support", action="store_true",
                   help="leave out each one's support (the grade of its best evidence), its weakest premise and the "
                        "single-source flag")
    p.add_argument("--no-sources", action="store_true",
                   help="leave out the single-source flag (the sources each one cannot do without: a re-evaluation "
                        "per source)")
    p.add_argument("--premises", type=_premises, default=PREMISES, metavar="N|all",
                   help=f"search the weakest premise of the first N inconsistencies only (default {PREMISES}: a proof "
                        "search each; the others get their support's grade), or of all")


def _premises(text: str) -> int | None:
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a count or all, not {text!r}")
    return n


def _inconsistencies(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    view = kb.under(selection)
    found = view.inconsistencies()
    graded = not args.no_support
    results = findings(kb, selection, found, support=graded, sources=graded and not args.no_sources,
                       premises=args.premises)
    explained = explain_inconsistencies(view, found) if args.explain else None
    if args.format == "json":
        items = [{**finding_json(f), **time_json(selection)} for f in results]  # a list: each records them
        if explained is not None:
            for item, statements in zip(items, explained, strict=True):
                item["statements"] = statements
        print(json.dumps(items, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        print(findings_csv(results))
    else:
        for n, f in enumerate(results):
            print("\n".join(finding_lines(f)))
            if explained is not None:
                for line in explained[n]:
                    print(f"      {line['text']}  [{line['id']}: {line['premise']}]")
        print(summary_line(results))
    return 1 if found else 0


INCONSISTENCIES = Command("inconsistencies", "list what does not add up (0: none, 1: some found)", _incons_args,
                          _inconsistencies)

__all__ = ["INCONSISTENCIES", "QUERY"]
