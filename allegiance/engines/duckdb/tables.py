"""The DuckDB engine's tables: installing a program, the base tables and their encoding, facts in
and out, and the knowledge base's own stored tables.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: a CheckedProgram, base facts as rows of
Python values (and Bulks over staged CSV tables), kb_ rows from persist.py. Output: the b<N> tables,
their metadata and the per-stratum index the loop and the seeding read; kb_ rows back.

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
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import duckdb

from ... import ast, errors, shield
from ...analysis.checked import CheckedProgram
from ...ast import PredicateSym, Row
from ..base import Bulk, Column, Facts
from . import memory
from .compile import (
    ALL_KINDS,
    Expr,
    Kinds,
    Params,
    body_preds,
    column_defs,
    column_names,
    convert,
    kind_of,
    positive_atoms,
    program_kinds,
    reach_steps,
    rep_for,
    row_decoder,
    stable_positions,
    unnested,
)
from .connection import connect
from .csv import CsvTable, scalar
from .guard import Guarded, first_line, rollback

META = "allegiance_relations"
CHUNK = 50_000  # rows per bulk insert statement: bounds the size of one list parameter
EMPTY = CheckedProgram(rules=(), strata=())
_TABLE_ID = re.compile(r"^[0-9]{1,9}$")
_REPS = re.compile(r"^[sifdt]*$")


# The knowledge base's own tables: kb_<name>(seq BIGINT, <columns>), rows that persist.py encodes and
# decodes; this module only stores them. Table and column names are constants of persist.py, checked
# here against a pattern before they become identifiers; every value is a bound parameter.

_STORED_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_STORED_TYPES = {"text": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE", "bool": "BOOLEAN"}
Columns = Sequence[tuple[str, str]]  # (name, one of _STORED_TYPES)


def _stored_columns(name: str, columns: Columns) -> None:
    if not _STORED_NAME.match(name) or not columns or any(
            not _STORED_NAME.match(c) or c == "seq" or t not in _STORED_TYPES for c, t in columns):
        raise ValueError(f"not a stored table: {name} {columns!r}")  # a bug in the caller, not user input


class Tables(Guarded):
    """The installed program and its tables; the layer of DuckDBEngine above the guard.

    The attributes without a value here are set by DuckDBEngine.__init__."""

    path: str | None
    damaged: str | None
    _in_transaction: bool
    _program: CheckedProgram
    _counter: int
    _r_tables: set[int]
    _dirty: set[int]
    _meta_due: set[PredicateSym]
    _staged: weakref.WeakSet[CsvTable]
    _spill: memory.Spill
    _read_only: bool  # the file is open read-only until its first change (DuckDBEngine._open)
    _schema: dict[str, list[tuple[str, str]]] | None  # stored_tables(), kept while read-only
    _base_count: int | None  # base facts in the store, kept as they change; None: count them (magic._worth_it)

    def _read_store(self) -> None:
        """Python's view of the stored base tables, from the metadata table.

        The file may come from anywhere: ids and representations are validated before they are used
        to build table names."""
        self._base_count = None  # how many base facts the store holds: counted again when asked
        self._ids: dict[PredicateSym, int] = {}
        self._reps: dict[PredicateSym, tuple[str, ...]] = {}
        self._fact_kinds: dict[PredicateSym, Kinds] = {}
        rows = self._con.execute(f"SELECT name, arity, id, reps, kinds FROM {META}").fetchall()
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
            if re.fullmatch(r"b[0-9]{1,9}|kb_[a-z0-9_]{1,41}|" + META, name):  # our names only, checked
                self._con.execute(f"DROP TABLE {name}")
        self._con.execute(f"CREATE TABLE {META} (name VARCHAR, arity INTEGER, id INTEGER, reps VARCHAR, kinds VARCHAR)")
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
        self._con.execute(f"DELETE FROM {META} USING (SELECT unnest($1::VARCHAR[]) AS n, unnest($2::INTEGER[]) AS a) "
                          f"AS m WHERE {META}.name = m.n AND {META}.arity = m.a", [names, arities])
        self._con.execute(
            f"INSERT INTO {META} SELECT unnest($1::VARCHAR[]), unnest($2::INTEGER[]), unnest($3::INTEGER[]), "
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

        self._kinds = program_kinds(program.rules, program.types, self._fact_kinds)
        for sym, kinds in sorted(self._kinds.items(), key=lambda kv: str(kv[0])):
            reps = tuple(rep_for(k) for k in kinds)
            if sym not in self._ids:
                self._ids[sym] = self._next_id
                self._next_id += 1
                self._reps[sym] = reps
                self._con.execute(f"CREATE TABLE b{self._ids[sym]} ({column_defs(reps)})")
                self._write_meta(sym)
            elif self._reps[sym] != reps and not self._read_only:  # read-only: at writable()
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
        cols = ", ".join(column_names(sym.arity))
        raw = self._con.execute(f"SELECT {cols} FROM b{n}").fetchall()
        if "t" not in self._reps[sym]:  # nothing tagged: DuckDB's tuples are the rows
            return cast("list[Row]", raw)
        decode = row_decoder(self._reps[sym])
        return [decode(r) for r in raw]

    def _stage(self, sym: PredicateSym, rows: Sequence[Row]) -> None:
        """TEMP table `stage` := rows, encoded for sym's columns, inserted as list parameters."""
        reps = self._reps[sym]
        self._run(f"CREATE OR REPLACE TEMP TABLE stage ({column_defs(reps)})")
        if sym.arity == 0:
            if rows:
                self._run("INSERT INTO stage VALUES (TRUE)")
            return
        for start in range(0, len(rows), CHUNK):
            columns, items = unnested(reps, rows[start : start + CHUNK])
            self._run(f"INSERT INTO stage SELECT {items}", columns)

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
        with self._parallel():  # a million rows: DuckDB inserts them on every thread
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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything done inside (fact changes, program changes, stored tables) is one commit; on
        any failure all of it is rolled back and the program of the start is installed again.
        Ctrl-C is deferred throughout (shield.py): it stops the change at its next statement, or,
        pressed after the COMMIT, is raised once the transaction is over, never in between."""
        if self._in_transaction:
            yield
            return
        with shield.deferred():
            self.writable()
            program = self._program
            self._in_transaction = True
            try:
                self._con.begin()
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

    def stored_tables(self) -> dict[str, list[tuple[str, str]]]:
        """The kb_ tables the file holds, by name, with their columns: one catalog query for all (a
        restore reads fifteen), kept while the file is read-only, when nothing can change them."""
        if self._schema is None or not self._read_only:
            rows = self._con.execute(
                "SELECT c.table_name, list([c.column_name, c.data_type] ORDER BY c.column_index) FROM duckdb_columns() c "
                "JOIN duckdb_tables() t USING (table_oid) WHERE t.database_name = current_database() AND "
                "t.schema_name = 'main' AND starts_with(c.table_name, 'kb_') GROUP BY c.table_name").fetchall()
            self._schema = {str(t)[3:]: [(str(c), str(kind)) for c, kind in columns] for t, columns in rows}
        return self._schema

    def read_stored(self, name: str, columns: Columns) -> list[tuple[object, ...]] | None:
        """The rows of kb_<name> in order, or None when the file has no such table. A table whose
        columns are not `columns` (a foreign or damaged file) is a LoadError naming the file."""
        _stored_columns(name, columns)
        declared = self.stored_tables().get(name)
        if declared is None:
            return None
        if declared != [("seq", "BIGINT"), *((c, _STORED_TYPES[t]) for c, t in columns)]:
            raise errors.LoadError(f"{self.path}: the stored table {name} has other columns than allegiance writes")
        cols = ", ".join(c for c, _ in columns)
        try:
            rows = self._con.execute(f"SELECT seq, {cols} FROM kb_{name} ORDER BY seq").fetchall()
        except duckdb.Error as exc:
            raise errors.LoadError(f"{self.path}: the stored table {name} cannot be read: {first_line(exc)}") from None
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
            for first in range(0, len(rows), CHUNK):
                chunk = rows[first : first + CHUNK]
                values = [[row[j] for row in chunk] for j in range(len(columns))]
                seqs = list(range(start + first, start + first + len(chunk)))
                self._con.execute(f"INSERT INTO kb_{name} SELECT unnest(CAST($1 AS BIGINT[])), {items}", [seqs, *values])


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

    def _insert(self, sym: PredicateSym, rows: Sequence[Row], empty: bool = False) -> int:
        """Add rows to b<N> (duplicates dropped); returns how many were new. `empty`: b<N> was just made
        (a load, a selection's view): duplicates dropped here, no DISTINCT or EXCEPT (~3 ms a relation)."""
        if not rows:
            return 0
        n, rows = self._ids[sym], list(dict.fromkeys(rows)) if empty else rows
        if not sym.arity or (len(rows) > CHUNK and not empty):
            self._stage(sym, rows)
            new = scalar(self._run(f"INSERT INTO b{n} SELECT DISTINCT * FROM stage EXCEPT SELECT * FROM b{n}"))
        else:  # one statement a chunk, not three (stage, fill, insert): the bundled knowledge base's many small relations
            select = "SELECT {}" if empty else f"SELECT DISTINCT * FROM (SELECT {{}}) EXCEPT SELECT * FROM b{n}"
            chunks = (unnested(self._reps[sym], rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK))
            new = sum(scalar(self._run(f"INSERT INTO b{n} " + select.format(items), columns)) for columns, items in chunks)
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

    @contextmanager
    def _failsafe(self) -> Iterator[None]:
        """A guarded transaction(): on any failure, roll back and re-read the store, so facts and
        program are as before the call (Ctrl-C pressed after the COMMIT: a bare KeyboardInterrupt
        after the call, not an "interrupted" error; see _guard)."""
        with self._guard(), self.transaction():
            yield

    def writable(self) -> None:
        """Reopen a file opened read-only (DuckDBEngine._open) for changes: once what it holds is
        known to be sound, or before the first change. TEMP tables of the read-only connection (derived
        relations) are gone after; they are made again when read."""
        if not self._read_only:
            return
        self._con.close()
        self._read_only = False
        self._con = connect(self.path)
        spill, self._spill = self._spill, self._configure()
        spill.remove()
        self._r_tables = set()
        self._read_store()
        self._install(self._program)
        self._flush_meta()

    def _recover(self) -> None:
        deadline, self._deadline = self._deadline, None
        self._meta_due = set()  # of the rolled-back change
        # shielded: the Ctrl-C or time limit that stopped the change must not stop its rollback
        # half-way (the watchdog keeps interrupting until the guarded call ends)
        try:
            with shield.shielded():
                rollback(self._con)
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
