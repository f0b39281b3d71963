"""The Engine interface: what every evaluator offers the knowledge base.

Input: an `analysis.CheckedProgram` and base facts as rows of plain values (str, int, float,
datetime.date). Output: relations and query answers as sets/lists of rows of the same values, so a
row goes in and comes out unchanged (`"1"` stays a string, `1` an int, a date a date).
Engines never see text: no clause, name or constant reaches them other than as an object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from ..analysis.checked import CheckedProgram, CheckedQuery
from ..ast import PredicateSym, Row, Value

if TYPE_CHECKING:
    from .duckdb.csv import CsvTable

Facts = Mapping[PredicateSym, Iterable[Row]]


class Table(Protocol):
    """Rows held outside Python (a CSV file staged by DuckDB's reader), read only when asked."""

    @property
    def count(self) -> int: ...

    def rows(self) -> Sequence[Row]:
        """Every row, in file order."""
        ...

    def lines(self) -> Sequence[int]:
        """Each row's line in its file."""
        ...


# One column of a fact that a Bulk makes: ("col", j) the table's column j, ("id",) the row's
# statement id, ("const", v) the value v.
Column = tuple[str] | tuple[str, int] | tuple[str, Value]


@dataclass(frozen=True, eq=False)
class Bulk:
    """Facts made from a table without a Python object per row (a bulk import): row k (from 1) of
    `table` gives, for each (predicate, columns) of `outputs`, one fact; its statement id is
    `id_prefix + str(id_first + k)`. Compared by identity: one import, one Bulk."""

    table: Table
    id_prefix: str
    id_first: int
    outputs: tuple[tuple[PredicateSym, tuple[Column, ...]], ...]

    def facts(self) -> dict[PredicateSym, list[Row]]:
        """The facts, made in Python (the general path; DuckDB makes them in SQL)."""
        rows = self.table.rows()
        ids = [f"{self.id_prefix}{self.id_first + k}" for k in range(1, len(rows) + 1)]
        out: dict[PredicateSym, list[Row]] = {}
        for sym, columns in self.outputs:
            made: list[Sequence[Value]] = []
            for col in columns:
                if col[0] == "col":
                    j = int(col[1])  # type: ignore[misc, arg-type]
                    made.append([row[j] for row in rows])
                elif col[0] == "id":
                    made.append(ids)
                else:
                    made.append([col[1]] * len(rows))  # type: ignore[misc]
            out[sym] = list(zip(*made, strict=True))
        return out

DEFAULT_TIMEOUT = 5.0  # seconds; interactive use. None means no limit.


class Engine(ABC):
    """One knowledge base's evaluator. Two instances never share facts.

    Every evaluating call honours `timeout` (raising errors.QueryTimeout) and Ctrl-C (raising
    errors.QueryInterrupted); either way the engine's facts and program are as before the call."""

    name: ClassVar[str]

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    @abstractmethod
    def load(self, program: CheckedProgram, facts: Facts) -> None:
        """Replace the program and all base facts."""

    @abstractmethod
    def add_facts(self, facts: Facts) -> None:
        """Add base facts (duplicates are harmless); derived relations follow on the next read."""

    def add_bulk(self, bulk: Bulk) -> None:
        """Add a bulk's facts; an engine that can read its table directly does so."""
        self.add_facts(bulk.facts())

    def stage_csv(self, path: str, positions: Sequence[int], types: Sequence[str], max_bad: int = 20) -> CsvTable:
        """A CSV file's columns at `positions`, converted to `types`, read by DuckDB (for any engine:
        DuckDB's reader is the one CSV reader); the DuckDB engine keeps them where it can read them."""
        from .duckdb.csv import stage_csv

        return stage_csv(path, positions, types, max_bad)

    def load_bulks(self, program: CheckedProgram, facts: Facts, bulks: Sequence[Bulk]) -> None:
        """`load`, with the facts of `bulks` among the base facts."""
        merged: dict[PredicateSym, list[Row]] = {sym: list(rows) for sym, rows in facts.items()}
        for bulk in bulks:
            for sym, rows in bulk.facts().items():
                merged.setdefault(sym, []).extend(rows)
        self.load(program, merged)

    @abstractmethod
    def retract_facts(self, facts: Facts) -> None:
        """Remove base facts (absent ones are ignored)."""

    @abstractmethod
    def relation(self, pred: PredicateSym) -> frozenset[Row]:
        """Every row of pred, base and derived."""

    @abstractmethod
    def query(self, query: CheckedQuery) -> list[Row]:
        """Distinct answers, one value per query variable, in no particular order."""

    def derivation_rounds(self, pred: PredicateSym) -> dict[Row, int] | None:
        """For each row of pred, the semi-naive iteration that first derived it (0: a base fact),
        numbered across the whole program so that a row's premises always have smaller numbers.
        None when the engine does not know (pyDatalog)."""
        return None

    def close(self) -> None:
        """Release what the engine holds (a child process, a database)."""
