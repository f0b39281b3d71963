"""The knowledge base: files -> parse -> curate -> check -> engine, all or nothing, with provenance.

Input: fact files (`*.facts`), rule files (`*.dl`), REPL entries. Output: answers to queries,
relations, statements behind facts, inconsistencies.

A knowledge base is a history of operations (load a file, retract facts). Its state is a fold over
that history; a new operation builds a new state first and only replaces the old one when nothing
went wrong, so a bad file changes nothing. `undo` drops the last operation and `reload` re-reads
every file, both by building the state again.
"""

from __future__ import annotations

import datetime
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from . import ast
from .analysis import CheckedProgram, check, check_query, fact_row, statement_relation
from .bulk import STATUS, RowsTable, StatementBlock, StatementsByFact, StatementsById
from .curate import Catalog, Relation, StatementRecord, curate, declare, negative_name
from .engines import make_engine
from .engines.base import DEFAULT_TIMEOUT, Bulk, Engine, Table
from .errors import AllegianceError, ErrorGroup, LoadError, StatementError
from .parse import parse_program_recovering, parse_query

if TYPE_CHECKING:
    from .persist import Store

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Plain Datalog facts load at about Lark's own speed (a million, ~15 MB, in under a minute), so the
# limit lets such a file through and refuses a 50 MB one at once rather than seem to hang. Statements
# with qualifiers cost more per byte; bulk data belongs in `allegiance import` (CSV).
MAX_FILE_BYTES = 32 * 1024 * 1024
FILE_SUFFIXES = (".facts", ".dl", ".check")

# Metadata relations every knowledge base knows, stated or not (docs/language.md, "Provenance").
METADATA: dict[ast.PredicateSym, tuple[str, ...]] = {
    ast.PredicateSym("source", 2): ("symbol", "symbol"),
    ast.PredicateSym("asserted_by", 2): ("symbol", "symbol"),
    ast.PredicateSym("status", 2): ("symbol", "symbol"),
    ast.PredicateSym("valid_from", 2): ("symbol", "date"),
    ast.PredicateSym("valid_until", 2): ("symbol", "date"),
    ast.PredicateSym("credibility", 2): ("symbol", "number"),
    ast.PredicateSym("reliability", 2): ("symbol", "symbol"),
    ast.PredicateSym("published", 2): ("symbol", "date"),
    ast.PredicateSym("publisher", 2): ("symbol", "symbol"),
    ast.PredicateSym("kind", 2): ("symbol", "symbol"),
    ast.PredicateSym("display_name", 2): ("symbol", "symbol"),
}
CONTRADICTED = ast.PredicateSym("contradicted", 2)


@dataclass(frozen=True)
class Answers:
    """A query's answers: one row per binding of `variables`, sorted. Truthy when any row exists."""

    variables: tuple[str, ...]
    rows: list[ast.Row]
    query: ast.Query

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ast.Row]:
        return iter(self.rows)

    def as_dicts(self) -> list[dict[str, ast.Value]]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Inconsistency:
    kind: str
    args: ast.Row
    message: str


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
    declarations: list[ast.Declaration | ast.RelationDecl] = field(default_factory=list)
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
        curated = curate(clauses, self.catalog, op.path.endswith(".facts"), self.counters, op.default_source)
        errors = list(curated.errors) + _statement_arity_errors(clauses, self.catalog)
        known = {s.identity(): s for s in self.statements}
        for record in curated.statements:
            if record.identity() not in known:  # the same statement loaded twice is one statement
                self.statements.append(record)
                known[record.identity()] = record
            self.retracted.discard((record.fact_sym, record.row))
        for clause in clauses:
            if isinstance(clause, ast.Rule):
                self.rules.append(clause)
            elif isinstance(clause, (ast.Declaration, ast.RelationDecl)):
                self.declarations.append(clause)
            elif isinstance(clause, ast.Fact) and not op.path.endswith(".facts"):
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
        from .errors import did_you_mean

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
                 (False, op.source, STATUS, asserter, None, None, None)}
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
        known = dict(METADATA)
        known[CONTRADICTED] = ("symbol", "symbol")
        for rel in self.relations():
            types = tuple("symbol" if p.type == "string" else p.type for p in rel.params)
            known[rel.sym] = types
            if not rel.inconsistency:
                known[ast.PredicateSym(negative_name(rel.sym.name), rel.sym.arity)] = types
                for sym in (rel.sym, ast.PredicateSym(negative_name(rel.sym.name), rel.sym.arity)):
                    known[ast.PredicateSym(statement_relation(sym.name), sym.arity + 1)] = (*types, "symbol")
        for record in self.statements:
            for sym in (record.fact_sym,):
                known.setdefault(sym, ("any",) * sym.arity)
                known.setdefault(ast.PredicateSym(statement_relation(sym.name), sym.arity + 1), ("any",) * (sym.arity + 1))
        for sym in self.plain:
            known.setdefault(sym, ("any",) * sym.arity)
        return known

    def generated_rules(self) -> list[ast.Rule]:
        """Rules the declarations imply: symmetry, and the built-in inconsistency contradicted/2."""
        rules: list[ast.Rule] = []
        x, y, s1, s2 = (ast.Variable(n) for n in ("X", "Y", "S1", "S2"))
        for rel in self.relations():
            if rel.inconsistency:
                continue
            names = (rel.sym.name, negative_name(rel.sym.name))
            if rel.symmetric:
                for name in names:
                    # ally(X, Y) :- ally(Y, X).   and the statements behind it likewise
                    rules.append(ast.Rule(ast.Atom(name, (x, y), rel.span), (ast.Atom(name, (y, x), rel.span),), rel.span))
                    st = statement_relation(name)
                    rules.append(ast.Rule(ast.Atom(st, (x, y, s1), rel.span), (ast.Atom(st, (y, x, s1), rel.span),), rel.span))
            # contradicted(S1, S2) :- __stmt_p(X1..Xn, S1), __stmt_no_p(X1..Xn, S2).
            args = tuple(ast.Variable(f"X{i}") for i in range(rel.sym.arity))
            rules.append(ast.Rule(
                ast.Atom(CONTRADICTED.name, (s1, s2), rel.span),
                (ast.Atom(statement_relation(names[0]), (*args, s1), rel.span),
                 ast.Atom(statement_relation(names[1]), (*args, s2), rel.span)),
                rel.span))
        return rules

    def base_facts(self) -> dict[ast.PredicateSym, set[ast.Row]]:
        """The base facts the engine holds but those of blocks (`bulks`): plain facts, stated
        facts and their metadata (read only)."""
        if self._base is None:
            self._base = self._compute_base_facts()
        return self._base

    def _compute_base_facts(self) -> dict[ast.PredicateSym, set[ast.Row]]:
        facts: dict[ast.PredicateSym, set[ast.Row]] = {}

        def add(sym: ast.PredicateSym, row: ast.Row) -> None:
            if (sym, row) not in self.retracted:
                facts.setdefault(sym, set()).add(row)

        for sym, rows in self.plain.items():
            for row in rows:
                add(sym, row)
        P = ast.PredicateSym
        for r in self.statements:
            if (r.fact_sym, r.row) in self.retracted:
                continue
            add(r.fact_sym, r.row)
            add(P(statement_relation(r.fact_sym.name), r.fact_sym.arity + 1), (*r.row, r.id))
            add(P("source", 2), (r.id, r.source))
            add(P("status", 2), (r.id, r.status))
            if r.asserter:
                add(P("asserted_by", 2), (r.id, r.asserter))
            if r.valid_from:
                add(P("valid_from", 2), (r.id, r.valid_from))
            if r.valid_until:
                add(P("valid_until", 2), (r.id, r.valid_until))
            if r.credibility is not None:
                add(P("credibility", 2), (r.id, r.credibility))
        for src in self.catalog.sources.values():
            if src.reliability:
                add(P("reliability", 2), (src.id, src.reliability))
            if src.date:
                add(P("published", 2), (src.id, src.date))
            if src.publisher:
                add(P("publisher", 2), (src.id, self.catalog.resolve(src.publisher) or src.publisher))
        for ent in self.catalog.entities.values():
            add(P("kind", 2), (ent.id, ent.kind))
            add(P("display_name", 2), (ent.id, ent.name))
        return facts

    def bulks(self) -> list[Bulk]:
        return [b.bulk() for b in self.blocks]

    def finish(self) -> list[AllegianceError]:
        """Check the whole program; sets `checked`. Returns the errors instead of raising them."""
        clauses: list[ast.Clause] = [*self.declarations, *self.rules, *self.generated_rules()]
        try:
            self.checked = check(clauses, self.known())
        except ErrorGroup as group:
            return list(group.errors)
        except AllegianceError as exc:
            return [exc]
        self.warnings = list(self.checked.warnings) + self.quote_warnings()
        return []

    def quote_warnings(self) -> list[str]:
        """A `quoting "..."` that its source's article does not contain is worth a warning."""
        warnings: list[str] = []
        articles: dict[str, str | None] = {}
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
                    warnings.append(f"{source.span}: warning: source {source.id} names {path}, which cannot be read")
            text = articles[path]
            if text is not None and " ".join(record.quote.split()) not in text:
                warnings.append(f"{record.span}: warning: the quote is not in {path}")
        return warnings


@dataclass(frozen=True)
class LoadReport:
    """What a load did. The change report (issue: loading) extends this."""

    files: tuple[str, ...]
    statements: int
    facts: int
    rules: int
    warnings: tuple[str, ...] = ()


# --- with --db: every operation stored as it commits (persist.py) ---------------------------------

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _stored(method: Callable[Concatenate[KnowledgeBase, _P], _R]) -> Callable[Concatenate[KnowledgeBase, _P], _R]:
    """With a --db file, the operation and the stored knowledge base after it are one transaction:
    a crash leaves the file as before the operation or after it. If storing fails, the knowledge
    base is as before the operation, like the file."""
    @functools.wraps(method)
    def run(self: KnowledgeBase, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        store = self._store
        if store is None or store.busy:  # an operation made of operations: the outer one stores
            return method(self, *args, **kwargs)
        state, history = self._state, list(self._history)
        try:
            with store.operation(self.program):  # the program to start from if the file is replaced
                result = method(self, *args, **kwargs)
                store.save(self._state, self._history, self._sources)
        except BaseException:
            self._state, self._history, self._index = state, history, None
            raise
        return result
    return run


class KnowledgeBase:
    def __init__(self, engine: str | Engine = "duckdb", timeout: float | None = DEFAULT_TIMEOUT,
                 db: str | None = None, dialect: str = "prolog") -> None:
        """`dialect` is how files without a `.dialect` line, and queries, read bare names.
        `db`: a DuckDB file keeping the knowledge base (persist.py); the first load restores what
        it holds when that was stored for the same files and they are unchanged."""
        self.dialect = dialect
        self._engine = make_engine(engine, timeout=timeout, db=db) if isinstance(engine, str) else engine
        self._history: list[Operation] = []
        self._state = State()
        self._state.finish()
        self._sources: dict[str, str] = {}
        self._index: tuple[StatementsById, StatementsByFact] | None = None
        self._store: Store | None = None
        if db is None:
            self._sync(None)
        else:  # the engine keeps the stored facts until the first operation restores or replaces them
            from .persist import Store

            try:
                self._store = Store.for_engine(self._engine, dialect)
            except BaseException:
                self._engine.close()
                raise

    # --- construction ---

    @classmethod
    def bundled(cls, **options: object) -> KnowledgeBase:
        """The project's knowledge base: facts/ and rules/ beside the package (or $ALLEGIANCE_KB)."""
        kb = cls(**options)  # type: ignore[arg-type]
        kb.load_path(*bundled_paths())
        return kb

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def store(self) -> Store | None:
        """The --db file's store (its `notices` say why a stored knowledge base was not used)."""
        return self._store

    @property
    def engine_name(self) -> str:
        return self._engine.name

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- loading, all or nothing ---

    def load_path(self, *paths: str | os.PathLike[str]) -> LoadReport:
        """Load files and directories (their *.facts and *.dl files, sorted) in one step."""
        files: list[Path] = []
        for path in paths:
            p = Path(path)
            if p.is_dir():
                files.extend(sorted(f for f in p.rglob("*") if f.suffix in (".facts", ".dl") and f.is_file()))
            else:
                files.append(p)
        return self.load_files(files)

    def load_file(self, path: str | os.PathLike[str]) -> LoadReport:
        return self.load_files([Path(path)])

    def load_files(self, paths: Sequence[str | os.PathLike[str]]) -> LoadReport:
        earlier: list[Operation] = []  # with a stale --db file: what earlier sessions added to the files
        if self._store is not None and self._store.pending:
            restored = self._store.restore(paths)  # these files' knowledge base, stored and still fresh
            if restored is not None:
                self._state, self._history, self._sources = restored
                self._index = None
                s = self._state
                return LoadReport(tuple(str(p) for p in paths), len(s.statements), sum(len(v) for v in s.plain.values()),
                                  len(s.rules), tuple(s.warnings))
            earlier = self._store.earlier()
        sources: list[SourceFile] = []
        errors: list[AllegianceError] = []
        for path in paths:
            try:
                sources.append(read_source(path, dialect=self.dialect))
            except ErrorGroup as group:
                errors.extend(group.errors)
            except AllegianceError as exc:
                errors.append(exc)
        if errors:
            raise _bundle(errors)
        if earlier and self._store is not None:
            texts = dict(self._sources)
            try:
                return self._apply([*sources, *earlier])  # one step, as :undo and :reload rebuild
            except AllegianceError as exc:
                self._store.earlier_failed(exc)  # then the files alone, as if those had never been
                self._sources = texts
        return self._apply(sources)

    def load_text(self, text: str, file: str = "<input>", default_source: str | None = None) -> LoadReport:
        """Load text as if it were a file; `default_source` is the source of statements that come
        before any `.source` (the REPL passes the one the session made current)."""
        op = parse_source(text, file, dialect=self.dialect)
        if default_source is not None:
            op = SourceFile(op.path, op.text, op.clauses, op.mtime, default_source)
        return self._apply([op])

    @_stored
    def _apply(self, ops: Sequence[Operation]) -> LoadReport:
        old = self._state
        new = old.copy()
        errors = new.apply(ops)
        errors.extend(new.finish())
        if errors:
            for op in ops:
                if isinstance(op, SourceFile):
                    self._sources.setdefault(op.path, op.text)
            raise _bundle(errors)
        self._history.extend(ops)
        for op in ops:
            if isinstance(op, SourceFile):
                self._sources[op.path] = op.text
        self._state = new
        self._sync(old)
        files = tuple(op.path for op in ops if isinstance(op, SourceFile))
        return LoadReport(files, len(new.statements) - len(old.statements),
                          sum(len(v) for v in new.plain.values()) - sum(len(v) for v in old.plain.values()),
                          len(new.rules) - len(old.rules), tuple(new.warnings))

    def import_rows(self, relation: str | ast.PredicateSym, rows: Sequence[ast.Row], source: str,
                    file: str = "<import>", lines: Sequence[int] = ()) -> LoadReport:
        """Add rows of a declared relation, each a statement from `source`, in one step (all or
        nothing). Values must already have the declared types (see loading.import_csv)."""
        if isinstance(relation, ast.PredicateSym):
            sym = relation
        else:
            rel = self.catalog.relations.get(relation.partition("/")[0])
            sym = rel.sym if rel is not None else ast.PredicateSym(relation.partition("/")[0], len(rows[0]) if rows else 0)
        return self.import_table(Import(file, sym, RowsTable([tuple(r) for r in rows], list(lines)), source))

    @_stored
    def import_table(self, op: Import) -> LoadReport:
        """The fast path for bulk data: no parsing, no per-row curation, and the engine makes the
        facts of the block itself (from a staged CSV, in SQL)."""
        old = self._state
        new = old.copy()
        before = len(new.blocks)
        errors = new.apply([op])
        if errors:
            raise _bundle(errors)
        added = new.blocks[before:]
        # Only base facts change (the program and its types do not): no check, no full resync.
        # Adding data is not a query: the time limit does not apply (a failure leaves the engine as it was).
        limit, self._engine.timeout = self._engine.timeout, None
        self._state = new
        try:
            if new.retracted != old.retracted:
                self._sync(old)  # a retracted fact stated again comes back: the full diff
            else:
                for block in added:
                    self._engine.add_bulk(block.bulk())
        except BaseException:
            self._state = old
            raise
        finally:
            self._engine.timeout = limit
        self._history.append(op)
        self._index = None
        return LoadReport((op.path,), sum(b.count for b in added), 0, 0, tuple(new.warnings))

    def _sync(self, old: State | None) -> None:
        """Bring the engine in line with the state: incrementally when only facts changed and
        every block of the old state is still there (blocks added since go in whole). A rebuilt
        state (undo, reload) has blocks of its own, so the engine reloads, reading blocks in SQL."""
        new = self._state
        self._index = None
        assert new.checked is not None
        new_facts = new.base_facts()
        old_bulks, new_bulks = (old.bulks() if old is not None else []), new.bulks()
        if old is not None and old.checked is not None and old.checked.rules == new.checked.rules and \
                old.checked.types == new.checked.types and new_bulks[:len(old_bulks)] == old_bulks:
            old_facts = old.base_facts()
            added = {s: rows - old_facts.get(s, set()) for s, rows in new_facts.items()}
            # a fact removed here is in no block: a retraction that touches a block dissolves it
            removed = {s: rows - new_facts.get(s, set()) for s, rows in old_facts.items()}
            self._engine.retract_facts({s: r for s, r in removed.items() if r})
            self._engine.add_facts({s: r for s, r in added.items() if r})
            for bulk in new_bulks[len(old_bulks):]:
                self._engine.add_bulk(bulk)
        else:
            self._engine.load_bulks(new.checked, new_facts, new_bulks)

    @_stored
    def _rebuild(self, history: list[Operation]) -> None:
        state = State()
        errors = state.apply(history)
        errors.extend(state.finish())
        if errors:
            raise _bundle(errors)
        old, self._state, self._history = self._state, state, history
        self._sync(old)

    def undo(self) -> Operation | None:
        """Take back the last operation (a load, an addition, a retraction)."""
        if not self._history:
            return None
        last = self._history[-1]
        self._rebuild(self._history[:-1])
        return last

    @_stored
    def reload(self) -> list[str]:
        """Re-read every file that changed on disk since it was loaded; all or nothing."""
        history: list[Operation] = []
        changed: list[str] = []
        for op in self._history:
            if isinstance(op, SourceFile) and op.mtime is not None:
                try:
                    mtime = os.stat(op.path).st_mtime
                except OSError:
                    raise LoadError(f"{op.path} is gone", None, "remove it from the session with :undo") from None
                if mtime != op.mtime:
                    op = read_source(op.path, dialect=self.dialect)
                    changed.append(op.path)
            history.append(op)
        if changed:
            self._rebuild(history)
            for op in history:
                if isinstance(op, SourceFile):
                    self._sources[op.path] = op.text
        return changed

    def retract(self, text: str, file: str = "<retract>") -> int:
        """Retract the facts written in text (`ally(a, b).`); returns how many were present."""
        program = parse_source(text, file, dialect=self.dialect)
        targets: set[tuple[ast.PredicateSym, ast.Row]] = set()
        for clause in program.clauses:
            if isinstance(clause, ast.Fact):
                targets.add((clause.atom.sym, fact_row(clause.atom)))
            else:
                raise StatementError("only facts can be retracted", getattr(clause, "span", None),
                                     "write the fact as it was added: p(a, b).")
        present = {t for t in targets if self._state.has_base(*t)}
        if present:
            self._apply([Retraction(frozenset(present), text.strip())])
        return len(present)

    # --- reading ---

    @property
    def history(self) -> tuple[Operation, ...]:
        return tuple(self._history)

    @property
    def catalog(self) -> Catalog:
        return self._state.catalog

    @property
    def program(self) -> CheckedProgram:
        assert self._state.checked is not None
        return self._state.checked

    @property
    def statements(self) -> tuple[StatementRecord, ...]:
        """Every statement, imported ones made one by one (costly after a large import: see
        `statement_count`, `statements_by_id`, `statements_by_fact` and `blocks`)."""
        return (*self._state.statements, *(r for b in self._state.blocks for r in b.records()))

    @property
    def statement_count(self) -> int:
        return len(self._state.statements) + sum(b.count for b in self._state.blocks)

    @property
    def file_statements(self) -> tuple[StatementRecord, ...]:
        """The statements of fact files and REPL entries (imports' blocks aside)."""
        return tuple(self._state.statements)

    @property
    def plain_facts(self) -> dict[ast.PredicateSym, dict[ast.Row, ast.Span]]:
        """Datalog facts of rule files and entries (not statements), each with where it was first
        written (read only)."""
        return self._state.plain

    @property
    def blocks(self) -> tuple[StatementBlock, ...]:
        """Imports, one block of statements each."""
        return tuple(self._state.blocks)

    def statements_by_id(self) -> StatementsById:
        return self._indexes()[0]

    def statements_by_fact(self) -> StatementsByFact:
        """(fact_sym, row) -> the statements stating it (exactly; see statements_for for symmetry)."""
        return self._indexes()[1]

    def _indexes(self) -> tuple[StatementsById, StatementsByFact]:
        if self._index is None:
            st = self._state
            self._index = (StatementsById(st.statements, st.blocks), StatementsByFact(st.statements, st.blocks))
        return self._index

    @property
    def rules(self) -> tuple[ast.Rule, ...]:
        """The rules as written in the files (not normalized), in load order."""
        return tuple(self._state.rules)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._state.warnings)

    @property
    def sources_text(self) -> dict[str, str]:
        """File name -> text, for rendering errors with their source line."""
        return dict(self._sources)

    def query(self, text: str | ast.Query) -> Answers:
        if isinstance(text, str):
            self._sources["<query>"] = text
        query = parse_query(text, dialect=self.dialect) if isinstance(text, str) else text
        checked = check_query(query, self.program)
        return Answers(checked.variables, sort_rows(self._engine.query(checked)), query)

    def ask(self, text: str) -> bool:
        return bool(self.query(text))

    def facts(self, pred: str | ast.PredicateSym) -> list[ast.Row]:
        """Every row of a relation, base and derived, sorted."""
        return sort_rows(self._engine.relation(self._sym(pred)))

    def predicates(self) -> list[ast.PredicateSym]:
        """Every predicate a user can query (internal ones hidden), sorted by name."""
        return sorted((p for p in self.program.types if not p.name.startswith("__")), key=str)

    def statements_for(self, pred: str | ast.PredicateSym, row: ast.Row) -> list[StatementRecord]:
        """The statements behind a fact (several when sources corroborate each other)."""
        sym = self._sym(pred)
        by_fact = self.statements_by_fact()
        found = list(by_fact.get((sym, row), []))
        rel = self.catalog.relations.get(sym.name.removeprefix("no_"))
        if rel is not None and rel.symmetric and len(row) == 2 and row[0] != row[1]:
            found += by_fact.get((sym, (row[1], row[0])), [])
        return found

    def is_base(self, pred: str | ast.PredicateSym, row: ast.Row) -> bool:
        return self._state.has_base(self._sym(pred), row)

    def inconsistency_relations(self) -> list[Relation]:
        rels = [r for r in self._state.relations() if r.inconsistency]
        builtin = Relation(CONTRADICTED, (ast.Param("positive"), ast.Param("negative")), inconsistency=True,
                           message="statement {positive} says what statement {negative} denies")
        return [builtin, *sorted(rels, key=lambda r: r.sym.name)]

    def inconsistencies(self) -> list[Inconsistency]:
        found: list[Inconsistency] = []
        for rel in self.inconsistency_relations():
            if rel.sym not in self.program.types:
                continue
            for row in self.facts(rel.sym):
                found.append(Inconsistency(rel.sym.name, row, self.message(rel, row)))
        return found

    def message(self, rel: Relation, row: ast.Row) -> str:
        text = rel.message or f"{rel.sym.name}({', '.join('{' + p.name + '}' for p in rel.params)})"
        for param, value in zip(rel.params, row, strict=True):
            text = text.replace("{" + param.name + "}", self.catalog.display(value))
        return text

    def _sym(self, pred: str | ast.PredicateSym) -> ast.PredicateSym:
        if isinstance(pred, ast.PredicateSym):
            return pred
        name, _, arity = pred.partition("/")
        matches = [p for p in self.program.types if p.name == name and (not arity or str(p.arity) == arity)]
        if not matches:
            from .errors import UnknownPredicateError, did_you_mean

            raise UnknownPredicateError(f"unknown predicate {pred}", None,
                                        did_you_mean(name, {p.name for p in self.predicates()}))
        return matches[0]


def sort_rows(rows: Iterable[ast.Row]) -> list[ast.Row]:
    """Rows in ast.row_sort_key's order. Python's own tuple order is the same wherever it does not
    raise (it raises exactly where two values of different kinds meet), and far cheaper."""
    try:
        return sorted(rows)
    except TypeError:
        return sorted(rows, key=ast.row_sort_key)


# --- files ------------------------------------------------------------------------------------


def bundled_paths() -> list[Path]:
    root = Path(os.environ.get("ALLEGIANCE_KB", PROJECT_ROOT))
    return [p for p in (root / "facts", root / "rules") if p.is_dir()]


def read_source(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES, dialect: str = "prolog") -> SourceFile:
    """Read and parse a file; every way a file can be unreadable is a LoadError naming the file."""
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise LoadError(f"{name} is a directory", None, "name the files, or use load_path for a folder")
        stat = p.stat()
        if stat.st_size > max_bytes:
            raise LoadError(
                f"{name} is {stat.st_size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit for fact files",
                None, "bulk data loads faster as CSV: allegiance import FILE.csv --relation ...")
        data = p.read_bytes()
    except FileNotFoundError:
        raise LoadError(f"{name}: no such file", None) from None
    except PermissionError:
        raise LoadError(f"{name}: permission denied", None) from None
    except IsADirectoryError:
        raise LoadError(f"{name} is a directory", None) from None
    except OSError as exc:
        raise LoadError(f"{name}: {exc.strerror or exc}", None) from None
    text = decode(data, name)
    return parse_source(text, name, stat.st_mtime, dialect)


def decode(data: bytes, name: str) -> str:
    """UTF-8, strictly; a byte-order mark and CRLF line ends are accepted."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(f"invalid UTF-8 (byte 0x{data[exc.start]:02x})",
                        ast.Span(name, line, column, line, column + 1),
                        "save the file as UTF-8") from None
    if "\x00" in text:
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        raise LoadError("a NUL character: is this a binary file?", ast.Span(name, line, 1, line, 2))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_source(text: str, file: str, mtime: float | None = None, dialect: str = "prolog") -> SourceFile:
    """Parse a file; every syntax error of it, not only the first, in one ErrorGroup."""
    program, errors = parse_program_recovering(text, file, dialect)
    if errors:
        raise _bundle(errors)
    return SourceFile(file, text, program.clauses, mtime)


def _statement_arity_errors(clauses: Sequence[ast.Clause], catalog: Catalog) -> list[AllegianceError]:
    """A statement or fact of a declared relation with another number of arguments: curation skips
    it and arity analysis never sees it, so it would vanish (or start a relation of its own)."""
    from .errors import ArityError

    errors: list[AllegianceError] = []
    for clause in clauses:
        if isinstance(clause, (ast.Statement, ast.Fact)):
            atom = clause.atom
            rel = catalog.relations.get(atom.pred)
            if rel is not None and rel.sym != atom.sym:
                errors.append(ArityError(
                    f"{atom.pred} takes {rel.sym.arity} arguments, as declared at {rel.span}, not {atom.sym.arity}",
                    atom.span, f"write {atom.pred}({', '.join(p.name for p in rel.params)})"))
    return errors


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


def _bundle(errors: Iterable[AllegianceError]) -> AllegianceError:
    flat: list[AllegianceError] = []
    for err in errors:
        flat.extend(err.errors if isinstance(err, ErrorGroup) else [err])
    flat.sort(key=lambda e: (e.span.file, e.span.line, e.span.column) if e.span else ("", 0, 0))
    unique = list({str(e): e for e in flat}.values())
    return unique[0] if len(unique) == 1 else ErrorGroup(unique)


__all__ = ["Answers", "Import", "Inconsistency", "KnowledgeBase", "LoadReport", "SourceFile", "State", "read_source"]
