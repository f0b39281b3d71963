"""`allegiance load` and `allegiance import`: add files, or a CSV file's rows, and report what
that changes.

Stage: a command over a loaded knowledge base, wrapping changes.py and importing.py. Input: the
parsed arguments and the KnowledgeBase. Output: the change report as text or JSON on stdout (exit
0), its derived facts and inconsistencies under the selection options (--trust, --without, --at,
--known-on); any error leaves the knowledge base as it was (exit 2).
"""

from __future__ import annotations

import argparse

from ..changes import load_with_report
from ..importing import import_csv
from ..kb import KnowledgeBase
from .common import Command, selection_of, selection_options


def _load_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("load_files", nargs="+", metavar="FILE", help="fact or rule files (or folders) to add")
    p.add_argument("--dry-run", action="store_true", help="show the change report, keep nothing")
    p.add_argument("--format", choices=("table", "json"), default="table")
    selection_options(p)


def _load(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    report = load_with_report(kb, args.load_files, dry_run=args.dry_run, selection=selection)
    report.kept = kb.store is not None  # a one-shot command without --db keeps nothing
    print(report.to_json() if args.format == "json" else report.render_text())
    return 0


LOAD = Command("load", "add files to the knowledge base and report what they change (kept with --db FILE; "
                       "otherwise a check and its report; 2 on any error)", _load_args,
               _load)


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("csv_file", metavar="FILE.csv", help="a CSV file with a header line, in UTF-8")
    p.add_argument("--relation", required=True, help="the declared relation each row states")
    p.add_argument("--columns", help="CSV columns for the relation's arguments, in order, comma-separated "
                                     "(default: the argument names)")
    p.add_argument("--source", required=True, help="the id of the source every row comes from")
    p.add_argument("--also", action="append", default=[], metavar="FILE",
                   help="a fact file to load first (declaring the source, say); repeatable")
    p.add_argument("--require-entities", action="store_true",
                   help="every symbol value must name a declared entity")
    p.add_argument("--quick", action="store_true", help="skip derived facts and inconsistencies in the report")
    p.add_argument("--dry-run", action="store_true", help="show the change report, keep nothing")
    p.add_argument("--format", choices=("table", "json"), default="table")
    selection_options(p)


def _import(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    selection = selection_of(args)
    if selection is None:
        return 2
    if args.also:
        kb.load_path(*args.also)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    report = import_csv(kb, args.csv_file, args.relation, args.source, columns,
                        require_entities=args.require_entities, dry_run=args.dry_run, derived=not args.quick,
                        selection=selection)
    report.kept = kb.store is not None
    print(report.to_json() if args.format == "json" else report.render_text())
    return 0


IMPORT = Command("import", "add a CSV file's rows as statements of one relation from one source "
                           "(kept with --db FILE; otherwise a check and its report)", _import_args, _import)

__all__ = ["IMPORT", "LOAD"]
