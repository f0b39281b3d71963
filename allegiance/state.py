"""State: what a knowledge base holds, and how an operation changes it.

Stage: the knowledge base's contents, between curation and the engine. Input: operations
(history.py: files read, retractions, imports), applied in order to a copy (`State.apply`), then
the whole program checked (`State.finish`). Output: the catalog, statements (one by one, and
imports' blocks), plain facts, rules and declarations; for the engine, the checked program, the
base facts (`base_facts`, with provenance's metadata) and the blocks' bulks; warnings.

A state is built anew from a history, never patched in place: the knowledge base swaps in the new
one only when nothing went wrong (kb.py).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import ast
from .analysis import CheckedProgram, check, check_names, fact_row
from .bulk import RowsTable, StatementBlock
from .catalog import Catalog, Relation, Source
from .curate import arity_errors, curate, declare
from .engines.base import Bulk
from .errors import AllegianceError, CheckError, ErrorGroup, StatementError, did_you_mean
from .files import bundled_paths
from .grades import Grade, Order, block_grade, grade_of
from .history import Import, Operation, Retraction, SourceFile
from .provenance import (
    CONTRADICTED,
    IMPORTED_STATUS,
    METADATA,
    STRENGTH,
    StatementRecord,
    catalog_facts,
    generated_rules,
    record_facts,
    relation_types,
)
from .trust import check_policies

# Which Python values a declared parameter type takes (an Import's rows are checked against it).
_PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "symbol": (str,), "string": (str,), "number": (int,), "float": (float, int), "date": (datetime.date,),
}


@dataclass
class State:
    """Everything derived from the history of operations; built anew, never patched in place."""

    catalog: Catalog = field(default_factory=Catalog)
    statements: list[StatementRecord] = field(default_factory=list)
    plain: dict[ast.PredicateSym, dict[ast.Row, ast.Span]] = field(default_factory=dict)
    rules: list[ast.Rule] = field(default_factory=list)
    declarations: list[ast.Declaration | ast.RelationDecl | ast.TrustBlock] = field(default_factory=list)
    retracted: set[tuple[ast.PredicateSym, ast.Row]] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)
    checked: CheckedProgram | None = None
    warnings: list[str] = field(default_factory=list)
    # imports: statements kept as tables, never retracted from (a retraction that touches one
    # turns it into ordinary statements)
    blocks: list[StatementBlock] = field(default_factory=list)
    # base_facts() of a finished state; every caller only reads it. apply() drops it.
    _base: dict[ast.PredicateSym, set[ast.Row]] | None = field(default=None, repr=False, compare=False)

    def copy(self) -> State:
        return State(self.catalog.copy(), list(self.statements), {k: dict(v) for k, v in self.plain.items()},
                     list(self.rules), list(self.declarations), set(self.retracted), dict(self.counters),
                     self.checked, list(self.warnings), list(self.blocks))

    # --- applying operations ---

    def apply(self, ops: Sequence[Operation]) -> list[AllegianceError]:
        """Apply operations: declarations of every file first, then statements, so a file may use
        an entity or relation that a later file of the same load declares."""
        self._base = None
        errors: list[AllegianceError] = []
        for op in ops:
            if isinstance(op, SourceFile):
                declare(op.clauses, self.catalog, errors)
        for op in ops:
            if isinstance(op, Retraction):
                self.retracted |= op.facts
                self._dissolve(op.facts)
            elif isinstance(op, Import):
                errors.extend(self._add_import(op))
            else:
                errors.extend(self._add_clauses(op))
        self._base = None  # in case anything read it half-way
        return errors

    def _add_clauses(self, op: SourceFile) -> list[AllegianceError]:
        clauses = op.clauses
        curated_file = op.path.endswith(".facts")
        if op.default_source is not None and not curated_file:
            # Typed under a current source (a REPL entry after `.source ID.`): a fact of a declared
            # relation is a statement from that source, as in a fact file; other facts stay plain.
            relations = self.catalog.relations
            clauses = tuple(ast.Statement(c.atom, False, (), c.span, "")
                            if isinstance(c, ast.Fact) and c.atom.pred in relations
                            and not relations[c.atom.pred].inconsistency else c for c in clauses)
        curated = curate(clauses, self.catalog, curated_file, self.counters, op.default_source)
        errors = list(curated.errors) + arity_errors(clauses, self.catalog)
        known = {s.identity(): s for s in self.statements}
        for record in curated.statements:
            if record.identity() not in known:  # the same statement loaded twice is one statement
                self.statements.append(record)
                known[record.identity()] = record
            self.retracted.discard((record.fact_sym, record.row))
        for clause in clauses:
            if isinstance(clause, ast.Rule):
                self.rules.append(clause)
            elif isinstance(clause, (ast.Declaration, ast.RelationDecl, ast.TrustBlock)):
                self.declarations.append(clause)
            elif isinstance(clause, ast.Fact) and not curated_file:
                try:
                    row = fact_row(clause.atom)
                except AllegianceError as exc:
                    errors.append(exc)
                    continue
                self.plain.setdefault(clause.atom.sym, {}).setdefault(row, clause.span)
                self.retracted.discard((clause.atom.sym, row))
        return errors

    def _add_import(self, op: Import) -> list[AllegianceError]:
        """Bulk statements: one block of rows, no parsing and no per-row curation or object. The
        rows must fit the relation's declared types; a row already stated by this source adds nothing."""
        rel = self.catalog.relations.get(op.sym.name)
        if rel is None or rel.sym != op.sym or rel.inconsistency:
            return [StatementError(f"{op.path}: no relation {op.sym} to import into", None,
                                   did_you_mean(op.sym.name, self.catalog.relations) or "declare it with .relation")]
        source = self.catalog.sources.get(op.source)
        if source is None:
            return [StatementError(f"{op.path}: unknown source {op.source}", None,
                                   did_you_mean(op.source, self.catalog.sources) or "declare it with .source in a fact file")]
        if not op.table.count:
            return []
        table = op.table
        if isinstance(table, RowsTable):  # rows from Python: check them (a staged CSV was checked in SQL)
            errors = _misfits(op.path, table, rel)
            if errors:
                return errors
        asserter = self.catalog.resolve(source.publisher) if source.publisher else None
        known = {s.row for s in self.statements
                 if s.sym == op.sym and s.source == op.source and s.identity()[2:] ==
                 (False, op.source, IMPORTED_STATUS, asserter, None, None, None)}
        earlier = [b for b in self.blocks if (b.sym, b.source, b.asserter) == (op.sym, op.source, asserter)]
        if known or earlier:
            # the same rows again (an import repeated): keep only the new ones, in Python
            known |= {tuple(r) for b in earlier for r in b.table.rows()}
            kept = [(tuple(r), line) for r, line in zip(table.rows(), table.lines(), strict=True) if tuple(r) not in known]
            table = RowsTable([r for r, _ in kept], [line for _, line in kept])
            if not table.count:
                return []
        if any(sym == op.sym for sym, _ in self.retracted):
            for row in table.rows():  # stating a retracted fact again brings it back
                self.retracted.discard((op.sym, tuple(row)))
        first = self.counters.get(op.source, 0)
        self.blocks.append(StatementBlock(op.path, op.sym, table, op.source, asserter, first))
        self.counters[op.source] = first + table.count
        return []

    def _dissolve(self, facts: frozenset[tuple[ast.PredicateSym, ast.Row]]) -> None:
        """Blocks that a retraction touches become ordinary statements, which retraction handles."""
        for block in list(self.blocks):
            if any(block.has_fact(sym, row) for sym, row in facts):
                self.blocks.remove(block)
                self.statements.extend(block.records())

    def has_base(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        return row in self.base_facts().get(sym, ()) or any(b.has_fact(sym, row) for b in self.blocks)

    # --- what the engine gets ---

    def relations(self) -> list[Relation]:
        return list(self.catalog.relations.values())

    def known(self) -> dict[ast.PredicateSym, tuple[str, ...]]:
        return relation_types(self.relations(), (r.fact_sym for r in self.statements), self.plain)

    def generated_rules(self) -> list[ast.Rule]:
        return generated_rules(self.relations())

    def base_facts(self) -> dict[ast.PredicateSym, set[ast.Row]]:
        """The base facts the engine holds but those of blocks (`bulks`): plain facts, stated
        facts and their metadata (read only)."""
        if self._base is None:
            self._base = self._compute_base_facts()
        return self._base

    def _compute_base_facts(self) -> dict[ast.PredicateSym, set[ast.Row]]:
        facts: dict[ast.PredicateSym, set[ast.Row]] = {}
        for sym, row, _ in self.base_fact_sources():
            facts.setdefault(sym, set()).add(row)
        return facts

    def base_fact_sources(self) -> Iterator[tuple[ast.PredicateSym, ast.Row, str | None]]:
        """Each base fact but those of blocks, once per thing that makes it, with the source that
        does (None: a plain fact, the catalog's): what base_facts holds, and what leaving a source
        out takes away (explain.critical). Retracted facts are left out."""
        retracted = self.retracted
        for sym, rows in self.plain.items():
            for row in rows:
                if (sym, row) not in retracted:
                    yield sym, row, None
        order = self.grade_order()
        strengths: dict[Grade, int] = {}  # a few grades among many statements: each ranked once
        for r in self.statements:
            if (r.fact_sym, r.row) in retracted:
                continue
            for sym, row in self.statement_facts(r, order, strengths):
                if (sym, row) not in retracted:
                    yield sym, row, r.source
        for sym, row in catalog_facts(self.catalog):
            if (sym, row) not in retracted:
                yield sym, row, None

    def statement_facts(self, record: StatementRecord, order: Order | None = None,
                        strengths: dict[Grade, int] | None = None) -> list[tuple[ast.PredicateSym, ast.Row]]:
        """The facts a statement of a fact file adds: provenance's (record_facts) and its
        strength(S, N), its grade as rules compare it (provenance.STRENGTH) in `order` (the
        knowledge base's, grade_order(), when not given); `strengths` keeps each grade's number
        for the next statement (for one order)."""
        grade = grade_of(record, self.catalog)
        strength = None if strengths is None else strengths.get(grade)
        if strength is None:
            strength = (order or self.grade_order()).strength(grade)
            if strengths is not None:
                strengths[grade] = strength
        return [*record_facts(record), (STRENGTH, (record.id, strength))]

    def grade_order(self) -> Order:
        """The grade order the plain facts declare; the default when they declare it wrongly
        (support, which reads the same facts, reports that mistake at the fact)."""
        try:
            return Order.from_facts(self.plain)
        except CheckError:
            return Order()

    def bulks(self) -> list[Bulk]:
        order = self.grade_order()
        return [self.bulk(b, order) for b in self.blocks]

    def bulk(self, block: StatementBlock, order: Order | None = None) -> Bulk:
        """An import's facts, `strength(S, N)` included (provenance.STRENGTH), graded as a statement of
        a fact file by the same source would be: reported, no credibility."""
        return block.bulk((order or self.grade_order()).strength(block_grade(block, self.catalog)))

    def finish(self) -> list[AllegianceError]:
        """Check the whole program; sets `checked`. Returns the errors instead of raising them."""
        name_errors = check_names(self._uses())
        if name_errors:  # one name at two arities among the facts: rules would only repeat it
            return name_errors
        clauses: list[ast.Clause] = [*self.declarations, *self.rules, *self.generated_rules()]
        try:
            self.checked = check(clauses, self.known())
        except ErrorGroup as group:
            return list(group.errors)
        except AllegianceError as exc:
            return [exc]
        policy_errors = check_policies(self.declarations)
        if policy_errors:
            return policy_errors
        self.warnings = list(self.checked.warnings) + self.quote_warnings()
        return []

    def _uses(self) -> list[tuple[ast.PredicateSym, ast.Span | None]]:
        """The predicates the knowledge base holds facts of, each with its first place: metadata
        relations, declared relations, plain facts, statements (rules and queries are analysis's)."""
        uses: list[tuple[ast.PredicateSym, ast.Span | None]] = [(sym, None) for sym in [*METADATA, CONTRADICTED]]
        uses += [(rel.sym, rel.span) for rel in self.relations()]
        uses += [(sym, next(iter(rows.values()), None)) for sym, rows in self.plain.items()]
        stated: dict[ast.PredicateSym, ast.Span] = {}
        for record in self.statements:
            stated.setdefault(record.fact_sym, record.span)
        return uses + list(stated.items())

    def quote_warnings(self) -> list[str]:
        """A `quoting "..."` that its source's article does not contain is worth a warning; article
        files that cannot be read are worth one line for them all (their quotes go unchecked). The
        bundled knowledge base's articles are kept beside the project (README: ../shared/articles/),
        not in it, and its statements quote their sentences: a clone without them says nothing."""
        warnings: list[str] = []
        articles: dict[str, str | None] = {}
        unread: dict[str, Source] = {}  # each article that cannot be read, with the first source naming it
        shipped = [os.path.abspath(p) for p in bundled_paths()]
        for record in self.statements:
            source = self.catalog.sources.get(record.source)
            path = source.article_path() if source else None
            if not record.quote or path is None or source is None:
                continue
            if path not in articles:
                try:
                    articles[path] = " ".join(Path(path).read_text(encoding="utf-8").split())
                except OSError:
                    articles[path] = None
                    declared_in = os.path.abspath(source.span.file)
                    if not any(declared_in.startswith(folder + os.sep) for folder in shipped):
                        unread[path] = source
            text = articles[path]
            if text is not None and " ".join(record.quote.split()) not in text:
                warnings.append(f"{record.span}: warning: the quote is not in {path}")
        if unread:
            (path, source), *others = unread.items()
            also = f" (and {len(others)} more article files: {', '.join(p for p, _ in others)})" if others else ""
            warnings.insert(0, f"{source.span}: warning: source {source.id} names {path}, which cannot be read"
                               f"{also}; quotes from {'them' if others else 'it'} are not checked")
        return warnings


def _misfits(path: str, table: RowsTable, rel: Relation) -> list[AllegianceError]:
    """Rows (up to 20) that do not fit the relation's declared types, each at its line."""
    types = [_PARAM_TYPES.get(p.type, (object,)) for p in rel.params]
    rows = table.rows()

    def fits(row: ast.Row) -> bool:
        return len(row) == len(types) and all(
            isinstance(v, t) and not isinstance(v, bool) for v, t in zip(row, types, strict=True))

    # column by column first (fast); row by row only to name the rows that do not fit
    if all(len(r) == len(types) for r in rows):
        columns = list(zip(*rows, strict=True))
        if all(all(issubclass(k, t) and k is not bool for k in set(map(type, col)))
               for col, t in zip(columns, types, strict=True)):
            return []
    errors: list[AllegianceError] = []
    for row, line in zip(rows, table.lines(), strict=True):
        if not fits(row):
            errors.append(StatementError(f"row {row!r} does not fit {rel.sym}"
                                         f"({', '.join(f'{p.name}: {p.type}' for p in rel.params)})",
                                         ast.Span(path, line, 1, line, 2)))
            if len(errors) >= 20:
                break
    return errors


__all__ = ["State"]
