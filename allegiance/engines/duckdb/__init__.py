"""The DuckDB engine, as a package: the only place besides pydatalog.py that imports a database library.

    engine.py    DuckDBEngine: the facade, the Engine interface over the layers below
    magic.py     a query with constants answered through its demand program (analysis/demand.py)
    seeding.py   which strata a read evaluates; demand-driven seeded views
    loop.py      evaluating a stratum: the semi-naive loop, or one recursive CTE
    tables.py    installing a program; base tables, their encoding, facts in and out, kb_ tables
    guard.py     the time limit and Ctrl-C around every evaluating call
    compile.py   rules -> SQL text: value representations, type inference, terms, rule bodies
    csv.py       CSV files -> a staged TEMP table that a Bulk reads (`allegiance import`)
    annotated.py interval-annotated semi-naive evaluation in SQL (Engine.annotated_query)
    memory.py    the memory ceiling and spill folder of every connection; the too-large error
    compare.py   SQL for what a relation gained and lost since it was kept (the change report)

Each of engine, magic, seeding, loop, tables and guard holds one class extending the one below it (see
engine.py's docstring); only engine.py, tables.py, guard.py, memory.py and csv.py import duckdb.
Input and output: the Engine interface (engines/base.py).
"""

from __future__ import annotations

from .engine import DuckDBEngine

__all__ = ["DuckDBEngine"]
