"""The DuckDB engine: bottom-up semi-naive evaluation driven from Python, each rule one SQL SELECT.
(Compiling a rule to that SELECT is compile.py's job; staging CSV files for imports, csv.py's.)

Stage: engine (the default one). Input: an `analysis.CheckedProgram` and base facts as rows of str,
int, float and datetime.date. Output: relations, query answers and derivation rounds as rows of the
same Python values (`"1"` stays a str, `1` an int, `1.0` a float, a date a date).

How a program runs
    Strata are evaluated in `CheckedProgram.strata` order. A stratum whose rules read none of its own
    predicates is one pass; otherwise semi-naive: round 1 runs every rule on the full relations, each
    later round runs, for a rule with k body atoms of the stratum, k variants each reading one of those
    atoms from the previous round's delta. A round's new rows are `(union of the variants) EXCEPT
    (the relation so far)`; evaluation stops when no predicate gains a row.

Tables (every identifier is generated; no user text ever becomes SQL syntax)
    b<N>          base facts of predicate N (the `allegiance_relations` table maps name/arity to N);
                  in the database file when the engine has a path
    r<N>          TEMP: every row of derived predicate N (base and derived) plus `rnd`, the round that
                  first derived it (0 for base facts; one counter over the whole session, so a row's
                  premises always carry smaller numbers)
    d<N>_0/1      TEMP: the delta of the last round, double-buffered
    csv<N>        TEMP: a CSV file staged for an import (`CsvTable`: line, k, v0, v1, ...); a `Bulk`
                  over it goes into the b tables by INSERT ... SELECT, no row passing through Python
    columns       c0, c1, ...; a zero-arity relation has the single column z BOOLEAN
    constants     always bound parameters ($1, $2, ...); round numbers are Python ints we generate

Types
    Each column's set of value kinds (s: str, i: int, f: float, d: date) is inferred by a fixpoint:
    kinds of the stored facts and of declared types (`CheckedProgram.types`) flow through rule bodies
    (a variable takes the kinds common to its positive occurrences) into heads, arithmetic included.
    A column of one kind is native (VARCHAR, BIGINT, DOUBLE, DATE: closure over ints joins BIGINTs);
    a column of several kinds is a tagged VARCHAR ('s:abc', 'i:1', 'f:1.5', 'd:2015-10-01') decoded on
    the way out. Joins between columns of different representations convert explicitly. When facts of
    a new kind arrive, inference reruns and the affected base tables are re-encoded.

    Semantics on mixed (tagged) columns: equality is exact per kind (`1` never equals `"1"`; there,
    `1` does not equal `1.0` either, while two native numeric columns compare numerically); order
    comparisons compare ints exactly, ints and floats as doubles, dates as dates, strings by code point,
    and values of different kinds never compare (`<` is false). Arithmetic on a non-number yields no
    value; integer `/` truncates towards zero and `%` takes the dividend's sign (as in Soufflé and C);
    division by zero yields no value; int64 overflow raises QueryError.

Laziness
    `add_facts`/`retract_facts` mark the strata that read (or define) the changed predicates dirty,
    and everything above that depends on them; the next read re-evaluates only dirty strata it needs.

Demand
    A linear recursive predicate that a query (or every rule about to read it) reads with a constant
    is not evaluated whole: its readers get a seeded view m<N> with just the rows of that constant.
    At a position the recursion passes on unchanged (`path(0, Y)` of left recursion) the recursive
    CTE itself is restricted to it; at the one position it changes (`path(0, Y)` of right
    recursion, `path(X, 5)` of left), the view is the base rows at the values reachable from the
    constant by the rules' steps (compile.reach_steps): a reachability, not the closure.

Time limit and Ctrl-C
    A watchdog thread interrupts the connection once `timeout` seconds have passed (and keeps doing so
    until the call ends, so a statement started in between cannot escape); the loop also checks the
    deadline before each statement. Base-fact changes run in a transaction that is rolled back on
    failure; derived state of an interrupted stratum stays dirty, so the next read recomputes it.

Persistence
    `DuckDBEngine(path="kb.duckdb")` keeps base facts in that file, each change committed in a
    transaction. A new engine on the same path sees the stored facts at once (`relation` works before
    any program is loaded); `reopen(program)` installs a program over the stored facts, whereas
    `load(program, facts)` replaces them, as the Engine interface says. Derived relations are never
    stored: they are recomputed on the first read.

    Beside the facts, the file holds the knowledge base's own tables (`kb_<name>`: a `seq` column
    and typed columns; what they mean is persist.py's business, this module only stores rows).
    `transaction()` makes several changes, facts and those tables, one commit: a crash leaves the
    file as it was before the transaction or after it, never in between. A file whose metadata
    table does not validate is not trusted: opening drops our tables (b<N>, kb_<name>, the
    metadata; no other table) and says why in `damaged`, so the caller rebuilds from the fact files.
    A file that is not a DuckDB database is a LoadError, and is left as it is.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import duckdb

from ... import ast, errors
from ...analysis.checked import CheckedProgram, CheckedQuery
from ...ast import PredicateSym, Row, Value
from ..base import (
    DEFAULT_TIMEOUT,
    Annotated,
    Bulk,
    Column,
    Engine,
    Facts,
    Interval,
    Kept,
    RelationChange,
    clipped,
    coalesce,
    sweep,
)
from . import annotated as interval_sql
from . import compare, memory
from .compile import (
    ALL_KINDS,
    DECLARED_KIND,
    SQL_TYPE,
    Expr,
    Kinds,
    Params,
    body_preds,
    column_defs,
    column_names,
    compare_sql,
    convert,
    encode,
    infer_kinds,
    is_projection_of_a_set,
    kind_of,
    positive_atoms,
    reach_steps,
    rep_for,
    row_decoder,
    rule_select,
    stable_positions,
)
from .csv import CsvTable, scalar, stage_csv

_META = "allegiance_relations"
_CHUNK = 50_000  # rows per bulk insert statement: bounds the size of one list parameter




_NO_READER = object()  # _seed_for: nothing about to be evaluated reads the stratum


class _DeadlinePassed(Exception):
    """Raised between statements once the time limit has run out."""


_EMPTY = CheckedProgram(rules=(), strata=())
_TABLE_ID = re.compile(r"^[0-9]{1,9}$")
_REPS = re.compile(r"^[sifdt]*$")


# The knowledge base's own tables: kb_<name>(seq BIGINT, <columns>), rows that persist.py encodes and
# decodes; this module only stores them. Table and column names are constants of persist.py, checked
# here against a pattern before they become identifiers; every value is a bound parameter.

_STORED_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_STORED_TYPES = {"text": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE", "bool": "BOOLEAN"}
Columns = Sequence[tuple[str, str]]  # (name, one of _STORED_TYPES)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n")[0]


def _stored_columns(name: str, columns: Columns) -> None:
    if not _STORED_NAME.match(name) or not columns or any(
            not _STORED_NAME.match(c) or c == "seq" or t not in _STORED_TYPES for c, t in columns):
        raise ValueError(f"not a stored table: {name} {columns!r}")  # a bug in the caller, not user input


class DuckDBEngine(Engine):
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
        self._growing = ""  # what is being evaluated, for the memory-limit error
        self._headroom: int | None = None  # inside ceiling()
        try:
            self._con = duckdb.connect(path if path is not None else ":memory:")
        except duckdb.Error as exc:
            # not a DuckDB file, a newer format, or in use by another process: never overwrite it
            locked = "lock" in str(exc).lower()
            raise errors.LoadError(f"{path}: cannot open it as a DuckDB database: {_first_line(exc)}", None,
                                   "another process has it open: close that one first" if locked else
                                   "name a new file for --db, or one that allegiance wrote") from None
        self._spill = memory.configure(self._con, self.memory_limit)
        self._in_transaction = False  # inside transaction(): changes join it instead of committing
        # Division by zero has no value (as a failed arithmetic test), not an error.
        self._con.execute("SET error_on_division_by_zero = false")
        self._program = _EMPTY
        self._deadline: float | None = None
        self._guarding = False
        self._ctrl_c: _CtrlCWatcher | None = None  # made on the first guarded call
        self._counter = 0  # the last derivation round used; never decreases
        self._r_tables: set[int] = set()
        self._dirty: set[int] = set()
        self._meta_due: set[PredicateSym] = set()  # metadata entries to write before the next commit
        self._staged: weakref.WeakSet[CsvTable] = weakref.WeakSet()  # CSV tables on this connection
        self._kept = 0  # the last k<M> table made by keep()
        self.closed = False
        self.damaged: str | None = None  # why the file's facts were dropped on opening, if they were
        try:
            try:
                self._con.execute(
                    f"CREATE TABLE IF NOT EXISTS {_META} "
                    "(name VARCHAR, arity INTEGER, id INTEGER, reps VARCHAR, kinds VARCHAR)"
                )
                self._read_store()
            except (duckdb.Error, errors.LoadError) as exc:
                # The file is allegiance's own (it has our metadata table) and holds a copy of what
                # the fact files say: start it afresh rather than trust any of it.
                self.damaged = f"its fact tables are damaged ({_first_line(exc)})"
                self._reset_store()
                self._read_store()
            self._install(_EMPTY)
            self._flush_meta()
        except (duckdb.Error, errors.LoadError) as exc:
            self._con.close()
            raise errors.LoadError(f"{path}: its fact tables are damaged beyond repair: {_first_line(exc)}", None,
                                   "remove the file: the next start builds it again from the fact files") from None

    # --- the stored base facts ---------------------------------------------------------------------

    def _read_store(self) -> None:
        """Python's view of the stored base tables, from the metadata table.

        The file may come from anywhere: ids and representations are validated before they are used
        to build table names."""
        self._ids: dict[PredicateSym, int] = {}
        self._reps: dict[PredicateSym, tuple[str, ...]] = {}
        self._fact_kinds: dict[PredicateSym, Kinds] = {}
        rows = self._con.execute(f"SELECT name, arity, id, reps, kinds FROM {_META}").fetchall()
        for name, arity, ident, reps, kinds in rows:
            cols = str(kinds).split(",") if arity else []
            if (
                not _TABLE_ID.match(str(ident))
                or not _REPS.match(str(reps))
                or len(str(reps)) != arity
                or len(cols) != arity
                or not all(set(c) <= ALL_KINDS for c in cols)
            ):
                raise errors.LoadError(f"{self.path}: damaged relation table entry for {name}/{arity}", None,
                                       "remove the file: the next start builds it again from the fact files")
            sym = PredicateSym(str(name), int(arity))
            self._ids[sym] = int(ident)
            self._reps[sym] = tuple(str(reps))
            self._fact_kinds[sym] = tuple(frozenset(c) for c in cols)
        self._next_id = max(self._ids.values(), default=-1) + 1

    def _reset_store(self) -> None:
        """Drop every table of ours (base facts b<N>, the knowledge base's kb_<name>, the metadata)."""
        with contextlib.suppress(duckdb.Error):
            self._con.rollback()
        names = [str(r[0]) for r in self._con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main'").fetchall()]
        self._con.begin()
        for name in names:
            if re.fullmatch(r"b[0-9]{1,9}|kb_[a-z0-9_]{1,41}|" + _META, name):  # our names only, checked
                self._con.execute(f"DROP TABLE {name}")
        self._con.execute(f"CREATE TABLE {_META} (name VARCHAR, arity INTEGER, id INTEGER, reps VARCHAR, kinds VARCHAR)")
        self._con.commit()

    def _write_meta(self, sym: PredicateSym) -> None:
        """sym's entry of the metadata table is due: written by _flush_meta, before the commit."""
        self._meta_due.add(sym)

    def _flush_meta(self) -> None:
        """Write every due metadata entry in two statements (one pair per relation cost a
        start-up a quarter of a second)."""
        if not self._meta_due:
            return
        due = sorted(self._meta_due, key=str)
        self._meta_due = set()

        def kinds(sym: PredicateSym) -> str:
            stored = self._fact_kinds.get(sym) or tuple(frozenset() for _ in range(sym.arity))
            return ",".join("".join(sorted(c)) for c in stored)

        names, arities = [s.name for s in due], [s.arity for s in due]
        self._con.execute(f"DELETE FROM {_META} USING (SELECT unnest($1::VARCHAR[]) AS n, unnest($2::INTEGER[]) AS a) "
                          f"AS m WHERE {_META}.name = m.n AND {_META}.arity = m.a", [names, arities])
        self._con.execute(
            f"INSERT INTO {_META} SELECT unnest($1::VARCHAR[]), unnest($2::INTEGER[]), unnest($3::INTEGER[]), "
            "unnest($4::VARCHAR[]), unnest($5::VARCHAR[])",
            [names, arities, [self._ids[s] for s in due], ["".join(self._reps[s]) for s in due], [kinds(s) for s in due]])

    def _install(self, program: CheckedProgram) -> None:
        """Take `program`, infer column types, create or re-encode base tables; all strata dirty.

        Runs inside the caller's transaction when there is one."""
        self._program = program
        self._stratum_of: dict[PredicateSym, int] = {}
        self._stratum_preds: list[list[PredicateSym]] = []
        self._rules_by_head: list[dict[PredicateSym, list[ast.Rule]]] = []
        self._recursive: list[bool] = []
        self._linear: list[bool] = []  # one predicate, each rule with at most one atom of it
        self._lazy_rounds: dict[int, int] = {}  # stratum -> its first round, rounds not yet stored
        self._seeded: set[int] = set()  # strata evaluated reading a seeded (demand) view
        self._override: dict[PredicateSym, str] = {}  # sources replaced by seeded views
        self._depends_on: list[set[int]] = []
        self._readers: dict[PredicateSym, set[int]] = {}
        for i, stratum in enumerate(program.strata):
            heads = sorted({r.head.sym for r in stratum.rules}, key=str)
            by_head: dict[PredicateSym, list[ast.Rule]] = {h: [] for h in heads}
            for rule in stratum.rules:
                by_head[rule.head.sym].append(rule)
                for sym in body_preds(rule):
                    self._readers.setdefault(sym, set()).add(i)
            for h in heads:
                self._stratum_of[h] = i
            self._stratum_preds.append(heads)
            self._rules_by_head.append(by_head)
            own = set(heads)
            self._recursive.append(any(a.sym in own for r in stratum.rules for a in positive_atoms(r)))
            self._linear.append(
                len(heads) == 1
                and self._recursive[-1]
                and all(sum(a.sym in own for a in positive_atoms(r)) <= 1 for r in stratum.rules)
            )
        self._reads: list[set[PredicateSym]] = []
        self._stable: list[set[int]] = []
        self._reach: list[tuple[int, list[ast.Rule]] | None] = []  # see compile.reach_steps
        for i, stratum in enumerate(program.strata):
            reads = {s for r in stratum.rules for s in body_preds(r)}
            own = {r.head.sym for r in stratum.rules}
            self._reads.append(reads - own)
            self._stable.append(stable_positions(stratum.rules) if self._linear[i] else set())
            self._reach.append(reach_steps(stratum.rules, self._stable[i]) if self._linear[i] else None)
            self._depends_on.append({self._stratum_of[s] for s in reads - own if s in self._stratum_of})

        start: dict[PredicateSym, Kinds] = {}
        mentioned = set(program.types) | set(self._fact_kinds)
        for rule in program.rules:
            mentioned |= body_preds(rule) | {rule.head.sym}
        for sym in mentioned:
            declared = program.types.get(sym, ())
            facts = self._fact_kinds.get(sym, ())
            start[sym] = tuple(
                (facts[j] if j < len(facts) else frozenset())
                | (frozenset(DECLARED_KIND[declared[j]]) if j < len(declared) and declared[j] in DECLARED_KIND else frozenset())
                for j in range(sym.arity)
            )
        self._kinds = infer_kinds(program.rules, start)
        for sym, kinds in sorted(self._kinds.items(), key=lambda kv: str(kv[0])):
            reps = tuple(rep_for(k) for k in kinds)
            if sym not in self._ids:
                self._ids[sym] = self._next_id
                self._next_id += 1
                self._reps[sym] = reps
                self._con.execute(f"CREATE TABLE b{self._ids[sym]} ({column_defs(reps)})")
                self._write_meta(sym)
            elif self._reps[sym] != reps:
                self._reencode(sym, reps)
        for n in self._r_tables - {self._ids[s] for s in self._stratum_of}:
            self._con.execute(f"DROP TABLE IF EXISTS r{n}")
        self._r_tables &= {self._ids[s] for s in self._stratum_of}
        self._dirty = set(range(len(program.strata)))

    def _reencode(self, sym: PredicateSym, reps: tuple[str, ...]) -> None:
        """Rewrite b<N> with new column representations (facts of a new kind arrived)."""
        n = self._ids[sym]
        rows = self._base_rows(sym)
        self._con.execute(f"DROP TABLE b{n}")
        self._reps[sym] = reps
        self._con.execute(f"CREATE TABLE b{n} ({column_defs(reps)})")
        self._stage(sym, rows)
        self._con.execute(f"INSERT INTO b{n} SELECT * FROM stage")
        self._write_meta(sym)

    def _base_rows(self, sym: PredicateSym) -> list[Row]:
        n = self._ids[sym]
        if sym.arity == 0:
            return [()] if scalar(self._con.execute(f"SELECT count(*) FROM b{n}")) else []
        decode = row_decoder(self._reps[sym])
        cols = ", ".join(column_names(sym.arity))
        return [decode(r) for r in self._con.execute(f"SELECT {cols} FROM b{n}").fetchall()]

    def _stage(self, sym: PredicateSym, rows: Sequence[Row]) -> None:
        """TEMP table `stage` := rows, encoded for sym's columns, inserted as list parameters."""
        reps = self._reps[sym]
        self._run(f"CREATE OR REPLACE TEMP TABLE stage ({column_defs(reps)})")
        if sym.arity == 0:
            if rows:
                self._run("INSERT INTO stage VALUES (TRUE)")
            return
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            columns = [[encode(row[j], rep) for row in chunk] for j, rep in enumerate(reps)]
            items = ", ".join(
                f"unnest(CAST(${j + 1} AS {SQL_TYPE[rep]}[]))" for j, rep in enumerate(reps)
            )
            self._run(f"INSERT INTO stage SELECT {items}", columns)

    # --- the Engine interface ----------------------------------------------------------------------

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
            self._run(f"DELETE FROM {_META}")
            self._ids, self._reps, self._fact_kinds = {}, {}, {}
            for sym, rows in grouped.items():
                self._fact_kinds[sym] = self._row_kinds(sym, rows, ())
            for bulk in mine:
                self._bulk_kinds(bulk)
            self._install(program)
            for sym, rows in grouped.items():
                self._insert(sym, rows)
            for bulk in mine:
                self._insert_bulk(bulk)

    def stage_csv(self, path: str, positions: Sequence[int], types: Sequence[str], max_bad: int = 20) -> CsvTable:
        """`stage_csv` on this engine's connection, so that `add_bulk` reads the rows in SQL."""
        table = stage_csv(path, positions, types, max_bad, self._con)
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
            if changed:
                self._mark_dirty(changed)

    def _owns(self, bulk: Bulk) -> bool:
        table = bulk.table
        return isinstance(table, CsvTable) and table.con is self._con and table.finished

    def _bulk_column(self, bulk: Bulk, column: Column, params: Params) -> Expr:
        assert isinstance(bulk.table, CsvTable)
        if column[0] == "col":
            j = int(column[1])  # type: ignore[misc, arg-type]
            return Expr(f"v{j}", bulk.table.kinds[j])
        if column[0] == "id":
            prefix, first = params.const(bulk.id_prefix), params.const(bulk.id_first)
            return Expr(f"({prefix.sql} || CAST(k + {first.sql} AS VARCHAR))", "s")
        return params.const(column[1])  # type: ignore[misc]

    def _bulk_kinds(self, bulk: Bulk) -> bool:
        """Record the kinds of a bulk's facts; whether any predicate gained one."""
        grown = False
        for sym, columns in bulk.outputs:
            made = tuple(self._bulk_column(bulk, c, Params()).rep for c in columns)
            known = self._fact_kinds.get(sym, ())
            kinds = tuple((known[j] if j < len(known) else frozenset()) | {made[j]} for j in range(sym.arity))
            if kinds != known:
                self._fact_kinds[sym] = kinds
                grown = True
        return grown

    def _insert_bulk(self, bulk: Bulk) -> set[PredicateSym]:
        # p(X1, .., Xn) :- row k of the table, for each output: INSERT ... SELECT, never a Python row
        assert isinstance(bulk.table, CsvTable)
        changed: set[PredicateSym] = set()
        for sym, columns in bulk.outputs:
            params = Params()
            values = [convert(self._bulk_column(bulk, c, params), rep).sql
                      for c, rep in zip(columns, self._reps[sym], strict=True)]
            n = self._ids[sym]
            select = f"SELECT {', '.join(values)} FROM {bulk.table.name}"
            if scalar(self._run(f"SELECT count(*) FROM (SELECT 1 FROM b{n} LIMIT 1)")):
                same = " AND ".join(f"b{n}.c{j} = {v}" for j, v in enumerate(values)) or "TRUE"
                select += f" WHERE NOT EXISTS (SELECT 1 FROM b{n} WHERE {same})"
            # else no DISTINCT needed: a finished table's rows are distinct, and so are their ids
            new = scalar(self._run(f"INSERT INTO b{n} {select}", params.values))
            self._write_meta(sym)
            if new:
                changed.add(sym)
        return changed

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
                if self._insert(sym, rows):
                    self._mark_dirty({sym})

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
        decode = row_decoder(self._reps[pred])
        return frozenset(decode(r) for r in raw)

    def derivation_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        return self._rows_with_rounds(pred)

    # --- a relation now and earlier, compared in SQL (compare.py) -----------------------------------

    def keep(self, pred: PredicateSym) -> Kept:
        """A TEMP copy k<M> of pred's rows (evaluated first when derived)."""
        if pred not in self._ids:
            return _TableKept(pred, None, (), self)
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

    def query(self, query: CheckedQuery) -> list[Row]:
        own = {r.head.sym for r in query.rules}
        reads = {s for r in query.rules for s in body_preds(r)} - own
        if query.goal not in own:
            reads.add(query.goal)
        with self._guard(), self._demand():
            # the query's rules read like a stratum above the program: a recursive predicate they
            # only read with a constant is evaluated seeded (see "Demand" above)
            self._refresh({query.goal} - own, readers=query.rules)
            for sym in reads:
                self._ensure_table(sym)
            sql, params, reps = self._query_sql(query)
            if query.goal.arity:
                # DuckDB sorts in parallel; answers are shown sorted, and an ordered list costs
                # the caller's sort one linear pass.
                sql = f"SELECT * FROM ({sql}) ORDER BY ALL"
            raw = self._run(sql, params).fetchall()
        decode = row_decoder(reps)
        return [decode(r) for r in raw] if query.goal.arity else [() for _ in raw]

    def close(self) -> None:
        for table in list(self._staged):
            table.keep()  # a Bulk of it may outlive this engine (a knowledge base moving to another)
        if self._ctrl_c is not None:
            self._ctrl_c.close()
            self._ctrl_c = None
        self._con.close()
        self.closed = True
        self._spill.remove()

    # --- the knowledge base's own tables (see the module docstring; persist.py decides what) ---------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything done inside (fact changes, program changes, stored tables) is one commit; on
        any failure all of it is rolled back and the program of the start is installed again."""
        if self._in_transaction:
            yield
            return
        program = self._program
        self._con.begin()
        self._in_transaction = True
        try:
            yield
            self._flush_meta()
            self._con.commit()
        except BaseException:
            self._in_transaction = False
            self._program = program
            self._recover()
            raise
        finally:
            self._in_transaction = False

    def stored_tables(self) -> set[str]:
        """The names of the kb_ tables the file holds."""
        rows = self._con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                                 "AND schema_name = 'main'").fetchall()
        return {str(r[0])[3:] for r in rows if str(r[0]).startswith("kb_")}

    def read_stored(self, name: str, columns: Columns) -> list[tuple[object, ...]] | None:
        """The rows of kb_<name> in order, or None when the file has no such table. A table whose
        columns are not `columns` (a foreign or damaged file) is a LoadError naming the file."""
        _stored_columns(name, columns)
        if name not in self.stored_tables():
            return None
        declared = self._con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = $1 ORDER BY column_index", [f"kb_{name}"]).fetchall()
        expected = [("seq", "BIGINT"), *((c, _STORED_TYPES[t]) for c, t in columns)]
        if [(str(c), str(t)) for c, t in declared] != expected:
            raise errors.LoadError(f"{self.path}: the stored table {name} has other columns than allegiance writes")
        cols = ", ".join(c for c, _ in columns)
        try:
            rows = self._con.execute(f"SELECT seq, {cols} FROM kb_{name} ORDER BY seq").fetchall()
        except duckdb.Error as exc:
            raise errors.LoadError(f"{self.path}: the stored table {name} cannot be read: {_first_line(exc)}") from None
        if any(r[0] != i for i, r in enumerate(rows)):
            raise errors.LoadError(f"{self.path}: the stored table {name} has rows missing")
        return [tuple(r[1:]) for r in rows]

    def write_stored(self, name: str, columns: Columns, rows: Sequence[Sequence[object]], start: int = 0) -> None:
        """Replace the rows of kb_<name> from position `start` on with `rows`; start 0 makes the
        table anew with these columns. Joins the caller's transaction(), or commits by itself."""
        _stored_columns(name, columns)
        with self.transaction():
            if start == 0:
                defs = ", ".join(f"{c} {_STORED_TYPES[t]}" for c, t in columns)
                self._con.execute(f"CREATE OR REPLACE TABLE kb_{name} (seq BIGINT, {defs})")
            else:
                self._con.execute(f"DELETE FROM kb_{name} WHERE seq >= $1", [start])
            items = ", ".join(f"unnest(CAST(${j + 2} AS {_STORED_TYPES[t]}[]))" for j, (_, t) in enumerate(columns))
            for first in range(0, len(rows), _CHUNK):
                chunk = rows[first : first + _CHUNK]
                values = [[row[j] for row in chunk] for j in range(len(columns))]
                seqs = list(range(start + first, start + first + len(chunk)))
                self._con.execute(f"INSERT INTO kb_{name} SELECT unnest(CAST($1 AS BIGINT[])), {items}", [seqs, *values])

    # --- facts in and out ----------------------------------------------------------------------------

    def _group(self, facts: Facts) -> dict[PredicateSym, list[Row]]:
        grouped: dict[PredicateSym, list[Row]] = {}
        for sym, rows in facts.items():
            listed = [tuple(r) for r in rows]
            for row in listed:
                if len(row) != sym.arity:
                    raise errors.QueryError(f"a fact of {sym} has {len(row)} values: {row!r}")
            grouped.setdefault(sym, []).extend(listed)
        return grouped

    def _row_kinds(self, sym: PredicateSym, rows: Sequence[Row], known: Kinds) -> Kinds:
        found = [set(known[j]) if j < len(known) else set() for j in range(sym.arity)]
        for row in rows:
            for j, value in enumerate(row):
                found[j].add(kind_of(value))
        return tuple(frozenset(c) for c in found)

    def _fits(self, sym: PredicateSym, row: Row) -> bool:
        """Whether row's values can be stored in sym's columns (else it cannot be there)."""
        return all(rep == "t" or kind_of(v) == rep for v, rep in zip(row, self._reps[sym], strict=True))

    def _insert(self, sym: PredicateSym, rows: Sequence[Row]) -> int:
        """Add rows to b<N> (duplicates dropped); returns how many were new."""
        if not rows:
            return 0
        self._stage(sym, rows)
        n = self._ids[sym]
        new = scalar(self._run(f"INSERT INTO b{n} SELECT DISTINCT * FROM stage EXCEPT SELECT * FROM b{n}"))
        self._write_meta(sym)
        return new

    def _ensure_table(self, sym: PredicateSym) -> None:
        """A predicate nobody mentioned yet (read by a query) gets an empty base table."""
        if sym not in self._ids:
            self._ids[sym] = self._next_id
            self._next_id += 1
            self._reps[sym] = tuple("s" for _ in range(sym.arity))
            self._kinds[sym] = tuple(frozenset() for _ in range(sym.arity))
            self._run(f"CREATE TABLE b{self._ids[sym]} ({column_defs(self._reps[sym])})")
            self._write_meta(sym)
            self._flush_meta()

    def _rows_with_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        if pred not in self._ids:
            return {}
        if pred not in self._stratum_of:
            with self._guard():
                return dict.fromkeys(self._base_rows(pred), 0)
        with self._guard():
            self._refresh({pred}, rounds=True)
            n = self._ids[pred]
            raw = self._run(f"SELECT {', '.join(column_names(pred.arity))}, rnd FROM r{n}").fetchall()
        decode = row_decoder(self._reps[pred])
        return {decode(r[:-1]) if pred.arity else (): r[-1] for r in raw}

    # --- evaluation ----------------------------------------------------------------------------------

    def _mark_dirty(self, changed: set[PredicateSym]) -> None:
        """Strata reading or defining a changed predicate, and every stratum depending on them."""
        start = {self._stratum_of[s] for s in changed if s in self._stratum_of}
        for sym in changed:
            start |= self._readers.get(sym, set())
        self._mark_strata_dirty(start)

    def _mark_strata_dirty(self, start: set[int]) -> None:
        if not start:
            return
        dirty = set(start)
        for i in range(min(start), len(self._stratum_preds)):
            if self._depends_on[i] & dirty:
                dirty.add(i)
        self._dirty |= dirty

    def _refresh(
        self, preds: Iterable[PredicateSym], readers: Sequence[ast.Rule] = (), rounds: bool = False
    ) -> None:
        """Evaluate the dirty strata that `preds` (read whole) and the rules `readers` depend on,
        lowest first.

        Demand: a dirty linear stratum whose predicate is not read whole, and which every reader
        about to be evaluated reads only with one constant at a position its recursion passes on
        unchanged (or at the one it changes, when that is a reachability), is not evaluated; its
        readers read a seeded view of it instead (see `_demand`).
        With `rounds`, derivation rounds of `preds` are wanted: no demand, and strata that read a
        seeded view are evaluated again after what they read was evaluated whole."""
        preds = set(preds)
        top = {s for r in readers for s in body_preds(r)} | preds
        needed: set[int] = set()
        todo = [self._stratum_of[p] for p in top if p in self._stratum_of]
        while todo:
            i = todo.pop()
            if i not in needed:
                needed.add(i)
                todo.extend(self._depends_on[i])
        if rounds:
            self._mark_strata_dirty(needed & self._seeded)
        targets = {self._stratum_of[p] for p in preds if p in self._stratum_of}
        pending = needed & self._dirty
        for i in sorted(pending):
            self._growing = ", ".join(str(p) for p in self._stratum_preds[i])
            seed = None if rounds or i in targets else self._seed_for(i, pending, readers)
            if seed is not None:
                if isinstance(seed, tuple):  # else _NO_READER: nobody reads it now
                    self._materialise_seeded(i, *seed)
                continue
            if rounds and i in targets and self._linear[i]:
                self._evaluate_seminaive(i)  # its rounds are wanted: no need for the CTE first
            else:
                self._evaluate(i)
            self._dirty.discard(i)
            if any(s in self._override for s in self._reads[i]):
                self._seeded.add(i)
            else:
                self._seeded.discard(i)
        if rounds:
            for i in targets:
                if i in self._lazy_rounds:
                    self._growing = ", ".join(str(p) for p in self._stratum_preds[i])
                    self._store_rounds(i)
        self._growing = ""

    def _seed_for(
        self, i: int, pending: set[int], readers: Sequence[ast.Rule]
    ) -> tuple[int, Value] | object | None:
        """(position, value) when linear stratum i can be read through a seeded view, _NO_READER when
        nothing about to be evaluated reads it, else None."""
        if not self._linear[i]:
            return None
        p = self._stratum_preds[i][0]
        rules = [r for k in pending if k != i and p in self._reads[k] for r in self._program.strata[k].rules]
        rules += list(readers)
        found: set[tuple[int, type, Value]] = set()
        for rule in rules:
            for lit in rule.body:
                atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
                if not isinstance(atom, ast.Atom) or atom.sym != p:
                    continue
                reach = self._reach[i]
                consts = {
                    (j, type(a.value), a.value)
                    for j, a in enumerate(atom.args)
                    if isinstance(a, ast.Constant) and (j in self._stable[i] or (reach is not None and j == reach[0]))
                }
                if not consts:
                    return None
                found = consts if not found else found & consts
                if not found:
                    return None
        if not found:
            return _NO_READER
        j, _, value = min(found, key=lambda f: f[0])
        return j, value

    def _materialise_seeded(self, i: int, j: int, value: Value) -> None:
        """TEMP m<N>: the rows of linear stratum i's predicate with `value` at position j."""
        p = self._stratum_preds[i][0]
        name = f"m{self._ids[p]}"
        params = Params()
        if j in self._stable[i]:
            cte = self._linear_cte(i, params, (j, value))
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {cte} SELECT * FROM w", params.values)
        else:
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {self._reach_select(i, value, params)}", params.values)
        self._override[p] = name

    def _reach_select(self, i: int, value: Value, params: Params) -> str:
        """The rows of linear stratum i's predicate with `value` at its unstable position j:
        base rows whose value at j is reachable from `value` by the steps, with `value` put at j.

            reach(C).  reach(Y) :- reach(X), __step(X, Y).
            p_c(C, Z) :- reach(U), base(U, Z).        (base: p's facts and non-recursive rules)"""
        reach = self._reach[i]
        assert reach is not None
        j, steps = reach
        p = self._stratum_preds[i][0]
        rep = self._reps[p][j]
        step_sym = PredicateSym("__step", 2)

        def reps_of(sym: PredicateSym) -> tuple[str, ...]:
            return (rep, rep) if sym == step_sym else self._reps[sym]

        start = convert(params.const(value), rep)
        recursive = f"SELECT {start.sql} AS u"
        if steps:
            step_sql = " UNION ALL ".join(
                rule_select(r, [self._full(a.sym) for a in positive_atoms(r)], self._full, reps_of, params) for r in steps)
            same = compare_sql("=", Expr("st.c0", rep), Expr("reach.u", rep))
            recursive += f" UNION SELECT st.c1 FROM reach, ({step_sql}) AS st WHERE {same}"
        base = [f"SELECT {', '.join(column_names(p.arity))} FROM b{self._ids[p]}"]
        for rule in self._rules_by_head[i][p]:
            if p not in {a.sym for a in positive_atoms(rule)}:
                base.append(self._select(rule, [self._full(a.sym) for a in positive_atoms(rule)], params))
        items = ", ".join(f"{start.sql} AS c{k}" if k == j else f"s.c{k}" for k in range(p.arity))
        return (f"WITH RECURSIVE reach(u) AS ({recursive}) SELECT DISTINCT {items} "
                f"FROM ({' UNION '.join(base)}) AS s WHERE s.c{j} IN (SELECT u FROM reach)")

    @contextmanager
    def _demand(self) -> Iterator[None]:
        """Seeded views made while reading live only until the read is answered."""
        try:
            yield
        finally:
            names = list(self._override.values())
            self._override = {}
            if names:
                self._drop_quietly(names)

    def _full(self, sym: PredicateSym) -> str:
        if sym in self._override:
            return self._override[sym]
        n = self._ids[sym]
        return f"r{n}" if sym in self._stratum_of else f"b{n}"

    def _reps_of(self, sym: PredicateSym) -> tuple[str, ...]:
        return self._reps[sym]

    def _evaluate(self, i: int) -> None:
        if self._linear[i]:
            self._evaluate_linear(i)
        else:
            self._evaluate_seminaive(i)

    def _linear_cte(self, i: int, params: Params, seed: tuple[int, Value] | None = None) -> str:
        """`WITH RECURSIVE w(...) AS (...)`: linear stratum i as one recursive CTE with set
        semantics (UNION), the base facts and non-recursive rules as its anchor, each recursive rule
        reading the CTE's last iteration. With a seed (j, value), every rule's rows are restricted
        to those with value at position j: recursion passes position j on unchanged, so that is the
        restriction of the whole fixpoint."""
        p = self._stratum_preds[i][0]
        n = self._ids[p]
        cols = ", ".join(column_names(p.arity))
        reps = self._reps[p]

        def seeded(sql: str) -> str:
            if seed is None:
                return sql
            j, value = seed
            cond = compare_sql("=", Expr(f"s.c{j}", reps[j]), params.const(value))
            return f"SELECT * FROM ({sql}) AS s WHERE {cond}"

        anchor = [seeded(f"SELECT {cols} FROM b{n}")]
        steps: list[str] = []
        for rule in self._rules_by_head[i][p]:
            positive = positive_atoms(rule)
            sources = ["w" if a.sym == p else self._full(a.sym) for a in positive]
            sql = seeded(self._select(rule, sources, params))
            (steps if p in {a.sym for a in positive} else anchor).append(sql)
        return (
            f"WITH RECURSIVE w({cols}) AS ({' UNION '.join(anchor)} UNION "
            f"SELECT * FROM ({' UNION ALL '.join(steps)}))"
        )

    def _evaluate_linear(self, i: int) -> None:
        """One statement; derivation rounds are left for `_store_rounds`, with a range of round
        numbers reserved that no semi-naive evaluation of these rows can exceed."""
        p = self._stratum_preds[i][0]
        n = self._ids[p]
        params = Params()
        cte = self._linear_cte(i, params)
        self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({column_defs(self._reps[p])}, rnd BIGINT)")
        self._r_tables.add(n)
        cols = ", ".join(column_names(p.arity))
        count = scalar(self._run(f"INSERT INTO r{n} {cte} SELECT {cols}, NULL FROM w", params.values))
        # semi-naive evaluation gains a row each round but the last: count + 1 rounds at most
        self._lazy_rounds[i] = self._counter
        self._counter += count + 1

    def _store_rounds(self, i: int) -> None:
        """Derivation rounds of a stratum `_evaluate_linear` computed: semi-naive evaluation again,
        numbered from the round the stratum started at (its rows are the same)."""
        start = self._lazy_rounds.pop(i)
        saved, self._counter = self._counter, start
        try:
            self._evaluate_seminaive(i)
        except BaseException:
            self._dirty.add(i)  # r<N> may be half written
            raise
        finally:
            self._counter = max(saved, self._counter)  # never above saved: count + 1 was reserved

    def _evaluate_seminaive(self, i: int) -> None:
        self._lazy_rounds.pop(i, None)
        preds = self._stratum_preds[i]
        rules = self._rules_by_head[i]
        if not self._recursive[i]:
            # one pass: base rows, then the rules' rows that are not base rows
            self._counter += 1
            for p in preds:
                n = self._ids[p]
                self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({column_defs(self._reps[p])}, rnd BIGINT)")
                self._r_tables.add(n)
                params = Params()
                selects = [self._select(rule, [self._full(a.sym) for a in positive_atoms(rule)], params) for rule in rules[p]]
                same = " AND ".join(f"old.{c} = new.{c}" for c in column_names(p.arity))
                self._run(
                    f"INSERT INTO r{n} SELECT *, 0 FROM b{n} UNION ALL "
                    f"SELECT DISTINCT *, {self._counter} FROM ({' UNION ALL '.join(selects)}) AS new "
                    f"WHERE NOT EXISTS (SELECT 1 FROM b{n} AS old WHERE {same})",
                    params.values,
                )
            return
        for p in preds:
            n = self._ids[p]
            self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({column_defs(self._reps[p])}, rnd BIGINT)")
            self._r_tables.add(n)
            self._run(f"INSERT INTO r{n} SELECT *, 0 FROM b{n}")
        own = set(preds)
        rules = self._rules_by_head[i]
        delta: dict[PredicateSym, str] = {}
        first = True
        try:
            while first or delta:
                self._counter += 1
                fresh: dict[PredicateSym, str] = {}
                for p in preds:
                    params = Params()
                    selects = []
                    for rule in rules[p]:
                        positive = positive_atoms(rule)
                        if first:
                            sources = [self._full(a.sym) for a in positive]
                            selects.append(self._select(rule, sources, params))
                            continue
                        # one variant per recursive atom, that atom reading the last round's delta
                        for k, atom in enumerate(positive):
                            if atom.sym in delta:
                                sources = [self._full(a.sym) for a in positive]
                                sources[k] = delta[atom.sym]
                                selects.append(self._select(rule, sources, params))
                    if not selects:
                        continue
                    n = self._ids[p]
                    name = f"d{n}_{self._counter % 2}"
                    union = " UNION ALL ".join(selects)
                    # new rows: the candidates no row of r<N> equals (an anti join, so DuckDB may
                    # build its hash table on the candidates, usually far fewer than r<N>)
                    same = " AND ".join(f"old.{c} = new.{c}" for c in column_names(p.arity))
                    self._run(
                        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({union}) AS new "
                        f"WHERE NOT EXISTS (SELECT 1 FROM r{n} AS old WHERE {same})",
                        params.values,
                    )
                    fresh[p] = name
                for name in delta.values():
                    self._run(f"DROP TABLE IF EXISTS {name}")
                delta = {}
                # rows are added only after every predicate's round ran: a round reads the last one
                for p, name in fresh.items():
                    n = self._ids[p]
                    added = scalar(self._run(f"INSERT INTO r{n} SELECT *, {self._counter} FROM {name}"))
                    if added and self._recursive[i] and own:
                        delta[p] = name
                    else:
                        self._run(f"DROP TABLE IF EXISTS {name}")
                first = False
        finally:
            if delta:
                self._drop_quietly(list(delta.values()))

    def annotated_query(self, program: CheckedProgram, plain: Facts, annotated: Annotated,
                        query: CheckedQuery) -> dict[Row, tuple[Interval, ...]]:
        """Interval-annotated semi-naive evaluation in SQL (annotated.py), on temp tables of its
        own; when every annotated fact holds everywhere, one plain evaluation on a fresh engine."""
        everywhere = ((0, annotated.size - 1),)
        if all(coalesce(spans) == everywhere for rows in clipped(annotated).values() for spans in rows.values()):
            return sweep(type(self), self.timeout, program, plain, annotated, query)  # a single segment
        with self._guard():
            return interval_sql.evaluate(self._run, self._drop_quietly, program, plain, annotated, query)

    def _drop_quietly(self, names: list[str]) -> None:
        deadline, self._deadline = self._deadline, None
        try:
            for name in names:
                with contextlib.suppress(duckdb.Error):  # an interrupted connection: only memory
                    self._con.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            self._deadline = deadline

    def _select(self, rule: ast.Rule, sources: Sequence[str], params: Params) -> str:
        return rule_select(rule, sources, self._full, self._reps_of, params)

    def _query_sql(self, query: CheckedQuery) -> tuple[str, list[object], tuple[str, ...]]:
        """The query's rules as CTEs over the program's tables, in dependency order: one SELECT."""
        own: dict[PredicateSym, list[ast.Rule]] = {}
        for rule in query.rules:
            own.setdefault(rule.head.sym, []).append(rule)
        kinds = infer_kinds(query.rules, self._kinds)
        reps = dict(self._reps)
        for sym in own:
            reps[sym] = tuple(rep_for(k) for k in kinds[sym])
        names = {sym: f"q{m}" for m, sym in enumerate(own)}
        order: list[PredicateSym] = []

        def visit(sym: PredicateSym) -> None:
            if sym in own and sym not in order:
                for rule in own[sym]:
                    for dep in body_preds(rule):
                        if dep != sym:
                            visit(dep)
                order.append(sym)

        for sym in own:
            visit(sym)

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

    # --- time limit, Ctrl-C, transactions ---------------------------------------------------------

    def _run(self, sql: str, params: Sequence[object] = ()) -> duckdb.DuckDBPyConnection:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise _DeadlinePassed
        return self._con.execute(sql, list(params))

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Honour the time limit and Ctrl-C, turning either into a QueryError subclass."""
        if self._guarding:  # nested: the outer guard watches
            yield
            return
        self._guarding = True
        self._growing = ""
        stop = threading.Event()
        fired = threading.Event()
        watchdog = None
        limit = self.timeout
        if limit is not None:
            self._deadline = time.monotonic() + limit

            def watch() -> None:
                if stop.wait(limit):
                    return
                fired.set()
                # keep interrupting: a statement may start right after an interrupt found none running
                while True:
                    self._con.interrupt()
                    if stop.wait(0.02):
                        return

            watchdog = threading.Thread(target=watch, name="duckdb-timeout", daemon=True)
            watchdog.start()
        if self._ctrl_c is None:
            self._ctrl_c = _CtrlCWatcher(self)
        try:
            with self._ctrl_c:
                yield
        except BaseException as exc:
            stop.set()
            if watchdog is not None:
                watchdog.join()
            translated = self._translate(exc, fired.is_set())
            if translated is exc:
                raise
            raise translated from exc
        finally:
            stop.set()
            if watchdog is not None:
                watchdog.join()
            self._deadline = None
            self._guarding = False

    def _translate(self, exc: BaseException, fired: bool) -> BaseException:
        if memory.is_out_of_memory(exc):
            limit = (f"{memory.human(self._headroom)} more than the knowledge base holds" if self._headroom else
                     memory.human(self.memory_limit) if self.memory_limit is not None else "DuckDB's default")
            return memory.too_large(self._growing or "the answer", limit)
        if isinstance(exc, _DeadlinePassed) or (fired and isinstance(exc, duckdb.InterruptException)):
            return errors.QueryTimeout(
                f"query took longer than {self.timeout:g} s; raise the limit with --timeout or :timeout"
            )
        # DuckDB may notice the pending Ctrl-C itself and raise its own RuntimeError for it.
        ctrl_c = isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()
        if ctrl_c or isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException)):
            return errors.QueryInterrupted("interrupted")
        if isinstance(exc, duckdb.Error):
            return errors.QueryError(f"evaluation failed: {exc}")
        return exc

    @contextmanager
    def _failsafe(self) -> Iterator[None]:
        """A guarded transaction over base facts: on any failure, roll back and re-read the store,
        so facts and program are as before the call. Inside transaction() the change joins that
        one, which commits or rolls back for it."""
        with self._guard():
            if self._in_transaction:
                yield
                return
            self._con.begin()
            try:
                yield
                self._flush_meta()
                self._con.commit()
            except BaseException:
                self._recover()
                raise

    def _recover(self) -> None:
        deadline, self._deadline = self._deadline, None
        self._meta_due = set()  # of the rolled-back change
        try:
            with contextlib.suppress(duckdb.Error):  # nothing to roll back
                self._con.rollback()
            self._read_store()
            self._r_tables_drop()
            self._install(self._program)
            self._flush_meta()
        finally:
            self._deadline = deadline

    def _r_tables_drop(self) -> None:
        for n in self._r_tables:
            self._con.execute(f"DROP TABLE IF EXISTS r{n}")
        self._r_tables = set()


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


class _CtrlCWatcher:
    """Ctrl-C during one long DuckDB statement: Python runs its SIGINT handler only between
    bytecodes, so the KeyboardInterrupt would wait for the statement to end. The C-level handler
    does write the signal to a wakeup file descriptor at once, though; a thread watching that
    descriptor interrupts the connection, the statement stops, and the KeyboardInterrupt follows.
    One thread and pipe per engine; each guarded call only installs the descriptor."""

    def __init__(self, engine: DuckDBEngine) -> None:
        import os
        import weakref

        # Weakly: the thread must not keep the engine (and its connection) alive.
        self._engine = weakref.ref(engine)
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._fds = [self._write, self._read]  # emptied when closed, so no descriptor closes twice
        self._old_fds: list[int] = []
        self._thread = threading.Thread(target=self._watch, name="duckdb-ctrl-c", daemon=True)
        self._thread.start()
        weakref.finalize(engine, _close_fds, self._fds)

    def _watch(self) -> None:
        import os

        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if not data:
                return  # closed: the engine is gone
            engine = self._engine()
            if engine is None:
                return
            if signal.SIGINT in data:
                engine._con.interrupt()
            del engine

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            self._old_fds.append(-2)  # signals go to the main thread only: nothing to watch
            return
        try:
            self._old_fds.append(signal.set_wakeup_fd(self._write, warn_on_full_buffer=False))
        except ValueError:
            self._old_fds.append(-2)

    def __exit__(self, *exc: object) -> None:
        old = self._old_fds.pop()
        if old != -2:
            signal.set_wakeup_fd(old)

    def close(self) -> None:
        _close_fds(self._fds)


def _close_fds(fds: list[int]) -> None:
    import os

    while fds:
        with contextlib.suppress(OSError):
            os.close(fds.pop())
