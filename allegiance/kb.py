"""The knowledge base: the facade that ties the stages together, all or nothing, with provenance.

Stage: the whole pipeline, files.py -> curate.py (through state.py) -> analysis -> engine.
Input: fact files (`*.facts`), rule files (`*.dl`), REPL entries, CSV rows, retractions. Output:
answers to queries, relations, the statements behind facts, inconsistencies.

A knowledge base is a history of operations (history.py: load a file, retract facts, import rows).
Its state (state.py) is a fold over that history; a new operation builds a new state first and only
replaces the old one when nothing went wrong, so a bad file changes nothing. `undo` drops the last
operation and `reload` re-reads every file, both by building the state again. With `db`, every
operation and the stored knowledge base after it commit together (persist.py).

Why one module: it is the facade, one method per thing a user can do with a knowledge base, each
a few lines handing over to the stage that does it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from . import ast, frames, shield
from .analysis import CheckedProgram, CheckedQuery, check_query, fact_row
from .bulk import RowsTable, StatementBlock, StatementsByFact, StatementsById
from .catalog import Catalog, Relation
from .engines import make_engine
from .engines.base import DEFAULT_TIMEOUT, Engine, InOrder
from .engines.columns import Columns
from .errors import (
    AllegianceError,
    ErrorGroup,
    LoadError,
    QueryError,
    StatementError,
    UnknownPredicateError,
    bundle,
    did_you_mean,
)
from .files import bundled_paths, files_in, parse_source, read_source
from .history import Import, Operation, Retraction, SourceFile
from .parse import parse_query
from .persist import Store
from .provenance import CONTRADICTED_RELATION, StatementRecord
from .selection import Selection, select
from .state import State
from .support import Support, answer_supports, answers_with_supports

if TYPE_CHECKING:
    import pandas
    import pyarrow


HTML_ROWS = 100  # answers a notebook shows as a table (Answers._repr_html_)


@dataclass(frozen=True)
class Answers:
    """A query's answers: one row per binding of `variables`, sorted. Truthy when any row exists."""

    variables: tuple[str, ...]
    rows: Sequence[ast.Row]  # a list, or past many answers a Columns (engines/columns.py): the same rows
    query: ast.Query
    # each row's support (support.py), in the same order; None unless asked for (query(support=True))
    supports: list[Support] | None = None

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ast.Row]:
        return iter(self.rows)

    def as_dicts(self) -> list[dict[str, ast.Value]]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]

    def to_arrow(self) -> pyarrow.Table:
        """A pyarrow.Table, one column per variable, then support columns when answers have them (frames.py)."""
        return frames.arrow_table(self.variables, self.rows, frames.answer_columns(self))

    def to_pandas(self) -> pandas.DataFrame:
        """A pandas.DataFrame, one column per variable, then support columns when answers have them (frames.py)."""
        return frames.data_frame(self.variables, self.rows, frames.answer_columns(self))

    def _repr_html_(self) -> str:
        """Jupyter shows answers as a table: the first HTML_ROWS of them (a closure's millions
        would make a page no browser opens; `to_pandas()` has them all)."""
        count, shown = len(self.rows), self
        if count > HTML_ROWS:
            shown = dataclasses.replace(self, rows=list(self.rows[:HTML_ROWS]),
                                        supports=self.supports[:HTML_ROWS] if self.supports is not None else None)
        table: str = shown.to_pandas().to_html(index=False)
        more = f", the first {HTML_ROWS} shown (.to_pandas() has them all)" if count > HTML_ROWS else ""
        return f"<p>{count} answer{'s' if count != 1 else ''}{more}</p>{table}"


@dataclass(frozen=True)
class Inconsistency:
    kind: str
    args: ast.Row
    message: str


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
        with shield.deferred():  # Ctrl-C after the COMMIT comes after this records it (see _apply)
            try:
                with store.operation(self.program):  # the program to start from if the file is replaced
                    result = method(self, *args, **kwargs)
                    store.save(self._state, self._history, self._sources)
            except BaseException:
                self._state, self._history, self._index = state, history, None
                raise
        return result
    return run


MAX_VIEWS = 8  # selections whose views (and engines) a knowledge base keeps at once


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
        self._views: dict[Selection, KnowledgeBase] = {}  # under(): one per selection, until the next change
        # support's first evaluation on a small knowledge base computes every derived relation, for
        # the later questions of a session (support.WHOLE_BELOW); a one-shot command asks one
        # question and turns this off (cli.common.open_kb), so it evaluates only what it reads
        self.support_ahead = True
        if db is None:
            # the metadata relations installed: no evaluation, so not under the time limit (a
            # --timeout 0.001 failed here, saying "query took longer than 0.001 s")
            limit, self._engine.timeout = self._engine.timeout, None
            try:
                self._sync(None)
            finally:
                self._engine.timeout = limit
        else:  # the engine keeps the stored facts until the first operation restores or replaces them
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

    def close(self, final: bool = False) -> None:
        """Release the engine; `final`: nothing will read this knowledge base's imports again (a
        one-shot command ending), so the engine need not hand their rows to Python first."""
        self._drop_views()
        if final:
            self._engine.forget_imports()
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
                files.extend(files_in(p))
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
            raise bundle(errors)
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
            raise bundle(errors)
        history, sources = list(self._history), dict(self._sources)
        with self._deferring():
            try:
                self._history.extend(ops)
                for op in ops:
                    if isinstance(op, SourceFile):
                        self._sources[op.path] = op.text
                self._state = new
                self._sync(old)
            except BaseException:
                # interrupted or over the time limit while the engine took the change: all of it goes
                # (the engine rolled its own part back), so "the knowledge base is as it was" is true
                self._state, self._history, self._sources = old, history, sources
                if not hasattr(self._engine, "transaction"):
                    self._resync(old)
                raise
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
            raise bundle(errors)
        added = new.blocks[before:]
        # Only base facts change (the program and its types do not): no check, no full resync.
        # Adding data is not a query: the time limit does not apply (a failure leaves the engine as it was).
        limit, self._engine.timeout = self._engine.timeout, None
        with self._deferring():
            try:
                self._state = new
                self._history.append(op)
                if new.retracted != old.retracted:
                    self._sync(old)  # a retracted fact stated again comes back: the full diff
                else:
                    for block in added:
                        self._engine.add_bulk(new.bulk(block))
            except BaseException:
                self._state = old
                del self._history[-1:]
                raise
            finally:
                self._engine.timeout = limit
        self._index = None
        self._drop_views()
        return LoadReport((op.path,), sum(b.count for b in added), 0, 0, tuple(new.warnings))

    def _deferring(self) -> contextlib.AbstractContextManager[None]:
        """Around a change and the record of it (the engine's commit, then the history): Ctrl-C
        deferred (shield.py), so both happen or neither; the engine stops at its next statement,
        or the interrupt comes after both. An engine without transactions (pyDatalog) is stopped by
        the KeyboardInterrupt itself: Ctrl-C goes on as usual, and _resync puts it back."""
        return shield.deferred() if hasattr(self._engine, "transaction") else contextlib.nullcontext()

    def _resync(self, state: State) -> None:
        """After a failed _sync on an engine without transactions (pyDatalog): load `state` whole,
        so a step that did finish (facts retracted before adding facts failed) is undone too. The
        DuckDB engine needs none: _sync runs in one of its transactions, rolled back on failure."""
        self._index = None
        self._drop_views()
        if state.checked is None:
            return
        with contextlib.suppress(QueryError):  # interrupted again: the engine keeps what it had
            self._engine.load_bulks(state.checked, state.base_facts(), state.bulks())

    def _sync(self, old: State | None) -> None:
        """Bring the engine in line with the state: incrementally when only facts changed and
        every block of the old state is still there (blocks added since go in whole). A rebuilt
        state (undo, reload) has blocks of its own, so the engine reloads, reading blocks in SQL."""
        new = self._state
        self._index = None
        self._drop_views()
        assert new.checked is not None
        new_facts = new.base_facts()
        old_bulks, new_bulks = (old.bulks() if old is not None else []), new.bulks()
        if old is not None and old.checked is not None and old.checked.rules == new.checked.rules and \
                old.checked.types == new.checked.types and new_bulks[:len(old_bulks)] == old_bulks:
            old_facts = old.base_facts()
            added = {s: rows - old_facts.get(s, set()) for s, rows in new_facts.items()}
            # a fact removed here is in no block: a retraction that touches a block dissolves it
            removed = {s: rows - new_facts.get(s, set()) for s, rows in old_facts.items()}
            # three engine calls, one change: all of it or none (an interrupt between them)
            transaction = getattr(self._engine, "transaction", None)
            with transaction() if transaction is not None else contextlib.nullcontext():
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
            raise bundle(errors)
        old, before = self._state, self._history
        with self._deferring():
            try:
                self._state, self._history = state, history
                self._sync(old)
            except BaseException:
                self._state, self._history = old, before
                if not hasattr(self._engine, "transaction"):
                    self._resync(old)
                raise

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
    def state(self) -> State:
        """The current state (read only): what selections and what-ifs start from."""
        return self._state

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

    def base_facts(self) -> dict[ast.PredicateSym, set[ast.Row]]:
        """The base facts the engine holds (plain, stated, metadata), imports' blocks aside (read only)."""
        return self._state.base_facts()

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

    # --- selections: what counts (selection.py) ---

    def under(self, selection: Selection | None) -> KnowledgeBase:
        """The knowledge base as `selection` sees it: only the statements that count, on an engine
        of its own (read only: change the knowledge base itself, never the view). The default
        selection is the knowledge base itself. A view lasts until the next change, or until
        MAX_VIEWS other selections were asked for since it was last (each holds an engine): ask
        again rather than keep one."""
        if selection is None or selection.everything:
            return self
        view = self._views.pop(selection, None)  # put back last: the most recently used
        if view is None:
            while len(self._views) >= MAX_VIEWS:
                self._views.pop(next(iter(self._views))).close()
            view = self.detached_view(selection)
        self._views[selection] = view
        view._engine.timeout = self._engine.timeout
        view.support_ahead = self.support_ahead
        return view

    def detached_view(self, selection: Selection) -> KnowledgeBase:
        """A view under `selection`, as `under` makes one, that this knowledge base neither keeps
        nor closes: the caller closes it, and `follow` brings it up to date after a change."""
        name, timeout = self._engine.name, self._engine.timeout
        view = KnowledgeBase(make_engine(name, timeout=timeout), dialect=self.dialect)
        try:
            self.follow(view, selection, fresh=True)
        except BaseException:
            view.close()
            raise
        return view

    def follow(self, view: KnowledgeBase, selection: Selection, fresh: bool = False) -> None:
        """Bring a detached view in line with this knowledge base under `selection`: incrementally
        where it can (kb._sync), so what the view's engine keeps (Engine.keep: a change report's
        copies, changes.py) survives the change."""
        name, timeout = self._engine.name, self._engine.timeout
        old = None if fresh else view._state
        view._state = select(self._state, selection, lambda: make_engine(name, timeout=timeout))
        view._history, view._sources = list(self._history), self._sources
        view._sync(old)

    def _drop_views(self) -> None:
        views, self._views = self._views, {}
        for view in views.values():
            view.close()

    def query(self, text: str | ast.Query, selection: Selection | None = None, support: bool = False) -> Answers:
        """The answers, sorted; with `support`, each one's support too (support.py)."""
        if isinstance(text, str):
            self._sources["<query>"] = text
        if selection is not None and not selection.everything:
            return self.under(selection).query(text, support=support)
        query = parse_query(text, dialect=self.dialect) if isinstance(text, str) else text
        checked = check_query(query, self.program)
        # many answers come joined with their support from the engine (support.JOINED_FROM)
        joined = answers_with_supports(self, checked) if support else None
        if joined is not None:
            rows, supports = sort_answers(*joined)
            return Answers(checked.variables, rows, query, supports)
        answered = self._engine.query(checked)
        # a Columns is in order already (engines/columns.py), and sorting it would make every tuple
        ordered = answered if isinstance(answered, Columns) else sort_rows(answered)
        return Answers(checked.variables, ordered, query, answer_supports(self, checked, ordered) if support else None)

    def with_supports(self, answers: Answers) -> Answers:
        """The same answers with each one's support (query(..., support=True) in two steps, so a
        front end can show the answers even when their support runs out of time)."""
        checked = check_query(answers.query, self.program)
        return dataclasses.replace(answers, supports=answer_supports(self, checked, answers.rows))

    def to_arrow(self, text: str) -> pyarrow.Table:
        """A query's answers as a pyarrow.Table (one column per variable, as Answers.to_arrow),
        made by the engine where it can, without a Python tuple per answer."""
        query = self.checked_query(text)
        table = self._engine.answers_arrow(query)
        if table is None:
            return frames.arrow_table(query.variables, sort_rows(self._engine.query(query)))
        return table.rename_columns(list(query.variables))

    def to_pandas(self, text: str) -> pandas.DataFrame:
        """A query's answers as a pandas.DataFrame (as Answers.to_pandas), through to_arrow."""
        frame: pandas.DataFrame = self.to_arrow(text).to_pandas()
        return frame

    def checked_query(self, text: str) -> CheckedQuery:
        """A query's text parsed and checked against the program, ready for the engine."""
        self._sources["<query>"] = text
        return check_query(parse_query(text, dialect=self.dialect), self.program)

    def ask(self, text: str) -> bool:
        return bool(self.query(text))

    def facts(self, pred: str | ast.PredicateSym, selection: Selection | None = None) -> list[ast.Row]:
        """Every row of a relation, base and derived, sorted."""
        if selection is not None and not selection.everything:
            return self.under(selection).facts(pred)
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
        return [CONTRADICTED_RELATION, *sorted(rels, key=lambda r: r.sym.name)]

    def inconsistencies(self, selection: Selection | None = None) -> list[Inconsistency]:
        if selection is not None and not selection.everything:
            return self.under(selection).inconsistencies()
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
            raise UnknownPredicateError(f"unknown predicate {pred}", None,
                                        did_you_mean(name, {p.name for p in self.predicates()}))
        return matches[0]


def sort_answers(rows: Sequence[ast.Row], supports: list[Support]) -> tuple[Sequence[ast.Row], list[Support]]:
    """Rows in sort_rows' order, each support moved with its row (the engine's order is that one
    unless values of two kinds meet in a column; a Columns is in it: engines/columns.py)."""
    if isinstance(rows, Columns):
        return rows, supports
    ordered = sort_rows(rows)
    if ordered == rows:  # the same objects in the same order: compared by identity, no value read
        return ordered, supports
    pairs = sorted(zip(rows, supports, strict=True), key=lambda pair: ast.row_sort_key(pair[0]))
    return [row for row, _ in pairs], [s for _, s in pairs]


def sort_rows(rows: Iterable[ast.Row]) -> list[ast.Row]:
    """Rows in ast.row_sort_key's order. Python's own tuple order is the same wherever it does not
    raise (it raises exactly where two values of different kinds meet), and far cheaper; answers an
    engine hands back in that order already (InOrder) are as they come."""
    if isinstance(rows, InOrder):
        return rows
    try:
        return sorted(rows)
    except TypeError:
        return sorted(rows, key=ast.row_sort_key)


__all__ = ["Answers", "Inconsistency", "KnowledgeBase", "LoadReport", "sort_rows"]
