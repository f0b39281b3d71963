"""What every subcommand shares: the Command record, the common options, opening the knowledge
base they name, and printing an error.

Stage: the command line's front end, below the subcommand modules. Input: parsed arguments
(argparse.Namespace). Output: a KnowledgeBase loaded as the options say, or an error drawn on
stderr as `file:line:col: message` with the source line and a caret (exit status 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..engines import ENGINES
from ..engines.base import DEFAULT_TIMEOUT
from ..errors import AllegianceError, LoadError
from ..errors import render as render_error
from ..files import bundled_paths
from ..kb import KnowledgeBase

Handler = Callable[[argparse.Namespace, KnowledgeBase], int]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its help line, its own arguments and its handler (exit status)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler


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
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help=f"time limit per query in seconds (default {DEFAULT_TIMEOUT:g} in the REPL, none in commands; 0 = none)")
    parser.add_argument("--db", metavar="FILE",
                        help="keep the knowledge base in a DuckDB file (DuckDB engine only): the first start reads "
                             "the files and stores it, a later start whose files are unchanged reopens it without "
                             "reading them, and every change is stored as it is made")
    parser.add_argument("--dialect", choices=("prolog", "souffle"), default="prolog",
                        help="how bare names read in files without a .dialect line and in queries: "
                             "prolog (default: capitalised names are variables) or souffle (every bare name is)")


# The options of common_options that take a value (main finds the command word past them).
VALUE_OPTIONS = ("--kb", "--engine", "--timeout", "--db", "--dialect", "--spark-master", "--spark-conf")


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
    bundled one (the REPL's default timeout when interactive). The caller closes it."""
    timeout = args.timeout if args.timeout is not None else (DEFAULT_TIMEOUT if interactive else None)
    if args.engine == "spark" or args.spark_master or args.spark_conf:
        configure_spark(args)
    kb = KnowledgeBase(engine=args.engine, timeout=timeout or None, db=args.db, dialect=args.dialect)
    files = list(getattr(args, "files", None) or [])
    try:
        if files:
            kb.load_path(*files)
        elif args.kb:
            root = Path(args.kb)
            if not root.is_dir():
                raise LoadError(f"--kb {args.kb}: no such folder", None,
                                "name a folder that holds facts/ and rules/ (or fact and rule files)")
            parts = [p for p in (root / "facts", root / "rules") if p.is_dir()]
            kb.load_path(*(parts or [root]))
        else:
            kb.load_path(*bundled_paths())
    except BaseException:
        kb.close()
        raise
    for notice in kb.store.notices if kb.store else ():
        print(notice, file=sys.stderr)  # why --db FILE's stored knowledge base was not used
    return kb


def fail(error: AllegianceError, kb: KnowledgeBase | None = None) -> int:
    """Draw the error on stderr (with the source line, when kb holds its file) and return 2."""
    print(render_error(error, kb.sources_text if kb else None), file=sys.stderr)
    return 2


__all__ = ["VALUE_OPTIONS", "Command", "Handler", "common_options", "fail", "open_kb"]
