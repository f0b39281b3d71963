"""Commands suggested in messages, worded for the front end that shows them.

Stage: rendering (the words every stage speaks: a leaf). Input: a message, hint or rendered proof
from the core, where a suggested command is written in backquotes with its bare name:
"Ask `whynot ally(a, b)` for what comes closest." Output: the same text as the command line says it
("`allegiance whynot 'ally(a, b)'`", the argument quoted for the shell) or as the REPL does
("`:whynot ally(a, b)`"). A query suggested as `query Q` is `allegiance query 'Q'` on the
command line and just `Q` at the prompt. The core never names a front end's spelling, so the same
message reads right in both (issue 16, item 16: the REPL suggested `whynot`, the command line a
bare `whynot FACT`), nested in a proof tree or not.
"""

from __future__ import annotations

import re
import shlex

# the commands both front ends have, by the same name; QUOTED take a fact or query (one shell word)
COMMANDS = ("why", "whynot", "query", "import")
QUOTED = ("why", "whynot", "query")
_SUGGESTION = re.compile(r"`(" + "|".join(COMMANDS) + r") ([^`\n]+)`")


def for_cli(text: str) -> str:
    """Each suggested command as `allegiance COMMAND ARGUMENT`."""
    def word(m: re.Match[str]) -> str:
        command, argument = m.groups()
        return f"`allegiance {command} {shlex.quote(argument) if command in QUOTED else argument}`"

    return _SUGGESTION.sub(word, text)


def for_repl(text: str) -> str:
    """Each suggested command as the REPL's `:COMMAND ARGUMENT` (a query as itself)."""
    def word(m: re.Match[str]) -> str:
        command, argument = m.groups()
        return f"`{argument}`" if command == "query" else f"`:{command} {argument}`"

    return _SUGGESTION.sub(word, text)


__all__ = ["COMMANDS", "for_cli", "for_repl"]
