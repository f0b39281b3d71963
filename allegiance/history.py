"""History: the operations a knowledge base is made of, in the order they were applied.

Stage: the knowledge base's record (kb.KnowledgeBase keeps the list, state.State folds it, persist.py
stores it). Input: what a front end asks for (a file or entry read, facts to retract, rows to
import). Output: plain frozen values, one per operation; applying them is state.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ast
from .engines.base import Table


@dataclass(frozen=True)
class SourceFile:
    """A file as loaded: its text (for carets and quotes) and its clauses."""

    path: str
    text: str
    clauses: tuple[ast.Clause, ...]
    mtime: float | None = None
    default_source: str | None = None  # the source of statements before any .source (REPL entries)


@dataclass(frozen=True)
class Retraction:
    facts: frozenset[tuple[ast.PredicateSym, ast.Row]]
    label: str


@dataclass(frozen=True, eq=False)
class Import:
    """Rows of one declared relation, each a statement from `source` (a CSV import): a `Table`
    (a CSV file staged by DuckDB, or a RowsTable of rows given in Python) whose values already have
    the declared types; its `lines()` are the rows' lines in `path`, for errors and `why`."""

    path: str
    sym: ast.PredicateSym
    table: Table
    source: str


Operation = SourceFile | Retraction | Import

__all__ = ["Import", "Operation", "Retraction", "SourceFile"]
