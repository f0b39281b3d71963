"""Answers as data frames: a query's answers as an Arrow table or a pandas DataFrame, for notebooks.

Stage: after the engine. Input: the answers' variables and rows (kb.Answers), and any further
columns a later stage adds (the trust issue's support, the time issue's dates: `extra`, one value
per row). Output: a `pyarrow.Table`, or a `pandas.DataFrame` made from it, with one column per
variable, named after it, in the query's order.

Types: a column of symbols is text, of integers int64, of floats float64, of dates date32 (pandas:
Python dates in an object column, as pyarrow hands them over). A column whose answers mix kinds
(a symbol in one row, a number in another) is text, each value written as the REPL writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import ast
from .engines.columns import Columns

if TYPE_CHECKING:
    import pandas
    import pyarrow


def column(values: Sequence[ast.Value]) -> pyarrow.Array:
    """One column as an Arrow array: its own type when every value has one, text otherwise."""
    import pyarrow as pa  # here, not above: every command imports the knowledge base, few want Arrow

    kinds = {type(v) for v in values}
    if len(kinds) <= 1:
        return pa.array(values, type=pa.string() if not kinds else None)
    if kinds <= {int, float}:
        return pa.array([float(v) for v in values], type=pa.float64())  # type: ignore[arg-type]
    return pa.array([ast.format_value(v) for v in values], type=pa.string())


def column_of(values: pyarrow.ChunkedArray) -> pyarrow.Array:
    """An engine's Arrow column as `column` types it (text as string, integers int64, dates
    date32): the same table as from the rows themselves."""
    import pyarrow as pa

    wanted = {pa.large_string(): pa.string(), pa.string_view(): pa.string()}.get(values.type, values.type)
    return values.combine_chunks().cast(wanted)


def arrow_table(variables: Sequence[str], rows: Sequence[ast.Row],
                extra: Mapping[str, Sequence[Any]] | None = None) -> pyarrow.Table:
    """The rows as a pyarrow.Table with one column per variable, then the extra columns."""
    import pyarrow as pa

    names = list(variables)
    if isinstance(rows, Columns):  # a large answer the engine kept as columns: no tuple made
        arrays = [column_of(c) for c in rows.table.columns]
    else:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in variables]
        arrays = [column(list(values)) for values in columns]
    for name, values in (extra or {}).items():
        if len(values) != len(rows):
            raise ValueError(f"column {name} has {len(values)} values for {len(rows)} answers")
        names.append(name)
        arrays.append(pa.array(list(values)))
    return pa.table(arrays, names=names)


def answer_columns(answers: Any) -> dict[str, list[Any]]:
    """The columns an answers value carries beside its variables: `support` (the label, e.g. "B2
    confirmed") and `support_level` when it has supports (the trust issue's `Answers.supports`, one
    per row, each with `label` and `level`); none otherwise."""
    supports = getattr(answers, "supports", None)
    if supports is None:
        return {}
    return {"support": [s.label for s in supports], "support_level": [s.level for s in supports]}


def data_frame(variables: Sequence[str], rows: Sequence[ast.Row],
               extra: Mapping[str, Sequence[Any]] | None = None) -> pandas.DataFrame:
    """The rows as a pandas.DataFrame (through Arrow, so both agree on every column's type)."""
    frame: pandas.DataFrame = arrow_table(variables, rows, extra).to_pandas()
    return frame


__all__ = ["answer_columns", "arrow_table", "column", "column_of", "data_frame"]
