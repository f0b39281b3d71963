"""The Engine interface: what every evaluator offers the knowledge base.

Input: an `analysis.CheckedProgram` and base facts as rows of plain values (str, int, float,
datetime.date). Output: relations and query answers as sets/lists of rows of the same values, so a
row goes in and comes out unchanged (`"1"` stays a string, `1` an int, a date a date).
Engines never see text: no clause, name or constant reaches them other than as an object.
"""

from __future__ import annotations

import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Protocol

from .. import ast
from ..analysis.checked import CheckedProgram, CheckedQuery
from ..ast import PredicateSym, Row, Value, row_sort_key
from ..errors import QueryTimeout

if TYPE_CHECKING:
    import pyarrow

    from .duckdb.csv import CsvTable

Facts = Mapping[PredicateSym, Iterable[Row]]
Interval = tuple[int, int]  # inclusive bounds over 0..size-1


class InOrder(list[Row]):
    """Answers an engine hands back already in Python's order of their tuples (kb.sort_rows' order
    wherever Python can compare them), which the caller need not sort again: one comparison an
    answer less (a closure's 500,500 answers: 26 ms)."""


@dataclass(frozen=True)
class Annotated:
    """Base facts that hold only on parts of an ordered domain 0..size-1: pred -> (row, lo, hi),
    a row possibly listed with several intervals (their union).

    The domain is whatever the caller orders: grade thresholds (support, weakest first) or the
    elementary segments between validity bounds (time). Bounds outside 0..size-1 are clipped and an
    interval with lo > hi is empty."""

    size: int
    facts: Mapping[PredicateSym, Iterable[tuple[Row, int, int]]]


class Table(Protocol):
    """Rows held outside Python (a CSV file staged by DuckDB's reader), read only when asked."""

    @property
    def count(self) -> int: ...

    def rows(self) -> Sequence[Row]:
        """Every row, in file order."""
        ...

    def lines(self) -> Sequence[int]:
        """Each row's line in its file."""
        ...

    def at(self, k: int) -> tuple[Row, int]:
        """Row k (from 1) and its line, without reading the others."""
        ...


# One column of a fact that a Bulk makes: ("col", j) the table's column j, ("id",) the row's
# statement id, ("const", v) the value v.
Column = tuple[str] | tuple[str, int] | tuple[str, Value]


@dataclass(frozen=True, eq=False)
class Bulk:
    """Facts made from a table without a Python object per row (a bulk import): row k (from 1) of
    `table` gives, for each (predicate, columns) of `outputs`, one fact; its statement id is
    `id_prefix + str(id_first + k)`. Compared by identity: one import, one Bulk."""

    table: Table
    id_prefix: str
    id_first: int
    outputs: tuple[tuple[PredicateSym, tuple[Column, ...]], ...]

    def facts(self) -> dict[PredicateSym, list[Row]]:
        """The facts, made in Python (the general path; DuckDB makes them in SQL)."""
        rows = self.table.rows()
        ids = [f"{self.id_prefix}{self.id_first + k}" for k in range(1, len(rows) + 1)]
        out: dict[PredicateSym, list[Row]] = {}
        for sym, columns in self.outputs:
            made: list[Sequence[Value]] = []
            for col in columns:
                if col[0] == "col":
                    j = int(col[1])  # type: ignore[misc, arg-type]
                    made.append([row[j] for row in rows])
                elif col[0] == "id":
                    made.append(ids)
                else:
                    made.append([col[1]] * len(rows))  # type: ignore[misc]
            out[sym] = list(zip(*made, strict=True))
        return out

DEFAULT_TIMEOUT = 5.0  # seconds; interactive use. None means no limit.


class Kept:
    """The rows one relation had at one moment, held where the engine holds its relations (for a
    change report: what a load gained and lost, without the relation passing through Python)."""

    def __init__(self, pred: PredicateSym) -> None:
        self.pred = pred

    def release(self) -> None:
        """Let go of the rows (the engine drops its copy)."""


class _RowsKept(Kept):
    def __init__(self, pred: PredicateSym, rows: frozenset[Row]) -> None:
        super().__init__(pred)
        self.rows: frozenset[Row] | None = rows

    def release(self) -> None:
        self.rows = None


@dataclass(frozen=True)
class RelationChange:
    """How a relation changed since it was kept: counts, and a sample of each side (sorted)."""

    gained: int
    lost: int
    gained_rows: list[Row]
    lost_rows: list[Row]



class Engine(ABC):
    """One knowledge base's evaluator. Two instances never share facts.

    Every evaluating call honours `timeout` (raising errors.QueryTimeout) and Ctrl-C (raising
    errors.QueryInterrupted); either way the engine's facts and program are as before the call."""

    name: ClassVar[str]

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    @abstractmethod
    def load(self, program: CheckedProgram, facts: Facts) -> None:
        """Replace the program and all base facts."""

    @abstractmethod
    def add_facts(self, facts: Facts) -> None:
        """Add base facts (duplicates are harmless); derived relations follow on the next read."""

    def add_bulk(self, bulk: Bulk) -> None:
        """Add a bulk's facts; an engine that can read its table directly does so."""
        self.add_facts(bulk.facts())

    def stage_csv(self, path: str, positions: Sequence[int], types: Sequence[str], max_bad: int = 20) -> CsvTable:
        """A CSV file's columns at `positions`, converted to `types`, read by DuckDB (for any engine:
        DuckDB's reader is the one CSV reader); the DuckDB engine keeps them where it can read them."""
        from .duckdb.csv import stage_csv

        return stage_csv(path, positions, types, max_bad)

    def load_bulks(self, program: CheckedProgram, facts: Facts, bulks: Sequence[Bulk]) -> None:
        """`load`, with the facts of `bulks` among the base facts."""
        merged: dict[PredicateSym, list[Row]] = {sym: list(rows) for sym, rows in facts.items()}
        for bulk in bulks:
            for sym, rows in bulk.facts().items():
                merged.setdefault(sym, []).extend(rows)
        self.load(program, merged)

    @abstractmethod
    def retract_facts(self, facts: Facts) -> None:
        """Remove base facts (absent ones are ignored)."""

    @abstractmethod
    def relation(self, pred: PredicateSym) -> frozenset[Row]:
        """Every row of pred, base and derived."""

    @abstractmethod
    def query(self, query: CheckedQuery) -> Sequence[Row]:
        """Distinct answers, one value per query variable, in no particular order (or, as an
        InOrder or a columns.Columns, in Python's order of their tuples)."""

    def keep(self, pred: PredicateSym) -> Kept:
        """Keep pred's rows as they are now, for `changes` after a load. This default holds them
        in Python (small knowledge bases); the DuckDB engine copies them into a table of its own."""
        return _RowsKept(pred, self.relation(pred))

    def changes(self, kept: Kept, sample: int, is_base: Callable[[Row], bool]) -> RelationChange:
        """What kept.pred gained and lost since `keep`: gained rows are those now neither kept nor
        base facts (`is_base` says which are, for an engine that does not keep them apart), lost
        rows those kept and gone; counts, and at most `sample` rows of each, sorted."""
        # a plain Kept: the relation had no rows (a predicate new since)
        rows = kept.rows if isinstance(kept, _RowsKept) else frozenset()
        assert rows is not None, "changes() after release()"
        now = self.relation(kept.pred)
        gained = [r for r in now - rows if not is_base(r)]
        lost = list(rows - now)
        return RelationChange(len(gained), len(lost), sorted(gained, key=row_sort_key)[:sample],
                              sorted(lost, key=row_sort_key)[:sample])

    @contextmanager
    def ceiling(self, headroom: int) -> Iterator[None]:
        """Evaluate inside with at most `headroom` bytes more than the engine holds on entering,
        where it can bound itself (DuckDB); past it, errors.MemoryLimitError. This default
        changes nothing."""
        yield

    def write_csv(self, query: CheckedQuery, out: BinaryIO) -> int | None:
        """Write the answers, sorted, as CSV rows (no header) with the engine's own writer, and
        return how many; None when the engine has none for these answers (the caller writes them)."""
        return None

    def answers_arrow(self, query: CheckedQuery) -> pyarrow.Table | None:
        """The answers, sorted, as a pyarrow.Table with columns c0, c1, ... made by the engine
        itself (no Python object per answer); None when it cannot (the caller makes one from rows)."""
        return None

    def answer_batches(self, query: CheckedQuery, size: int = 10_000) -> Iterator[list[Row]]:
        """The answers, sorted, in batches; an engine that can stream them holds one batch at a time
        in Python. This default makes them all at once."""
        yield sorted(self.query(query), key=row_sort_key)

    def derivation_rounds(self, pred: PredicateSym) -> dict[Row, int] | None:
        """For each row of pred, the semi-naive iteration that first derived it (0: a base fact),
        numbered across the whole program so that a row's premises always have smaller numbers.
        None when the engine does not know (pyDatalog)."""
        return None

    def annotated_query(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                        query: CheckedQuery) -> dict[Row, tuple[Interval, ...]]:
        """For each answer of `query` that holds at some point, the maximal disjoint intervals
        (sorted) of the points where it holds; an answer holds at p iff `query` answers it when the
        program is evaluated over `plain` (holding everywhere) plus the annotated facts holding at p.
        Stateless: the engine's own loaded facts and program are untouched. Honours the time limit
        and Ctrl-C like every evaluating call.

        This default sweeps: one evaluation per elementary segment (between two points where some
        fact's membership changes), on a fresh engine of the same class, answers coalesced. Correct
        by construction for any engine; slow on many segments."""
        return sweep(type(self), self.timeout, program, plain, annotated, query)

    def annotated_answers(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                          query: CheckedQuery, at_least: int = 0) -> tuple[Sequence[Row], list[int]] | None:
        """The answers of `query` over the engine's own facts (as `query` gives them, in its
        order), each with its level: 1 + the top of its interval of annotated_query's points
        starting at point 0, or 0 when it does not hold at point 0; the answers joined with their
        intervals where they are, in one read. None when they are fewer than `at_least`, or when
        the engine does not (this default: the caller asks `query`, then annotated_query)."""
        return None

    def derivation_rounds_on_demand(self, pred: PredicateSym, row: Row) -> dict[PredicateSym, dict[Row, int]] | None:
        """What explaining the fact pred(row) reads, computed from the fact's constants, each
        relation's rows with a rank (a base row 0, a derived row above the premises of one of its
        derivations); None when the engine does not (then `derivation_rounds` of whole relations).
        A relation it reads whole is left out: its ranks are `derivation_rounds`', each below every
        rank given here. This default: None."""
        return None

    def annotated_on_demand(self, program: CheckedProgram, query: CheckedQuery) -> bool:
        """Whether annotated_query answers `query` from its constants (a demand program over the
        facts), so that a caller need not evaluate whole the relations it reads first. This
        default: never (it sweeps whole evaluations)."""
        return False

    def annotated_relations(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                            read: Collection[PredicateSym] | None = None) -> dict[PredicateSym, dict[Row, tuple[Interval, ...]]]:
        """annotated_query for every relation the program derives (its strata's predicates), or
        those of `read` (an engine may add others it has at hand, small ones: DuckDB), as
        {relation: {row: intervals}}: one evaluation where the engine can (DuckDB). This default
        asks annotated_query once per relation."""
        found: dict[PredicateSym, dict[Row, tuple[Interval, ...]]] = {}
        for stratum in program.strata:
            for sym in sorted(stratum.predicates, key=str):
                if read is not None and sym not in read:
                    continue
                names = tuple(f"X{i}" for i in range(sym.arity))
                args = tuple(ast.Variable(n) for n in names)
                goal = ast.Atom("__relation", args)
                query = CheckedQuery((ast.Rule(goal, (ast.Atom(sym.name, args),)),), goal.sym, names,
                                     ast.Query((ast.Atom(sym.name, args),)))
                found[sym] = self.annotated_query(program, plain, annotated, query)
        return found

    def forget_imports(self) -> None:
        """Before a last close (the process ends): staged import tables need not be read into
        Python for a knowledge base that outlives this engine. This default holds none."""

    def close(self) -> None:
        """Release what the engine holds (a child process, a database)."""


def clipped(annotated: Annotated) -> dict[PredicateSym, dict[Row, list[Interval]]]:
    """Each annotated row's intervals, clipped to 0..size-1, empty ones dropped (not yet merged)."""
    out: dict[PredicateSym, dict[Row, list[Interval]]] = {}
    for sym, entries in annotated.facts.items():
        rows = out.setdefault(sym, {})
        for row, lo, hi in entries:
            lo, hi = max(lo, 0), min(hi, annotated.size - 1)
            if lo <= hi:
                rows.setdefault(tuple(row), []).append((lo, hi))
    return out


def coalesce(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """The maximal disjoint intervals, sorted, covering the same points (adjacent ones merge)."""
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def sweep(make: Callable[..., Engine], timeout: float | None, program: CheckedProgram, plain: Facts,
          annotated: Annotated, query: CheckedQuery) -> dict[Row, tuple[Interval, ...]]:
    """Engine.annotated_query by evaluation at each elementary segment: between two consecutive
    points where some annotated fact starts or stops holding, every fact holds at all points or at
    none, so one evaluation (at the segment's first point) answers for the whole segment.

    One fresh engine (`make(timeout=...)`) is loaded once and moved from segment to segment by
    adding and retracting the facts that change there; the time limit covers the whole sweep."""
    found: dict[Row, list[Interval]] = {}
    for engine, start, end in each_segment(make, timeout, program, plain, annotated):
        for answer in engine.query(query):
            _extend(found.setdefault(tuple(answer), []), start, end)
    return {row: tuple(spans) for row, spans in found.items()}


def sweep_relations(make: Callable[..., Engine], timeout: float | None, program: CheckedProgram, plain: Facts,
                    annotated: Annotated, read: Collection[PredicateSym] | None = None
                    ) -> dict[PredicateSym, dict[Row, tuple[Interval, ...]]]:
    """Engine.annotated_relations the way `sweep` answers a query: every derived relation (or
    those of `read`) read at each elementary segment."""
    derived = [sym for st in program.strata for sym in sorted(st.predicates, key=str) if read is None or sym in read]
    found: dict[PredicateSym, dict[Row, list[Interval]]] = {sym: {} for sym in derived}
    for engine, start, end in each_segment(make, timeout, program, plain, annotated):
        for sym in derived:
            rows = found[sym]
            for row in engine.relation(sym):  # _extend inlined: this runs once per row and segment
                spans = rows.get(row)
                if spans is None:
                    rows[row] = [(start, end - 1)]
                elif spans[-1][1] == start - 1:
                    spans[-1] = (spans[-1][0], end - 1)
                else:
                    spans.append((start, end - 1))
    return {sym: {row: tuple(spans) for row, spans in rows.items()} for sym, rows in found.items()}


def segments(annotated: Annotated) -> int:
    """How many elementary segments `sweep` would evaluate."""
    cuts = {0, annotated.size}
    for by_row in clipped(annotated).values():
        for intervals in by_row.values():
            for lo, hi in intervals:
                cuts |= {lo, hi + 1}
    return len(cuts) - 1


def _extend(spans: list[Interval], start: int, end: int) -> None:
    if spans and spans[-1][1] == start - 1:
        spans[-1] = (spans[-1][0], end - 1)
    else:
        spans.append((start, end - 1))


def each_segment(make: Callable[..., Engine], timeout: float | None, program: CheckedProgram, plain: Facts,
              annotated: Annotated, last: Callable[[Engine], None] | None = None) -> Iterator[tuple[Engine, int, int]]:
    """A fresh engine holding, in turn, the facts of each elementary segment [start, end); `last`
    is given the engine after the last segment, before it is closed."""
    if annotated.size <= 0:
        return
    rows = clipped(annotated)
    plain_sets: dict[PredicateSym, set[Row]] = {sym: {tuple(r) for r in facts} for sym, facts in plain.items()}
    cuts = {0, annotated.size}
    for by_row in rows.values():
        for intervals in by_row.values():
            for lo, hi in intervals:
                cuts |= {lo, hi + 1}
    points = sorted(cuts)
    deadline = None if timeout is None else time.monotonic() + timeout
    engine = make(timeout=timeout)
    try:
        held: dict[PredicateSym, set[Row]] = {}
        for start, end in itertools.pairwise(points):
            now = {sym: {row for row, ivs in by_row.items() if any(lo <= start <= hi for lo, hi in ivs)}
                   for sym, by_row in rows.items()}
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QueryTimeout(f"query took longer than {timeout:g} s; raise the limit with --timeout or :timeout")
                engine.timeout = left
            if start == 0:
                merged = {sym: set(facts) for sym, facts in plain_sets.items()}
                for sym, facts in now.items():
                    merged.setdefault(sym, set()).update(facts)
                engine.load(program, merged)
            else:
                # a fact listed plain as well holds everywhere: never retract it
                gone = {sym: held[sym] - facts - plain_sets.get(sym, set()) for sym, facts in now.items()}
                came = {sym: facts - held[sym] for sym, facts in now.items()}
                if any(gone.values()):
                    engine.retract_facts({sym: f for sym, f in gone.items() if f})
                if any(came.values()):
                    engine.add_facts({sym: f for sym, f in came.items() if f})
            held = now
            yield engine, start, end
        if last is not None:
            last(engine)
    finally:
        engine.close()
