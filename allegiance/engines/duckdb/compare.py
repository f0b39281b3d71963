"""What a relation gained and lost between two moments, computed in DuckDB: the SQL of `keep` and
`changes` (engines/base.py), so that a change report never hands a whole relation to Python.

Stage: engine. Input: table names and column representations (compile.py's) of the relation now
and of the copy kept earlier. Output: SQL text; every name in it is generated, no value is inlined.

    gained(R) = rows of R now, with no equal kept row and no equal base row of R now
    lost(R)   = kept rows with no equal row of R now

Both are anti-joins (NOT EXISTS), not EXCEPT: DuckDB builds its hash table on the side it
probes, usually the smaller one (a kept copy from before a large load), where EXCEPT hashes both.
Counts are `count(*)` over those; samples are the first rows in DuckDB's order (`ORDER BY ALL
LIMIT n`), so Python sees at most n rows of each side however large the relation.
"""

from __future__ import annotations

from collections.abc import Sequence

from .compile import Expr, column_names, convert


def _kept_items(arity: int, kept_reps: Sequence[str], reps: Sequence[str], alias: str) -> list[str]:
    """The kept copy's columns in today's representations (facts of a new kind may have
    re-encoded a column since: a native column kept, a tagged one now)."""
    return [convert(Expr(f"{alias}.c{j}", old), new).sql
            for j, (old, new) in enumerate(zip(kept_reps, reps, strict=True))] if arity else []


def _same(left: Sequence[str], right: Sequence[str]) -> str:
    return " AND ".join(f"{a} = {b}" for a, b in zip(left, right, strict=True)) or "TRUE"


def _none(arity: int) -> str:
    cols = ", ".join(f"NULL AS {c}" for c in column_names(arity))
    return f"SELECT {cols} WHERE FALSE"


def gained(now: str | None, kept: str | None, base: str | None, arity: int,
           kept_reps: Sequence[str], reps: Sequence[str]) -> str:
    """Rows of table `now` in neither `kept` (in kept_reps) nor `base` (None: no such table)."""
    if now is None:
        return _none(arity)
    cols = column_names(arity)
    mine = [f"n.{c}" for c in cols] if arity else []
    where = []
    if kept is not None:
        where.append(f"NOT EXISTS (SELECT 1 FROM {kept} AS o WHERE "
                     f"{_same(_kept_items(arity, kept_reps, reps, 'o'), mine)})")
    if base is not None:
        where.append(f"NOT EXISTS (SELECT 1 FROM {base} AS b WHERE {_same([f'b.{c}' for c in cols] if arity else [], mine)})")
    return f"SELECT {', '.join(f'n.{c}' for c in cols)} FROM {now} AS n" + (f" WHERE {' AND '.join(where)}" if where else "")


def lost(now: str | None, kept: str | None, arity: int, kept_reps: Sequence[str], reps: Sequence[str]) -> str:
    """Rows of `kept` (in kept_reps, shown in reps) with no equal row in `now`."""
    if kept is None:
        return _none(arity)
    items = _kept_items(arity, kept_reps, reps, "o")
    shown = ", ".join(f"{e} AS c{j}" for j, e in enumerate(items)) if arity else "o.z"
    if now is None:
        return f"SELECT {shown} FROM {kept} AS o"
    return (f"SELECT {shown} FROM {kept} AS o WHERE NOT EXISTS (SELECT 1 FROM {now} AS n WHERE "
            f"{_same(items, [f'n.{c}' for c in column_names(arity)] if arity else [])})")


def select(table: str, arity: int) -> str:
    return f"SELECT {', '.join(column_names(arity))} FROM {table}"


def count(rows: str) -> str:
    return f"SELECT count(*) FROM ({rows})"


def sample(rows: str, n: int) -> str:
    return f"SELECT * FROM ({rows}) ORDER BY ALL LIMIT {int(n)}"


__all__ = ["count", "gained", "lost", "sample", "select"]
