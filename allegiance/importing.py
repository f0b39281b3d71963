"""CSV import: a CSV file's rows as statements of one declared relation from one declared source.

Stage: loading, beside changes.py. Input: a KnowledgeBase, a CSV file with a header line (UTF-8),
the relation, the source and optionally the columns for the relation's arguments. Output: the
`ChangeReport` (changes.py) of the import. The rows are staged and converted by the engine
(engines/csv.py) and kept as one block of statements (bulk.py). Every error (up to 20 bad rows,
then a count) is raised together, and then nothing is imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import ast
from .changes import SHOWN, ChangeReport, diff, snapshot, take_back
from .errors import AllegianceError, ErrorGroup, LoadError, QueryError, StatementError, did_you_mean
from .history import Import
from .kb import KnowledgeBase
from .selection import Selection

if TYPE_CHECKING:
    from .engines.duckdb.csv import CsvTable


def import_csv(kb: KnowledgeBase, path: str | os.PathLike[str], relation: str, source: str,
               columns: Sequence[str] | None = None, require_entities: bool = False, dry_run: bool = False,
               derived: bool = True, selection: Selection | None = None) -> ChangeReport:
    """Import a CSV file's rows as statements of `relation` from `source`, in one step; under
    `selection`, the derived facts and inconsistencies of the report are the selection's
    (changes.load_with_report).

    `columns` names, in the relation's argument order, the CSV column holding each argument
    (default: the columns named like the arguments). Values are converted to the declared types;
    a symbol value that names a declared entity (by id, name or alias) becomes that entity, any
    other text stays as written, unless `require_entities` makes it an error. Every error (up to
    20 bad rows, then a count) is raised together and nothing is imported."""
    from .engines.duckdb.csv import read_csv_header

    name = str(path)
    _check_file(name)
    rel = kb.catalog.relations.get(relation.partition("/")[0])
    if rel is None or rel.inconsistency:
        candidates = [n for n, r in kb.catalog.relations.items() if not r.inconsistency]
        raise StatementError(f"unknown relation {relation}", None,
                             did_you_mean(relation, candidates) or "declare it with .relation in a fact file")
    errors: list[AllegianceError] = []
    if source not in kb.catalog.sources:
        errors.append(StatementError(f"unknown source {source}", None,
                                     did_you_mean(source, kb.catalog.sources) or "declare it with .source in a fact file"))
    wanted = list(columns) if columns else [p.name for p in rel.params]
    if len(wanted) != len(rel.params):
        raise StatementError(f"{rel.sym} takes {len(rel.params)} arguments "
                             f"({', '.join(p.name for p in rel.params)}), but --columns names {len(wanted)}", None,
                             "name one CSV column per argument, in order")
    header = read_csv_header(name)
    positions: list[int] = []
    for col in wanted:
        if col in header:
            positions.append(header.index(col))
        else:
            errors.append(StatementError(f"the header has no column '{col}'", ast.Span(name, 1, 1, 1, 2),
                                         did_you_mean(col, header) or f"columns: {', '.join(header)}"))
    if errors:
        raise _group(errors)
    types = [p.type for p in rel.params]
    table = kb.engine.stage_csv(name, positions, types, SHOWN)
    if table.bad:
        bad = [StatementError(("an empty cell" if cell is None else f"{cell!r} is not a {types[wanted.index(col)]}")
                              + f" in column '{col}'", ast.Span(name, line, 1, line, 2))
               for line, col, cell in table.bad]
        if table.bad_count > len(bad):
            bad.append(StatementError(f"and {table.bad_count - len(bad)} more bad cells in {name}", None))
        raise _group(bad)
    _resolve_entities(kb, table, rel.params, name, wanted, require_entities)
    table.finish()
    # a view of its own under the selection, kept across the import (kb.under's end with a change)
    view = kb.detached_view(selection) if selection is not None and not selection.everything and derived else None
    try:
        before = snapshot(kb, derived, view)
        depth = len(kb.history)
        try:
            kb.import_table(Import(name, rel.sym, table, source))
            if view is not None and selection is not None:
                kb.follow(view, selection)
        except BaseException:
            before.release()
            raise
        try:
            report = diff(kb, before, snapshot(kb, False), (name,), dry_run, view)
            report.selection = selection.describe() if view is not None and selection is not None else ""
            if not table.count:
                report.warnings.append(f"{name} has no rows under its header")
        except (QueryError, KeyboardInterrupt, RuntimeError) as exc:
            # stopped while its report evaluated: the import goes whole (it stayed in, while the
            # REPL said the knowledge base was as it was)
            take_back(kb, depth, exc, "import")
            raise
        finally:
            if dry_run and len(kb.history) > depth:
                kb.undo()
    finally:
        if view is not None:
            view.close()
    return report


def _resolve_entities(kb: KnowledgeBase, table: CsvTable, params: Sequence[ast.Param], file: str,
                      columns: Sequence[str], require: bool) -> None:
    """Symbol values that name an entity become its id (resolved once per distinct value, the
    rows rewritten where they are)."""
    errors: list[AllegianceError] = []
    unknown_count = 0
    for j, param in enumerate(params):
        if param.type != "symbol":
            continue
        mapping = {v: kb.catalog.resolve(v) for v in table.distinct(j)}
        unknown = sorted(v for v, found in mapping.items() if found is None)
        if require and unknown:
            for line, value in table.lines_with(j, unknown, SHOWN):
                errors.append(StatementError(f"unknown entity {value!r} in column '{columns[j]}'",
                                             ast.Span(file, line, 1, line, 2),
                                             did_you_mean(value, kb.catalog.entity_names()) or "declare it with .entity"))
            unknown_count += len(unknown)
        table.replace(j, {v: found for v, found in mapping.items() if found is not None and found != v})
    if errors:
        errors.sort(key=lambda e: e.span.line if e.span else 0)
        shown = errors[:SHOWN]
        if unknown_count > len(shown):
            shown.append(StatementError(f"and more unknown entities in {file} ({unknown_count} distinct names in all)",
                                        None, "declare them with .entity, or import without --require-entities"))
        raise _group(shown)


def _check_file(name: str) -> None:
    p = Path(name)
    if p.is_dir():
        raise LoadError(f"{name} is a directory", None, "name a CSV file")
    if not p.exists():
        raise LoadError(f"{name}: no such file", None)
    if not os.access(p, os.R_OK):
        raise LoadError(f"{name}: permission denied", None)
    if p.stat().st_size == 0:
        raise LoadError(f"{name} is empty: a CSV file to import needs a header line", None,
                        "the first line names the columns, e.g. backer,backed")
    if any(c in name for c in "*?[]{}"):
        # DuckDB's reader reads a path as a glob pattern; a real file name with these would surprise
        raise LoadError(f"{name}: a file name with * ? [ ] {{ }} cannot be imported", None, "rename the file")


def _group(errors: Iterable[AllegianceError]) -> AllegianceError:
    found = list(errors)
    return found[0] if len(found) == 1 else ErrorGroup(found)



__all__ = ["import_csv"]
