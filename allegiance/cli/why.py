"""`allegiance why` and `allegiance whynot`: a fact explained down to its statements and sources.

Stage: a command over a loaded knowledge base, wrapping allegiance.explain. Input: the parsed
arguments (a fact as typed) and the KnowledgeBase. Output: the explanation as a tree or as JSON on
stdout; `why` exits 0 when the fact holds and 1 when it does not, `whynot` 0; a mistake in the
fact as typed is drawn with that text and a caret on stderr (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TypeVar

from .. import suggested
from ..errors import AllegianceError
from ..errors import render as render_error
from ..explain import DEFAULT_LIMIT, graded_why, graded_why_not, proof_json, render_tree, why, why_not
from ..kb import KnowledgeBase
from ..selection import time_json
from .common import Command, selection_of, selection_options

T = TypeVar("T")


def _with_text(ask: Callable[[], T], text: str) -> T | None:
    """Run ask; an error in the fact as typed is drawn with that text (and its caret) on stderr."""
    try:
        return ask()
    except AllegianceError as exc:
        if exc.span is None or exc.span.file != "<query>":
            raise
        print(suggested.for_cli(render_error(exc, {"<query>": text})), file=sys.stderr)
        return None


def _why_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("fact", help="a fact, e.g. 'indirect_ally(fsa, ahrar_al_sham)'")
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--all", action="store_true", help="list further derivations, not only the shallowest")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help="at most N derivations with --all")
    p.add_argument("--format", choices=("tree", "json"), default="tree")
    selection_options(p)
    p.add_argument("--no-support", action="store_true", help="leave out each fact's support and each statement's grade")


def _why(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    answer = _with_text(lambda: why(kb, args.fact, all=args.all, limit=args.limit, selection=selection), args.fact)
    if answer is None:
        return 2
    if answer.holds and not args.no_support:
        answer = graded_why(kb.under(selection), answer)
    print(json.dumps({**proof_json(answer), **time_json(selection)}, ensure_ascii=False, indent=2) if args.format == "json"
          else suggested.for_cli(render_tree(answer)))
    return 0 if answer.holds else 1


WHY = Command("why", "explain a fact down to its statements and sources (0: holds, 1: does not)", _why_args, _why)


def _whynot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("fact", help="a fact, e.g. 'ally(fsa, ahrar_al_sham)'")
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=("tree", "json"), default="tree")
    selection_options(p)
    p.add_argument("--no-support", action="store_true", help="leave out each statement's grade")


def _whynot(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    answer = _with_text(lambda: why_not(kb, args.fact, selection=selection), args.fact)
    if answer is None:
        return 2
    if not args.no_support:
        answer = graded_why_not(kb.under(selection), answer)
    print(json.dumps({**proof_json(answer), **time_json(selection)}, ensure_ascii=False, indent=2) if args.format == "json"
          else suggested.for_cli(render_tree(answer)))
    return 0


WHYNOT = Command("whynot", "explain why a fact does not hold: nearest statements, failing rule literals",
                 _whynot_args, _whynot)

__all__ = ["WHY", "WHYNOT"]
