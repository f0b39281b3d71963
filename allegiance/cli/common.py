"""What every subcommand shares: the Command record, the common options, opening the knowledge
base they name, and printing an error.

Stage: the command line's front end, below the subcommand modules. Input: parsed arguments
(argparse.Namespace). Output: a KnowledgeBase loaded as the options say, or an error drawn on
stderr as `file:line:col: message` with the source line and a caret (exit status 2).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import settle, suggested
from ..changes import take_back
from ..engines import ENGINES
from ..engines.base import DEFAULT_TIMEOUT
from ..errors import AllegianceError, LoadError, QueryError
from ..errors import render as render_error
from ..files import bundled_paths
from ..kb import KnowledgeBase
from ..selection import Selection, parse_date
from ..trust import DEFAULT as DEFAULT_POLICY
from .bound import bounded

Handler = Callable[[argparse.Namespace, KnowledgeBase], int]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its help line, its own arguments and its handler (exit status)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler


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


def query_or_inconsistencies(p: argparse.ArgumentParser, query_help: str, inconsistencies_help: str) -> None:
    """`QUERY FILE...` or `--inconsistencies FILE...` (the flag before or after the files): the
    positional arguments of `timeline` and `sources`."""
    p.set_defaults(query=None, files=[])
    p.add_argument("files", nargs="*", metavar="QUERY [FILE]", action=_QueryThenFiles,
                   help=f"{query_help}; then fact and rule files making up the whole knowledge base")
    p.add_argument("--inconsistencies", nargs=0, action=_Inconsistencies, default=False, help=inconsistencies_help)



def common_options(parser: argparse.ArgumentParser) -> None:
    """The options every command and the REPL take, wherever they stand on the line."""
    parser.add_argument("--kb", metavar="DIR", help="knowledge base folder (its facts/ and rules/); default: the bundled one")
    parser.add_argument("--engine", choices=ENGINES, default="duckdb",
                        help="duckdb (default: fast, terminates on every program), pydatalog, or spark "
                             "(the spark extra: pip install 'allegiance[spark]')")
    parser.add_argument("--spark-master", metavar="URL",
                        help="where the Spark engine runs: local[*] (default), spark://HOST:7077, yarn, ...")
    parser.add_argument("--spark-conf", metavar="KEY=VALUE", action="append", default=[],
                        help="a Spark configuration setting for the Spark engine (repeatable), "
                             "e.g. spark.executor.memory=8g")
    parser.add_argument("--timeout", type=seconds, default=None, metavar="S",
                        help=f"time limit per evaluation (a query, or what a load derives) in seconds "
                             f"(default {DEFAULT_TIMEOUT:g}; 0 = none)")
    parser.add_argument("--db", metavar="FILE",
                        help="keep the knowledge base in a DuckDB file (DuckDB engine only): the first start reads "
                             "the files and stores it, a later start whose files are unchanged reopens it without "
                             "reading them, and every change is stored as it is made")
    parser.add_argument("--dialect", choices=("prolog", "souffle"), default="prolog",
                        help="how bare names read in files without a .dialect line and in queries: "
                             "prolog (default: capitalised names are variables) or souffle (every bare name is)")


def seconds(text: str) -> float:
    """--timeout's value: 0 (no limit) or a positive, finite number of seconds; -1, nan and inf are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a time limit: give seconds above 0, or 0 for none")
    return value


def selection_options(parser: argparse.ArgumentParser) -> None:
    """What counts, on every command that evaluates (selection.py; docs/language.md, "Selections")."""
    group = parser.add_argument_group("what counts")
    group.add_argument("--trust", metavar="POLICY", default=DEFAULT_POLICY,
                       help="count only the statements a trust policy trusts: all (default), confirmed, reliable, "
                            "usual, dated, or a .trust policy of the knowledge base")
    group.add_argument("--without", metavar="SOURCE", action="append", default=[],
                       help="leave out a source's statements (repeatable): what if it had never been read?")
    group.add_argument("--at", metavar="DATE",
                       help="valid time: only statements holding on DATE, YYYY-MM-DD (undated ones hold on every date)")
    group.add_argument("--known-on", metavar="DATE",
                       help="knowledge time: only statements from sources published (or statements reported) on or "
                            "before DATE, YYYY-MM-DD (a month's date counts from its last day)")


def selection_of(args: argparse.Namespace) -> Selection | None:
    """The selection the options name; None after drawing a bad date on stderr, with its caret."""
    texts = {"--at": args.at or "", "--known-on": args.known_on or ""}
    try:
        at = parse_date(args.at, "--at") if args.at else None
        known_on = parse_date(args.known_on, "--known-on") if args.known_on else None
    except AllegianceError as exc:
        print(render_error(exc, texts), file=sys.stderr)
        return None
    return Selection(args.trust, frozenset(args.without), at, known_on)


# The options of common_options and selection_options that take a value (main finds the command
# word past them).
VALUE_OPTIONS = ("--kb", "--engine", "--timeout", "--db", "--dialect", "--spark-master", "--spark-conf", "--trust",
                 "--without", "--at", "--known-on")


def configure_spark(args: argparse.Namespace) -> None:
    """--spark-master and --spark-conf KEY=VALUE, for the Spark engine's session (set before it starts)."""
    from ..engines.spark.session import configure

    conf: dict[str, str] = {}
    for item in args.spark_conf or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise LoadError(f"--spark-conf {item}: expected KEY=VALUE", None, "e.g. --spark-conf spark.executor.memory=8g")
        conf[key.strip()] = value
    if (args.spark_master or conf) and args.engine != "spark":
        raise LoadError("--spark-master and --spark-conf configure the Spark engine", None, "add --engine spark")
    configure(args.spark_master, conf)


def open_kb(args: argparse.Namespace, interactive: bool = False) -> KnowledgeBase:
    """The knowledge base the options name: FILES, else --kb DIR's facts/ and rules/, else the
    bundled one, with the REPL's default time limit unless --timeout says otherwise (a one-shot
    command too: `n(X+1) :- n(X).` must not run until killed). The caller closes it."""
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    if args.engine == "spark" or args.spark_master or args.spark_conf:
        configure_spark(args)
    kb = KnowledgeBase(engine=args.engine, timeout=timeout or None, db=args.db, dialect=args.dialect)
    kb.support_ahead = interactive  # a one-shot command asks once: support evaluates only what it reads
    files = list(getattr(args, "files", None) or [])
    try:
        if files:
            paths = files
        elif args.kb:
            root = Path(args.kb)
            if not root.is_dir():
                raise LoadError(f"--kb {args.kb}: no such folder", None,
                                "name a folder that holds facts/ and rules/ (or fact and rule files)")
            paths = [str(p) for p in (root / "facts", root / "rules") if p.is_dir()] or [str(root)]
        else:
            paths = [str(p) for p in bundled_paths()]
        # as bounded as the command itself (bound.py), and stopped as any load is: "load interrupted"
        try:
            with bounded(kb):
                kb.load_path(*paths)
        except (QueryError, KeyboardInterrupt, RuntimeError) as exc:
            take_back(kb, 0, exc, "load")
            raise
    except BaseException:
        kb.close()
        raise
    settle.settle()  # the program's own process (cli.run): what the load built, out of the collector's scans
    for notice in kb.store.notices if kb.store else ():
        print(notice, file=sys.stderr)  # why --db FILE's stored knowledge base was not used
    if not interactive:
        for warning in kb.warnings:  # the REPL shows them in its banner
            print(warning, file=sys.stderr)
    return kb


def fail(error: AllegianceError, kb: KnowledgeBase | None = None) -> int:
    """Draw the error on stderr (with the source line, when kb holds its file) and return 2."""
    print(suggested.for_cli(render_error(error, kb.sources_text if kb else None)), file=sys.stderr)
    return 2


__all__ = ["VALUE_OPTIONS", "Command", "Handler", "common_options", "fail", "open_kb", "seconds", "selection_of",
           "selection_options"]
