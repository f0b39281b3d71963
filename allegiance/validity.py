"""Validity: when a statement held, as a period of days with inclusive bounds and open ends.

Stage: a value below curation's output and above nothing. Input: a statement's `valid_from` and
`valid_until` (provenance.StatementRecord). Output: `Period`s, which the timeline and the
explanations show in the statements' own words.

The point semantics (docs/language.md, "Time"): a statement counts at day D when its period covers
D. `on D` is [D, D], `between D1 and D2` is [D1, D2], `since D` is [D, open), `until D` is
(open, D]: both bounds are included. A statement without a qualifier is undated: it counts at every
day, and what rests on it is dated only by assumption.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .english import period_text


class Dated(Protocol):
    @property
    def valid_from(self) -> datetime.date | None: ...

    @property
    def valid_until(self) -> datetime.date | None: ...


@dataclass(frozen=True, order=True)
class Period:
    """Every day from `start` to `end`, both included; None is an open end (no bound that way)."""

    start: datetime.date | None
    end: datetime.date | None
    # a bound written as a month (`since 2015-10`): the same days, shown back as the month
    start_month: bool = field(default=False, compare=False)
    end_month: bool = field(default=False, compare=False)

    @property
    def always(self) -> bool:
        return self.start is None and self.end is None

    def covers(self, day: datetime.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def text(self) -> str:
        """In the qualifiers' words: `on D`, `in M`, `between D1 and D2`, `since D`, `until D`,
        `always`; a bound written as a month shows as that month (`2015-10`)."""
        return period_text(self.start, self.end, self.start_month, self.end_month)

    def json(self) -> dict[str, str | None]:
        """{"from": ISO date or None (open), "until": ISO date or None (open)}."""
        return {"from": self.start.isoformat() if self.start else None,
                "until": self.end.isoformat() if self.end else None}


def _ends(p: Period) -> tuple[datetime.date, datetime.date]:
    return p.start or datetime.date.min, p.end or datetime.date.max


def _period(start: datetime.date, end: datetime.date) -> Period:
    return Period(None if start == datetime.date.min else start, None if end == datetime.date.max else end)


def union(periods: Iterable[Period]) -> tuple[Period, ...]:
    """The same days as maximal periods, sorted (overlapping and adjacent ones merge)."""
    merged: list[tuple[datetime.date, datetime.date]] = []
    for start, end in sorted(_ends(p) for p in periods):
        if start > end:
            continue
        if merged and (merged[-1][1] == datetime.date.max or start <= merged[-1][1] + datetime.timedelta(days=1)):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(_period(start, end) for start, end in merged)


def intersection(a: Iterable[Period], b: Iterable[Period]) -> tuple[Period, ...]:
    """The days in both."""
    pieces = []
    for p in a:
        for q in b:
            (s1, e1), (s2, e2) = _ends(p), _ends(q)
            if max(s1, s2) <= min(e1, e2):
                pieces.append(_period(max(s1, s2), min(e1, e2)))
    return union(pieces)


ALWAYS = Period(None, None)


def validity(statement: Dated) -> Period:
    """The period a statement counts in (always, for an undated one), its month bounds as written."""
    return Period(statement.valid_from, statement.valid_until, getattr(statement, "month_from", False),
                  getattr(statement, "month_until", False))


def is_undated(statement: Dated) -> bool:
    return statement.valid_from is None and statement.valid_until is None


def validity_text(statement: Dated) -> str:
    """How `why` says when a statement held."""
    if is_undated(statement):
        return "undated: counts at every date"
    return f"held {validity(statement).text()}"


__all__ = ["ALWAYS", "Dated", "Period", "intersection", "is_undated", "union", "validity",
           "validity_text"]
