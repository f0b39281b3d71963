"""Imports on Spark: a staged CSV's rows as Spark DataFrames, through Parquet, never through Python.

Stage: engine (the Spark engine's base facts). Input: a `Bulk` whose table is a CSV staged by DuckDB
(engines/duckdb/csv.py: read, checked, converted to the declared types, entities resolved, numbered).
Output: for each predicate the bulk makes facts of, a DataFrame with columns c0, c1, ... and the value
kind of each column (s, i, f, d), read with Spark's Parquet reader from a file DuckDB wrote.

    row k of the table (v0, v1, ...)  ->  for each (pred, columns) of bulk.outputs, one row of pred:
        ("col", j)   -> vj
        ("id",)      -> id_prefix || (id_first + k)      (the statement id Bulk.facts gives)
        ("const", v) -> v

The Parquet files live in a folder of this process (removed at exit). On a cluster the executors read
them, so that folder must be on storage they share: ALLEGIANCE_SPARK_STAGING names it (docs/scale.md).
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from typing import Any

from ..base import Bulk
from ..duckdb.compile import kind_of
from ..duckdb.csv import CsvTable

BulkFrames = dict[Any, tuple[Any, tuple[str, ...]]]  # PredicateSym -> (DataFrame, column kinds)

_folder: list[str] = []
_files = itertools.count()


def _staging() -> str:
    if not _folder:
        made = tempfile.mkdtemp(prefix="allegiance-spark-", dir=os.environ.get("ALLEGIANCE_SPARK_STAGING"))
        atexit.register(shutil.rmtree, made, True)
        _folder.append(made)
    return _folder[0]


def stage(spark: Any, bulk: Bulk) -> BulkFrames | None:
    """The bulk's facts as DataFrames, or None when its rows are not in a staged CSV table that
    DuckDB can still read (the caller then takes the general path, Bulk.facts)."""
    table = bulk.table
    if not isinstance(table, CsvTable) or table.con is None:
        return None
    from pyspark.sql import functions as F

    table.count  # noqa: B018 (numbers the rows: k = 1, 2, ... in file order)
    path = os.path.join(_staging(), f"import-{next(_files)}.parquet")
    if "'" in path:  # our own folder and names; a quote would end the SQL literal below
        return None
    values = "".join(f", v{j}" for j in range(table.width))
    # The table name is generated (csv1, csv2, ...) and the path is ours: no text from the file reaches SQL.
    table.con.execute(f"COPY (SELECT k{values} FROM {table.name} ORDER BY k) TO '{path}' (FORMAT parquet)")
    rows = spark.read.parquet(path)
    frames: BulkFrames = {}
    for sym, columns in bulk.outputs:
        exprs, kinds = [], []
        for col in columns:
            if col[0] == "col":
                j = int(col[1])  # type: ignore[misc, arg-type]
                exprs.append(F.col(f"v{j}"))
                kinds.append(table.kinds[j])
            elif col[0] == "id":
                exprs.append(F.concat(F.lit(bulk.id_prefix), (F.col("k") + F.lit(bulk.id_first)).cast("string")))
                kinds.append("s")
            else:
                exprs.append(F.lit(col[1]))  # type: ignore[misc]
                kinds.append(kind_of(col[1]))  # type: ignore[misc]
        frame = rows.select(*[e.alias(f"c{n}") for n, e in enumerate(exprs)]) if exprs else rows.select(F.lit(True).alias("z"))
        frames[sym] = (frame, tuple(kinds))
    return frames


def encoded(entry: tuple[Any, tuple[str, ...]], reps: tuple[str, ...], types: dict[str, str]) -> Any:
    """A bulk's DataFrame in its relation's representations (compile.encode, in Spark SQL): a native
    column as its type, a tagged one (several kinds in the column) as 'kind:' || text."""
    from pyspark.sql import functions as F

    frame, kinds = entry
    if not reps:
        return frame
    out = []
    for n, (rep, kind) in enumerate(zip(reps, kinds, strict=True)):
        col = F.col(f"c{n}")
        if rep == "t":
            # dates print as ISO 8601; a float as Java prints it, which the engine's docstring notes
            out.append(F.concat(F.lit(f"{kind}:"), col.cast("string")).alias(f"c{n}"))
        else:
            out.append(col.cast(types[rep]).alias(f"c{n}"))
    return frame.select(*out)
