"""The command line: `allegiance [COMMAND] ...`. Without a command it opens the REPL.

Input: argv. Output: text on stdout, errors on stderr as `file:line:col: message` with the source
line and a caret, and an exit code: 0 with answers (or success), 1 with none (or failed checks),
2 on an error. A user mistake never shows a Python traceback.

This package owns every subcommand; the core modules it wraps know nothing of argparse or of it.

    common.py    the Command record, the common options, open_kb, fail
    query.py     query, inconsistencies
    timeline.py  timeline (allegiance.timeline)
    why.py       why, whynot (allegiance.explain)
    check.py     check (allegiance.checks)
    sources.py   sources (allegiance.explain.critical)
    load.py      load, import (allegiance.changes, allegiance.importing)
    graph.py     graph (allegiance.graph)
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from .. import __version__, settle
from ..errors import AllegianceError, QueryInterrupted
from ..kb import KnowledgeBase
from ..printable import PrintableStream
from .bound import bounded
from .check import CHECK
from .common import VALUE_OPTIONS, Command, common_options, fail, open_kb
from .graph import GRAPH
from .load import IMPORT, LOAD
from .query import INCONSISTENCIES, QUERY
from .sources import SOURCES
from .timeline import TIMELINE
from .why import WHY, WHYNOT

# In the order `allegiance --help` lists them.
COMMANDS: dict[str, Command] = {c.name: c for c in (QUERY, INCONSISTENCIES, TIMELINE, WHY, WHYNOT, SOURCES, CHECK, LOAD,
                                                    IMPORT, GRAPH)}


def _parser_for(name: str) -> argparse.ArgumentParser:
    command = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"allegiance {name}", description=command.help)
    command.arguments(parser)
    common_options(parser)
    return parser


def _repl_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<16} {COMMANDS[name].help}" for name in COMMANDS)
    parser = argparse.ArgumentParser(
        prog="allegiance",
        description="A Datalog fact base of who allies with, backs, fights and belongs to whom.\n"
                    "Without a command: the interactive REPL (or, with input piped in, a script).",
        epilog=f"commands (allegiance COMMAND --help for each):\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    parser.add_argument("--version", action="version", version=f"allegiance {__version__}")
    common_options(parser)
    return parser


def _split_command(argv: list[str]) -> tuple[str | None, list[str]]:
    """The command and the other arguments, wherever the common options stand:
    `allegiance --engine pydatalog query 'ally(X, Y)'` is `allegiance query ... --engine pydatalog`."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in VALUE_OPTIONS:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        if arg in COMMANDS:
            return arg, argv[:i] + argv[i + 1:]
        return None, argv
    return None, argv


def run(argv: Sequence[str] | None = None) -> int:
    """The `allegiance` command (and `python -m allegiance`): `main` in a process of its own, so
    what the knowledge base holds may be settled out of the garbage collector's scans (settle.py)."""
    settle.enable()
    try:
        return main(argv)
    finally:
        settle.release()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    kb: KnowledgeBase | None = None
    streams = sys.stdout, sys.stderr
    # Output for people never carries a control character from the data (printable.py); CSV stays
    # data, and the REPL escapes its own output (prompt-toolkit draws on stdout with escapes).
    sys.stderr = PrintableStream(sys.stderr)
    try:
        name, rest = _split_command(argv)
        if name is not None:
            if not _csv(rest):
                sys.stdout = PrintableStream(sys.stdout)
            with warnings.catch_warnings():
                # argparse's own note when a `files ...` positional is left empty; the default applies
                warnings.filterwarnings("ignore", message="Do not expect", category=UserWarning)
                args = _parser_for(name).parse_intermixed_args(rest)  # files may follow options too
            kb = open_kb(args)
            with bounded(kb):  # DuckDB's cancel may stall: the command ends anyway (bound.py)
                return COMMANDS[name].run(args, kb)
        args = _repl_parser().parse_args(argv)
        # repl/ installs as allegiance.repl, a layer below the command line (tests/test_layers.py);
        # by name, since the type checker knows that folder as `repl`.
        repl = importlib.import_module("allegiance.repl")
        status: int = repl.main(args)
        return status
    except QueryInterrupted as exc:  # Ctrl-C, told as the engine or the load says it: the status of Ctrl-C
        fail(exc, kb)
        return 130
    except AllegianceError as exc:
        return fail(exc, kb)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        sys.stdout, sys.stderr = streams
        if kb is not None:
            kb.close(final=True)


def _csv(argv: Sequence[str]) -> bool:
    return any(a == "--format=csv" or (a == "--format" and argv[i + 1:i + 2] == ["csv"]) for i, a in enumerate(argv))


__all__ = ["COMMANDS", "main", "run"]
