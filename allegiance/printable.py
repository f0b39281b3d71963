"""Printable text: every control character in text meant for people, escaped, as pgcli and `ls` do.

Stage: the last step of rendering, for every front end. Input: text (a table cell, a report, an
error, a whole screen of output). Output: the same text with each control character written as a
Datalog escape (`\\u001b`, `\\t`), so a value like "a\\u001b[31mRED" can neither recolour, move the
cursor of, or retitle the user's terminal, nor break the alignment of a table.

Escaped: the C0 and C1 control characters and DEL (Unicode category Cc), the line and paragraph
separators, the bidirectional embedding, override and isolate marks (they reorder what is shown),
and lone surrogates (bytes that were not UTF-8). `keep` names the characters left alone: a whole
screen keeps its line breaks, a table cell keeps nothing.
"""

from __future__ import annotations

import re
from typing import IO

_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(keep: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(keep)
    if pattern is None:
        kept = "".join(re.escape(c) for c in keep)
        pattern = re.compile(f"(?![{kept}])[{_CONTROL}]" if kept else f"[{_CONTROL}]")
        _PATTERNS[keep] = pattern
    return pattern


def _escape_one(match: re.Match[str]) -> str:
    c = match.group()
    return _NAMED.get(c) or f"\\u{ord(c):04x}"


def escape(text: str, keep: str = "") -> str:
    """`text` with each control character escaped, except those in `keep`."""
    return _pattern(keep).sub(_escape_one, text)


def screen(text: str) -> str:
    """A whole block of output: line breaks kept, every other control character escaped."""
    return escape(text, keep="\n")


def width_before(text: str, column: int) -> int:
    """How wide the first `column - 1` characters of `text` are once escaped (for carets)."""
    return len(escape(text[: max(0, column - 1)]))


class PrintableStream:
    """A text stream that escapes what is written to it (line breaks kept): wraps stdout and stderr
    for output meant for people."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(screen(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


__all__ = ["PrintableStream", "escape", "screen", "width_before"]
