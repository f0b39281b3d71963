"""The DuckDB engine, as a package: the only place besides pydatalog.py that imports a database library.

    engine.py    DuckDBEngine: tables, the semi-naive loop, demand-driven seeding, the guard
                 (see its docstring for how a program runs)
    compile.py   rules -> SQL text: value representations, type inference, terms, rule bodies
    csv.py       CSV files -> a staged TEMP table that a Bulk reads (`allegiance import`)
    memory.py    the memory ceiling and spill folder of every connection; the too-large error
    compare.py   SQL for what a relation gained and lost since it was kept (the change report)

Input and output: the Engine interface (engines/base.py).
"""

from __future__ import annotations

from .engine import DuckDBEngine

__all__ = ["DuckDBEngine"]
