"""Dispatch: one entry -> its Output, and a script of entries -> an exit status.

Input: the text of an entry and a Session. Output: an Output (text, error, quit), rendered by the
caller. The top of the REPL's layers: it reads session.py (what an entry is, the Session's own
operations) and commands.py (the meta-commands), so neither of those imports the other's user;
app.py (the terminal) and `run_script` (input piped in) are its two callers.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import IO

from allegiance.errors import AllegianceError, QueryInterrupted
from allegiance.kb import KnowledgeBase

from . import commands, display
from .output import Output, oops
from .session import Session, classify, is_complete


def open_session(kb: KnowledgeBase, args: argparse.Namespace | None, interactive: bool) -> Session:
    """The Session of `allegiance` with no command, completing the registered meta-commands."""
    return Session.from_args(kb, args, interactive, commands.completion_table())


def dispatch(text: str, session: Session) -> Output:
    """One entry -> its Output. A user's mistake comes back as a rendered error, never raised."""
    kind = classify(text)
    try:
        if kind == "empty":
            return Output()
        if kind == "command":
            return commands.run(session, text)
        if kind == "query":
            return session.run_query(text.strip())
        return session.add(text)
    except QueryInterrupted:
        return oops("interrupted (the knowledge base is as it was)")
    except AllegianceError as exc:
        return oops(display.error_text(exc, session.all_sources()))


def run_script(lines: Iterable[str], session: Session, out: IO[str], err: IO[str]) -> int:
    """`allegiance < queries.txt`: entries as in the REPL, results on `out`, errors on `err`.
    Returns 0 when every entry succeeded, 2 when any failed (the others still run)."""
    status = 0
    buffer: list[str] = []

    def run(text: str) -> bool:
        nonlocal status
        output = dispatch(text, session)
        if output.text:
            print(output.text, file=out, flush=True)
        if output.error:
            status = 2
            print(output.error, file=err, flush=True)
        return output.quit

    for line in lines:
        buffer.append(line.rstrip("\r\n"))
        text = "\n".join(buffer)
        if is_complete(text):
            buffer = []
            if run(text):
                return status
    if "\n".join(buffer).strip():
        run("\n".join(buffer))
    return status
