"""CSV files for `allegiance import`, read by DuckDB into a table that a `Bulk` reads.

Stage: loading (loading.import_csv stages a file through its engine). Input: a CSV file's path,
the columns to read and their declared types. Output: a `CsvTable`: the converted rows in a TEMP
table of the engine's connection (or a private one), with the bad cells when some do not fit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import cast

import duckdb

from ... import errors
from ...ast import Row
from .compile import DECLARED_KIND
from .connection import connect

# --- CSV files for `allegiance import` ----------------------------------------------------------------
# DuckDB's reader parses the file; what it reads is data, never SQL. The path is a bound parameter and
# columns are chosen by position (`#N`, numbers this module writes), so no name from the file reaches SQL.

# Per declared type: the strict test a cell `v` must pass (a failing cell is reported), and its cast.
def _csv_cast(kind: str, v: str) -> tuple[str, str]:
    if kind == "number":
        return (f"regexp_full_match(trim({v}), '[-+]?[0-9]+') AND TRY_CAST(trim({v}) AS BIGINT) IS NOT NULL",
                f"TRY_CAST(trim({v}) AS BIGINT)")
    if kind == "float":
        return f"isfinite(TRY_CAST(trim({v}) AS DOUBLE))", f"TRY_CAST(trim({v}) AS DOUBLE)"
    if kind == "date":
        return (f"regexp_full_match(trim({v}), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND TRY_CAST(trim({v}) AS DATE) IS NOT NULL",
                f"TRY_CAST(trim({v}) AS DATE)")
    return f"{v} IS NOT NULL", v  # symbol, string: any text but an empty cell


class CsvTable:
    """A CSV file's chosen columns in a TEMP table, each cell converted to its declared type by
    DuckDB (`Table` for a `Bulk`): nothing crosses into Python unless asked.

    Made by `stage_csv`. When every cell fits, the table holds the rows (`line`, `v0`, `v1`, ...);
    otherwise `bad` lists the first bad cells as (line, column name, cell text or None) and
    `bad_count` counts them. Once `finish`ed (duplicates dropped, the first line of each kept),
    `k` numbers the rows 1, 2, ... in file order and the table is fixed."""

    _made = 0

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, header: tuple[str, ...], width: int) -> None:
        CsvTable._made += 1
        self.con: duckdb.DuckDBPyConnection | None = con
        self.name = f"csv{CsvTable._made}"  # generated: no name from the file reaches SQL
        self.path = path
        self.header = header
        self.width = width
        self.kinds: tuple[str, ...] = ()  # each column's value kind (s, i, f, d)
        self._count = 0
        self.bad: list[tuple[int, str, str | None]] = []
        self.bad_count = 0
        self.finished = False
        self._rows: list[Row] | None = None
        self._lines: list[int] | None = None
        # the threads its statements run on: an engine's connection lends its machine's (guard.py)
        self.parallel: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext

    def _sql(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        if self.con is None:
            raise errors.LoadError(f"{self.path}: its staged rows are gone (the engine was closed)", None)
        with self.parallel():
            return list(self.con.execute(sql, list(params)).fetchall())

    def _values(self) -> str:
        return ", ".join(f"v{j}" for j in range(self.width))

    def distinct(self, j: int) -> list[str]:
        """The distinct texts of (symbol) column j."""
        return [str(r[0]) for r in self._sql(f"SELECT DISTINCT v{int(j)} FROM {self.name}")]

    def replace(self, j: int, mapping: Mapping[str, str]) -> None:
        """Rewrite column j's values through mapping (an entity's name to its id)."""
        if mapping:
            self._sql(f"UPDATE {self.name} SET v{int(j)} = m.new FROM (SELECT unnest($1::VARCHAR[]) AS old, "
                      f"unnest($2::VARCHAR[]) AS new) AS m WHERE v{int(j)} = m.old",
                      [list(mapping), list(mapping.values())])

    def lines_with(self, j: int, values: Sequence[str], limit: int) -> list[tuple[int, str]]:
        """The first lines whose column j holds one of values, with that value."""
        found = self._sql(f"SELECT line, v{int(j)} FROM {self.name} WHERE v{int(j)} IN (SELECT unnest($1::VARCHAR[])) "
                          "ORDER BY line LIMIT $2", [list(values), limit])
        return [(int(str(line)), str(v)) for line, v in found]

    def finish(self) -> None:
        """Drop repeated rows (the first line of each stays) and number the rows."""
        values = self._values()
        self._sql(f"CREATE OR REPLACE TEMP TABLE {self.name} AS SELECT row_number() OVER (ORDER BY line) AS k, * "
                  f"FROM (SELECT * FROM {self.name} QUALIFY row_number() OVER (PARTITION BY {values} ORDER BY line) = 1)")
        self._count = scalar(self.con.execute(f"SELECT count(*) FROM {self.name}")) if self.con else 0
        self.finished = True

    @property
    def count(self) -> int:
        if not self.finished:
            self.finish()
        return self._count

    def rows(self) -> list[Row]:
        if not self.finished:
            self.finish()
        if self._rows is None:
            found = self._sql(f"SELECT {self._values()} FROM {self.name} ORDER BY k") if self.width else []
            self._rows = cast("list[Row]", found)
        return self._rows

    def lines(self) -> list[int]:
        if not self.finished:
            self.finish()
        if self._lines is None:
            self._lines = [int(str(r[0])) for r in self._sql(f"SELECT line FROM {self.name} ORDER BY k")]
        return self._lines

    def at(self, k: int) -> tuple[Row, int]:
        if self._rows is not None and self._lines is not None:
            return tuple(self._rows[k - 1]), self._lines[k - 1]
        if not self.finished:
            self.finish()
        found = self._sql(f"SELECT line{', ' if self.width else ''}{self._values()} FROM {self.name} WHERE k = $1", [k])
        if not found:
            raise IndexError(f"row {k} of {self.path}")
        return cast("Row", tuple(found[0][1:])), int(str(found[0][0]))

    def keep(self) -> None:
        """Read the rows into Python and let go of the connection (its engine is closing)."""
        if self.con is not None:
            self.rows()
            self.lines()
            self.con = None


def read_csv_header(path: str) -> tuple[str, ...]:
    """The column names of a CSV file (its first line), as DuckDB's reader sees them."""
    with _csv_connection() as con:
        return _csv_header(con, path)


def _csv_header(con: duckdb.DuckDBPyConnection, path: str) -> tuple[str, ...]:
    described = _csv_run(con, path, "DESCRIBE SELECT * FROM read_csv($1, all_varchar = true, header = true)")
    return tuple(str(r[0]) for r in described)


def stage_csv(path: str, positions: Sequence[int], types: Sequence[str], max_bad: int = 20,
              con: duckdb.DuckDBPyConnection | None = None) -> CsvTable:
    """Read the columns at `positions` (0-based) of a CSV file into a CsvTable, each cell converted
    to its declared type; on `con` (an engine's connection) or a private in-memory database."""
    con = con if con is not None else connect(None)
    table = CsvTable(con, path, _csv_header(con, path), len(positions))
    table.kinds = tuple(DECLARED_KIND.get(t, "s") for t in types)
    cols = [f"#{int(p) + 1}" for p in positions]
    raw = f"{table.name}_raw"
    source = "SELECT row_number() OVER () + 1 AS line" + "".join(
        f", {c} AS v{j}" for j, c in enumerate(cols)) + " FROM read_csv($1, all_varchar = true, header = true)"
    _csv_run(con, path, f"CREATE OR REPLACE TEMP TABLE {raw} AS {source}")
    try:
        tests = [_csv_cast(t, f"v{j}")[0] for j, t in enumerate(types)]
        checks = " UNION ALL ".join(
            f"SELECT line, {j} AS col, v{j} AS cell FROM {raw} WHERE NOT coalesce({test}, false)"
            for j, test in enumerate(tests))
        table.bad_count = scalar(con.execute(f"SELECT count(*) FROM ({checks})")) if checks else 0
        if table.bad_count:
            found = con.execute(f"SELECT line, col, cell FROM ({checks}) ORDER BY line, col LIMIT $1", [max_bad]).fetchall()
            names = [table.header[p] for p in positions]
            table.bad = [(int(ln), names[c], cell) for ln, c, cell in found]
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} AS SELECT * FROM {raw} LIMIT 0")
        else:
            casts = "".join(f", {_csv_cast(t, f'v{j}')[1]} AS v{j}" for j, t in enumerate(types))
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} AS SELECT line{casts} FROM {raw}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {raw}")
    return table


@contextmanager
def _csv_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(None)
    try:
        yield con
    finally:
        con.close()


def _csv_run(con: duckdb.DuckDBPyConnection, path: str, sql: str) -> list[tuple[object, ...]]:
    try:
        return list(con.execute(sql, [path]).fetchall())
    except duckdb.Error as exc:
        first = str(exc).split("\n\n")[0].replace("\n", "; ")
        raise errors.LoadError(f"{path}: cannot read it as CSV: {first}", None,
                               "a CSV file in UTF-8 with a header line") from None


def scalar(cursor: duckdb.DuckDBPyConnection) -> int:
    """The count a DML statement (or a count query) returns."""
    row = cursor.fetchone()
    return int(row[0]) if row else 0
