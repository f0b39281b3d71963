"""The DuckDB engine: bottom-up semi-naive evaluation driven from Python, each rule one SQL SELECT.

Stage: engine (the default one). Input: an `analysis.CheckedProgram` and base facts as rows of str,
int, float and datetime.date. Output: relations, query answers and derivation rounds as rows of the
same Python values (`"1"` stays a str, `1` an int, `1.0` a float, a date a date).

DuckDBEngine is the facade: the Engine interface, over five layers of one connection, each a module
of this package and a class the next one extends (each imports only the ones below it):

    guard.py     Guarded: the time limit and Ctrl-C around every evaluating call
    tables.py    Tables: installing a program, base tables and their encoding, facts in and out,
                 transactions and the knowledge base's own kb_ tables (the tables, the types and
                 persistence are described there)
    loop.py      Loop: evaluating a stratum, semi-naive or as one recursive CTE; laziness
    seeding.py   Seeding: which strata a read evaluates, and demand-driven seeded views
    magic.py     Magic: a query's constants carried through every rule it reads (magic sets)
    ranked.py    Ranked: derivation ranks of what explains one fact, on demand (`why`)
    engine.py    DuckDBEngine: the Engine interface (load, add/retract facts, bulks, relation,
                 query, derivation rounds, annotated queries, close)

Compiling a rule to its SELECT is compile.py's job; staging CSV files for imports, csv.py's;
interval-annotated evaluation, annotated.py's; a query's demand program as a checked program (support
on demand), demanded.py's.

Why one module: it is the one concept "the Engine interface on DuckDB"; each method is a few lines
over the layers below, and splitting the interface across files would hide which calls exist.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import duckdb

from ... import ast, errors, shield

if TYPE_CHECKING:
    import pyarrow
from ...analysis.checked import CheckedProgram, CheckedQuery
from ...ast import PredicateSym, Row
from ..base import (
    DEFAULT_TIMEOUT,
    Annotated,
    Bulk,
    Engine,
    Facts,
    InOrder,
    Interval,
    Kept,
    RelationChange,
    coalesce,
    each_segment,
    segments,
    sweep,
    sweep_relations,
)
from ..columns import Columns, day_arrays
from . import annotated as interval_sql
from . import compare, demanded, memory
from .compile import (
    Params,
    body_preds,
    column_names,
    infer_kinds,
    is_projection_of_a_set,
    positive_atoms,
    query_rules_in_order,
    rep_for,
    row_decoder,
    rule_select,
)
from .connection import connect
from .csv import CsvTable, scalar, stage_csv
from .guard import first_line
from .maxmin import prefix_shaped
from .ranked import Ranked
from .tables import EMPTY, META

# column representations whose ORDER BY is Python's order of the values (compile.SQL_TYPE)
IN_PYTHON_ORDER = frozenset({"s", "i", "d"})


class DuckDBEngine(Ranked, Engine):
    """Semi-naive bottom-up evaluation in DuckDB (see the module docstring).

    `path`: a DuckDB file holding the base facts; None keeps everything in memory.
    Extra methods: `reopen(program)` (install a program over the stored facts),
    `derivation_rounds(pred)`, and `transaction()`, `stored_tables()`, `read_stored(...)`,
    `write_stored(...)` for the knowledge base's own tables."""

    name = "duckdb"

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT, path: str | None = None,
                 memory_limit: int | None = None) -> None:
        super().__init__(timeout)
        self.path = path
        # bytes; None: ALLEGIANCE_MEMORY_LIMIT or the default (memory.py)
        self.memory_limit = memory_limit if memory_limit is not None else memory.limit_from_environment()
        self._growing = ""
        self._headroom = None
        self._kept = 0  # the last k<M> table made by keep()
        self.closed = False
        self._ctrl_c = None  # made on the first guarded call
        self._counter = 0  # the last derivation round used; never decreases
        self.damaged: str | None = None  # why the file was set aside on opening, if it was
        self.aside: str | None = None  # where set_aside() put the damaged file
        self._open(fresh=False)

    def _open(self, fresh: bool) -> None:
        """Connect to `path` (or memory) and read its stored tables; a file whose tables of ours are
        damaged is set aside (set_aside), unless it is the fresh file that replaces one.

        A file that holds tables of ours is opened read-only until its first change (`writable`,
        which the knowledge base's store calls once it has read what the file holds): a file
        found damaged at any point before is set aside byte for byte as the user had it (DuckDB
        writes on opening read-write: a write-ahead log replayed, tables re-encoded)."""
        self._read_only = not fresh and self.path is not None and os.path.isfile(self.path) and \
            os.path.getsize(self.path) > 0
        self._con = connect(self.path, read_only=self._read_only)
        self._schema = None
        if self._read_only and not self._con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND table_name = $1", [META]).fetchall()[0][0]:
            self._con.close()  # none of our tables: nothing to verify, and our tables to make
            self._read_only = False
            self._con = connect(self.path)
        spill: memory.Spill | None = getattr(self, "_spill", None)  # the set-aside file's, if any
        self._spill = self._configure()
        if spill is not None:
            spill.remove()  # the set-aside file's connection is closed
        self._in_transaction = False  # inside transaction(): changes join it instead of committing
        self._program = EMPTY
        self._deadline: float | None = None
        self._guarding = False
        self._r_tables: set[int] = set()
        self._dirty: set[int] = set()
        self._meta_due: set[PredicateSym] = set()  # metadata entries to write before the next commit
        self._staged: weakref.WeakSet[CsvTable] = weakref.WeakSet()  # CSV tables on this connection
        self._base_count: int | None = None  # base facts, kept as they change (magic._worth_it)
        try:
            try:
                if not self._read_only:
                    self._con.execute(
                        f"CREATE TABLE IF NOT EXISTS {META} "
                        "(name VARCHAR, arity INTEGER, id INTEGER, reps VARCHAR, kinds VARCHAR)"
                    )
                self._read_store()
            except (duckdb.Error, errors.LoadError) as exc:
                if fresh or self.path is None:
                    raise
                # The file may hold what lives nowhere else (imports, statements typed at the
                # prompt): never overwrite it, keep it aside as it is and start a new one.
                self.set_aside(f"its fact tables are damaged ({first_line(exc)})")
                return
            try:
                self._install(EMPTY)
                self._flush_meta()
            except duckdb.Error as exc:
                if not self._read_only or "read-only" not in str(exc).lower():
                    raise
                self.writable()  # the stored tables need re-encoding: a change after all
        except (duckdb.Error, errors.LoadError) as exc:
            self._con.close()
            raise errors.LoadError(f"{self.path}: its fact tables are damaged beyond repair: {first_line(exc)}", None,
                                   "move the file away: the next start builds it again from the fact files") from None

    def set_aside(self, why: str) -> str:
        """Keep a damaged file as it is: close it, rename it (and its write-ahead log) to
        `FILE.damaged` (`FILE.damaged-2`, ... when taken), and open a new, empty file at `path`.
        Returns the new name of the damaged file. Only before anything is loaded (the engine is empty after)."""
        assert self.path is not None
        with contextlib.suppress(duckdb.Error):
            self._con.close()
        aside = f"{self.path}.damaged"
        n = 1
        while os.path.lexists(aside) or os.path.lexists(aside + ".wal"):
            n += 1
            aside = f"{self.path}.damaged-{n}"
        try:
            os.rename(self.path, aside)
            if os.path.lexists(self.path + ".wal"):
                os.rename(self.path + ".wal", aside + ".wal")
        except OSError as exc:
            raise errors.LoadError(f"{self.path}: {why}, and it cannot be moved aside to {aside}: "
                                   f"{exc.strerror or exc}", None,
                                   "move the file away yourself (it is not overwritten): the next start "
                                   "builds it again from the fact files") from None
        self.damaged, self.aside = why, aside
        self._open(fresh=True)
        return aside

    def load(self, program: CheckedProgram, facts: Facts) -> None:
        self.load_bulks(program, facts, ())

    def load_bulks(self, program: CheckedProgram, facts: Facts, bulks: Sequence[Bulk]) -> None:
        mine = [b for b in bulks if self._owns(b)]
        grouped = self._group(facts)
        for bulk in bulks:
            if bulk not in mine:
                for sym, rows in bulk.facts().items():
                    grouped.setdefault(sym, []).extend(rows)
        with self._failsafe():
            for n in self._ids.values():
                self._run(f"DROP TABLE IF EXISTS b{n}")
            self._run(f"DELETE FROM {META}")
            self._ids, self._reps, self._fact_kinds = {}, {}, {}
            for sym, rows in grouped.items():
                self._fact_kinds[sym] = self._row_kinds(sym, rows, ())
            for bulk in mine:
                self._bulk_kinds(bulk)
            self._install(program)
            count = 0
            for sym, rows in grouped.items():  # each into the empty table _install just made
                count += self._insert(sym, rows, empty=True)
            for bulk in mine:
                self._insert_bulk(bulk)
            self._base_count = None if mine else count

    def stage_csv(self, path: str, positions: Sequence[int], types: Sequence[str], max_bad: int = 20) -> CsvTable:
        """`stage_csv` on this engine's connection, so that `add_bulk` reads the rows in SQL."""
        self.writable()  # the staged table must outlive the switch to a writable connection
        with self._parallel():  # DuckDB reads a CSV file in parallel
            table = stage_csv(path, positions, types, max_bad, self._con)
        table.parallel = self._parallel  # and works on its million rows so
        self._staged.add(table)
        return table

    def add_bulk(self, bulk: Bulk) -> None:
        if not self._owns(bulk):
            super().add_bulk(bulk)
            return
        with self._failsafe():
            if self._bulk_kinds(bulk):  # as in add_facts: types may change
                dirty, before = set(self._dirty), dict(self._reps)
                self._install(self._program)
                if all(self._reps[s] == before[s] for s in before):
                    self._dirty = dirty
            changed = self._insert_bulk(bulk)
            self._base_count = None
            if changed:
                self._mark_dirty(changed)

    def reopen(self, program: CheckedProgram) -> None:
        """Install `program` over the base facts already stored in this engine's file."""
        with self._failsafe():
            self._install(program)

    def add_facts(self, facts: Facts) -> None:
        grouped = self._group(facts)
        with self._failsafe():
            grown = False
            for sym, rows in grouped.items():
                kinds = self._row_kinds(sym, rows, self._fact_kinds.get(sym, ()))
                if kinds != self._fact_kinds.get(sym):
                    self._fact_kinds[sym] = kinds
                    grown = True
            if grown:  # a new kind of value, or a new predicate: types may change
                dirty, before = set(self._dirty), dict(self._reps)
                self._install(self._program)
                if all(self._reps[s] == before[s] for s in before):
                    self._dirty = dirty  # no table changed: keep what is still fresh
            for sym, rows in grouped.items():
                added = self._insert(sym, rows)
                if added:
                    self._mark_dirty({sym})
                    if self._base_count is not None:
                        self._base_count += added

    def retract_facts(self, facts: Facts) -> None:
        grouped = self._group(facts)
        with self._failsafe():
            for sym, rows in grouped.items():
                if sym not in self._ids:
                    continue
                n = self._ids[sym]
                if sym.arity == 0:
                    count = scalar(self._run(f"DELETE FROM b{n}")) if rows else 0
                else:
                    fitting = [r for r in rows if self._fits(sym, r)]
                    if not fitting:
                        continue
                    self._stage(sym, fitting)
                    on = " AND ".join(f"b{n}.c{j} = stage.c{j}" for j in range(sym.arity))
                    count = scalar(self._run(f"DELETE FROM b{n} USING stage WHERE {on}"))
                if count:
                    self._mark_dirty({sym})
                    if self._base_count is not None:
                        self._base_count -= count

    def relation(self, pred: PredicateSym) -> frozenset[Row]:
        if pred not in self._ids:
            return frozenset()
        if pred not in self._stratum_of:
            with self._guard():
                return frozenset(self._base_rows(pred))
        with self._guard(), self._demand():
            self._refresh({pred})
            n = self._ids[pred]
            raw = self._run(f"SELECT {', '.join(column_names(pred.arity))} FROM r{n}").fetchall()
        if not pred.arity:
            return frozenset(() for _ in raw)
        if "t" not in self._reps[pred]:  # nothing tagged to decode
            return frozenset(cast("list[Row]", raw))
        decode = row_decoder(self._reps[pred])
        return frozenset(decode(r) for r in raw)

    def derivation_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        return self._rows_with_rounds(pred)

    # --- a relation now and earlier, compared in SQL (compare.py) -----------------------------------

    def keep(self, pred: PredicateSym) -> Kept:
        """A TEMP copy k<M> of pred's rows (evaluated first when derived)."""
        if pred not in self._ids:
            return _TableKept(pred, None, (), self)
        self.writable()  # the copy must outlive the switch to a writable connection (a change follows)
        with self._guard(), self._demand():
            if pred in self._stratum_of:
                self._refresh({pred})
            self._kept += 1
            name = f"k{self._kept}"
            self._growing = f"a copy of {pred}"
            self._run(f"CREATE TEMP TABLE {name} AS {compare.select(self._source_of(pred) or '', pred.arity)}")
        return _TableKept(pred, name, self._reps[pred], self)

    def changes(self, kept: Kept, sample: int, is_base: Callable[[Row], bool]) -> RelationChange:
        if type(kept) is Kept:  # the relation had no rows (a predicate new since)
            kept = _TableKept(kept.pred, None, (), self)
        if not isinstance(kept, _TableKept) or kept.engine() is not self:
            return super().changes(kept, sample, is_base)
        assert not kept.released, "changes() after release()"
        pred = kept.pred
        if pred not in self._ids and kept.name is None:
            return RelationChange(0, 0, [], [])
        with self._guard(), self._demand():
            if pred in self._stratum_of:
                self._refresh({pred})
            self._growing = f"the change of {pred}"
            reps = self._reps[pred] if pred in self._ids else kept.reps
            now = self._source_of(pred)
            base = f"b{self._ids[pred]}" if pred in self._ids else None
            sides = []
            for rows in (compare.gained(now, kept.name, base, pred.arity, kept.reps, reps),
                         compare.lost(now, kept.name, pred.arity, kept.reps, reps)):
                total = scalar(self._run(compare.count(rows)))
                shown = self._run(compare.sample(rows, sample)).fetchall() if total and sample > 0 else []
                sides.append((total, shown))
        decode = row_decoder(reps)
        (g, g_rows), (lo, l_rows) = sides
        return RelationChange(g, lo, sorted((decode(r) if pred.arity else () for r in g_rows), key=ast.row_sort_key),
                              sorted((decode(r) if pred.arity else () for r in l_rows), key=ast.row_sort_key))

    @contextmanager
    def ceiling(self, headroom: int) -> Iterator[None]:
        saved = self.memory_limit
        with memory.lowered(self._con, headroom, saved):
            self._headroom = headroom
            try:
                yield
            finally:
                self._headroom = None

    def _source_of(self, pred: PredicateSym) -> str | None:
        if pred not in self._ids:
            return None
        n = self._ids[pred]
        return f"r{n}" if pred in self._stratum_of else f"b{n}"

    rows_in_python = 100_000  # answers past which the rest are kept as numpy columns (columns.py)

    def query(self, query: CheckedQuery) -> Sequence[Row]:
        """The answers, sorted. Past `rows_in_python` answers of text, integers and dates, the rest
        stay the numpy arrays DuckDB makes (a columns.Columns: each row a tuple only while it is read)."""
        with self._guard(), self._answers(query) as (sql, params, reps):  # the guard outermost: a Ctrl-C Python raises while _answers exits is still ours
            result = self._run(sql, params)
            # ORDER BY ALL over text (byte order of UTF-8: code points, as Python's), integers and
            # dates is Python's order of the tuples (floats aside: NaN and -0.0 are Python's own)
            in_order = query.goal.arity > 0 and set(reps) <= IN_PYTHON_ORDER
            raw, rest = self._fetch(result, reps) if in_order else (result.fetchall(), None)
            if rest is not None:
                return Columns(cast("list[Row]", raw), rest)
        if not query.goal.arity:
            return [() for _ in raw]
        if "t" not in reps:  # nothing tagged to decode: DuckDB's tuples are the rows (a closure's 500k: 80 ms less)
            return InOrder(cast("list[Row]", raw)) if in_order else cast("list[Row]", raw)
        decode = row_decoder(reps)
        return [decode(r) for r in raw]

    def _fetch(self, result: duckdb.DuckDBPyConnection, kinds: Sequence[str]) -> tuple[list[Any], list[Any] | None]:
        """An executed SELECT's rows: up to `rows_in_python` as tuples, then, past them, the rest
        as numpy arrays, one a column of representation `kinds` (columns.day_arrays); None for
        the arrays when every row came as a tuple."""
        head = result.fetchmany(self.rows_in_python)
        names = [d[0] for d in result.description or ()]
        if len(head) < self.rows_in_python or len(set(names)) < len(names):  # (fetchnumpy: a column a name)
            return head + result.fetchall(), None
        if self._headroom is None:  # (inside ceiling() the lowered limit stays as it is)
            memory.hand_back(self._con, self.memory_limit)  # the arrays come from Python's allocator
        return head, day_arrays(list(result.fetchnumpy().values()), kinds)

    @contextmanager
    def _answers(self, query: CheckedQuery, ordered: bool = True) -> Iterator[tuple[str, list[object], tuple[str, ...]]]:
        """Inside the guard: the query's SELECT (sorted unless not `ordered`), its parameters and
        column representations, with what it reads evaluated (seeded where it can be)."""
        own = {r.head.sym for r in query.rules}
        reads = {s for r in query.rules for s in body_preds(r)} - own
        if query.goal not in own:
            reads.add(query.goal)
        with self._guard(), self._demand():
            for sym in reads:
                self._ensure_table(sym)
            # the query's rules read like a stratum above the program: what they read with a
            # constant is evaluated on demand (magic.py, seeding.py)
            query = self._read_for(query)
            sql, params, reps = self._query_sql(query)
            self._growing = "the answers"
            if query.goal.arity and ordered:
                # DuckDB sorts in parallel; answers are shown sorted, and an ordered list costs
                # the caller's sort one linear pass.
                sql = f"SELECT * FROM ({sql}) ORDER BY ALL"
            yield sql, params, reps

    def write_csv(self, query: CheckedQuery, out: BinaryIO) -> int | None:
        """DuckDB's own CSV writer (COPY), through a file in the spill folder copied to `out` in
        chunks: no row becomes a Python object. Columns of text, integers and dates only (their
        order and text are Python's); None otherwise."""
        with self._guard(), self._answers(query) as (sql, params, reps):  # the guard outermost: a Ctrl-C Python raises while _answers exits is still ours
            if not reps or any(r not in "sid" for r in reps):
                return None
            with tempfile.NamedTemporaryFile(dir=self._spill.path, suffix=".csv") as tmp:
                with self._parallel():
                    count = scalar(self._run(f"COPY ({sql}) TO '{memory.quoted(tmp.name)}' (FORMAT csv, HEADER false)",
                                             params))
                with open(tmp.name, "rb") as written:
                    shutil.copyfileobj(written, out, 1 << 20)
        return count

    def answers_arrow(self, query: CheckedQuery) -> pyarrow.Table | None:
        """DuckDB's own Arrow export, for columns of text, numbers and dates (a column of mixed
        kinds is tagged text inside: None, and the caller makes it from rows)."""
        with self._guard(), self._answers(query) as (sql, params, reps):  # the guard outermost: a Ctrl-C Python raises while _answers exits is still ours
            if not reps or "t" in reps:
                return None
            self._run("SELECT 1").fetchall()  # the deadline, checked as before every statement
            with self._parallel():
                table = self._con.sql(sql, params=params).to_arrow_table()
        return table

    def answer_batches(self, query: CheckedQuery, size: int = 10_000) -> Iterator[list[Row]]:
        """The answers, sorted, `size` rows at a time: Python holds one batch, never all of them.
        (A column of mixed kinds sorts differently in SQL: those answers come in one sorted list.)"""
        with self._guard(), self._answers(query) as (sql, params, reps):  # the guard outermost: a Ctrl-C Python raises while _answers exits is still ours
            if "t" in reps:
                yield sorted(self.query(query), key=ast.row_sort_key)
                return
            with self._parallel():
                result = self._run(sql, params)
                while batch := result.fetchmany(size):
                    if not query.goal.arity:
                        yield [() for _ in batch]
                    else:  # nothing tagged ("t" was handled above): DuckDB's tuples are the rows
                        yield cast("list[Row]", batch)
                    if shield.pressed():  # Ctrl-C is deferred inside the guard, the caller's work too
                        raise KeyboardInterrupt

    def forget_imports(self) -> None:
        self._staged = weakref.WeakSet()

    def close(self) -> None:
        for table in list(self._staged):
            table.keep()  # a Bulk of it may outlive this engine (a knowledge base moving to another)
        if self._ctrl_c is not None:
            self._ctrl_c.close()
            self._ctrl_c = None
        self._con.close()
        self.closed = True
        self._spill.remove()

    def _rows_with_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        if pred not in self._ids:
            return {}
        if pred not in self._stratum_of:
            with self._guard():
                return dict.fromkeys(self._base_rows(pred), 0)
        with self._guard():
            self._refresh({pred}, rounds=True)
            return self._by_round(f"SELECT * FROM r{self._ids[pred]}", pred)

    # Interval SQL costs a few statements per relation and round (a round per step of a recursion),
    # plus window functions over the rows; a sweep costs one whole plain evaluation (a linear
    # recursion is one recursive CTE) per elementary segment. Few segments (a graph graded by a
    # handful of sources): the sweep. Many (the bundled knowledge base's dozen grades): interval SQL.
    # "sql" or "sweep" pins one (the tests compare each with its oracle).
    annotated_method = "auto"
    SWEEP_SEGMENTS = 8
    # annotated_relations asked for some relations also returns the others of at most this many rows,
    # for a later question to read (support keeps them); a larger one stays in the engine
    KEEP_ROWS = 20_000

    def _sweeps(self, program: CheckedProgram, annotated: Annotated) -> bool:
        if self.annotated_method != "auto":
            return self.annotated_method == "sweep"
        # max-min (maxmin.py) costs about one evaluation with a grade column, whatever the segments
        return not prefix_shaped(program, annotated) and segments(annotated) <= self.SWEEP_SEGMENTS

    def annotated_query(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                        query: CheckedQuery) -> dict[Row, tuple[Interval, ...]]:
        """Interval-annotated semi-naive evaluation in SQL (annotated.py), on temp tables of its
        own; or, when that is cheaper (_sweeps), one plain evaluation per elementary segment on a
        fresh engine (base.sweep)."""
        if self._sweeps(program, annotated):
            return sweep(self._like, self.timeout, program, plain, annotated, query)  # each segment on demand, as a query is
        with self._guard():
            # a query with constants: its demand program (demanded.py, which says why support stays exact)
            made = demanded.rewrite(program, query) if self._support_on_demand() else None
            if made is None:
                return interval_sql.evaluate(self._run, self._drop_quietly, program, plain, annotated, query)
            self.planned += 1
            plain, annotated = demanded.with_facts(made, plain, annotated)
            return interval_sql.evaluate(self._run, self._drop_quietly, made.program, plain, annotated, made.query,
                                         made.closures)

    def annotated_answers(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                          query: CheckedQuery, at_least: int = 0) -> tuple[Sequence[Row], list[int]] | None:
        """The answers (counted first) left-joined with the annotated evaluation (annotated.py) in
        one SELECT; None where it sweeps, or for a goal of no column."""
        if not query.goal.arity or self._sweeps(program, annotated):
            return None
        with self._guard(), self._answers(query, ordered=False) as (sql, params, reps):  # the guard outermost, as in query
            if at_least and scalar(self._run(f"SELECT count(*) FROM ({sql}) AS a", params)) < at_least:
                return None
            in_order = set(reps) <= IN_PYTHON_ORDER
            fetched: tuple[list[Any], list[Any] | None] | None = interval_sql.with_levels(
                self._run, self._drop_quietly, program, plain, annotated, query, sql, params, reps,
                (lambda result: self._fetch(cast("duckdb.DuckDBPyConnection", result), (*reps, "i"))) if in_order
                else (lambda result: (result.fetchall(), None)))
        if fetched is None:
            return None
        raw, rest = fetched
        n = query.goal.arity
        levels = list(map(itemgetter(n), raw))
        if rest is not None:  # past rows_in_python: the rest kept as columns (columns.py), levels as ints
            return Columns(list(map(itemgetter(slice(0, n)), raw)), rest[:n]), levels + rest[n].tolist()
        if "t" in reps:  # tagged text: decoded row by row
            decode = row_decoder(reps)
            rows = [decode(r[:n]) for r in raw]
        else:
            rows = list(map(itemgetter(slice(0, n)), raw))
            rows = InOrder(rows) if in_order else rows
        return rows, levels

    def annotated_on_demand(self, program: CheckedProgram, query: CheckedQuery) -> bool:
        with self._guard():
            # the rewrite first: it is Python over the rules, none for a query without constants,
            # where _support_on_demand reads the catalog (a statement)
            return demanded.rewrite(program, query) is not None and self._support_on_demand()

    def _like(self, timeout: float | None) -> DuckDBEngine:
        """A fresh engine that evaluates on demand as this one does (a sweep's)."""
        engine = type(self)(timeout=timeout)
        engine.demand, engine.demand_min_rows = self.demand, self.demand_min_rows
        return engine

    def annotated_relations(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                            read: Collection[PredicateSym] | None = None) -> dict[PredicateSym, dict[Row, tuple[Interval, ...]]]:
        """Every derived relation from one interval-annotated evaluation (annotated.py), or from
        one plain evaluation per elementary segment (base.sweep_relations), whichever _sweeps picks."""
        if self._sweeps(program, annotated):
            try:
                return self._sweep_relations_in_sql(program, plain, annotated, read)
            except _Reencoded:
                return sweep_relations(type(self), self.timeout, program, plain, annotated, read)
        with self._guard():
            return interval_sql.evaluate_relations(self._run, self._drop_quietly, program, plain, annotated, read,
                                                   small=self.KEEP_ROWS if read is not None else 0)

    def _sweep_relations_in_sql(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                                only: Collection[PredicateSym] | None = None) -> dict[PredicateSym, dict[Row, tuple[Interval, ...]]]:
        """base.sweep_relations with each segment's rows kept in the fresh engine's own tables
        (row, segment) and coalesced there: every row reaches Python once, not once per segment.
        Raises _Reencoded when a relation's column kinds changed between segments."""
        derived = [sym for st in program.strata for sym in sorted(st.predicates, key=str) if only is None or sym in only]
        collected: dict[PredicateSym, tuple[str, tuple[str, ...]]] = {}  # sym -> its table, its reps then
        found: dict[PredicateSym, dict[Row, tuple[Interval, ...]]] = {sym: {} for sym in derived}

        def read(engine: Engine) -> None:
            assert isinstance(engine, DuckDBEngine)
            with engine._guard():
                for sym, (name, reps) in collected.items():
                    if engine._reps.get(sym) != reps:
                        raise _Reencoded
                    cols = column_names(sym.arity)
                    decode = row_decoder(reps)
                    rows = found[sym]
                    sql = f"SELECT {', '.join(cols)}, lo, hi FROM ({interval_sql.coalesced(f'SELECT * FROM {name}', cols)}) AS c"
                    for raw in engine._run(sql).fetchall():
                        row = decode(tuple(raw[:-2])) if sym.arity else ()
                        rows[row] = (*rows.get(row, ()), (raw[-2], raw[-1]))
            for rows in found.values():
                for row, spans in rows.items():
                    if len(spans) > 1:
                        rows[row] = coalesce(spans)

        for engine, start, end in each_segment(type(self), self.timeout, program, plain, annotated, last=read):
            assert isinstance(engine, DuckDBEngine)
            with engine._guard(), engine._demand():
                for sym in derived:
                    if sym not in engine._ids:
                        continue
                    engine._refresh({sym})
                    table = f"r{engine._ids[sym]}"
                    cols = ", ".join(column_names(sym.arity))
                    # start and end are Python ints: safe to write into SQL
                    if sym not in collected:
                        name = f"sweep{len(collected)}"
                        engine._run(f"CREATE TEMP TABLE {name} AS SELECT {cols}, CAST({int(start)} AS BIGINT) AS lo, "
                                    f"CAST({int(end) - 1} AS BIGINT) AS hi FROM {table}")
                        collected[sym] = (name, engine._reps[sym])
                    elif engine._reps[sym] != collected[sym][1]:
                        raise _Reencoded
                    else:
                        engine._run(f"INSERT INTO {collected[sym][0]} SELECT {cols}, {int(start)}, {int(end) - 1} FROM {table}")
        return found

    def _query_sql(self, query: CheckedQuery) -> tuple[str, list[object], tuple[str, ...]]:
        """The query's rules as CTEs over the program's tables, in dependency order: one SELECT."""
        own = query_rules_in_order(query.rules)
        kinds = infer_kinds(query.rules, self._kinds)
        reps = dict(self._reps)
        for sym in own:
            reps[sym] = tuple(rep_for(k) for k in kinds[sym])
        names = {sym: f"q{m}" for m, sym in enumerate(own)}
        order = list(own)

        def source(sym: PredicateSym) -> str:
            return names[sym] if sym in names else self._full(sym)

        params = Params()
        ctes = []
        for sym in order:
            selects = [
                rule_select(rule, [source(a.sym) for a in positive_atoms(rule)], source, reps.__getitem__, params)
                for rule in own[sym]
            ]
            ctes.append(f"{names[sym]} AS ({' UNION ALL '.join(selects)})")
        cols = ", ".join(column_names(query.goal.arity))
        # every stored relation is a set: a goal that just renames the rows of one atom (distinct
        # variables, constants, nothing else) has distinct rows already, and DISTINCT is a hash of them all
        plain = len(own.get(query.goal, ())) == 1 and is_projection_of_a_set(own[query.goal][0])
        sql = f"SELECT {'' if plain else 'DISTINCT '}{cols} FROM {source(query.goal)}"
        if ctes:
            sql = f"WITH {', '.join(ctes)} {sql}"
        return sql, params.values, reps[query.goal]


class _Reencoded(Exception):
    """A relation's columns changed kind between two segments of a sweep (the Python sweep reads it)."""


class _TableKept(Kept):
    """keep()'s copy: TEMP table `name` (None: the relation had no table), in `reps`."""

    def __init__(self, pred: PredicateSym, name: str | None, reps: tuple[str, ...], engine: DuckDBEngine) -> None:
        super().__init__(pred)
        self.name, self.reps, self.engine = name, reps, weakref.ref(engine)
        self.released = False

    def release(self) -> None:
        engine = self.engine()
        if self.name is not None and engine is not None and not engine.closed:
            engine._drop_quietly([self.name])
        self.released = True
