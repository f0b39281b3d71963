"""The interactive shell, installed as allegiance.repl: `allegiance` with no command.

With a terminal it is a prompt-toolkit REPL (app.py); with input piped in it runs the input as a
script (dispatch.run_script): the same entries, plain results on stdout, errors on stderr, exit
status 0 when every entry succeeded and 2 when any failed. The core never imports this package,
and this package imports prompt-toolkit only for the terminal.
"""

from __future__ import annotations

import argparse
import sys

from allegiance.cli.common import open_kb

from .dispatch import open_session, run_script


def main(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    kb = open_kb(args, interactive=interactive)
    session = open_session(kb, args, interactive)
    try:
        if interactive:
            from .app import run
            from .running import abandoned, exit_now

            status = run(session)
            if abandoned():  # a thread may be stuck inside DuckDB: leave without waiting for it
                session.kb.close()
                exit_now(status)
            return status
        return run_script(sys.stdin, session, sys.stdout, sys.stderr)
    finally:
        session.kb.close()


__all__ = ["main"]
