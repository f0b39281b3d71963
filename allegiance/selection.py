"""Selection: which statements count, under a trust policy, without some sources, at a date, as
known on a date.

Stage: between the state and the engine. Input: a `Selection` and a State (its statements,
imports' blocks, catalog and policies). Output: the state holding only the statements that count
(`select`), which the knowledge base evaluates like any other (kb.KnowledgeBase.under).

A statement counts under a selection when all of these hold (docs/language.md, "Selections"):
- trust:    the policy derives trusted(S) (trust.py; `all`, the default, trusts every statement);
- without:  its source is not one of the sources left out;
- at D:     its validity covers D. `on D` is [D, D], `between D1 and D2` is [D1, D2], `since D` is
            [D, open), `until D` is (open, D]: every bound is inclusive. A statement with no date
            counts at every date (the policy `dated` leaves such statements out);
- known on D: its source was published on or before D (a source with no date counts on every date);
- undated:  unless the selection leaves undated statements out (`undated=False`: what an answer at
            D would be without them, so that findings can say which rest on them).
Plain facts typed without provenance (rule files, REPL entries) are axioms: they always count.
An import's block of rows counts or not as a whole: its rows share their source and metadata.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import ast
from .catalog import Catalog
from .engines.base import Engine
from .errors import ParseError, StatementError, did_you_mean
from .provenance import StatementRecord
from .state import State
from .trust import DEFAULT, policies, trusted_ids, unknown_policy
from .validity import Period, is_undated


@dataclass(frozen=True)
class Selection:
    """What counts: a trust policy's name, sources left out, a valid-time date, a knowledge date,
    whether undated statements do. The default selects everything."""

    trust: str = DEFAULT
    without: frozenset[str] = frozenset()
    at: datetime.date | None = None
    known_on: datetime.date | None = None
    undated: bool = True

    @property
    def everything(self) -> bool:
        return self.trust == DEFAULT and not self.without and self.at is None and self.known_on is None \
            and self.undated

    def replace(self, **changes: object) -> Selection:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> str:
        """`trust reliable, without blog, at 2015-10-01, known on 2015-10-05` ("" for everything)."""
        parts = []
        if self.trust != DEFAULT:
            parts.append(f"trust {self.trust}")
        if self.without:
            parts.append(f"without {', '.join(sorted(self.without))}")
        if self.at is not None:
            parts.append(f"at {self.at.isoformat()}")
        if self.known_on is not None:
            parts.append(f"known on {self.known_on.isoformat()}")
        if not self.undated:
            parts.append("dated statements only")
        return ", ".join(parts)


EVERYTHING = Selection()


def time_json(selection: Selection | None) -> dict[str, str | None]:
    """{"at", "known_on"}: the valid-time and knowledge dates (ISO, null when not set) a JSON
    document was evaluated under, which every evaluating command's JSON records beside its own keys,
    so that a saved answer says what produced it (docs/language.md, "Selections")."""
    at = None if selection is None else selection.at
    known = None if selection is None else selection.known_on
    return {"at": at.isoformat() if at else None, "known_on": known.isoformat() if known else None}

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str, where: str = "<date>") -> datetime.date:
    """YYYY-MM-DD, or a ParseError whose span points into `text` as file `where` (render it with
    sources {where: text})."""
    stripped = text.strip()
    offset = len(text) - len(text.lstrip()) + 1
    match = _DATE.fullmatch(stripped)
    if match is None:
        return _bad_date(text, where, offset, len(stripped), "a date is written YYYY-MM-DD, e.g. 2015-10-05")
    year, month, day = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError as exc:
        column = offset + (5 if not 1 <= month <= 12 else 8)
        return _bad_date(text, where, column, 2, f"{exc}; a date is written YYYY-MM-DD")


def _bad_date(text: str, where: str, column: int, width: int, hint: str) -> datetime.date:
    span = ast.Span(where, 1, column, 1, column + max(width, 1))
    raise ParseError(f"not a date: {text.strip()!r}", span, hint)


# --- a check's own selection: `expect under P without S at D known on D ...` ---


def with_selectors(selection: Selection, selectors: Iterable[tuple[str, ast.Value]]) -> Selection:
    """A check's own `under`, `at` and `known on` replace the run's (--trust, --at, --known-on);
    its `without` sources add to the run's."""
    for kind, value in selectors:
        if kind == "under":
            selection = selection.replace(trust=value)
        elif kind == "without":
            selection = selection.replace(without=selection.without | {value})
        else:
            selection = selection.replace(**{kind: value})
    return selection


def selectors_text(selectors: Iterable[tuple[str, ast.Value]]) -> str:
    """`under reliable at 2015-10-06 ` as a check file writes them (a trailing blank when any)."""
    words = {"under": "under", "without": "without", "at": "at", "known_on": "known on"}
    return "".join(f"{words[kind]} {ast.format_value(value)} " for kind, value in selectors)


# --- which statements count ------------------------------------------------------------------------


def covers(valid_from: datetime.date | None, valid_until: datetime.date | None, at: datetime.date) -> bool:
    """Whether a statement valid from `valid_from` until `valid_until` (both inclusive, None
    open) holds on `at`."""
    return Period(valid_from, valid_until).covers(at)


def known_on(source: str, catalog: Catalog, date: datetime.date, reported_on: datetime.date | None = None) -> bool:
    """Whether a statement of `source` was known on `date`: reported then or before (its own
    `reported on` date where it has one, else its source's publication date), or undated."""
    if reported_on is not None:
        return reported_on <= date
    found = catalog.sources.get(source)
    return found is None or found.date is None or found.date <= date


def validate(selection: Selection, state: State) -> None:
    """An unknown policy or source is a mistake, with a did-you-mean."""
    known = policies(state.declarations)
    if selection.trust not in known:
        raise unknown_policy(selection.trust, known)
    for source in sorted(selection.without):
        if source not in state.catalog.sources:
            raise StatementError(f"unknown source {source}", None,
                                 did_you_mean(source, state.catalog.sources) or _listing("sources", state.catalog.sources))


def _listing(what: str, names: Iterable[str], most: int = 8) -> str:
    ordered = sorted(names)
    more = f", ... ({len(ordered)} in all)" if len(ordered) > most else ""
    return f"{what}: {', '.join(ordered[:most])}{more}" if ordered else f"there are no {what}"


def counting(selection: Selection, records: Iterable[StatementRecord], catalog: Catalog,
             trusted: Callable[[list[StatementRecord]], frozenset[str]] | None) -> list[StatementRecord]:
    """The records that count under `selection`; `trusted` gives the ids the policy trusts (None:
    every one, the default policy)."""
    kept = [r for r in records if r.source not in selection.without
            and (selection.undated or not is_undated(r))
            and (selection.at is None or covers(r.valid_from, r.valid_until, selection.at))
            and (selection.known_on is None or known_on(r.source, catalog, selection.known_on, r.reported_on))]
    if trusted is None or not kept:
        return kept
    ids = trusted(kept)
    return [r for r in kept if r.id in ids]


def select(state: State, selection: Selection, make_engine: Callable[[], Engine]) -> State:
    """The state holding only what counts under `selection`: its statements, the blocks that
    count (judged by their first row), every plain fact, rule and declaration. `make_engine` makes
    the fresh engine a policy is evaluated on."""
    validate(selection, state)
    policy = None if selection.trust == DEFAULT else policies(state.declarations)[selection.trust]

    def trusted(records: list[StatementRecord]) -> frozenset[str]:
        assert policy is not None
        return trusted_ids(policy, records, state.catalog, make_engine)

    # one list, so that the policy runs once: each block stands for itself by its first row
    firsts = {id(b): b.record(1) for b in state.blocks if b.count}
    kept = counting(selection, [*state.statements, *firsts.values()], state.catalog, None if policy is None else trusted)
    kept_ids = {r.id for r in kept}
    new = state.copy()
    new.statements = [r for r in state.statements if r.id in kept_ids]
    new.blocks = [b for b in state.blocks if id(b) in firsts and firsts[id(b)].id in kept_ids]
    return new


__all__ = ["EVERYTHING", "Selection", "counting", "covers", "known_on", "parse_date", "select",
           "selectors_text", "time_json", "validate", "with_selectors"]
