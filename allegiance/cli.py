"""The command line: `allegiance [COMMAND] ...`. Without a command it opens the REPL.

Input: argv. Output: text on stdout, errors on stderr as `file:line:col: message` with the source
line and a caret, and an exit code: 0 with answers (or success), 1 with none (or failed checks),
2 on an error. A user mistake never shows a Python traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__, render
from .engines import ENGINES
from .engines.base import DEFAULT_TIMEOUT
from .errors import AllegianceError, LoadError
from .errors import render as render_error
from .kb import KnowledgeBase, bundled_paths

Handler = Callable[[argparse.Namespace, KnowledgeBase], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None]) -> Callable[[Handler], Handler]:
    """Register a subcommand: its help line, its arguments and its handler."""
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = (help, arguments, handler)
        return handler
    return register


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", metavar="DIR", help="knowledge base folder (its facts/ and rules/); default: the bundled one")
    parser.add_argument("--engine", choices=ENGINES, default="duckdb",
                        help="duckdb (default: fast, terminates on every program) or pydatalog")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help=f"time limit per query in seconds (default {DEFAULT_TIMEOUT:g} in the REPL, none in commands; 0 = none)")
    parser.add_argument("--db", metavar="FILE",
                        help="keep the knowledge base in a DuckDB file (DuckDB engine only): the first start reads "
                             "the files and stores it, a later start whose files are unchanged reopens it without "
                             "reading them, and every change is stored as it is made")
    parser.add_argument("--dialect", choices=("prolog", "souffle"), default="prolog",
                        help="how bare names read in files without a .dialect line and in queries: "
                             "prolog (default: capitalised names are variables) or souffle (every bare name is)")


def open_kb(args: argparse.Namespace, interactive: bool = False) -> KnowledgeBase:
    timeout = args.timeout if args.timeout is not None else (DEFAULT_TIMEOUT if interactive else None)
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
    print(render_error(error, kb.sources_text if kb else None), file=sys.stderr)
    return 2


# --- query -------------------------------------------------------------------------------------


def _query_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="a query, e.g. 'ally(X, nusra)'")
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=render.FORMATS, default="table")


@command("query", "answer one query and exit (0: answers, 1: none, 2: error)", _query_args)
def _query(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    answers = kb.query(args.query)
    print(render.answers(args.query, answers.variables, answers.rows, args.format))
    return 0 if answers else 1


# --- inconsistencies ------------------------------------------------------------------------------


def _incons_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--explain", action="store_true", help="show the statements each one rests on, weakest first")


@command("inconsistencies", "list what does not add up (0: none, 1: some found)", _incons_args)
def _inconsistencies(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    found = kb.inconsistencies()
    explained = None
    if args.explain:
        from .explain import explain_inconsistencies

        explained = explain_inconsistencies(kb, found)
    if args.format == "json":
        items = [{"kind": i.kind, "args": [render.json_value(v) for v in i.args], "message": i.message} for i in found]
        if explained is not None:
            for item, support in zip(items, explained, strict=True):
                item["statements"] = support
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        if not found:
            print("no inconsistencies")
        for n, inc in enumerate(found):
            print(f"{inc.kind}: {inc.message}")
            if explained is not None:
                for line in explained[n]:
                    print(f"    {line['text']}  [{line['id']}, {line['source']}, reliability {line['reliability'] or '?'}]")
        if found:
            print(f"({len(found)} inconsistenc{'ies' if len(found) != 1 else 'y'})")
    return 1 if found else 0


# --- main ----------------------------------------------------------------------------------------


def _parser_for(name: str) -> argparse.ArgumentParser:
    help_text, arguments, _ = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"allegiance {name}", description=help_text)
    arguments(parser)
    _common(parser)
    return parser


def _repl_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<16} {COMMANDS[name][0]}" for name in COMMANDS)
    parser = argparse.ArgumentParser(
        prog="allegiance",
        description="A Datalog fact base of who allies with, backs, fights and belongs to whom.\n"
                    "Without a command: the interactive REPL (or, with input piped in, a script).",
        epilog=f"commands (allegiance COMMAND --help for each):\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
    parser.add_argument("--version", action="version", version=f"allegiance {__version__}")
    _common(parser)
    return parser


def _load_command_modules() -> None:
    # Each area registers its own commands (why/whynot, check, load/import) when imported.
    for module in ("explain", "checks", "loading"):
        importlib.import_module(f"allegiance.{module}")


_VALUE_OPTIONS = ("--kb", "--engine", "--timeout", "--db", "--dialect")


def _split_command(argv: list[str]) -> tuple[str | None, list[str]]:
    """The command and the other arguments, wherever the common options stand:
    `allegiance --engine pydatalog query 'ally(X, Y)'` is `allegiance query ... --engine pydatalog`."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_OPTIONS:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        if arg in COMMANDS:
            return arg, argv[:i] + argv[i + 1:]
        return None, argv
    return None, argv


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _load_command_modules()
    kb: KnowledgeBase | None = None
    try:
        name, rest = _split_command(argv)
        if name is not None:
            args = _parser_for(name).parse_args(rest)
            kb = open_kb(args)
            return COMMANDS[name][2](args, kb)
        args = _repl_parser().parse_args(argv)
        # repl/ installs as allegiance.repl; the core reaches it only here, by name.
        repl = importlib.import_module("allegiance.repl")
        status: int = repl.main(args)
        return status
    except AllegianceError as exc:
        return fail(exc, kb)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if kb is not None:
            kb.close()


if __name__ == "__main__":
    # Run as `python -m allegiance.cli`, this file is __main__, while the command modules register
    # on allegiance.cli: go through that one.
    from allegiance.cli import main as canonical_main

    sys.exit(canonical_main())
