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
interval difference there, so nothing is evaluated once per date. A second evaluation without the
undated statements shows where an answer rests on them.
"""

from __future__ import annotations

import bisect
import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import ast
from .analysis import check_query
from .analysis.checked import CheckedProgram, CheckedQuery, Stratum
from .engines.base import Annotated, Interval, coalesce
from .errors import QueryError
from .kb import KnowledgeBase, sort_rows
from .parse import parse_query
from .provenance import StatementRecord, catalog_facts, record_facts
from .selection import Selection
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
Spans = dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]]


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
    if selection is not None and selection.at is not None:
        raise QueryError(f"a timeline covers every date: it takes no date of validity (at {selection.at})", None,
                         "leave out the date of validity (--at): the timeline shows on which dates each answer holds")
    kb = kb.under(selection)
    if isinstance(text, str):
        text = whole_relation(kb, text) or text
    query = parse_query(text, dialect=kb.dialect) if isinstance(text, str) else text
    checked = check_query(query, kb.program)
    statements = [r for r in kb.file_statements if kb.is_base(r.fact_sym, r.row)]  # retracted ones aside
    segments = Segments(Period(r.valid_from, r.valid_until) for r in statements if not is_undated(r))
    plain = _plain_facts(kb)
    dated: Spans = {}
    undated: Facts = {}
    for r in statements:
        if is_undated(r):
            for sym, row in record_facts(r):
                undated.setdefault(sym, set()).add(row)
        else:
            lo, hi = segments.interval(Period(r.valid_from, r.valid_until))
            for sym, row in record_facts(r):
                dated.setdefault(sym, []).append((row, lo, hi))
    blocks = _block_facts(kb)
    program = relevant(kb.program, checked)
    keep = set(program.types)
    plain, undated, blocks = (_only(keep, part) for part in (plain, undated, blocks))
    dated = {sym: spans for sym, spans in dated.items() if sym in keep}
    everything = _merged(plain, undated, blocks)
    found = kb.engine.annotated_query(program, everything, Annotated(segments.size, dated), checked)
    leaning: dict[ast.Row, tuple[Interval, ...]] = {}
    if found and (undated or blocks):
        alone = kb.engine.annotated_query(program, plain, Annotated(segments.size, dated), checked)
        leaning = {row: _minus(spans, alone.get(row, ())) for row, spans in found.items()}
    answers = []
    for row in sort_rows(found):
        answers.append(Held(row, tuple(segments.period(i) for i in found[row]),
                            tuple(segments.period(i) for i in leaning.get(row, ()))))
    label = text if isinstance(text, str) else str(query)
    return Timeline(label.strip(), checked.variables, tuple(answers))


def relevant(program: CheckedProgram, query: CheckedQuery) -> CheckedProgram:
    """The part of the program the query reads: the predicates its rules reach through rule
    bodies, their rules and strata (answers depend on nothing else, and each evaluation costs per
    relation)."""
    by_head: dict[ast.PredicateSym, list[ast.Rule]] = {}
    for rule in program.rules:
        by_head.setdefault(rule.head.sym, []).append(rule)
    goals = {rule.head.sym for rule in query.rules}
    todo = [sym for rule in query.rules for sym in _reads(rule) if sym not in goals]
    seen: set[ast.PredicateSym] = set()
    while todo:
        sym = todo.pop()
        if sym in seen:
            continue
        seen.add(sym)
        for rule in by_head.get(sym, ()):
            todo.extend(_reads(rule))
    strata = tuple(Stratum(s.predicates & seen, tuple(r for r in s.rules if r.head.sym in seen), s.recursive)
                   for s in program.strata if s.predicates & seen)
    return CheckedProgram(tuple(r for r in program.rules if r.head.sym in seen), strata,
                          {sym: t for sym, t in program.types.items() if sym in seen}, program.warnings)


def _reads(rule: ast.Rule) -> list[ast.PredicateSym]:
    return [lit.sym if isinstance(lit, ast.Atom) else lit.atom.sym
            for lit in rule.body if isinstance(lit, (ast.Atom, ast.NegLiteral))]


def _only(keep: set[ast.PredicateSym], facts: Facts) -> Facts:
    return {sym: rows for sym, rows in facts.items() if sym in keep}


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


def _block_facts(kb: KnowledgeBase) -> Facts:
    """The facts of imports: their rows have no qualifiers, so they are undated statements."""
    facts: Facts = {}
    for block in kb.blocks:
        for sym, rows in kb.state.bulk(block).facts().items():
            facts.setdefault(sym, set()).update(tuple(r) for r in rows)
    return facts


def _merged(*parts: Facts) -> Facts:
    out: Facts = {}
    for part in parts:
        for sym, rows in part.items():
            out.setdefault(sym, set()).update(rows)
    return out


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


__all__ = ["Held", "Segments", "Timeline", "statements_at", "timeline", "whole_relation"]
