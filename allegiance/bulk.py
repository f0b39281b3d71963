"""Bulk statements: the rows of an import as statements, without a Python object per row.

Stage: knowledge base (state.State holds them beside the statements of fact files). Input: a
`Table` of rows of one declared relation (a CSV file staged by DuckDB, or rows given in Python),
the source, and the statement number to start from. Output: a `Bulk` for the engine (which makes
the facts and their metadata itself, in SQL when it can) and, only when someone asks, the
`StatementRecord` of a row (for `why`, `statements_for`, the change report).

Row k (from 1) of a block is statement `<source>_<first + k>`: the ids of a block are contiguous,
so finding a statement by id is arithmetic, not a search.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from . import ast
from .engines.base import Bulk, Column, Table
from .provenance import (
    IMPORTED_STATUS,
    STRENGTH,
    StatementRecord,
    stated_facts,
    statement_metadata,
    statement_sym,
)

Key = tuple[ast.PredicateSym, ast.Row]


@dataclass(eq=False)
class RowsTable:
    """A Table of rows already in Python (`KnowledgeBase.import_rows`, or rows left after dropping
    those a source already stated). `line_numbers[k]` is row k's line in its file."""

    rows_: Sequence[ast.Row]
    line_numbers: Sequence[int] = ()

    @property
    def count(self) -> int:
        return len(self.rows_)

    def rows(self) -> Sequence[ast.Row]:
        return self.rows_

    def lines(self) -> Sequence[int]:
        return self.line_numbers or range(2, len(self.rows_) + 2)

    def at(self, k: int) -> tuple[ast.Row, int]:
        return tuple(self.rows_[k - 1]), self.lines()[k - 1]


@dataclass(eq=False)
class StatementBlock:
    """The statements of one import: `table`'s rows, each reported by `source` (and its publisher)."""

    path: str
    sym: ast.PredicateSym
    table: Table
    source: str
    asserter: str | None
    first: int
    _bulk: Bulk | None = field(default=None, repr=False)
    _bulk_strength: int | None = field(default=None, repr=False)
    _index: dict[ast.Row, list[int]] | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return int(self.table.count)

    @property
    def stmt_sym(self) -> ast.PredicateSym:
        return statement_sym(self.sym)

    def metadata(self) -> list[tuple[str, ast.Value]]:
        """The metadata every statement of the block has (about its own id)."""
        return statement_metadata(self.source, IMPORTED_STATUS, self.asserter)

    def bulk(self, strength: int | None = None) -> Bulk:
        """The facts of these statements: provenance's mapping of one statement, over the columns
        of the block's table (a row's values, its statement id) rather than values; with
        `strength(S, N)` for each when `strength` is given (every row of a block has the same grade:
        one source, reported, no credibility; the knowledge base's order makes N: State.bulk).
        The same Bulk while the strength stays the same (the engine compares bulks by identity)."""
        if self._bulk is None or self._bulk_strength != strength:
            cols: tuple[Column, ...] = tuple(("col", j) for j in range(self.sym.arity))
            metadata: list[tuple[str, Column]] = [(name, ("const", value)) for name, value in self.metadata()]
            outputs = stated_facts(self.sym, cols, ("id",), metadata)
            if strength is not None:
                outputs.append((STRENGTH, (("id",), ("const", strength))))
            self._bulk = Bulk(self.table, f"{self.source}_", self.first, tuple(outputs))
            self._bulk_strength = strength
        return self._bulk

    # --- statements, made on demand ---

    def ids(self) -> Iterator[str]:
        return (f"{self.source}_{self.first + k}" for k in range(1, self.count + 1))

    def number(self, statement_id: str) -> int | None:
        """k for the id of this block's row k, else None."""
        prefix = f"{self.source}_"
        if not statement_id.startswith(prefix) or not statement_id[len(prefix):].isdigit():
            return None
        k = int(statement_id[len(prefix):]) - self.first
        return k if 1 <= k <= self.count else None

    def record(self, k: int) -> StatementRecord:
        row, line = self.table.at(k)  # one row: a report shows the first few of a million
        return self._record(k, row, line)

    def _record(self, k: int, row: ast.Row, line: int) -> StatementRecord:
        return StatementRecord(f"{self.source}_{self.first + k}", self.sym, tuple(row), False, self.source, IMPORTED_STATUS,
                               self.asserter, None, None, None, "", "", ast.Span(self.path, line, 1, line, 1), False)

    def records(self) -> Iterator[StatementRecord]:
        """Every statement of the block: its rows and lines read once (not one query a row)."""
        rows, lines = self.table.rows(), self.table.lines()
        return (self._record(k, rows[k - 1], lines[k - 1]) for k in range(1, self.count + 1))

    def numbers_of(self, row: ast.Row) -> list[int]:
        """The k of each row equal to row (one: a block holds each row once)."""
        if self._index is None:
            index: dict[ast.Row, list[int]] = {}
            for k, r in enumerate(self.table.rows(), start=1):
                index.setdefault(tuple(r), []).append(k)
            self._index = index
        return self._index.get(row, [])

    def has_fact(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        """Whether one of this block's facts (a row, its statement row, its metadata) is (sym, row)."""
        if sym == self.sym:
            return bool(self.numbers_of(row))
        if sym == self.stmt_sym:  # (row..., id)
            k = self.number(row[-1]) if isinstance(row[-1], str) else None
            return k is not None and tuple(self.table.rows()[k - 1]) == row[:-1]
        # metadata: (id, value)
        value = dict(self.metadata()).get(sym.name)
        return (sym.arity == 2 and value is not None and isinstance(row[0], str)
                and self.number(row[0]) is not None and row[1] == value)


class StatementsById(Mapping[str, StatementRecord]):
    """Every statement by id: fact files' statements, then each block's (made when looked up)."""

    def __init__(self, small: Sequence[StatementRecord], blocks: Sequence[StatementBlock]) -> None:
        self._small = {s.id: s for s in small}
        self._blocks = blocks

    def __getitem__(self, key: str) -> StatementRecord:
        found = self._small.get(key)
        if found is not None:
            return found
        for block in self._blocks:
            k = block.number(key)
            if k is not None:
                return block.record(k)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from self._small
        for block in self._blocks:
            yield from block.ids()

    def __len__(self) -> int:
        return len(self._small) + sum(b.count for b in self._blocks)


class StatementsByFact(Mapping[Key, list[StatementRecord]]):
    """The statements behind each stated fact (sym, row), fact files' and blocks' alike."""

    def __init__(self, small: Sequence[StatementRecord], blocks: Sequence[StatementBlock]) -> None:
        self._small: dict[Key, list[StatementRecord]] = {}
        for s in small:
            self._small.setdefault((s.fact_sym, s.row), []).append(s)
        self._blocks = blocks

    def __getitem__(self, key: Key) -> list[StatementRecord]:
        found = list(self._small.get(key, ()))
        for block in self._blocks:
            if block.sym == key[0]:
                found += [block.record(k) for k in block.numbers_of(key[1])]
        if not found:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[Key]:
        seen = set(self._small)
        yield from self._small
        for block in self._blocks:
            for row in block.table.rows():
                key = (block.sym, tuple(row))
                if key not in seen:
                    seen.add(key)
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


__all__ = ["RowsTable", "StatementBlock", "StatementsByFact", "StatementsById"]
