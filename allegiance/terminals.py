"""The grammar's terminals as regular expressions, for the code that must look at text before (or
without) parsing it: the REPL's entry lexing and completion, and the highlighter.

Stage: none of its own (a helper of the front ends). Input: grammar.lark's terminal definitions,
read once at import. Output: regular-expression source strings. Nothing here is a second copy of the
syntax: each pattern is taken from grammar.lark, or cut from one, so a change to a terminal there
changes every user of it (tests/test_terminals.py checks the cuts still mean what they say).
"""

from __future__ import annotations

import re
from pathlib import Path

GRAMMAR = Path(__file__).with_name("grammar.lark")

# `NAME.priority: /regex/` lines of grammar.lark (literal "..." terminals are not needed here)
_TERMINAL = re.compile(r"^([A-Z_]+)(?:\.\d+)?:[ \t]*/(.*)/[ \t]*$", re.MULTILINE)
_PATTERNS = {m.group(1): m.group(2) for m in _TERMINAL.finditer(GRAMMAR.read_text(encoding="utf-8"))}


def pattern(name: str) -> str:
    """The regex of grammar.lark's terminal `name` (a KeyError names a terminal that is not there)."""
    return _PATTERNS[name]


DATE = pattern("DATE")
NUMBER = f"{pattern('DECIMAL')}|{pattern('INT')}"

# The qualifiers a statement may carry, in grammar.lark's order (rule `qualifier_body`).
QUALIFIERS = ("ASSERTER", "ON_DATE", "BETWEEN_DATES", "SINCE_DATE", "UNTIL_DATE", "IN_MONTH", "REPORTED_ON",
              "CREDIBILITY", "QUOTING", "FROM_SOURCE")
_END = r"(?![\w-])"  # how each qualifier terminal ends: not inside a longer word
# The day-or-month of since/until/between and the month of `in`, cut from grammar.lark's IN_MONTH and
# SINCE_DATE; _MONTH_NAME is the English month's words there.
_MONTH = pattern("IN_MONTH").removeprefix(r"in\s+").removesuffix(_END)
_MONTH_NAME = _MONTH[_MONTH.index("|") + 1:].removesuffix(r"\s+\d{4})")
DAY_OR_MONTH = pattern("SINCE_DATE").removeprefix(r"since\s+").removesuffix(_END)
# how far a day or month is typed before a qualifier counts: `2015-`, `October 2`
_WHEN_STARTED = r"(?:\d{4}-|" + _MONTH_NAME + r"\s+\d)"


def qualifier_started(name: str) -> str:
    """Qualifier terminal `name` as far as it tells a qualifier while it is being typed: its own
    pattern without the end, cut after the first characters of its date or number, so that
    `on 2015-` already counts (the REPL waits for the rest of the statement) and `on monday` not."""
    found = pattern(name)
    assert found.endswith(_END), name  # every qualifier ends so; a change in grammar.lark must show here
    found = found.removesuffix(_END)
    for when in (DAY_OR_MONTH, _MONTH):
        if when in found:
            return found[: found.index(when)] + _WHEN_STARTED
    for value, start in ((DATE.removesuffix(r"(?![\w])"), r"\d{4}-"), (r"\d+", r"\d")):
        if value in found:
            return found[: found.index(value)] + start
    return found


# Any qualifier, complete: a statement (not a query) follows.
QUALIFIER = "|".join(f"(?:{pattern(n)})" for n in QUALIFIERS)
# Any qualifier as it is being typed (see qualifier_started), as a word of its own.
QUALIFIER_STARTED = r"\b(?:" + "|".join(qualifier_started(n) for n in QUALIFIERS) + ")"

# The start of grammar.lark's SENTENCE (a controlled-English statement): a capitalised word, blanks,
# and no Datalog punctuation next. Cut from SENTENCE, with blanks added to what may not come next:
# the REPL matches only this start, and `[ \t]+` would otherwise give back a blank to let `Ally (`
# through.
_SENTENCE = pattern("SENTENCE")
_LOOKAHEAD = _SENTENCE.index("(?![")
SENTENCE_START = _SENTENCE[: _SENTENCE.index("])", _LOOKAHEAD)] + r"\s])"

__all__ = ["DATE", "DAY_OR_MONTH", "GRAMMAR", "NUMBER", "QUALIFIER", "QUALIFIERS", "QUALIFIER_STARTED", "SENTENCE_START",
           "pattern", "qualifier_started"]
