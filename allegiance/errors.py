"""Every error allegiance raises for a user's mistake. One root, so a front end catches one class.

    AllegianceError                 root; carries an optional Span and a hint
     +-- ParseError                 text the grammar cannot read            code: parse_error
     +-- CheckError                 the program reads but is not valid
     |    +-- ArityError            p/2 used as p/3                         code: arity_mismatch
     |    +-- UnsafeVariableError   a head, negated or compared variable no positive atom binds
     |    |                                                                 code: unbound_variable
     |    +-- WildcardInHeadError   `_` in a head                           code: safety_violations
     |    +-- StratificationError   negation inside its own cycle           code: cyclic_negation
     |    +-- UnknownPredicateError a body or query names no known predicate code: unknown_predicate
     |    +-- StatementError        an unknown entity, relation, phrase or source in a fact file
     |                                                                      code: statement_error
     +-- LoadError                  a file that cannot be read (missing, directory, bad UTF-8, too big)
     |                                                                      code: load_error
     +-- QueryError                 evaluation failed                       code: query_error
          +-- QueryTimeout          the time limit ran out                  code: timeout
          +-- QueryInterrupted      Ctrl-C                                  code: interrupted
          +-- MemoryLimitError      a relation grew past the memory limit   code: memory_limit

`ErrorGroup` bundles several errors of one file so a loader can report all of them at once
(`bundle(errors)` makes the one error to raise from a list).
`render(error, source_text)` draws `file:line:col: message`, the source line and a caret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from . import printable
from .ast import Span


class AllegianceError(Exception):
    code = "allegiance_error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class ParseError(AllegianceError):
    code = "parse_error"


class CheckError(AllegianceError):
    code = "check_error"


class ArityError(CheckError):
    code = "arity_mismatch"


class UnsafeVariableError(CheckError):
    code = "unbound_variable"


class WildcardInHeadError(CheckError):
    code = "safety_violations"


class StratificationError(CheckError):
    code = "cyclic_negation"


class UnknownPredicateError(CheckError):
    code = "unknown_predicate"


class StatementError(CheckError):
    code = "statement_error"


class LoadError(AllegianceError):
    code = "load_error"


class QueryError(AllegianceError):
    code = "query_error"


class QueryTimeout(QueryError):
    code = "timeout"


class QueryInterrupted(QueryError):
    code = "interrupted"


class MemoryLimitError(QueryError):
    code = "memory_limit"


class ErrorGroup(AllegianceError):
    """Several errors found in one pass; `errors` keeps them in source order."""

    code = "errors"

    def __init__(self, errors: Sequence[AllegianceError]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(f"{len(self.errors)} errors; first: {first.message}", first.span)
        # Callers that match on one code (the conformance suite, scripts) see the first error's.
        self.code = first.code

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def flatten(error: AllegianceError) -> list[AllegianceError]:
    return list(error.errors) if isinstance(error, ErrorGroup) else [error]


def bundle(errors: Iterable[AllegianceError]) -> AllegianceError:
    """Errors as one to raise: groups flattened, sorted by place, the same message once."""
    flat: list[AllegianceError] = []
    for err in errors:
        flat.extend(flatten(err))
    flat.sort(key=lambda e: (e.span.file, e.span.line, e.span.column) if e.span else ("", 0, 0))
    unique = list({str(e): e for e in flat}.values())
    return unique[0] if len(unique) == 1 else ErrorGroup(unique)


def render(error: AllegianceError, sources: dict[str, str] | None = None) -> str:
    """`file:line:col: message`, the offending source line and a caret under the column.

    `sources` maps file names to their text; without the text only the first line is drawn."""
    parts: list[str] = []
    for err in flatten(error):
        parts.append(_render_one(err, sources or {}))
    return "\n".join(parts)


def _render_one(err: AllegianceError, sources: dict[str, str]) -> str:
    if err.span is None:
        head = f"error: {err.message}"
        return head + (f"\n    hint: {err.hint}" if err.hint else "")
    span = err.span
    lines = [f"{span}: {_shortened(err.message)}"]
    text = sources.get(span.file)
    if text is None:
        text = _read_quietly(span.file)
    if text is not None:
        source_lines = text.splitlines()
        if 1 <= span.line <= len(source_lines):
            raw = source_lines[span.line - 1].replace("\t", " ")
            raw, span = _window(raw, span)
            # the line as printed: control characters escaped, the caret moved to match
            lines.append(f"    {printable.escape(raw)}")
            start = printable.width_before(raw, span.column)
            width = 1
            if span.end_line == span.line and span.end_column > span.column:
                width = printable.width_before(raw, span.end_column) - start
            lines.append("    " + " " * start + "^" * max(1, min(width, 60)))
    if err.hint:
        lines.append(f"    {err.hint}")
    return "\n".join(lines)


# A source line or message longer than this is cut (a 1 MB string was printed twice, whole).
_LONG = 300


def _shortened(message: str) -> str:
    """A message quoting a huge value keeps its start and end, and says how much is left out."""
    if len(message) <= _LONG:
        return message
    keep = _LONG // 2
    return f"{message[:keep]} ... ({len(message) - 2 * keep:,} characters left out) ... {message[-keep:]}"


def _window(raw: str, span: Span) -> tuple[str, Span]:
    """At most _LONG characters of a long line, around the caret, with the span moved to match."""
    if len(raw) <= _LONG:
        return raw, span
    start = max(0, min(span.column - 1 - _LONG // 3, len(raw) - _LONG))
    cut = raw[start:start + _LONG]
    prefix = "... " if start else ""
    suffix = " ..." if start + _LONG < len(raw) else ""
    shift = start - len(prefix)
    end_column = span.end_column - shift if span.end_line == span.line else span.end_column
    moved = Span(span.file, span.line, span.column - shift, span.end_line, min(end_column, len(prefix + cut) + 1))
    return prefix + cut + suffix, moved


def _read_quietly(file: str) -> str | None:
    """The text of a file an error points into, when the caller did not keep it."""
    from pathlib import Path

    try:
        path = Path(file)
        if path.is_file() and path.stat().st_size < 64 * 1024 * 1024:
            return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass
    return None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """`did you mean 'ally'?` for the closest candidate, or None when nothing is close."""
    import difflib

    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f"did you mean '{close[0]}'?" if close else None
