"""The engines behind one interface (base.Engine): DuckDB (the default), pyDatalog and Spark (an
optional extra).

Stage: evaluation. Input: an engine's name and its options (`make_engine`). Output: an Engine.
`make_engine(name)` is the one place that picks one; each engine module is the only module that
imports its library, and it is imported only when chosen.
"""

from __future__ import annotations

from ..errors import QueryError, did_you_mean
from .base import DEFAULT_TIMEOUT, Engine

ENGINES = ("duckdb", "pydatalog", "spark")


def make_engine(name: str, timeout: float | None = DEFAULT_TIMEOUT, db: str | None = None) -> Engine:
    if name == "duckdb":
        from .duckdb import DuckDBEngine

        return DuckDBEngine(timeout=timeout, path=db)
    if name == "pydatalog":
        if db is not None:
            raise QueryError("--db keeps a DuckDB file; the pyDatalog engine lives in memory only", None,
                             "drop --db, or use --engine duckdb")
        from .pydatalog import PyDatalogEngine

        return PyDatalogEngine(timeout=timeout)
    if name == "spark":
        if db is not None:
            raise QueryError("--db keeps a DuckDB file; the Spark engine keeps its relations in Spark", None,
                             "drop --db, or use --engine duckdb")
        from .spark import SparkEngine

        return SparkEngine(timeout=timeout)
    raise QueryError(f"unknown engine '{name}'", None,
                     did_you_mean(name, ENGINES) or "engines: duckdb, pydatalog, spark")


__all__ = ["DEFAULT_TIMEOUT", "ENGINES", "Engine", "make_engine"]
