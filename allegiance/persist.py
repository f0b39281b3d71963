"""Persistence: the knowledge base kept in a DuckDB file (`--db FILE`), restored without parsing.

Stage: kb.KnowledgeBase's storage. Input: after each committed operation, the knowledge base's
state.State, history.py's operations and file texts; at a later start, the stored tables and the files its first load
names. Output: rows for the engine's own tables (DuckDBEngine.write_stored, inside the operation's
transaction, so facts and knowledge base commit together), and at a later start the same State,
history and texts again with the engine reopened over its stored facts, or a one-line notice saying
why the stored knowledge base cannot serve, after which the files are read as without --db.

What the stored knowledge base is keyed on
    FORMAT (this module's table layout), a fingerprint of allegiance's own code (the grammar and
    every module: another version may read the same files differently), the dialect, and the files
    of the first load, in order, as given and as absolute paths (folders expanded, so a file added
    to a folder counts). A manifest lists every file the history read from disk (the first load and
    later `:load`s): its path, size, mtime_ns and the SHA-256 of its text as parsed. The stored
    knowledge base is restored only when the key is the same and every manifest file still has that
    text. Otherwise it is rebuilt from the files and stored again; what earlier sessions added on top
    of the files (typed entries, `:load`s, retractions, imports) is applied again after them in the
    same step, loaded files read again from disk, when the dialect is the same and the files of the
    first load have some in common; if it no longer applies it is dropped. The notice says which.

What is stored (tables kb_<name>, see TABLES)
    the State (catalog, statements, plain facts with spans, rules, declarations, retracted facts,
    counters, imports' blocks), the history (files by path and text, parsed again only when a
    rebuild such as :undo or :reload needs their clauses; retractions whole; imports by their rows,
    each import's rows once, a CSV staged in DuckDB coming back as rows in Python) and the file
    texts (for carets and quotes). The checked program and the warnings are not stored: State.finish computes them
    again from the restored state, as a load does. Small tables have typed columns with JSON text
    for nested values; statements and plain facts, which can number millions, are stored in packs
    of PACK items, one JSON array each: DuckDB's Python binding costs about a microsecond per bound
    value, so one value per column and row would make a large reopen slower than reading the file.
    A pack of statements holds a list per statement. A pack of plain facts is column by column, one
    run per predicate it holds (name, arity, file names, then rows, files, lines, columns, end lines
    and end columns as lists of one length: _plain_pack), so a reopen decodes and checks a few long
    lists at C speed instead of a list per fact (the bulk of a reopen's time before).

Decoding is codec.py's whitelist: no pickle, no eval, no stored text becomes SQL. A damaged or
foreign table is a LoadError naming the file, turned into a notice and a rebuild from the files;
a file that is not a DuckDB database is refused by the engine, and nothing overwrites it.

Why one module: the table layout (TABLES), the writer (`Store.save`) and the reader
(`Store._decode`) are one file format, versioned together by FORMAT; apart, a change to one would
not show in the other.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import operator
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from . import ast, codec
from .analysis.checked import CheckedProgram
from .bulk import RowsTable, StatementBlock
from .catalog import Catalog, Entity, Relation, Source
from .engines.base import Table as RowSource
from .errors import AllegianceError, LoadError
from .files import decode, parse_source, read_limited, read_source
from .history import Import, Operation, Retraction, SourceFile
from .provenance import StatementRecord
from .state import State

FORMAT = "allegiance-kb-2"  # 2: plain facts stored column by column (_plain_pack)
PACK = 5_000  # statements or plain facts per stored pack: an append rewrites at most the last one


@runtime_checkable
class TableStore(Protocol):
    """What an engine offers for this (DuckDBEngine: see its "Persistence" docstring section)."""

    path: str | None
    damaged: str | None  # set when opening found the file's fact tables damaged and set it aside
    aside: str | None  # where the damaged file was moved (never overwritten)

    def transaction(self) -> Any: ...
    def read_stored(self, name: str, columns: Sequence[tuple[str, str]]) -> list[tuple[object, ...]] | None: ...
    def write_stored(self, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[object]],
                     start: int = 0) -> None: ...
    def reopen(self, program: CheckedProgram) -> None: ...
    def load(self, program: CheckedProgram, facts: Any) -> None: ...
    def set_aside(self, why: str) -> str: ...


Sources = dict[str, str]  # file name -> text, as KnowledgeBase.sources_text
Restored = tuple[State, list[Operation], Sources]


class StoredSourceFile(SourceFile):
    """A file of the history as stored: path, text, mtime. Its clauses are parsed from the text on
    first use (a rebuild by :undo or :reload, or an explanation that reads a rule file's facts), so
    a restore reads no file and parses nothing."""

    def __init__(self, path: str, text: str, mtime: float | None, default_source: str | None, dialect: str) -> None:
        # SourceFile is a frozen dataclass: fields are set the way its own __init__ sets them
        for name, value in (("path", path), ("text", text), ("mtime", mtime), ("default_source", default_source),
                            ("_dialect", dialect), ("_clauses", None)):
            object.__setattr__(self, name, value)

    @property
    def clauses(self) -> tuple[ast.Clause, ...]:
        parsed: tuple[ast.Clause, ...] | None = self.__dict__["_clauses"]
        if parsed is None:
            parsed = parse_source(self.text, self.path, self.mtime, self.__dict__["_dialect"]).clauses
            object.__setattr__(self, "_clauses", parsed)
        return parsed


# --- the tables ------------------------------------------------------------------------------------

Columns = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """One stored table: its columns, the items of a knowledge base it holds (in order), and how an
    item becomes a row (or, packed, how a pack of up to PACK items becomes one JSON-ready list)."""

    name: str
    columns: Columns
    items: Callable[[State, Sequence[Operation], Sources], list[Any]]
    encode: Callable[[Any], Any] | None
    packed: bool = False
    contextual: Callable[[Any, _Context], tuple[object, ...]] | None = None  # encode, with the context


def _text_of(op: SourceFile, sources: Sources) -> str | None:
    # the same text as the texts table holds is stored once (NULL here)
    return None if sources.get(op.path) is op.text else op.text


@dataclass
class _Context:
    """What encoding a row may refer to: the texts table, and the imports' tables by position."""

    sources: Sources
    tables: dict[int, int]  # id(Table) -> its position in the imports table


def _history_row(op: Operation, ctx: _Context) -> tuple[object, ...]:
    if isinstance(op, SourceFile):
        return ("file", op.path, _text_of(op, ctx.sources), op.mtime, op.default_source, None)
    if isinstance(op, Import):
        return ("import", op.path, None, None, op.source,
                codec.dumps_values([op.sym.name, op.sym.arity, ctx.tables[id(op.table)]]))
    return ("op", None, None, None, None, codec.dumps(op))


def _block_row(b: StatementBlock, ctx: _Context) -> tuple[object, ...]:
    return (b.path, b.sym.name, b.sym.arity, b.source, b.asserter, b.first, ctx.tables[id(b.table)])


def _import_tables(state: State, history: Sequence[Operation], _s: Sources) -> list[Any]:
    """The Tables of imports (a staged CSV or rows from Python), each once, in order of use."""
    seen: dict[int, RowSource] = {}
    for table in [*(op.table for op in history if isinstance(op, Import)), *(b.table for b in state.blocks)]:
        seen.setdefault(id(table), table)
    return list(seen.values())


def _table_row(table: RowSource, _ctx: _Context) -> tuple[object, ...]:
    return (codec.dumps_values([list(r) for r in table.rows()]), codec.dumps_values(list(table.lines())))


def _statement_item(r: StatementRecord) -> list[Any]:
    s = r.span
    return [r.id, r.sym.name, r.sym.arity, r.negated, r.source, r.status, r.asserter,
            r.valid_from.isoformat() if r.valid_from else None, r.valid_until.isoformat() if r.valid_until else None,
            r.credibility, r.quote, r.text, s.file, s.line, s.column, s.end_line, s.end_column, r.english, list(r.row),
            r.month_from, r.month_until, r.reported_on.isoformat() if r.reported_on else None, r.reported_month]


def _statement_pack(pack: Sequence[StatementRecord]) -> list[Any]:
    return [_statement_item(r) for r in pack]


_Run = tuple[ast.PredicateSym, list[ast.Row], list[ast.Span]]  # facts of one predicate, in order
_SPAN_NUMBERS = tuple(map(operator.attrgetter, ("line", "column", "end_line", "end_column")))


def _plain_pack(runs: Sequence[_Run]) -> list[Any]:
    """A pack of plain facts, column by column: per run of one predicate, [name, arity, file names,
    rows, file (an index into the names), line, column, end_line, end_column], the last six lists
    of equal length. Made and read back at C speed, where one list per fact cost a Python loop."""
    out: list[Any] = []
    for sym, rows, spans in runs:
        files = list(map(operator.attrgetter("file"), spans))
        names = list(dict.fromkeys(files))
        index = {name: n for n, name in enumerate(names)}
        out.append([sym.name, sym.arity, names, rows, list(map(index.__getitem__, files)),
                    *(list(map(number, spans)) for number in _SPAN_NUMBERS)])
    return out


def _catalog_items(state: State, _h: Sequence[Operation], _s: Sources) -> list[Any]:
    c = state.catalog
    return ([("source", k, v) for k, v in c.sources.items()] + [("entity", k, v) for k, v in c.entities.items()]
            + [("relation", k, v) for k, v in c.relations.items()])


def _plain_items(state: State, _h: Sequence[Operation], _s: Sources) -> list[Any]:
    # per predicate, its rows and their spans as lists (made at C speed): see _Blocks
    return _Blocks((sym, list(rows), list(rows.values())) for sym, rows in state.plain.items())


class _Blocks(list[_Run]):
    """The plain facts as items (sym, row, span), kept as one block per predicate so that finding
    what changed compares whole lists at C speed instead of a million tuples one by one."""

    def count(self) -> int:  # type: ignore[override]
        return sum(len(rows) for _, rows, _ in self)

    def prefix(self, old: _Blocks) -> int:
        """How many leading items are the very same objects in old and self."""
        done = 0
        for (sym, rows, spans), (old_sym, old_rows, old_spans) in zip(self, old, strict=False):
            if sym is not old_sym:
                return done
            same = min(_identical(rows, old_rows), _identical(spans, old_spans))
            done += same
            if same < len(rows) or len(rows) != len(old_rows):
                return done
        return done

    def packs(self, start: int) -> Iterator[list[_Run]]:
        """The items from position `start` (a multiple of PACK) on, PACK to a pack, each pack as the
        runs of one predicate it holds (a predicate may go on in the next pack)."""
        pack: list[_Run] = []
        room = PACK
        for sym, rows, spans in self:
            if start >= len(rows):
                start -= len(rows)
                continue
            while start < len(rows):
                end = min(len(rows), start + room)
                pack.append((sym, rows[start:end], spans[start:end]))
                room -= end - start
                start = end
                if room == 0:
                    yield pack
                    pack, room = [], PACK
            start = 0
        if pack:
            yield pack


def _identical(old: Sequence[Any], new: Sequence[Any]) -> int:
    """The length of the common prefix of two lists, by identity, at C speed."""
    n = min(len(old), len(new))
    return next(itertools.compress(itertools.count(), map(operator.is_not, old, new)), n)


TABLES: tuple[Table, ...] = (
    Table("texts", (("path", "text"), ("body", "text")),
          lambda st, h, s: [(k, v) for k, v in s.items() if k != "<query>"], lambda kv: kv),
    Table("imports", (("rows", "text"), ("lines", "text")), _import_tables, None, contextual=_table_row),
    Table("history", (("kind", "text"), ("path", "text"), ("body", "text"), ("mtime", "float"),
                      ("default_source", "text"), ("data", "text")),
          lambda st, h, s: list(h), None, contextual=_history_row),
    Table("blocks", (("path", "text"), ("pred", "text"), ("arity", "int"), ("source", "text"), ("asserter", "text"),
                     ("first", "int"), ("rows", "int")),
          lambda st, h, s: list(st.blocks), None, contextual=_block_row),
    Table("catalog", (("kind", "text"), ("id", "text"), ("data", "text")), _catalog_items,
          lambda item: (item[0], item[1], codec.dumps(item[2]))),
    Table("names", (("name", "text"), ("entity", "text")),
          lambda st, h, s: list(st.catalog._names.items()), lambda kv: kv),
    Table("rules", (("data", "text"),), lambda st, h, s: list(st.rules), lambda r: (codec.dumps(r),)),
    Table("declarations", (("data", "text"),), lambda st, h, s: list(st.declarations), lambda d: (codec.dumps(d),)),
    Table("retracted", (("pred", "text"), ("arity", "int"), ("row", "text")),
          lambda st, h, s: sorted(st.retracted, key=lambda f: (str(f[0]), ast.row_sort_key(f[1]))),
          lambda f: (f[0].name, f[0].arity, codec.dumps_values(list(f[1])))),
    Table("counters", (("source", "text"), ("n", "int")), lambda st, h, s: list(st.counters.items()), lambda kv: kv),
    Table("statements", (("pack", "text"),), lambda st, h, s: list(st.statements), _statement_pack, packed=True),
    Table("plain", (("pack", "text"),), _plain_items, _plain_pack, packed=True),
)
_META = ("meta", (("key", "text"), ("value", "text")))
_MANIFEST = ("manifest", (("path", "text"), ("absolute", "text"), ("size", "int"), ("mtime_ns", "int"),
                          ("sha256", "text")))


def _same(a: Any, b: Any) -> bool:
    """Identity, part by part for the tuples items are made of: an operation keeps the objects of
    the state before it, so what did not change is the very same object."""
    if a is b:
        return True
    return type(a) is tuple and type(b) is tuple and len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _common_prefix(old: Sequence[Any], new: Sequence[Any]) -> int:
    if isinstance(new, _Blocks) and isinstance(old, _Blocks):
        return new.prefix(old)
    n = _identical(old, new)  # whole objects (statements, operations, clauses): the fast path
    while n < min(len(old), len(new)) and _same(old[n], new[n]):  # tuples of the small tables
        n += 1
    return n


def _count(items: list[Any]) -> int:
    return items.count() if isinstance(items, _Blocks) else len(items)


# --- the key and the manifest -------------------------------------------------------------------------

_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """SHA-256 over allegiance's own modules and grammar: what turns files into a knowledge base."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        root = Path(__file__).resolve().parent
        digest = hashlib.sha256()
        for f in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".lark") and p.is_file()):
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _files_key(paths: Sequence[str | os.PathLike[str]]) -> list[list[str]]:
    return [[str(p), os.path.abspath(p)] for p in paths]


def _changed(absolute: str, digest: str) -> str | None:
    """Why a manifest file no longer holds the text that was stored, or None."""
    try:
        data = read_limited(absolute, absolute)
    except OSError:
        return "is gone"
    except AllegianceError:
        return "changed"  # now over the size limit: loading it again says so
    try:
        text = decode(data, absolute)
    except AllegianceError:
        return "changed"
    return None if _digest(text) == digest else "changed"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- the store ----------------------------------------------------------------------------------------


class Store:
    """A knowledge base's --db file: restore it at the first load, store every operation after.

    `pending`: the file's stored knowledge base (if any) has been neither restored nor replaced in
    this session; the first operation that is not a restore replaces it (and the engine's facts).
    `notices`: one line per decision worth telling the user (why the files were read again)."""

    def __init__(self, engine: TableStore, dialect: str) -> None:
        self.engine = engine
        self.path = engine.path or "<memory>"
        self.dialect = dialect
        self.pending = True
        self.notices: list[str] = []
        self._notice = ""  # the notice of a stale store, before what became of its earlier changes
        self._busy = False
        self._files: list[list[str]] = []  # the key's files: those of the first load
        self._base_ops: int | None = None  # how many operations of the history that first load made
        self._earlier: list[Operation] = []  # a stale store's changes made on top of its files
        self._earlier_count = 0
        self._saved: dict[str, list[Any]] = {}  # per table, the items the file holds
        self._digests: dict[int, tuple[SourceFile, str]] = {}

    @classmethod
    def for_engine(cls, engine: object, dialect: str) -> Store:
        if not isinstance(engine, TableStore) or engine.path is None:
            raise LoadError("--db keeps the knowledge base in a DuckDB file, which this engine cannot hold", None,
                            "use --engine duckdb (the default) with --db")
        return cls(engine, dialect)

    # --- writing ---

    @property
    def busy(self) -> bool:
        """Inside operation(): an operation made of operations (reload -> rebuild) is stored once."""
        return self._busy

    @contextmanager
    def operation(self, empty: CheckedProgram) -> Iterator[None]:
        """One transaction for an operation and save(): on failure the file is as before it."""
        self._busy = True
        pending, saved, base_ops = self.pending, dict(self._saved), self._base_ops
        try:
            with self.engine.transaction():
                if self.pending:
                    # the stored knowledge base is being replaced: its facts go first
                    self.engine.load(empty, {})
                    self.pending, self._saved = False, {}
                yield
        except BaseException:
            self.pending, self._saved, self._base_ops = pending, saved, base_ops
            raise
        finally:
            self._busy = False

    def save(self, state: State, history: Sequence[Operation], sources: Sources) -> None:
        """Write what changed since the last save (inside operation())."""
        if self._base_ops is None:  # the first operation was not a load of files
            self._base_ops = len(history)
        self._base_ops = min(self._base_ops, len(history))  # :undo may take back part of the first load
        tables = _import_tables(state, history, sources)
        ctx = _Context(sources, {id(t): n for n, t in enumerate(tables)})
        for table in TABLES:
            self._write(table, tables if table.name == "imports" else table.items(state, history, sources), ctx)
        manifest = self._manifest(history)
        self.engine.write_stored(_MANIFEST[0], _MANIFEST[1], manifest)
        meta = {"format": FORMAT, "code": code_fingerprint(), "dialect": self.dialect,
                "files": codec.dumps_values(self._files), "base_ops": str(self._base_ops),
                "counts": codec.dumps_values([[t.name, _count(self._saved[t.name])] for t in TABLES])}
        self.engine.write_stored(_META[0], _META[1], list(meta.items()))

    def _write(self, table: Table, items: list[Any], ctx: _Context) -> None:
        old = self._saved.get(table.name)
        n = _common_prefix(old, items) if old is not None else 0
        if old is not None and n == _count(old) == _count(items):
            return
        if table.packed:
            assert table.encode is not None
            encode = table.encode
            start = n // PACK
            packs = items.packs(start * PACK) if isinstance(items, _Blocks) else \
                (items[i:i + PACK] for i in range(start * PACK, len(items), PACK))
            rows: list[tuple[object, ...]] = [(codec.dumps_values(encode(pack)),) for pack in packs]
        elif table.contextual is not None:
            start, rows = n, [table.contextual(x, ctx) for x in items[n:]]
        else:
            assert table.encode is not None
            start, rows = n, [table.encode(x) for x in items[n:]]
        self.engine.write_stored(table.name, table.columns, rows, start if old is not None else 0)
        self._saved[table.name] = items

    def _manifest(self, history: Sequence[Operation]) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = []
        digests: dict[int, tuple[SourceFile, str]] = {}
        for op in history:
            if not isinstance(op, SourceFile) or op.mtime is None:
                continue
            known = self._digests.get(id(op))
            digest = known[1] if known is not None and known[0] is op else _digest(op.text)
            digests[id(op)] = (op, digest)  # holding op keeps its id from being reused
            absolute = os.path.abspath(op.path)
            try:
                stat = os.stat(absolute)
                size, mtime_ns = stat.st_size, stat.st_mtime_ns
            except OSError:
                size, mtime_ns = -1, -1
            rows.append((op.path, absolute, size, mtime_ns, digest))
        self._digests = digests
        return rows

    # --- reading ---

    def restore(self, paths: Sequence[str | os.PathLike[str]]) -> Restored | None:
        """The stored knowledge base, when it was stored for these files and they are unchanged;
        the engine is then reopened over its stored facts. None otherwise, with a notice when the
        file held a knowledge base that cannot serve. Called once, at the first load. The engine
        keeps the file read-only until this has read it: a damaged file is set aside as it was."""
        try:
            return self._restore(paths)
        finally:
            writable = getattr(self.engine, "writable", None)
            if writable is not None:
                writable()

    def _restore(self, paths: Sequence[str | os.PathLike[str]]) -> Restored | None:
        self._files = _files_key(paths)
        self._base_ops = len(paths)  # load_files makes one operation per file
        if self.engine.damaged:  # the engine found its fact tables damaged and set the file aside
            self.notices.append(self._set_aside_notice(self.engine.damaged, self.engine.aside, None))
            return None
        meta: dict[str, str] | None = None
        stale: str | None = None
        try:
            meta = self._read_meta()
            if meta is None:
                return None
            stale = self._why_stale(meta)
            if stale is None:
                restored = self._decode(meta)
                self.pending = False
                return restored
            why = stale
        except (LoadError, codec.CodecError) as exc:
            # damaged: what only it holds (imports, typed statements) would be lost by overwriting it
            lost = self._lost(meta)
            why = f"cannot be read ({str(exc).removeprefix(f'{self.path}: ')})"
            aside = self.engine.set_aside(why)
            self.pending = False  # the new file is empty: nothing stored to replace
            self.notices.append(self._set_aside_notice(why, aside, lost))
            return None
        base = int(meta["base_ops"]) if meta is not None and meta.get("base_ops", "").isdigit() else None
        later = self._stored_ops() - base if base is not None else 0
        self._notice = f"{self.path}: {why}: reading the files again"
        self._earlier_count = max(later, 0)
        self.notices.append(self._notice)
        if later > 0 and stale is not None and self._replayable(meta):
            try:
                assert base is not None
                self._earlier = self._earlier_ops(base)
            except (LoadError, codec.CodecError) as exc:
                self.earlier_failed(exc)
            else:
                self.notices[-1] = f"{self._notice}, then the {_plural(later, 'change')} made in earlier sessions on top of them"
        elif later > 0:
            self.earlier_failed(None)
        return None

    def _lost(self, meta: dict[str, str] | None) -> str | None:
        """What only a damaged file held, as far as it can still be read: the changes made on top of
        its files (imports, typed statements, retractions, loads), by kind."""
        try:
            base = int(meta["base_ops"]) if meta is not None and meta.get("base_ops", "").isdigit() else None
            if base is None:
                return None
            ops = self._earlier_ops(base)
        except (AllegianceError, codec.CodecError, ValueError, IndexError, TypeError):
            return None
        kinds = {"CSV import": sum(isinstance(op, Import) for op in ops),
                 "typed entry": sum(isinstance(op, SourceFile) and op.mtime is None for op in ops),
                 "retraction": sum(isinstance(op, Retraction) for op in ops),
                 "later file load": sum(isinstance(op, SourceFile) and op.mtime is not None for op in ops)}
        return ", ".join(_plural(n, kind) for kind, n in kinds.items() if n) or "nothing beyond the files"

    def _set_aside_notice(self, why: str, aside: str | None, lost: str | None) -> str:
        what = (f"what it held beyond the files ({lost}) is not in this session" if lost is not None else
                "what only it held (CSV imports, statements typed at the prompt, retractions and files loaded "
                "in earlier sessions) is not in this session")
        return (f"{self.path}: {why}: it is kept, unchanged, as {aside}, and a new {self.path} is built from "
                f"the files; {what}")

    def earlier(self) -> list[Operation]:
        """What earlier sessions added on top of the files of a stale store (typed entries, loads,
        retractions, imports), to be applied again after the files, all or nothing. Files they
        loaded are read again from disk (they may have changed too). Taken once; [] when there
        is nothing to apply again or a file of it cannot be read (the notice says so)."""
        ops, self._earlier = self._earlier, []
        try:
            return [read_source(op.path, dialect=self.dialect) if isinstance(op, SourceFile) and op.mtime is not None
                    else op for op in ops]
        except AllegianceError as exc:
            self.earlier_failed(exc)
            return []

    def earlier_failed(self, error: BaseException | None) -> None:
        """The notice when those changes cannot be applied again (or were not for these files)."""
        reason = f" (they no longer apply: {str(error).splitlines()[0]})" if error is not None else ""
        self.notices[-1] = (f"{self._notice}; the {_plural(self._earlier_count, 'change')} made in earlier sessions "
                            f"on top of them are not kept{reason}")

    def _replayable(self, meta: dict[str, str] | None) -> bool:
        """Earlier changes are applied again when the store was for these files, or some of them
        (one changed, added or removed), read the same way (dialect)."""
        if meta is None or meta["dialect"] != self.dialect:
            return False
        try:
            stored = {str(f[1]) for f in codec.loads_values(meta["files"]) if isinstance(f, list) and len(f) == 2}
        except codec.CodecError:
            return False
        return bool(stored & {f[1] for f in self._files})

    def _earlier_ops(self, base: int) -> list[Operation]:
        sources: Sources = {_str(p): _str(b) for p, b in self._read(*_columns_of("texts"))}
        tables = [_rows_table(rows, lines) for rows, lines in self._read(*_columns_of("imports"))]
        rows = self._read(*_columns_of("history"))
        return [self._operation(r, sources, tables) for r in rows[base:]]

    def _read(self, name: str, columns: Columns) -> list[tuple[object, ...]]:
        rows = self.engine.read_stored(name, columns)
        if rows is None:
            raise LoadError(f"{self.path}: no stored table {name}")
        return rows

    def _read_meta(self) -> dict[str, str] | None:
        rows = self.engine.read_stored(*_META)
        if rows is None:
            return None
        meta = {str(k): str(v) for k, v in rows}
        if not {"format", "code", "dialect", "files", "base_ops", "counts"} <= set(meta):
            raise LoadError(f"{self.path}: its stored knowledge base has no complete description")
        return meta

    def _stored_ops(self) -> int:
        try:
            return len(self.engine.read_stored(*_columns_of("history")) or [])
        except LoadError:
            return 0

    def _why_stale(self, meta: dict[str, str]) -> str | None:
        if meta["format"] != FORMAT or meta["code"] != code_fingerprint():
            return "it was stored by another version of allegiance"
        if meta["dialect"] != self.dialect:
            return f"it was stored with --dialect {meta['dialect']}"
        stored = [[str(a) for a in f] for f in codec.loads_values(meta["files"]) if isinstance(f, list)]
        if stored != self._files:
            before, now = {f[1] for f in stored}, {f[1] for f in self._files}
            added, removed = sorted(now - before), sorted(before - now)
            if added or removed:
                parts = ([f"{_plural(len(added), 'file')} added ({', '.join(added[:3])}{', ...' if len(added) > 3 else ''})"]
                         if added else []) + \
                        ([f"{_plural(len(removed), 'file')} gone ({', '.join(removed[:3])}{', ...' if len(removed) > 3 else ''})"]
                         if removed else [])
                return f"it holds the knowledge base of other files: {', '.join(parts)}"
            return "it holds the knowledge base of the same files named otherwise or in another order"
        for path, absolute, _size, _mtime, digest in self._read(*_MANIFEST):
            why = _changed(str(absolute), str(digest))
            if why is not None:
                return f"{path} {why} since the knowledge base was stored"
        return None

    def _decode(self, meta: dict[str, str]) -> Restored:
        counts = {str(c[0]): c[1] for c in codec.loads_values(meta["counts"]) if isinstance(c, list) and len(c) == 2}
        raw = {t.name: self._read(t.name, t.columns) for t in TABLES}
        sources: Sources = {_str(p): _str(b) for p, b in raw["texts"]}
        tables = [_rows_table(rows, lines) for rows, lines in raw["imports"]]
        history = [self._operation(r, sources, tables) for r in raw["history"]]
        catalog = Catalog()
        for kind, key, data in raw["catalog"]:
            value = codec.loads(data)
            expected = {"source": Source, "entity": Entity, "relation": Relation}.get(_str(kind))
            if expected is None or not isinstance(value, expected):
                raise codec.CodecError(f"a catalog entry that is not a {kind}")
            getattr(catalog, f"{kind}s" if kind != "entity" else "entities")[_str(key)] = value
        catalog._names = {_str(k): _str(v) for k, v in raw["names"]}
        state = State(catalog=catalog)
        state.statements = _statements(raw["statements"])
        state.plain = _plain(raw["plain"])
        state.rules = [_clause(d, (ast.Rule,)) for (d,) in raw["rules"]]
        state.declarations = [_clause(d, (ast.Declaration, ast.RelationDecl, ast.TrustBlock)) for (d,) in raw["declarations"]]
        state.retracted = {(ast.PredicateSym(_str(p), _int(a)), codec.row(codec.loads_values(r))) for p, a, r in raw["retracted"]}
        state.counters = {_str(k): _int(v) for k, v in raw["counters"]}
        state.blocks = [StatementBlock(_str(path), ast.PredicateSym(_str(pred), _int(arity)), _table(tables, n), _str(source),
                                       _opt_str(asserter), _int(first))
                        for path, pred, arity, source, asserter, first, n in raw["blocks"]]
        items = {t.name: tables if t.name == "imports" else t.items(state, history, sources) for t in TABLES}
        if any(counts.get(name) != _count(found) for name, found in items.items()):
            raise LoadError(f"{self.path}: its stored knowledge base is incomplete")
        errors = state.finish()
        if errors:
            raise LoadError(f"{self.path}: its stored knowledge base no longer checks: {errors[0]}")
        assert state.checked is not None
        self.engine.reopen(state.checked)
        self._saved = items
        self._base_ops = int(meta["base_ops"]) if meta["base_ops"].isdigit() else len(history)
        return state, history, sources

    def _operation(self, r: tuple[object, ...], sources: Sources, tables: Sequence[RowSource]) -> Operation:
        kind, path, body, mtime, default_source, data = r
        if kind == "import":
            fields = codec.loads_values(data)
            if len(fields) != 3:
                raise codec.CodecError("a stored import of another shape")
            pred, arity, n = fields
            return Import(_str(path), ast.PredicateSym(_str(pred), _int(arity)), _table(tables, n), _str(default_source))
        if kind == "file":
            name = _str(path)
            text = sources.get(name) if body is None else _str(body)
            if text is None:
                raise codec.CodecError(f"no stored text of {name}")
            if mtime is not None and not isinstance(mtime, float):
                raise codec.CodecError("a stored mtime that is not a number")
            return StoredSourceFile(name, text, mtime, None if default_source is None else _str(default_source), self.dialect)
        op = codec.loads(data)
        if kind != "op" or not isinstance(op, Retraction):
            raise codec.CodecError("a stored operation of an unknown kind")
        return op


# --- decoding helpers: every stored value is checked before it becomes part of a state ----------------


def _str(v: object) -> str:
    if not isinstance(v, str):
        raise codec.CodecError(f"stored {v!r} where text belongs")
    return v


def _int(v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise codec.CodecError(f"stored {v!r} where a number belongs")
    return v


def _opt_str(v: object) -> str | None:
    return None if v is None else _str(v)


def _opt_date(v: object) -> datetime.date | None:
    return None if v is None else codec.built({"date": v})


def _columns_of(name: str) -> tuple[str, Columns]:
    return name, next(t.columns for t in TABLES if t.name == name)


def _rows_table(rows: object, lines: object) -> RowsTable:
    """An import's rows as stored (a CSV staged in DuckDB comes back as rows in Python)."""
    values = [codec.row(r) for r in codec.loads_values(rows)]
    numbers = [_int(n) for n in codec.loads_values(lines)]
    if len(numbers) != len(values):
        raise codec.CodecError("a stored import with more lines than rows, or fewer")
    return RowsTable(values, numbers)


def _table(tables: Sequence[RowSource], n: object) -> RowSource:
    k = _int(n)
    if not 0 <= k < len(tables):
        raise codec.CodecError("a stored import that names no stored rows")
    return tables[k]


def _clause(data: object, kinds: tuple[type, ...]) -> Any:
    value = codec.loads(data)
    if not isinstance(value, kinds):
        raise codec.CodecError(f"a stored clause that is not a {' or '.join(k.__name__ for k in kinds)}")
    return value


def _packs(rows: list[tuple[object, ...]]) -> Iterator[list[Any]]:
    for (pack,) in rows:
        for item in codec.loads_values(pack):
            if not isinstance(item, list):
                raise codec.CodecError("a stored item that is not a list")
            yield item


def _statements(rows: list[tuple[object, ...]]) -> list[StatementRecord]:
    out: list[StatementRecord] = []
    names: dict[tuple[str, int], ast.PredicateSym] = {}
    files: dict[str, str] = {}
    for item in _packs(rows):
        if len(item) != 23:
            raise codec.CodecError("a stored statement of another shape")
        (sid, pred, arity, negated, source, status, asserter, vfrom, vuntil, cred, quote, text,
         file, line, col, end_line, end_col, english, row, month_from, month_until, reported, reported_month) = item
        key = (_str(pred), _int(arity))
        sym = names.get(key) or names.setdefault(key, ast.PredicateSym(*key))
        fname = files.setdefault(_str(file), _str(file))
        if not all(isinstance(flag, bool) for flag in (negated, english, month_from, month_until, reported_month)):
            raise codec.CodecError("a stored statement flag that is not true or false")
        values = codec.row(row)
        if len(values) != sym.arity:
            raise codec.CodecError(f"a stored statement of {sym} with {len(values)} values")
        out.append(StatementRecord(
            _str(sid), sym, values, negated, _str(source), _str(status), _opt_str(asserter), _opt_date(vfrom),
            _opt_date(vuntil), None if cred is None else _int(cred), _str(quote), _str(text),
            ast.Span(fname, _int(line), _int(col), _int(end_line), _int(end_col)), english, month_from is True,
            month_until is True, _opt_date(reported), reported_month is True))
    return out


_VALUE_TYPES = frozenset({str, int, float, datetime.date})  # exactly: bool and datetime are refused


def _plain(rows: list[tuple[object, ...]]) -> dict[ast.PredicateSym, dict[ast.Row, ast.Span]]:
    """The plain facts of _plain_pack's runs. The hot path of a restore (a million facts): every
    check is made a whole column at a time (the set of the types in it), not fact by fact."""
    out: dict[ast.PredicateSym, dict[ast.Row, ast.Span]] = {}
    syms: dict[tuple[str, int], ast.PredicateSym] = {}
    known: dict[str, str] = {}  # one text per file name, shared by all its spans
    for run in _packs(rows):
        if len(run) != 9:
            raise codec.CodecError("stored facts of another shape")
        pred, arity, names, facts, files, *numbers = run
        key = (_str(pred), _int(arity))
        sym = syms.get(key) or syms.setdefault(key, ast.PredicateSym(*key))
        if type(facts) is not list or not facts or type(names) is not list \
                or any(type(c) is not list or len(c) != len(facts) for c in (files, *numbers)):
            raise codec.CodecError(f"stored facts of {sym} whose columns are not lists of one length")
        if not (set(map(type, facts)) <= {list} and set(map(len, facts)) == {sym.arity}
                and set(map(type, itertools.chain.from_iterable(facts))) <= _VALUE_TYPES):
            raise codec.CodecError(f"a stored fact of {sym} that is not {sym.arity} values")
        if not (set(map(type, names)) <= {str} and set(map(type, itertools.chain(files, *numbers))) <= {int}
                and min(files) >= 0 and max(files) < len(names)):
            raise codec.CodecError(f"a stored span of {sym} that is not a file and numbers")
        names = [known.setdefault(name, name) for name in names]
        spans = ast.spans(list(map(names.__getitem__, files)), *numbers)
        out.setdefault(sym, {}).update(zip(map(tuple, facts), spans, strict=True))
    return out


__all__ = ["FORMAT", "TABLES", "Store", "StoredSourceFile", "TableStore", "code_fingerprint"]
