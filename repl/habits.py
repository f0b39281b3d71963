"""Habits from other toplevels: an entry a SWI-Prolog, sqlite or psql user types out of habit ->
the command that does it here.

Input: the text of one entry, the names of the knowledge base's predicates and of the REPL's
commands (commands.py's registry, aliases included). Output: a hint
naming the command, or None when the entry is not such a habit (or is a real predicate of this
knowledge base: `help(X)` stays a query where `help/1` exists).

Without this, `halt.` is a bare parse error and `listing(ally).` adds the fact listing(ally); and
`why ally(a, b)`, as the command line spells it (`allegiance why FACT`), was "unexpected 'ally'".
"""

from __future__ import annotations

import re
from collections.abc import Container

_NAME = r"[a-z][A-Za-z0-9_]*(?:/\d+)?"
_FILE = r"'[^']*'|\"[^\"]*\"|[A-Za-z0-9_./~-]+"

# (the whole entry, the command it means, what else to say); group 1 is the predicate it would be
_HABITS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(halt|quit|exit|bye)\s*\.?|\\q"), ":quit", " (or Ctrl-D)"),
    (re.compile(r"(help|apropos)(?:\s*\(\s*(?P<arg>[^()]*?)\s*\))?\s*\.?"), ":help", ""),
    (re.compile(rf"(listing)(?:\s*\(\s*(?P<arg>{_NAME})\s*\))?\s*\.?"), ":rules", ""),
    (re.compile(rf"(consult)\s*\(\s*(?P<arg>{_FILE})\s*\)\s*\.?"), ":load", ""),
    (re.compile(rf"()\[\s*(?P<arg>{_FILE})\s*\]\s*\.?"), ":load", ""),
)


# a word and its arguments: a command of the REPL typed without its colon, as `allegiance why FACT`
# spells it on the command line
_BARE_COMMAND = re.compile(r"([a-z]+)\s+(?P<arg>\S.*)", re.DOTALL)


def prolog_habit(text: str, predicates: Container[str], commands: Container[str] = ()) -> str | None:
    """`listing(ally).` -> "... here, type :rules ally"; with `commands` (the REPL's command names),
    `why ally(a, b)` -> "... type :why ally(a, b)"; None for anything else."""
    entry = text.strip()
    bare = _BARE_COMMAND.fullmatch(entry)
    if bare is not None and bare.group(1) in commands and bare.group(1) not in predicates:
        return f"{bare.group(1)} is a command here, typed with a colon: type :{bare.group(1)} {bare.group('arg')}"
    for pattern, command, extra in _HABITS:
        match = pattern.fullmatch(entry)
        if match is None:
            continue
        if match.group(1) and match.group(1) in predicates:
            return None  # the knowledge base's own predicate: the entry means what it says
        arg = (match.groupdict().get("arg") or "").strip().strip("'\"").lstrip(":")
        typed = f"{command} {arg}".rstrip()
        return f"{entry} is a habit from another toplevel; here, type {typed}{extra}"
    return None


__all__ = ["prolog_habit"]
