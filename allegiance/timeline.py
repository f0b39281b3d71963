"""Timelines: for each answer of a query, the maximal periods over which it holds (valid time).

Stage: a reading of the knowledge base, beside `KnowledgeBase.query`. Input: a KnowledgeBase and a
query (text or ast.Query). Output: a `Timeline`: each answer with its maximal periods of days
(validity.Period, open ends as None) and the parts of them where it holds only because undated
statements count.

The point semantics (validity.py): at day D the statements whose period covers D count (undated
ones always); a fact holds at D when a counting statement states it, plain facts (rule files, the
catalog's metadata) always; derived facts are those that follow from the facts holding at D. A
statement's metadata (`status(S, ...)`, `valid_from(S, ...)`...) holds when the statement counts.

How: the distinct bounds cut the days into elementary segments (between two cuts no statement
starts or stops counting), numbered 0..size-1 with open ends at both sides; each statement's facts
hold on an interval of segments, and the engine's interval-annotated evaluation
(Engine.annotated_query) gives each answer's segments, which map back to days. Negation is
interval difference there, so nothing is evaluated once per date. Where undated statements count,
the domain holds every segment twice, with and without them (Timing), so the same evaluation
shows where an answer rests on them. The statements' facts on segments are made once per state of
the knowledge base; `timelines` answers several queries from one evaluation of what they read.
"""

from __future__ import annotations

import bisect
import datetime
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import ast
from .analysis import CheckedQuery, check_query
from .engines.base import Annotated, Interval, coalesce
from .errors import QueryError
from .kb import KnowledgeBase, sort_rows
from .parse import parse_query
from .provenance import StatementRecord, catalog_facts
from .selection import Selection
from .support import PerState, body_preds, cone, kept_query, per_state
from .validity import Period, is_undated

ONE_DAY = datetime.timedelta(days=1)


# --- days <-> elementary segments --------------------------------------------------------------------


class Segments:
    """The days cut at every statement's bounds: segment 0 runs from the open past to the day before
    the first cut, segment i from cut i-1 to the day before cut i, the last one to the open future.
    A cut is a first day (a `valid_from`, or the day after a `valid_until`)."""

    def __init__(self, periods: Iterable[Period]) -> None:
        cuts: set[datetime.date] = set()
        for p in periods:
            if p.start is not None and p.start != datetime.date.min:
                cuts.add(p.start)
            if p.end is not None and p.end != datetime.date.max:
                cuts.add(p.end + ONE_DAY)
        self.cuts = sorted(cuts)

    @property
    def size(self) -> int:
        return len(self.cuts) + 1

    def segment(self, day: datetime.date) -> int:
        """The segment holding `day`."""
        return bisect.bisect_right(self.cuts, day)

    def interval(self, period: Period) -> Interval:
        """The segments a period covers (lo > hi when it is empty)."""
        lo = 0 if period.start is None else self.segment(period.start)
        hi = self.size - 1 if period.end is None or period.end == datetime.date.max else self.segment(period.end + ONE_DAY) - 1
        return lo, hi

    def period(self, interval: Interval) -> Period:
        """The days of segments lo..hi."""
        lo, hi = interval
        start = None if lo == 0 else self.cuts[lo - 1]
        end = None if hi == self.size - 1 else self.cuts[hi] - ONE_DAY
        return Period(start, end)


# --- the timeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """One answer: the maximal periods it holds over (sorted, disjoint, not adjacent), and the parts
    of them where it holds only when undated statements count (empty: dated throughout)."""

    row: ast.Row
    periods: tuple[Period, ...]
    undated: tuple[Period, ...] = ()

    def undated_within(self, period: Period) -> tuple[Period, ...]:
        return tuple(u for u in self.undated if _inside(u, period))


def _inside(inner: Period, outer: Period) -> bool:
    starts = outer.start is None or (inner.start is not None and outer.start <= inner.start)
    ends = outer.end is None or (inner.end is not None and inner.end <= outer.end)
    return starts and ends


@dataclass(frozen=True)
class Timeline:
    """A query's answers over time, sorted by answer."""

    query: str
    variables: tuple[str, ...]
    answers: tuple[Held, ...]

    def __bool__(self) -> bool:
        return bool(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    def at(self, day: datetime.date) -> list[ast.Row]:
        """The answers that hold on `day`."""
        return [h.row for h in self.answers if any(p.covers(day) for p in h.periods)]


Facts = dict[ast.PredicateSym, set[ast.Row]]


_NAME = re.compile(r"([a-z][A-Za-z0-9_]*)(?:/([0-9]+))?")


def whole_relation(kb: KnowledgeBase, text: str) -> str | None:
    """A relation's name alone asks for all of it: `help_while_striking` (or `.../2`) ->
    `help_while_striking(Actor, Side)`, its variables named after the declared parameters."""
    match = _NAME.fullmatch(text.strip())
    if match is None:
        return None
    name, arity = match.groups()
    syms = [p for p in kb.predicates() if p.name == name and (arity is None or p.arity == int(arity))]
    if len(syms) != 1 or syms[0].arity == 0:
        return None
    sym = syms[0]
    declared = {r.sym: r for r in (*kb.catalog.relations.values(), *kb.inconsistency_relations())}
    names = [p.name[:1].upper() + p.name[1:] for p in declared[sym].params] if sym in declared else []
    if len(set(names)) != sym.arity or not all(re.fullmatch(r"[A-Z][A-Za-z0-9_]*", n) for n in names):
        names = [f"X{i + 1}" for i in range(sym.arity)]
    return f"{name}({', '.join(names)})"


def timeline(kb: KnowledgeBase, text: str | ast.Query, selection: Selection | None = None) -> Timeline:
    """Each answer of the query with the maximal periods over which it holds; a relation's name
    alone (`help_while_striking`) stands for all of it. Under a selection (a trust policy, sources
    left out, what was known on a date), only the statements that count under it; a date of
    validity (`at`) has no place in a timeline, which covers every date."""
    return timelines(kb, [text], selection)[0]


def timelines(kb: KnowledgeBase, texts: Sequence[str | ast.Query], selection: Selection | None = None) -> list[Timeline]:
    """`timeline` of each query, in order, from one evaluation of the relations they read together
    (the timelines of every inconsistency relation share their premises: `ally`, `hostile`...)."""
    if selection is not None and selection.at is not None:
        raise QueryError(f"a timeline covers every date: it takes no date of validity (at {selection.at})", None,
                         "leave out the date of validity (--at): the timeline shows on which dates each answer holds")
    kb = kb.under(selection)
    texts = [whole_relation(kb, text) or text if isinstance(text, str) else text for text in texts]
    queries = [parse_query(text, dialect=kb.dialect) if isinstance(text, str) else text for text in texts]
    checked = [check_query(query, kb.program) for query in queries]
    t = timing(kb)
    if len(checked) == 1:
        # the part of the program the query reads, over the facts of its relations
        part = cone(kb.program, _reads(checked[0]))
        needed = set(part.types)
        plain = {sym: rows for sym, rows in t.plain.items() if sym in needed}
        facts = {sym: spans for sym, spans in t.annotated.facts.items() if sym in needed}
        found = [kb.engine.annotated_query(part, plain, Annotated(t.annotated.size, facts), checked[0])]
    else:
        # every relation any of them reads, from one evaluation (only those read back); then each
        # query over them
        reads = set().union(*(_reads(c) for c in checked))
        part = cone(kb.program, reads)
        needed = set(part.types)
        plain = {sym: rows for sym, rows in t.plain.items() if sym in needed}
        facts = {sym: spans for sym, spans in t.annotated.facts.items() if sym in needed}
        kept = _Kept(t.plain, t.annotated, kb.engine.annotated_relations(
            part, plain, Annotated(t.annotated.size, facts), reads & part.derived))
        found = [kept_query(kb.program, kb.engine, kept, c) for c in checked]
    return [_timeline(t, text if isinstance(text, str) else str(query), c, held)
            for text, query, c, held in zip(texts, queries, checked, found, strict=True)]


def _reads(query: CheckedQuery) -> set[ast.PredicateSym]:
    own = {rule.head.sym for rule in query.rules}
    return {sym for rule in query.rules for sym in body_preds(rule)} - own


def _timeline(t: Timing, label: str, checked: CheckedQuery, held: dict[ast.Row, tuple[Interval, ...]]) -> Timeline:
    """The answers' segments as periods: where the domain is doubled, the first half is the
    timeline and what the second half lacks of it rests on undated statements."""
    size = t.segments.size
    answers = []
    for row in sort_rows(held):
        spans = held[row]
        found = _clip(spans, 0, size - 1)
        if not found:
            continue  # holds only where undated statements are left out (under negation)
        leaning = _minus(found, _clip(spans, size, 2 * size - 1)) if t.doubled else ()
        answers.append(Held(row, tuple(t.segments.period(i) for i in found),
                            tuple(t.segments.period(i) for i in leaning)))
    return Timeline(label.strip(), checked.variables, tuple(answers))


@dataclass(frozen=True)
class _Kept:
    """support.Kept over a Timing's facts, for one call of `timelines`: what it has evaluated."""

    plain: Facts
    annotated: Annotated
    derived: dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]] = field(default_factory=dict)
    base: dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]] = field(default_factory=dict)


# --- one state over valid time, kept -----------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One state of a knowledge base over valid time: its facts on elementary segments, made once
    and shared by the timelines of every query until the state changes.

    Where undated statements (or imports) count, the domain is doubled: point i is segment i with
    them and point size+i segment i without them, so one evaluation gives both the timeline and
    the parts of it that rest on undated statements (each point is evaluated on its own: the two
    halves never mix)."""

    segments: Segments
    doubled: bool
    plain: Facts
    annotated: Annotated


_timed: PerState[Timing] = weakref.WeakKeyDictionary()


def timing(kb: KnowledgeBase) -> Timing:
    """The knowledge base's current state over valid time (kept until the state changes)."""
    return per_state(_timed, kb, lambda: _time(kb))


def _time(kb: KnowledgeBase) -> Timing:
    statements = [r for r in kb.file_statements if kb.is_base(r.fact_sym, r.row)]  # retracted ones aside
    segments = Segments(Period(r.valid_from, r.valid_until) for r in statements if not is_undated(r))
    size = segments.size
    dated: list[tuple[ast.PredicateSym, ast.Row, int, int]] = []
    undated: list[tuple[ast.PredicateSym, ast.Row]] = []
    order = kb.state.grade_order()
    for r in statements:  # the statement's facts, its metadata and strength, when it holds
        if is_undated(r):
            undated += kb.state.statement_facts(r, order)
        else:
            lo, hi = segments.interval(Period(r.valid_from, r.valid_until))
            dated += [(sym, row, lo, hi) for sym, row in kb.state.statement_facts(r, order)]
    for block in kb.blocks:  # imports' rows have no qualifiers: undated statements
        for sym, rows in kb.state.bulk(block).facts().items():
            undated += [(sym, tuple(row)) for row in rows]
    doubled = bool(undated)
    facts: dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]] = {}
    for sym, row, lo, hi in dated:
        spans = facts.setdefault(sym, [])
        spans.append((row, lo, hi))
        if doubled:
            spans.append((row, size + lo, size + hi))
    for sym, row in undated:
        facts.setdefault(sym, []).append((row, 0, size - 1))
    return Timing(segments, doubled, _plain_facts(kb), Annotated(2 * size if doubled else size, facts))


def _clip(spans: Sequence[Interval], lo: int, hi: int) -> tuple[Interval, ...]:
    """The parts of `spans` within lo..hi, moved down by lo."""
    return tuple((max(a, lo) - lo, min(b, hi) - lo) for a, b in spans if a <= hi and b >= lo)


def _plain_facts(kb: KnowledgeBase) -> Facts:
    """Facts that hold at every date and are no statement's: rule files' facts, the catalog's."""
    facts: Facts = {}
    for sym, rows in kb.plain_facts.items():
        for row in rows:
            if kb.is_base(sym, row):
                facts.setdefault(sym, set()).add(row)
    for sym, row in catalog_facts(kb.catalog):
        if kb.is_base(sym, row):
            facts.setdefault(sym, set()).add(row)
    return facts


def _minus(spans: Sequence[Interval], taken: Sequence[Interval]) -> tuple[Interval, ...]:
    """The points of `spans` outside `taken` (both sorted and disjoint), as maximal intervals."""
    out: list[Interval] = []
    for lo, hi in spans:
        start = lo
        for tlo, thi in taken:
            if thi < start or tlo > hi:
                continue
            if tlo > start:
                out.append((start, tlo - 1))
            start = max(start, thi + 1)
        if start <= hi:
            out.append((start, hi))
    return coalesce(out)


def statements_at(statements: Iterable[StatementRecord], day: datetime.date) -> list[StatementRecord]:
    """The statements that count on `day` (undated ones always)."""
    return [r for r in statements if Period(r.valid_from, r.valid_until).covers(day)]


__all__ = ["Held", "Segments", "Timeline", "Timing", "statements_at", "timeline", "timelines", "timing", "whole_relation"]
