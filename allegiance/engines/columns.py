"""Answers held as columns: a large answer kept as the numpy arrays DuckDB hands over, each row a
tuple only while it is read.

Stage: engine (what DuckDBEngine.query hands back past `rows_in_python` answers). Input: the rows
read first (a list of tuples) and one numpy array per variable of the rest, in order. Output:
`Columns`, a read-only sequence of the rows, equal to the list of the same tuples: `len`,
indexing, slices, iteration, `==`; `table`, the whole answer as a pyarrow.Table (Answers.to_arrow
and to_pandas take it without a tuple per row).

Why: 3.5 million answers of two integers are about 420 MB as Python tuples (a tuple and two ints
each) and 56 MB as two int64 arrays. Iteration makes tuples a batch at a time (numpy's `tolist`),
so reading every row costs about what DuckDB's own `fetchall` costs, and a caller that counts,
slices or hands the answer to pandas never makes them all. DuckDB's `fetchnumpy`, not Arrow:
pyarrow's conversions to Python values either import pandas (a third of a second, first time) or
make a scalar per value.

Values: int64 arrays give Python's int, object arrays of text its str, and dates (DuckDB hands
them over as datetime64[us]) are kept as datetime64[D], which give datetime.date: the values a
list of the same answers holds. The engine uses this only for columns of those kinds, whose SQL
order is Python's: the sequence is in kb.sort_rows' order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from ..ast import Row

if TYPE_CHECKING:
    import pyarrow

BATCH = 65_536  # rows made at once while iterating: numpy's tolist is fastest on chunks about this size


def day_arrays(arrays: Sequence[Any], reps: Sequence[str]) -> list[Any]:
    """DuckDB's fetchnumpy arrays, a date column (rep "d") as datetime64[D] (whose values are
    datetime.date; DuckDB's datetime64[us] gives datetime.datetime)."""
    return [a.astype("datetime64[D]") if rep == "d" else a for a, rep in zip(arrays, reps, strict=True)]


class Columns(Sequence[Row]):
    """The rows `head`, then the rows of `arrays` (one numpy array per column, equally long), as
    one read-only sequence."""

    __slots__ = ("_arrays", "_head")

    def __init__(self, head: list[Row], arrays: Sequence[Any]) -> None:
        self._head = head
        self._arrays = list(arrays)

    @property
    def table(self) -> pyarrow.Table:
        """Every row as a pyarrow.Table: columns of text as string, integers int64, dates date32."""
        import pyarrow as pa

        heads = list(zip(*self._head, strict=True)) if self._head else [() for _ in self._arrays]
        columns = []
        for head, array in zip(heads, self._arrays, strict=True):
            kind = pa.string() if array.dtype == object else None
            rest = pa.array(array, type=kind)
            columns.append(pa.chunked_array([pa.array(list(head), type=rest.type), rest]))
        return pa.table(columns, names=[f"c{j}" for j in range(len(columns))])

    def __len__(self) -> int:
        return len(self._head) + (len(self._arrays[0]) if self._arrays else 0)

    def __iter__(self) -> Iterator[Row]:
        yield from self._head
        for start in range(0, len(self) - len(self._head), BATCH):
            yield from zip(*(a[start:start + BATCH].tolist() for a in self._arrays), strict=True)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        k = len(self._head)
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            out = self._head[start:stop]
            lo, hi = max(start, k) - k, max(stop, k) - k
            if hi > lo:
                out += zip(*(a[lo:hi].tolist() for a in self._arrays), strict=True)
            return out
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("answer index out of range")
        return self._head[i] if i < k else tuple(a[i - k:i - k + 1].tolist()[0] for a in self._arrays)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # as a list's: equal to a list, so not hashable

    def __repr__(self) -> str:
        shown = ", ".join(repr(r) for r in self[:3])
        return f"Columns([{shown}{', ...' if len(self) > 3 else ''}], {len(self)} rows)"


__all__ = ["BATCH", "Columns", "day_arrays"]
