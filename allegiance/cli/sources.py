"""`allegiance sources`: what each answer rests on, and which answers rest on a single source.

Stage: a command over a loaded knowledge base, wrapping allegiance.explain.critical. Input: the
parsed arguments (a query or a fact, or --inconsistencies; the selection options) and the
KnowledgeBase. Output: for each answer, the sources it cannot do without (leave-one-out: without
any one of them the answer goes), as text or JSON; exit 0 with answers, 1 with none, 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import sys

from .. import ast
from ..explain.critical import reliance_json, reliance_text, rests_on
from ..kb import KnowledgeBase
from ..parse import parse_query
from ..selection import Selection, time_json
from .common import Command, query_or_inconsistencies, selection_of, selection_options


def _sources_args(p: argparse.ArgumentParser) -> None:
    query_or_inconsistencies(p, "a query or a fact, e.g. 'indirect_ally(X, Y)' or 'member(nusra, jaish_al_fatah)'",
                             "instead of a query: every inconsistency, with the sources it cannot do without")
    p.add_argument("--format", choices=("text", "json"), default="text")
    selection_options(p)


def _sources(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    if args.inconsistencies:
        return _inconsistencies(args, kb, selection)
    if args.query is None:
        print("allegiance sources: name a query, or --inconsistencies", file=sys.stderr)
        return 2
    query = parse_query(args.query, dialect=kb.dialect)
    found = rests_on(kb, query, selection)
    if args.format == "json":
        print(json.dumps({**reliance_json(query, found, kb), **time_json(selection)}, ensure_ascii=False, indent=2))
    else:
        print(reliance_text(query, found, kb))
    return 0 if found else 1


def _inconsistencies(args: argparse.Namespace, kb: KnowledgeBase, selection: Selection) -> int:
    """Each inconsistency relation as a query of its parameters, its answers with their messages."""
    items: list[dict[str, object]] = []
    lines: list[str] = []
    count = single = 0
    for rel in kb.inconsistency_relations():
        if rel.sym not in kb.program.types:
            continue
        variables = tuple(ast.Variable(f"{p.name.capitalize()}_{i}") for i, p in enumerate(rel.params))
        query = ast.Query((ast.Atom(rel.sym.name, variables),))
        found = rests_on(kb, query, selection)
        data = reliance_json(query, found, kb)
        for r, block in zip(found, _blocks(reliance_text(query, found, kb)), strict=True):
            lines.append(f"{rel.sym.name}: {kb.message(rel, r.row)}")  # the message, not the fact
            lines.extend(block[1:])
        for n, r in enumerate(found):
            items.append({"kind": rel.sym.name, "args": data["answers"][n],  # type: ignore[index]
                          "message": kb.message(rel, r.row), "critical": data["critical"][n],  # type: ignore[index]
                          "supporting": data["supporting"][n], "single_source": r.single_source,  # type: ignore[index]
                          **time_json(selection)})  # a list: each records them
        count += len(found)
        single += sum(r.single_source for r in found)
    if args.format == "json":
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        lines.append(f"({count} inconsistenc{'ies' if count != 1 else 'y'}, {single} single-source)" if count
                     else "no inconsistencies")
        print("\n".join(lines))
    return 1 if count else 0


def _blocks(text: str) -> list[list[str]]:
    """reliance_text's lines grouped per answer (an answer's line, then its indented lines)."""
    groups: list[list[str]] = []
    for line in text.splitlines()[:-1]:
        if line.startswith(" "):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


SOURCES = Command("sources", "the sources each answer cannot do without, and the single-source ones (0: answers, 1: none)",
                  _sources_args, _sources)

__all__ = ["SOURCES"]
