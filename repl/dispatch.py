"""Dispatch: one entry -> its Output, and a script of entries -> an exit status.

Input: the text of an entry and a Session. Output: an Output (text, error, quit), rendered by the
caller. The top of the REPL's layers: it reads session.py (what an entry is, the Session's own
operations) and commands.py (the meta-commands), so neither of those imports the other's user;
app.py (the terminal) and `run_script` (input piped in) are its two callers.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from typing import IO

from allegiance import ast, printable, suggested
from allegiance.errors import AllegianceError, ParseError, QueryInterrupted
from allegiance.kb import KnowledgeBase

from . import commands, display, selecting  # noqa: F401  (selecting registers its commands)
from .habits import prolog_habit
from .output import Output, oops
from .session import Session, classify, is_complete, strip_comments


def open_session(kb: KnowledgeBase, args: argparse.Namespace | None, interactive: bool) -> Session:
    """The Session of `allegiance` with no command, completing the registered meta-commands."""
    return Session.from_args(kb, args, interactive, commands.completion_table())


def dispatch(text: str, session: Session) -> Output:
    """One entry -> its Output. A user's mistake comes back as a rendered error, never raised."""
    bad = _undecodable(text)
    if bad is not None:
        return oops(display.error_text(bad, {"<input>": re.sub("[\udc80-\udcff]", "\ufffd", text)}))
    kind = classify(text)
    if kind in ("query", "add"):
        hint = prolog_habit(strip_comments(text), {p.name for p in session.kb.predicates()},
                            commands.COMMANDS.keys() | commands.ALIASES.keys())
        if hint:
            return oops(f"error: {hint}")
    try:
        if kind == "empty":
            return Output()
        if kind == "command":
            return commands.run(session, text)
        if kind == "query":
            return session.run_query(text.strip())
        return session.add(text)
    except QueryInterrupted as exc:
        if exc.message != "interrupted" and exc.hint:  # a load or an import: what became of it
            return oops(f"{exc.message}; {exc.hint}")
        return oops("interrupted (the knowledge base is as it was)")
    except AllegianceError as exc:
        return oops(suggested.for_repl(display.error_text(exc, session.all_sources())))


def _undecodable(text: str) -> AllegianceError | None:
    """Bytes that were not UTF-8 reach us as lone surrogates (Python's surrogateescape): the same
    error a file gets, `invalid UTF-8 (byte 0xe9)`, at the place they stand."""
    for i, c in enumerate(text):
        if "\udc80" <= c <= "\udcff":
            line = text.count("\n", 0, i) + 1
            column = i - (text.rfind("\n", 0, i) + 1) + 1
            return ParseError(f"invalid UTF-8 (byte 0x{ord(c) - 0xdc00:02x})", ast.Span("<input>", line, column, line, column + 1),
                              "type the text in UTF-8 (or check the terminal's encoding)")
    return None


def run_script(lines: Iterable[str], session: Session, out: IO[str], err: IO[str]) -> int:
    """`allegiance < queries.txt`: entries as in the REPL, results on `out`, errors on `err`.
    Returns 0 when every entry succeeded, 2 when any failed (the others still run)."""
    status = 0
    buffer: list[str] = []

    def run(text: str) -> bool:
        nonlocal status
        output = dispatch(text, session)
        if output.text:
            print(printable.screen(output.text), file=out, flush=True)
        if output.error:
            status = 2
            print(printable.screen(output.error), file=err, flush=True)
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
