"""The DuckDB engine: bottom-up semi-naive evaluation driven from Python, each rule one SQL SELECT.

Stage: engine (the default one). Input: an `analysis.CheckedProgram` and base facts as rows of str,
int, float and datetime.date. Output: relations, query answers and derivation rounds as rows of the
same Python values (`"1"` stays a str, `1` an int, `1.0` a float, a date a date).

How a program runs
    Strata are evaluated in `CheckedProgram.strata` order. A stratum whose rules read none of its own
    predicates is one pass; otherwise semi-naive: round 1 runs every rule on the full relations, each
    later round runs, for a rule with k body atoms of the stratum, k variants each reading one of those
    atoms from the previous round's delta. A round's new rows are `(union of the variants) EXCEPT
    (the relation so far)`; evaluation stops when no predicate gains a row.

Tables (every identifier is generated; no user text ever becomes SQL syntax)
    b<N>          base facts of predicate N (the `allegiance_relations` table maps name/arity to N);
                  in the database file when the engine has a path
    r<N>          TEMP: every row of derived predicate N (base and derived) plus `rnd`, the round that
                  first derived it (0 for base facts; one counter over the whole session, so a row's
                  premises always carry smaller numbers)
    d<N>_0/1      TEMP: the delta of the last round, double-buffered
    columns       c0, c1, ...; a zero-arity relation has the single column z BOOLEAN
    constants     always bound parameters ($1, $2, ...); round numbers are Python ints we generate

Types
    Each column's set of value kinds (s: str, i: int, f: float, d: date) is inferred by a fixpoint:
    kinds of the stored facts and of declared types (`CheckedProgram.types`) flow through rule bodies
    (a variable takes the kinds common to its positive occurrences) into heads, arithmetic included.
    A column of one kind is native (VARCHAR, BIGINT, DOUBLE, DATE: closure over ints joins BIGINTs);
    a column of several kinds is a tagged VARCHAR ('s:abc', 'i:1', 'f:1.5', 'd:2015-10-01') decoded on
    the way out. Joins between columns of different representations convert explicitly. When facts of
    a new kind arrive, inference reruns and the affected base tables are re-encoded.

    Semantics on mixed (tagged) columns: equality is exact per kind (`1` never equals `"1"`; there,
    `1` does not equal `1.0` either, while two native numeric columns compare numerically); order
    comparisons compare ints exactly, ints and floats as doubles, dates as dates, strings by code point,
    and values of different kinds never compare (`<` is false). Arithmetic on a non-number yields no
    value; integer `/` truncates towards zero and `%` takes the dividend's sign (as in Soufflé and C);
    division by zero yields no value; int64 overflow raises QueryError.

Laziness
    `add_facts`/`retract_facts` mark the strata that read (or define) the changed predicates dirty,
    and everything above that depends on them; the next read re-evaluates only dirty strata it needs.

Time limit and Ctrl-C
    A watchdog thread interrupts the connection once `timeout` seconds have passed (and keeps doing so
    until the call ends, so a statement started in between cannot escape); the loop also checks the
    deadline before each statement. Base-fact changes run in a transaction that is rolled back on
    failure; derived state of an interrupted stratum stays dirty, so the next read recomputes it.

Persistence
    `DuckDBEngine(path="kb.duckdb")` keeps base facts in that file, each change committed in a
    transaction. A new engine on the same path sees the stored facts at once (`relation` works before
    any program is loaded); `reopen(program)` installs a program over the stored facts, whereas
    `load(program, facts)` replaces them, as the Engine interface says. Derived relations are never
    stored: they are recomputed on the first read.

    Beside the facts, the file holds the knowledge base's own tables (`kb_<name>`: a `seq` column
    and typed columns; what they mean is persist.py's business, this module only stores rows).
    `transaction()` makes several changes, facts and those tables, one commit: a crash leaves the
    file as it was before the transaction or after it, never in between.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from .. import ast, errors
from ..analysis.checked import CheckedProgram, CheckedQuery
from ..ast import PredicateSym, Row, Value
from .base import DEFAULT_TIMEOUT, Engine, Facts

Kinds = tuple[frozenset[str], ...]

_SQL_TYPE = {"s": "VARCHAR", "i": "BIGINT", "f": "DOUBLE", "d": "DATE", "t": "VARCHAR"}
_DECLARED_KIND = {"symbol": "s", "string": "s", "number": "i", "float": "f", "date": "d"}
_ALL_KINDS = frozenset("sifd")
_META = "allegiance_relations"
_CHUNK = 50_000  # rows per bulk insert statement: bounds the size of one list parameter
_INT64 = (-(2**63), 2**63 - 1)


# --- values and their representations -----------------------------------------------------------


def _kind(value: object) -> str:
    """s, i, f or d; bool and datetime are refused: they would silently become 1 or a date."""
    if isinstance(value, (bool, datetime.datetime)):
        raise errors.QueryError(f"unsupported value {value!r}: values are str, int, float or date")
    if isinstance(value, str):
        return "s"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "f"
    if isinstance(value, datetime.date):
        return "d"
    raise errors.QueryError(f"unsupported value {value!r}: values are str, int, float or date")


def _rep(kinds: frozenset[str]) -> str:
    """The column representation: the one kind, 't' (tagged VARCHAR) for several, VARCHAR for none."""
    if len(kinds) == 1:
        return next(iter(kinds))
    return "t" if kinds else "s"


def _encode(value: Value, rep: str) -> object:
    """A Python value as stored in a column of `rep` (the caller checked that its kind fits)."""
    if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        raise errors.QueryError(f"integer {value} does not fit in 64 bits")
    if rep != "t":
        return value
    kind = _kind(value)
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, datetime.date):
        return "d:" + value.isoformat()
    # repr of a float is the shortest round-trip form, which is also DuckDB's CAST(DOUBLE AS VARCHAR)
    return f"{kind}:{value!r}"


def _decode_tagged(text: str) -> Value:
    kind, payload = text[0], text[2:]
    if kind == "s":
        return payload
    if kind == "i":
        return int(payload)
    if kind == "f":
        return float(payload)
    return datetime.date.fromisoformat(payload)


def _row_decoder(reps: Sequence[str]) -> Callable[[tuple[object, ...]], Row]:
    if not reps:
        return lambda _raw: ()
    tagged = [j for j, rep in enumerate(reps) if rep == "t"]
    if not tagged:
        return lambda raw: raw  # type: ignore[return-value]

    def decode(raw: tuple[object, ...]) -> Row:
        row = list(raw)
        for j in tagged:
            row[j] = _decode_tagged(str(row[j]))
        return tuple(row)  # type: ignore[arg-type]

    return decode


def _columns(arity: int) -> list[str]:
    return [f"c{j}" for j in range(arity)] if arity else ["z"]


def _column_defs(reps: Sequence[str]) -> str:
    if not reps:
        return "z BOOLEAN"
    return ", ".join(f"c{j} {_SQL_TYPE[rep]}" for j, rep in enumerate(reps))


# --- type inference ---------------------------------------------------------------------------------


def _term_kinds(term: ast.Term, env: Mapping[str, frozenset[str]]) -> frozenset[str]:
    if isinstance(term, ast.Variable):
        return env.get(term.name, frozenset())
    if isinstance(term, ast.Constant):
        return frozenset(_kind(term.value))
    if isinstance(term, ast.BinOp):
        return _arith_kinds(_term_kinds(term.left, env), _term_kinds(term.right, env))
    return _ALL_KINDS


def _arith_kinds(left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
    """int op int is an int; a float with any number is a float; anything else has no value."""
    out: set[str] = set()
    if "i" in left and "i" in right:
        out.add("i")
    if left & {"i", "f"} and right & {"i", "f"} and ("f" in left or "f" in right):
        out.add("f")
    return frozenset(out)


def _infer(
    rules: Iterable[ast.Rule], start: Mapping[PredicateSym, Kinds]
) -> dict[PredicateSym, Kinds]:
    """Kinds of every column: the fixpoint of `start` flowing through the rules into their heads."""
    kinds: dict[PredicateSym, list[set[str]]] = {s: [set(c) for c in cols] for s, cols in start.items()}
    rules = tuple(rules)

    def column(sym: PredicateSym) -> list[set[str]]:
        return kinds.setdefault(sym, [set() for _ in range(sym.arity)])

    changed = True
    while changed:
        changed = False
        for rule in rules:
            env: dict[str, frozenset[str]] = {}
            for literal in rule.body:
                if isinstance(literal, ast.Atom):
                    cols = column(literal.sym)
                    for j, arg in enumerate(literal.args):
                        if isinstance(arg, ast.Variable):
                            here = frozenset(cols[j])
                            env[arg.name] = env[arg.name] & here if arg.name in env else here
                elif isinstance(literal, ast.Assignment):
                    env[literal.variable.name] = _term_kinds(literal.expr, env)
            head = column(rule.head.sym)
            for j, arg in enumerate(rule.head.args):
                new = _term_kinds(arg, env) - head[j]
                if new:
                    head[j].update(new)
                    changed = True
    return {s: tuple(frozenset(c) for c in cols) for s, cols in kinds.items()}


# --- SQL for terms, comparisons and rules -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Expr:
    """A SQL expression and the representation of its value; nullable when it may have no value."""

    sql: str
    rep: str
    nullable: bool = False


class _Params:
    """The bound parameters of one statement: constants never become SQL text."""

    def __init__(self) -> None:
        self.values: list[object] = []
        self.aliases = 0

    def const(self, value: Value) -> _Expr:
        kind = _kind(value)
        self.values.append(_encode(value, kind))
        return _Expr(f"CAST(${len(self.values)} AS {_SQL_TYPE[kind]})", kind)

    def alias(self, prefix: str) -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"


def _mention(*exprs: _Expr) -> str:
    """A condition that reads every expr and decides nothing: a statement must still mention the
    parameters inside an operand whose value turned out not to matter (DuckDB counts them)."""
    return " AND ".join(f"({e.sql}) IS NULL" for e in exprs) or "TRUE"


def _always(value: bool, *exprs: _Expr) -> str:
    return f"(TRUE OR {_mention(*exprs)})" if value else f"(FALSE AND {_mention(*exprs)})"


def _no_value(rep: str, *exprs: _Expr) -> _Expr:
    return _Expr(f"CAST((CASE WHEN {_mention(*exprs)} THEN NULL END) AS {_SQL_TYPE[rep]})", rep, True)


def _view(e: _Expr, group: str) -> tuple[str, str] | None:
    """(condition, value) reading e as kind `group` (s, d, i; n: any number as DOUBLE), or None."""
    if e.rep == "t":
        if group == "n":
            return f"left({e.sql}, 2) IN ('i:', 'f:')", f"TRY_CAST(substr({e.sql}, 3) AS DOUBLE)"
        return f"left({e.sql}, 2) = '{group}:'", f"TRY_CAST(substr({e.sql}, 3) AS {_SQL_TYPE[group]})"
    if group == e.rep:
        return "TRUE", e.sql
    if group == "n" and e.rep in ("i", "f"):
        return "TRUE", f"CAST({e.sql} AS DOUBLE)"
    return None


def _to_tagged(e: _Expr) -> _Expr:
    if e.rep == "t":
        return e
    if e.rep == "s":
        return _Expr(f"('s:' || {e.sql})", "t", e.nullable)
    return _Expr(f"('{e.rep}:' || CAST({e.sql} AS VARCHAR))", "t", e.nullable)


def _convert(e: _Expr, rep: str) -> _Expr:
    if e.rep == rep:
        return e
    if rep == "t":
        return _to_tagged(e)
    if e.rep == "t":
        view = _view(e, rep)
        assert view is not None
        return _Expr(f"(CASE WHEN {view[0]} THEN {view[1]} END)", rep, True)
    if e.rep == "i" and rep == "f":
        return _Expr(f"CAST({e.sql} AS DOUBLE)", "f", e.nullable)
    return _no_value(rep, e)


def _compare(op: str, a: _Expr, b: _Expr) -> str:
    """A SQL condition for `a op b` (op: = != < <= > >=) across representations."""
    sql_op = "<>" if op == "!=" else op
    numeric = {"i", "f"}
    if (a.rep == b.rep and a.rep != "t") or (a.rep in numeric and b.rep in numeric):
        return f"({a.sql} {sql_op} {b.sql})"
    if op in ("=", "!="):
        if a.rep == "t" or b.rep == "t":
            return f"({_to_tagged(a).sql} {sql_op} {_to_tagged(b).sql})"
        return _always(op != "=", a, b)  # values of different kinds are never equal
    branches = []
    for group in ("i", "n", "s", "d"):
        va, vb = _view(a, group), _view(b, group)
        if va and vb:
            branches.append(f"WHEN {va[0]} AND {vb[0]} THEN {va[1]} {sql_op} {vb[1]}")
    if not branches:
        return _always(False, a, b)
    return f"(CASE {' '.join(branches)} ELSE FALSE END)"


def _arith(op: str, a: _Expr, b: _Expr) -> _Expr:
    """`a op b` for + - * / %: int op int stays an int (`/` truncates), with a float it is a float."""
    int_op = "//" if op == "/" else op
    if a.rep in ("i", "f") and b.rep in ("i", "f"):
        if a.rep == b.rep == "i":
            return _Expr(f"({a.sql} {int_op} {b.sql})", "i", True)
        return _Expr(f"(CAST({a.sql} AS DOUBLE) {op} CAST({b.sql} AS DOUBLE))", "f", True)
    branches = []
    ia, ib = _view(a, "i"), _view(b, "i")
    if ia and ib:
        branches.append(f"WHEN {ia[0]} AND {ib[0]} THEN 'i:' || CAST(({ia[1]} {int_op} {ib[1]}) AS VARCHAR)")
    na, nb = _view(a, "n"), _view(b, "n")
    if na and nb:
        branches.append(f"WHEN {na[0]} AND {nb[0]} THEN 'f:' || CAST(({na[1]} {op} {nb[1]}) AS VARCHAR)")
    if not branches:  # a string or a date in arithmetic: no value
        return _no_value("t", a, b)
    return _Expr(f"(CASE {' '.join(branches)} END)", "t", True)


def _term(term: ast.Term, bindings: Mapping[str, _Expr], params: _Params) -> _Expr:
    if isinstance(term, ast.Variable):
        return bindings[term.name]
    if isinstance(term, ast.Constant):
        return params.const(term.value)
    if isinstance(term, ast.BinOp):
        return _arith(term.op, _term(term.left, bindings, params), _term(term.right, bindings, params))
    raise AssertionError("a wildcard outside an atom breaks the CheckedProgram contract")


Source = Callable[[PredicateSym], str]  # a predicate -> the table (or CTE) a body atom reads


def _rule_select(
    rule: ast.Rule,
    sources: Sequence[str],
    negated_source: Source,
    reps_of: Callable[[PredicateSym], tuple[str, ...]],
    params: _Params,
) -> str:
    """One SELECT producing the head rows of `rule`, in the head predicate's representations.

    sources[i] is the table read by the i-th positive body atom (full relation or delta)."""
    froms: list[str] = []
    conds: list[str] = []
    bindings: dict[str, _Expr] = {}
    deferred: list[tuple[_Expr, ast.Term]] = []
    positive = [lit for lit in rule.body if isinstance(lit, ast.Atom)]
    for i, atom in enumerate(positive):
        alias = params.alias("t")
        froms.append(f"{sources[i]} AS {alias}")
        reps = reps_of(atom.sym)
        for j, arg in enumerate(atom.args):
            col = _Expr(f"{alias}.c{j}", reps[j])
            if isinstance(arg, ast.Variable):
                if arg.name in bindings:
                    conds.append(_compare("=", bindings[arg.name], col))
                else:
                    bindings[arg.name] = col
            elif isinstance(arg, ast.Constant):
                conds.append(_compare("=", col, params.const(arg.value)))
            elif isinstance(arg, ast.BinOp):
                deferred.append((col, arg))  # defensive: analysis moves expressions out of atoms
    for literal in rule.body:
        if isinstance(literal, ast.Assignment):
            value = _term(literal.expr, bindings, params)
            if literal.variable.name in bindings:
                conds.append(_compare("=", bindings[literal.variable.name], value))
            else:
                bindings[literal.variable.name] = value
            if value.nullable:
                conds.append(f"({value.sql}) IS NOT NULL")
        elif isinstance(literal, ast.Comparison):
            left = _term(literal.left, bindings, params)
            right = _term(literal.right, bindings, params)
            conds.append(_compare(literal.op, left, right))
        elif isinstance(literal, ast.NegLiteral):
            conds.append(_not_exists(literal.atom, negated_source, reps_of, bindings, params))
    for col, term in deferred:
        conds.append(_compare("=", col, _term(term, bindings, params)))
    items: list[str] = []
    head_reps = reps_of(rule.head.sym)
    for j, arg in enumerate(rule.head.args):
        value = _convert(_term(arg, bindings, params), head_reps[j])
        items.append(f"{value.sql} AS c{j}")
        if value.nullable:
            conds.append(f"({value.sql}) IS NOT NULL")
    if not items:
        items.append("TRUE AS z")
    sql = f"SELECT {', '.join(items)}"
    if froms:
        sql += f" FROM {', '.join(froms)}"
    if conds:
        sql += f" WHERE {' AND '.join(conds)}"
    return sql


def _not_exists(
    atom: ast.Atom,
    source: Source,
    reps_of: Callable[[PredicateSym], tuple[str, ...]],
    bindings: Mapping[str, _Expr],
    params: _Params,
) -> str:
    # not q(X, c)  ->  NOT EXISTS (SELECT 1 FROM q WHERE q.c0 = X AND q.c1 = c)
    alias = params.alias("n")
    reps = reps_of(atom.sym)
    conds = []
    for j, arg in enumerate(atom.args):
        if isinstance(arg, ast.Wildcard):
            continue
        conds.append(_compare("=", _Expr(f"{alias}.c{j}", reps[j]), _term(arg, bindings, params)))
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    return f"NOT EXISTS (SELECT 1 FROM {source(atom.sym)} AS {alias}{where})"


def _is_projection_of_a_set(rule: ast.Rule) -> bool:
    """Whether rule's rows are distinct whenever its one body atom's relation is: the body is a
    single atom of distinct variables and constants, the head exactly those variables."""
    if len(rule.body) != 1 or not isinstance(rule.body[0], ast.Atom):
        return False
    names = []
    for arg in rule.body[0].args:
        if isinstance(arg, ast.Variable):
            names.append(arg.name)
        elif not isinstance(arg, ast.Constant):
            return False
    head = [a.name for a in rule.head.args if isinstance(a, ast.Variable)]
    return (
        len(head) == len(rule.head.args)
        and len(set(names)) == len(names)
        and sorted(head) == sorted(names)
    )


def _stable_positions(rules: Iterable[ast.Rule]) -> set[int]:
    """Positions j of a linear stratum's predicate that every recursive rule copies unchanged from
    its recursive atom to its head (the same variable at j in both): a row's value there is the one
    of the row it was derived from."""
    rules = tuple(rules)
    if not rules:
        return set()
    sym = rules[0].head.sym
    stable = set(range(sym.arity))
    for rule in rules:
        for atom in _positive(rule):
            if atom.sym != sym:
                continue
            stable = {
                j for j in stable
                if isinstance(rule.head.args[j], ast.Variable)
                and isinstance(atom.args[j], ast.Variable)
                and rule.head.args[j].name == atom.args[j].name  # type: ignore[union-attr]
            }
    return stable


def _positive(rule: ast.Rule) -> list[ast.Atom]:
    return [lit for lit in rule.body if isinstance(lit, ast.Atom)]


def _body_preds(rule: ast.Rule) -> set[PredicateSym]:
    found = set()
    for lit in rule.body:
        if isinstance(lit, ast.Atom):
            found.add(lit.sym)
        elif isinstance(lit, ast.NegLiteral):
            found.add(lit.atom.sym)
    return found


def _scalar(cursor: duckdb.DuckDBPyConnection) -> int:
    """The count a DML statement (or a count query) returns."""
    row = cursor.fetchone()
    return int(row[0]) if row else 0


_NO_READER = object()  # _seed_for: nothing about to be evaluated reads the stratum


class _DeadlinePassed(Exception):
    """Raised between statements once the time limit has run out."""


_EMPTY = CheckedProgram(rules=(), strata=())
_TABLE_ID = re.compile(r"^[0-9]{1,9}$")
_REPS = re.compile(r"^[sifdt]*$")


# The knowledge base's own tables: kb_<name>(seq BIGINT, <columns>), rows that persist.py encodes and
# decodes; this module only stores them. Table and column names are constants of persist.py, checked
# here against a pattern before they become identifiers; every value is a bound parameter.

_STORED_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_STORED_TYPES = {"text": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE", "bool": "BOOLEAN"}
Columns = Sequence[tuple[str, str]]  # (name, one of _STORED_TYPES)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n")[0]


def _stored_columns(name: str, columns: Columns) -> None:
    if not _STORED_NAME.match(name) or not columns or any(
            not _STORED_NAME.match(c) or c == "seq" or t not in _STORED_TYPES for c, t in columns):
        raise ValueError(f"not a stored table: {name} {columns!r}")  # a bug in the caller, not user input


class DuckDBEngine(Engine):
    """Semi-naive bottom-up evaluation in DuckDB (see the module docstring).

    `path`: a DuckDB file holding the base facts; None keeps everything in memory.
    Extra methods: `reopen(program)` (install a program over the stored facts),
    `derivation_rounds(pred)`, and `transaction()`, `stored_tables()`, `read_stored(...)`,
    `write_stored(...)` for the knowledge base's own tables."""

    name = "duckdb"

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT, path: str | None = None) -> None:
        super().__init__(timeout)
        self.path = path
        try:
            self._con = duckdb.connect(path if path is not None else ":memory:")
        except duckdb.Error as exc:
            # not a DuckDB file, a newer format, or in use by another process: never overwrite it
            locked = "lock" in str(exc).lower()
            raise errors.LoadError(f"{path}: cannot open it as a DuckDB database: {_first_line(exc)}", None,
                                   "another process has it open: close that one first" if locked else
                                   "name a new file for --db, or one that allegiance wrote") from None
        self._in_transaction = False  # inside transaction(): changes join it instead of committing
        # Division by zero has no value (as a failed arithmetic test), not an error.
        self._con.execute("SET error_on_division_by_zero = false")
        self._program = _EMPTY
        self._deadline: float | None = None
        self._guarding = False
        self._ctrl_c: _CtrlCWatcher | None = None  # made on the first guarded call
        self._counter = 0  # the last derivation round used; never decreases
        self._r_tables: set[int] = set()
        self._dirty: set[int] = set()
        try:
            self._con.execute(
                f"CREATE TABLE IF NOT EXISTS {_META} "
                "(name VARCHAR, arity INTEGER, id INTEGER, reps VARCHAR, kinds VARCHAR)"
            )
            self._read_store()
            self._install(_EMPTY)
        except duckdb.Error as exc:
            self._con.close()
            raise errors.LoadError(f"{path}: its fact tables are damaged: {_first_line(exc)}", None,
                                   "remove the file: the next start builds it again from the fact files") from None
        except errors.LoadError:
            self._con.close()
            raise

    # --- the stored base facts ---------------------------------------------------------------------

    def _read_store(self) -> None:
        """Python's view of the stored base tables, from the metadata table.

        The file may come from anywhere: ids and representations are validated before they are used
        to build table names."""
        self._ids: dict[PredicateSym, int] = {}
        self._reps: dict[PredicateSym, tuple[str, ...]] = {}
        self._fact_kinds: dict[PredicateSym, Kinds] = {}
        rows = self._con.execute(f"SELECT name, arity, id, reps, kinds FROM {_META}").fetchall()
        for name, arity, ident, reps, kinds in rows:
            cols = str(kinds).split(",") if arity else []
            if (
                not _TABLE_ID.match(str(ident))
                or not _REPS.match(str(reps))
                or len(str(reps)) != arity
                or len(cols) != arity
                or not all(set(c) <= _ALL_KINDS for c in cols)
            ):
                raise errors.LoadError(f"{self.path}: damaged relation table entry for {name}/{arity}", None,
                                       "remove the file: the next start builds it again from the fact files")
            sym = PredicateSym(str(name), int(arity))
            self._ids[sym] = int(ident)
            self._reps[sym] = tuple(str(reps))
            self._fact_kinds[sym] = tuple(frozenset(c) for c in cols)
        self._next_id = max(self._ids.values(), default=-1) + 1

    def _write_meta(self, sym: PredicateSym) -> None:
        self._con.execute(f"DELETE FROM {_META} WHERE name = $1 AND arity = $2", [sym.name, sym.arity])
        stored = self._fact_kinds.get(sym) or tuple(frozenset() for _ in range(sym.arity))
        kinds = ",".join("".join(sorted(c)) for c in stored)
        self._con.execute(
            f"INSERT INTO {_META} VALUES ($1, $2, $3, $4, $5)",
            [sym.name, sym.arity, self._ids[sym], "".join(self._reps[sym]), kinds],
        )

    def _install(self, program: CheckedProgram) -> None:
        """Take `program`, infer column types, create or re-encode base tables; all strata dirty.

        Runs inside the caller's transaction when there is one."""
        self._program = program
        self._stratum_of: dict[PredicateSym, int] = {}
        self._stratum_preds: list[list[PredicateSym]] = []
        self._rules_by_head: list[dict[PredicateSym, list[ast.Rule]]] = []
        self._recursive: list[bool] = []
        self._linear: list[bool] = []  # one predicate, each rule with at most one atom of it
        self._lazy_rounds: dict[int, int] = {}  # stratum -> its first round, rounds not yet stored
        self._seeded: set[int] = set()  # strata evaluated reading a seeded (demand) view
        self._override: dict[PredicateSym, str] = {}  # sources replaced by seeded views
        self._depends_on: list[set[int]] = []
        self._readers: dict[PredicateSym, set[int]] = {}
        for i, stratum in enumerate(program.strata):
            heads = sorted({r.head.sym for r in stratum.rules}, key=str)
            by_head: dict[PredicateSym, list[ast.Rule]] = {h: [] for h in heads}
            for rule in stratum.rules:
                by_head[rule.head.sym].append(rule)
                for sym in _body_preds(rule):
                    self._readers.setdefault(sym, set()).add(i)
            for h in heads:
                self._stratum_of[h] = i
            self._stratum_preds.append(heads)
            self._rules_by_head.append(by_head)
            own = set(heads)
            self._recursive.append(any(a.sym in own for r in stratum.rules for a in _positive(r)))
            self._linear.append(
                len(heads) == 1
                and self._recursive[-1]
                and all(sum(a.sym in own for a in _positive(r)) <= 1 for r in stratum.rules)
            )
        self._reads: list[set[PredicateSym]] = []
        self._stable: list[set[int]] = []
        for i, stratum in enumerate(program.strata):
            reads = {s for r in stratum.rules for s in _body_preds(r)}
            own = {r.head.sym for r in stratum.rules}
            self._reads.append(reads - own)
            self._stable.append(_stable_positions(stratum.rules) if self._linear[i] else set())
            self._depends_on.append({self._stratum_of[s] for s in reads - own if s in self._stratum_of})

        start: dict[PredicateSym, Kinds] = {}
        mentioned = set(program.types) | set(self._fact_kinds)
        for rule in program.rules:
            mentioned |= _body_preds(rule) | {rule.head.sym}
        for sym in mentioned:
            declared = program.types.get(sym, ())
            facts = self._fact_kinds.get(sym, ())
            start[sym] = tuple(
                (facts[j] if j < len(facts) else frozenset())
                | (frozenset(_DECLARED_KIND[declared[j]]) if j < len(declared) and declared[j] in _DECLARED_KIND else frozenset())
                for j in range(sym.arity)
            )
        self._kinds = _infer(program.rules, start)
        for sym, kinds in sorted(self._kinds.items(), key=lambda kv: str(kv[0])):
            reps = tuple(_rep(k) for k in kinds)
            if sym not in self._ids:
                self._ids[sym] = self._next_id
                self._next_id += 1
                self._reps[sym] = reps
                self._con.execute(f"CREATE TABLE b{self._ids[sym]} ({_column_defs(reps)})")
                self._write_meta(sym)
            elif self._reps[sym] != reps:
                self._reencode(sym, reps)
        for n in self._r_tables - {self._ids[s] for s in self._stratum_of}:
            self._con.execute(f"DROP TABLE IF EXISTS r{n}")
        self._r_tables &= {self._ids[s] for s in self._stratum_of}
        self._dirty = set(range(len(program.strata)))

    def _reencode(self, sym: PredicateSym, reps: tuple[str, ...]) -> None:
        """Rewrite b<N> with new column representations (facts of a new kind arrived)."""
        n = self._ids[sym]
        rows = self._base_rows(sym)
        self._con.execute(f"DROP TABLE b{n}")
        self._reps[sym] = reps
        self._con.execute(f"CREATE TABLE b{n} ({_column_defs(reps)})")
        self._stage(sym, rows)
        self._con.execute(f"INSERT INTO b{n} SELECT * FROM stage")
        self._write_meta(sym)

    def _base_rows(self, sym: PredicateSym) -> list[Row]:
        n = self._ids[sym]
        if sym.arity == 0:
            return [()] if _scalar(self._con.execute(f"SELECT count(*) FROM b{n}")) else []
        decode = _row_decoder(self._reps[sym])
        cols = ", ".join(_columns(sym.arity))
        return [decode(r) for r in self._con.execute(f"SELECT {cols} FROM b{n}").fetchall()]

    def _stage(self, sym: PredicateSym, rows: Sequence[Row]) -> None:
        """TEMP table `stage` := rows, encoded for sym's columns, inserted as list parameters."""
        reps = self._reps[sym]
        self._run(f"CREATE OR REPLACE TEMP TABLE stage ({_column_defs(reps)})")
        if sym.arity == 0:
            if rows:
                self._run("INSERT INTO stage VALUES (TRUE)")
            return
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            columns = [[_encode(row[j], rep) for row in chunk] for j, rep in enumerate(reps)]
            items = ", ".join(
                f"unnest(CAST(${j + 1} AS {_SQL_TYPE[rep]}[]))" for j, rep in enumerate(reps)
            )
            self._run(f"INSERT INTO stage SELECT {items}", columns)

    # --- the Engine interface ----------------------------------------------------------------------

    def load(self, program: CheckedProgram, facts: Facts) -> None:
        grouped = self._group(facts)
        with self._failsafe():
            for n in self._ids.values():
                self._run(f"DROP TABLE IF EXISTS b{n}")
            self._run(f"DELETE FROM {_META}")
            self._ids, self._reps, self._fact_kinds = {}, {}, {}
            for sym, rows in grouped.items():
                self._fact_kinds[sym] = self._row_kinds(sym, rows, ())
            self._install(program)
            for sym, rows in grouped.items():
                self._insert(sym, rows)

    def reopen(self, program: CheckedProgram) -> None:
        """Install `program` over the base facts already stored in this engine's file."""
        with self._failsafe():
            self._install(program)

    def add_facts(self, facts: Facts) -> None:
        grouped = self._group(facts)
        with self._failsafe():
            grown = False
            for sym, rows in grouped.items():
                kinds = self._row_kinds(sym, rows, self._fact_kinds.get(sym, ()))
                if kinds != self._fact_kinds.get(sym):
                    self._fact_kinds[sym] = kinds
                    grown = True
            if grown:  # a new kind of value, or a new predicate: types may change
                dirty, before = set(self._dirty), dict(self._reps)
                self._install(self._program)
                if all(self._reps[s] == before[s] for s in before):
                    self._dirty = dirty  # no table changed: keep what is still fresh
            for sym, rows in grouped.items():
                if self._insert(sym, rows):
                    self._mark_dirty({sym})

    def retract_facts(self, facts: Facts) -> None:
        grouped = self._group(facts)
        with self._failsafe():
            for sym, rows in grouped.items():
                if sym not in self._ids:
                    continue
                n = self._ids[sym]
                if sym.arity == 0:
                    count = _scalar(self._run(f"DELETE FROM b{n}")) if rows else 0
                else:
                    fitting = [r for r in rows if self._fits(sym, r)]
                    if not fitting:
                        continue
                    self._stage(sym, fitting)
                    on = " AND ".join(f"b{n}.c{j} = stage.c{j}" for j in range(sym.arity))
                    count = _scalar(self._run(f"DELETE FROM b{n} USING stage WHERE {on}"))
                if count:
                    self._mark_dirty({sym})

    def relation(self, pred: PredicateSym) -> frozenset[Row]:
        if pred not in self._ids:
            return frozenset()
        if pred not in self._stratum_of:
            with self._guard():
                return frozenset(self._base_rows(pred))
        with self._guard(), self._demand():
            self._refresh({pred})
            n = self._ids[pred]
            raw = self._run(f"SELECT {', '.join(_columns(pred.arity))} FROM r{n}").fetchall()
        if not pred.arity:
            return frozenset(() for _ in raw)
        decode = _row_decoder(self._reps[pred])
        return frozenset(decode(r) for r in raw)

    def derivation_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        return self._rows_with_rounds(pred)

    def query(self, query: CheckedQuery) -> list[Row]:
        own = {r.head.sym for r in query.rules}
        reads = {s for r in query.rules for s in _body_preds(r)} - own
        if query.goal not in own:
            reads.add(query.goal)
        with self._guard(), self._demand():
            # the query's rules read like a stratum above the program: a recursive predicate they
            # only read with a constant at a position recursion never changes is evaluated seeded
            self._refresh({query.goal} - own, readers=query.rules)
            for sym in reads:
                self._ensure_table(sym)
            sql, params, reps = self._query_sql(query)
            if query.goal.arity:
                # DuckDB sorts in parallel; answers are shown sorted, and an ordered list costs
                # the caller's sort one linear pass.
                sql = f"SELECT * FROM ({sql}) ORDER BY ALL"
            raw = self._run(sql, params).fetchall()
        decode = _row_decoder(reps)
        return [decode(r) for r in raw] if query.goal.arity else [() for _ in raw]

    def close(self) -> None:
        if self._ctrl_c is not None:
            self._ctrl_c.close()
            self._ctrl_c = None
        self._con.close()

    # --- the knowledge base's own tables (see the module docstring; persist.py decides what) ---------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything done inside (fact changes, program changes, stored tables) is one commit; on
        any failure all of it is rolled back and the program of the start is installed again."""
        if self._in_transaction:
            yield
            return
        program = self._program
        self._con.begin()
        self._in_transaction = True
        try:
            yield
            self._con.commit()
        except BaseException:
            self._in_transaction = False
            self._program = program
            self._recover()
            raise
        finally:
            self._in_transaction = False

    def stored_tables(self) -> set[str]:
        """The names of the kb_ tables the file holds."""
        rows = self._con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                                 "AND schema_name = 'main'").fetchall()
        return {str(r[0])[3:] for r in rows if str(r[0]).startswith("kb_")}

    def read_stored(self, name: str, columns: Columns) -> list[tuple[object, ...]] | None:
        """The rows of kb_<name> in order, or None when the file has no such table. A table whose
        columns are not `columns` (a foreign or damaged file) is a LoadError naming the file."""
        _stored_columns(name, columns)
        if name not in self.stored_tables():
            return None
        declared = self._con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = $1 ORDER BY column_index", [f"kb_{name}"]).fetchall()
        expected = [("seq", "BIGINT"), *((c, _STORED_TYPES[t]) for c, t in columns)]
        if [(str(c), str(t)) for c, t in declared] != expected:
            raise errors.LoadError(f"{self.path}: the stored table {name} has other columns than allegiance writes")
        cols = ", ".join(c for c, _ in columns)
        try:
            rows = self._con.execute(f"SELECT seq, {cols} FROM kb_{name} ORDER BY seq").fetchall()
        except duckdb.Error as exc:
            raise errors.LoadError(f"{self.path}: the stored table {name} cannot be read: {_first_line(exc)}") from None
        if any(r[0] != i for i, r in enumerate(rows)):
            raise errors.LoadError(f"{self.path}: the stored table {name} has rows missing")
        return [tuple(r[1:]) for r in rows]

    def write_stored(self, name: str, columns: Columns, rows: Sequence[Sequence[object]], start: int = 0) -> None:
        """Replace the rows of kb_<name> from position `start` on with `rows`; start 0 makes the
        table anew with these columns. Joins the caller's transaction(), or commits by itself."""
        _stored_columns(name, columns)
        with self.transaction():
            if start == 0:
                defs = ", ".join(f"{c} {_STORED_TYPES[t]}" for c, t in columns)
                self._con.execute(f"CREATE OR REPLACE TABLE kb_{name} (seq BIGINT, {defs})")
            else:
                self._con.execute(f"DELETE FROM kb_{name} WHERE seq >= $1", [start])
            items = ", ".join(f"unnest(CAST(${j + 2} AS {_STORED_TYPES[t]}[]))" for j, (_, t) in enumerate(columns))
            for first in range(0, len(rows), _CHUNK):
                chunk = rows[first : first + _CHUNK]
                values = [[row[j] for row in chunk] for j in range(len(columns))]
                seqs = list(range(start + first, start + first + len(chunk)))
                self._con.execute(f"INSERT INTO kb_{name} SELECT unnest(CAST($1 AS BIGINT[])), {items}", [seqs, *values])

    # --- facts in and out ----------------------------------------------------------------------------

    def _group(self, facts: Facts) -> dict[PredicateSym, list[Row]]:
        grouped: dict[PredicateSym, list[Row]] = {}
        for sym, rows in facts.items():
            listed = [tuple(r) for r in rows]
            for row in listed:
                if len(row) != sym.arity:
                    raise errors.QueryError(f"a fact of {sym} has {len(row)} values: {row!r}")
            grouped.setdefault(sym, []).extend(listed)
        return grouped

    def _row_kinds(self, sym: PredicateSym, rows: Sequence[Row], known: Kinds) -> Kinds:
        found = [set(known[j]) if j < len(known) else set() for j in range(sym.arity)]
        for row in rows:
            for j, value in enumerate(row):
                found[j].add(_kind(value))
        return tuple(frozenset(c) for c in found)

    def _fits(self, sym: PredicateSym, row: Row) -> bool:
        """Whether row's values can be stored in sym's columns (else it cannot be there)."""
        return all(rep == "t" or _kind(v) == rep for v, rep in zip(row, self._reps[sym], strict=True))

    def _insert(self, sym: PredicateSym, rows: Sequence[Row]) -> int:
        """Add rows to b<N> (duplicates dropped); returns how many were new."""
        if not rows:
            return 0
        self._stage(sym, rows)
        n = self._ids[sym]
        new = _scalar(self._run(f"INSERT INTO b{n} SELECT DISTINCT * FROM stage EXCEPT SELECT * FROM b{n}"))
        self._write_meta(sym)
        return new

    def _ensure_table(self, sym: PredicateSym) -> None:
        """A predicate nobody mentioned yet (read by a query) gets an empty base table."""
        if sym not in self._ids:
            self._ids[sym] = self._next_id
            self._next_id += 1
            self._reps[sym] = tuple("s" for _ in range(sym.arity))
            self._kinds[sym] = tuple(frozenset() for _ in range(sym.arity))
            self._run(f"CREATE TABLE b{self._ids[sym]} ({_column_defs(self._reps[sym])})")
            self._write_meta(sym)

    def _rows_with_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        if pred not in self._ids:
            return {}
        if pred not in self._stratum_of:
            with self._guard():
                return dict.fromkeys(self._base_rows(pred), 0)
        with self._guard():
            self._refresh({pred}, rounds=True)
            n = self._ids[pred]
            raw = self._run(f"SELECT {', '.join(_columns(pred.arity))}, rnd FROM r{n}").fetchall()
        decode = _row_decoder(self._reps[pred])
        return {decode(r[:-1]) if pred.arity else (): r[-1] for r in raw}

    # --- evaluation ----------------------------------------------------------------------------------

    def _mark_dirty(self, changed: set[PredicateSym]) -> None:
        """Strata reading or defining a changed predicate, and every stratum depending on them."""
        start = {self._stratum_of[s] for s in changed if s in self._stratum_of}
        for sym in changed:
            start |= self._readers.get(sym, set())
        self._mark_strata_dirty(start)

    def _mark_strata_dirty(self, start: set[int]) -> None:
        if not start:
            return
        dirty = set(start)
        for i in range(min(start), len(self._stratum_preds)):
            if self._depends_on[i] & dirty:
                dirty.add(i)
        self._dirty |= dirty

    def _refresh(
        self, preds: Iterable[PredicateSym], readers: Sequence[ast.Rule] = (), rounds: bool = False
    ) -> None:
        """Evaluate the dirty strata that `preds` (read whole) and the rules `readers` depend on,
        lowest first.

        Demand: a dirty linear stratum whose predicate is not read whole, and which every reader
        about to be evaluated reads only with one constant at a position its recursion passes on
        unchanged, is not evaluated; its readers read a seeded view of it instead (see `_demand`).
        With `rounds`, derivation rounds of `preds` are wanted: no demand, and strata that read a
        seeded view are evaluated again after what they read was evaluated whole."""
        preds = set(preds)
        top = {s for r in readers for s in _body_preds(r)} | preds
        needed: set[int] = set()
        todo = [self._stratum_of[p] for p in top if p in self._stratum_of]
        while todo:
            i = todo.pop()
            if i not in needed:
                needed.add(i)
                todo.extend(self._depends_on[i])
        if rounds:
            self._mark_strata_dirty(needed & self._seeded)
        targets = {self._stratum_of[p] for p in preds if p in self._stratum_of}
        pending = needed & self._dirty
        for i in sorted(pending):
            seed = None if rounds or i in targets else self._seed_for(i, pending, readers)
            if seed is not None:
                if isinstance(seed, tuple):  # else _NO_READER: nobody reads it now
                    self._materialise_seeded(i, *seed)
                continue
            if rounds and i in targets and self._linear[i]:
                self._evaluate_seminaive(i)  # its rounds are wanted: no need for the CTE first
            else:
                self._evaluate(i)
            self._dirty.discard(i)
            if any(s in self._override for s in self._reads[i]):
                self._seeded.add(i)
            else:
                self._seeded.discard(i)
        if rounds:
            for i in targets:
                if i in self._lazy_rounds:
                    self._store_rounds(i)

    def _seed_for(
        self, i: int, pending: set[int], readers: Sequence[ast.Rule]
    ) -> tuple[int, Value] | object | None:
        """(position, value) when linear stratum i can be read through a seeded view, _NO_READER when
        nothing about to be evaluated reads it, else None."""
        if not self._linear[i]:
            return None
        p = self._stratum_preds[i][0]
        rules = [r for k in pending if k != i and p in self._reads[k] for r in self._program.strata[k].rules]
        rules += list(readers)
        found: set[tuple[int, type, Value]] = set()
        for rule in rules:
            for lit in rule.body:
                atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
                if not isinstance(atom, ast.Atom) or atom.sym != p:
                    continue
                consts = {
                    (j, type(a.value), a.value)
                    for j, a in enumerate(atom.args)
                    if isinstance(a, ast.Constant) and j in self._stable[i]
                }
                if not consts:
                    return None
                found = consts if not found else found & consts
                if not found:
                    return None
        if not found:
            return _NO_READER
        j, _, value = min(found, key=lambda f: f[0])
        return j, value

    def _materialise_seeded(self, i: int, j: int, value: Value) -> None:
        """TEMP m<N>: the rows of linear stratum i's predicate with `value` at position j."""
        p = self._stratum_preds[i][0]
        name = f"m{self._ids[p]}"
        params = _Params()
        cte = self._linear_cte(i, params, (j, value))
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {cte} SELECT * FROM w", params.values)
        self._override[p] = name

    @contextmanager
    def _demand(self) -> Iterator[None]:
        """Seeded views made while reading live only until the read is answered."""
        try:
            yield
        finally:
            names = list(self._override.values())
            self._override = {}
            if names:
                self._drop_quietly(names)

    def _full(self, sym: PredicateSym) -> str:
        if sym in self._override:
            return self._override[sym]
        n = self._ids[sym]
        return f"r{n}" if sym in self._stratum_of else f"b{n}"

    def _reps_of(self, sym: PredicateSym) -> tuple[str, ...]:
        return self._reps[sym]

    def _evaluate(self, i: int) -> None:
        if self._linear[i]:
            self._evaluate_linear(i)
        else:
            self._evaluate_seminaive(i)

    def _linear_cte(self, i: int, params: _Params, seed: tuple[int, Value] | None = None) -> str:
        """`WITH RECURSIVE w(...) AS (...)`: linear stratum i as one recursive CTE with set
        semantics (UNION), the base facts and non-recursive rules as its anchor, each recursive rule
        reading the CTE's last iteration. With a seed (j, value), every rule's rows are restricted
        to those with value at position j: recursion passes position j on unchanged, so that is the
        restriction of the whole fixpoint."""
        p = self._stratum_preds[i][0]
        n = self._ids[p]
        cols = ", ".join(_columns(p.arity))
        reps = self._reps[p]

        def seeded(sql: str) -> str:
            if seed is None:
                return sql
            j, value = seed
            cond = _compare("=", _Expr(f"s.c{j}", reps[j]), params.const(value))
            return f"SELECT * FROM ({sql}) AS s WHERE {cond}"

        anchor = [seeded(f"SELECT {cols} FROM b{n}")]
        steps: list[str] = []
        for rule in self._rules_by_head[i][p]:
            positive = _positive(rule)
            sources = ["w" if a.sym == p else self._full(a.sym) for a in positive]
            sql = seeded(self._select(rule, sources, params))
            (steps if p in {a.sym for a in positive} else anchor).append(sql)
        return (
            f"WITH RECURSIVE w({cols}) AS ({' UNION '.join(anchor)} UNION "
            f"SELECT * FROM ({' UNION ALL '.join(steps)}))"
        )

    def _evaluate_linear(self, i: int) -> None:
        """One statement; derivation rounds are left for `_store_rounds`, with a range of round
        numbers reserved that no semi-naive evaluation of these rows can exceed."""
        p = self._stratum_preds[i][0]
        n = self._ids[p]
        params = _Params()
        cte = self._linear_cte(i, params)
        self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({_column_defs(self._reps[p])}, rnd BIGINT)")
        self._r_tables.add(n)
        cols = ", ".join(_columns(p.arity))
        count = _scalar(self._run(f"INSERT INTO r{n} {cte} SELECT {cols}, NULL FROM w", params.values))
        # semi-naive evaluation gains a row each round but the last: count + 1 rounds at most
        self._lazy_rounds[i] = self._counter
        self._counter += count + 1

    def _store_rounds(self, i: int) -> None:
        """Derivation rounds of a stratum `_evaluate_linear` computed: semi-naive evaluation again,
        numbered from the round the stratum started at (its rows are the same)."""
        start = self._lazy_rounds.pop(i)
        saved, self._counter = self._counter, start
        try:
            self._evaluate_seminaive(i)
        except BaseException:
            self._dirty.add(i)  # r<N> may be half written
            raise
        finally:
            self._counter = max(saved, self._counter)  # never above saved: count + 1 was reserved

    def _evaluate_seminaive(self, i: int) -> None:
        self._lazy_rounds.pop(i, None)
        preds = self._stratum_preds[i]
        rules = self._rules_by_head[i]
        if not self._recursive[i]:
            # one pass: base rows, then the rules' rows that are not base rows
            self._counter += 1
            for p in preds:
                n = self._ids[p]
                self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({_column_defs(self._reps[p])}, rnd BIGINT)")
                self._r_tables.add(n)
                params = _Params()
                selects = [self._select(rule, [self._full(a.sym) for a in _positive(rule)], params) for rule in rules[p]]
                same = " AND ".join(f"old.{c} = new.{c}" for c in _columns(p.arity))
                self._run(
                    f"INSERT INTO r{n} SELECT *, 0 FROM b{n} UNION ALL "
                    f"SELECT DISTINCT *, {self._counter} FROM ({' UNION ALL '.join(selects)}) AS new "
                    f"WHERE NOT EXISTS (SELECT 1 FROM b{n} AS old WHERE {same})",
                    params.values,
                )
            return
        for p in preds:
            n = self._ids[p]
            self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({_column_defs(self._reps[p])}, rnd BIGINT)")
            self._r_tables.add(n)
            self._run(f"INSERT INTO r{n} SELECT *, 0 FROM b{n}")
        own = set(preds)
        rules = self._rules_by_head[i]
        delta: dict[PredicateSym, str] = {}
        first = True
        try:
            while first or delta:
                self._counter += 1
                fresh: dict[PredicateSym, str] = {}
                for p in preds:
                    params = _Params()
                    selects = []
                    for rule in rules[p]:
                        positive = _positive(rule)
                        if first:
                            sources = [self._full(a.sym) for a in positive]
                            selects.append(self._select(rule, sources, params))
                            continue
                        # one variant per recursive atom, that atom reading the last round's delta
                        for k, atom in enumerate(positive):
                            if atom.sym in delta:
                                sources = [self._full(a.sym) for a in positive]
                                sources[k] = delta[atom.sym]
                                selects.append(self._select(rule, sources, params))
                    if not selects:
                        continue
                    n = self._ids[p]
                    name = f"d{n}_{self._counter % 2}"
                    union = " UNION ALL ".join(selects)
                    # new rows: the candidates no row of r<N> equals (an anti join, so DuckDB may
                    # build its hash table on the candidates, usually far fewer than r<N>)
                    same = " AND ".join(f"old.{c} = new.{c}" for c in _columns(p.arity))
                    self._run(
                        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({union}) AS new "
                        f"WHERE NOT EXISTS (SELECT 1 FROM r{n} AS old WHERE {same})",
                        params.values,
                    )
                    fresh[p] = name
                for name in delta.values():
                    self._run(f"DROP TABLE IF EXISTS {name}")
                delta = {}
                # rows are added only after every predicate's round ran: a round reads the last one
                for p, name in fresh.items():
                    n = self._ids[p]
                    added = _scalar(self._run(f"INSERT INTO r{n} SELECT *, {self._counter} FROM {name}"))
                    if added and self._recursive[i] and own:
                        delta[p] = name
                    else:
                        self._run(f"DROP TABLE IF EXISTS {name}")
                first = False
        finally:
            if delta:
                self._drop_quietly(list(delta.values()))

    def _drop_quietly(self, names: list[str]) -> None:
        deadline, self._deadline = self._deadline, None
        try:
            for name in names:
                with contextlib.suppress(duckdb.Error):  # an interrupted connection: only memory
                    self._con.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            self._deadline = deadline

    def _select(self, rule: ast.Rule, sources: Sequence[str], params: _Params) -> str:
        return _rule_select(rule, sources, self._full, self._reps_of, params)

    def _query_sql(self, query: CheckedQuery) -> tuple[str, list[object], tuple[str, ...]]:
        """The query's rules as CTEs over the program's tables, in dependency order: one SELECT."""
        own: dict[PredicateSym, list[ast.Rule]] = {}
        for rule in query.rules:
            own.setdefault(rule.head.sym, []).append(rule)
        kinds = _infer(query.rules, self._kinds)
        reps = dict(self._reps)
        for sym in own:
            reps[sym] = tuple(_rep(k) for k in kinds[sym])
        names = {sym: f"q{m}" for m, sym in enumerate(own)}
        order: list[PredicateSym] = []

        def visit(sym: PredicateSym) -> None:
            if sym in own and sym not in order:
                for rule in own[sym]:
                    for dep in _body_preds(rule):
                        if dep != sym:
                            visit(dep)
                order.append(sym)

        for sym in own:
            visit(sym)

        def source(sym: PredicateSym) -> str:
            return names[sym] if sym in names else self._full(sym)

        params = _Params()
        ctes = []
        for sym in order:
            selects = [
                _rule_select(rule, [source(a.sym) for a in _positive(rule)], source, reps.__getitem__, params)
                for rule in own[sym]
            ]
            ctes.append(f"{names[sym]} AS ({' UNION ALL '.join(selects)})")
        cols = ", ".join(_columns(query.goal.arity))
        # every stored relation is a set: a goal that just renames the rows of one atom (distinct
        # variables, constants, nothing else) has distinct rows already, and DISTINCT is a hash of them all
        plain = len(own.get(query.goal, ())) == 1 and _is_projection_of_a_set(own[query.goal][0])
        sql = f"SELECT {'' if plain else 'DISTINCT '}{cols} FROM {source(query.goal)}"
        if ctes:
            sql = f"WITH {', '.join(ctes)} {sql}"
        return sql, params.values, reps[query.goal]

    # --- time limit, Ctrl-C, transactions ---------------------------------------------------------

    def _run(self, sql: str, params: Sequence[object] = ()) -> duckdb.DuckDBPyConnection:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise _DeadlinePassed
        return self._con.execute(sql, list(params))

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Honour the time limit and Ctrl-C, turning either into a QueryError subclass."""
        if self._guarding:  # nested: the outer guard watches
            yield
            return
        self._guarding = True
        stop = threading.Event()
        fired = threading.Event()
        watchdog = None
        limit = self.timeout
        if limit is not None:
            self._deadline = time.monotonic() + limit

            def watch() -> None:
                if stop.wait(limit):
                    return
                fired.set()
                # keep interrupting: a statement may start right after an interrupt found none running
                while True:
                    self._con.interrupt()
                    if stop.wait(0.02):
                        return

            watchdog = threading.Thread(target=watch, name="duckdb-timeout", daemon=True)
            watchdog.start()
        if self._ctrl_c is None:
            self._ctrl_c = _CtrlCWatcher(self)
        try:
            with self._ctrl_c:
                yield
        except BaseException as exc:
            stop.set()
            if watchdog is not None:
                watchdog.join()
            translated = self._translate(exc, fired.is_set())
            if translated is exc:
                raise
            raise translated from exc
        finally:
            stop.set()
            if watchdog is not None:
                watchdog.join()
            self._deadline = None
            self._guarding = False

    def _translate(self, exc: BaseException, fired: bool) -> BaseException:
        if isinstance(exc, _DeadlinePassed) or (fired and isinstance(exc, duckdb.InterruptException)):
            return errors.QueryTimeout(
                f"query took longer than {self.timeout:g} s; raise the limit with --timeout or :timeout"
            )
        # DuckDB may notice the pending Ctrl-C itself and raise its own RuntimeError for it.
        ctrl_c = isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()
        if ctrl_c or isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException)):
            return errors.QueryInterrupted("interrupted")
        if isinstance(exc, duckdb.Error):
            return errors.QueryError(f"evaluation failed: {exc}")
        return exc

    @contextmanager
    def _failsafe(self) -> Iterator[None]:
        """A guarded transaction over base facts: on any failure, roll back and re-read the store,
        so facts and program are as before the call. Inside transaction() the change joins that
        one, which commits or rolls back for it."""
        with self._guard():
            if self._in_transaction:
                yield
                return
            self._con.begin()
            try:
                yield
                self._con.commit()
            except BaseException:
                self._recover()
                raise

    def _recover(self) -> None:
        deadline, self._deadline = self._deadline, None
        try:
            with contextlib.suppress(duckdb.Error):  # nothing to roll back
                self._con.rollback()
            self._read_store()
            self._r_tables_drop()
            self._install(self._program)
        finally:
            self._deadline = deadline

    def _r_tables_drop(self) -> None:
        for n in self._r_tables:
            self._con.execute(f"DROP TABLE IF EXISTS r{n}")
        self._r_tables = set()


# --- CSV files for `allegiance import` ----------------------------------------------------------------
# DuckDB's reader parses the file; what it reads is data, never SQL. The path is a bound parameter and
# columns are chosen by position (`#N`, numbers this module writes), so no name from the file reaches SQL.

# Per declared type: the strict test a cell `v` must pass (a failing cell is reported), and its cast.
def _csv_cast(kind: str, v: str) -> tuple[str, str]:
    if kind == "number":
        return (f"regexp_full_match(trim({v}), '[-+]?[0-9]+') AND TRY_CAST(trim({v}) AS BIGINT) IS NOT NULL",
                f"TRY_CAST(trim({v}) AS BIGINT)")
    if kind == "float":
        return f"isfinite(TRY_CAST(trim({v}) AS DOUBLE))", f"TRY_CAST(trim({v}) AS DOUBLE)"
    if kind == "date":
        return (f"regexp_full_match(trim({v}), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND TRY_CAST(trim({v}) AS DATE) IS NOT NULL",
                f"TRY_CAST(trim({v}) AS DATE)")
    return f"{v} IS NOT NULL", v  # symbol, string: any text but an empty cell


@dataclass(frozen=True)
class CsvRows:
    """A CSV file read for an import: its header, the converted rows (row k is on line k + 2) when
    every cell fits, else the first bad cells as (line, column name, cell text or None) and their count."""

    header: tuple[str, ...]
    rows: list[Row]
    bad: list[tuple[int, str, str | None]]
    bad_count: int


def read_csv_header(path: str) -> tuple[str, ...]:
    """The column names of a CSV file (its first line), as DuckDB's reader sees them."""
    with _csv_connection() as con:
        described = _csv_run(con, path, "DESCRIBE SELECT * FROM read_csv($1, all_varchar = true, header = true)")
        return tuple(str(r[0]) for r in described)


def read_csv_rows(path: str, positions: Sequence[int], types: Sequence[str], max_bad: int = 20) -> CsvRows:
    """Read the columns at `positions` (0-based) of a CSV file, each converted to its declared type."""
    header = read_csv_header(path)
    with _csv_connection() as con:
        cols = [f"#{int(p) + 1}" for p in positions]
        source = "SELECT row_number() OVER () + 1 AS line, " + ", ".join(
            f"{c} AS v{j}" for j, c in enumerate(cols)) + " FROM read_csv($1, all_varchar = true, header = true)"
        tests = [_csv_cast(t, f"v{j}")[0] for j, t in enumerate(types)]
        checks = " UNION ALL ".join(
            f"SELECT line, {j} AS col, v{j} AS cell FROM t WHERE NOT coalesce({test}, false)"
            for j, test in enumerate(tests))
        _csv_run(con, path, f"CREATE TEMP TABLE t AS {source}")
        count = con.execute(f"SELECT count(*) FROM ({checks})").fetchone()
        bad_count = int(count[0]) if count else 0
        if bad_count:
            found = con.execute(f"SELECT line, col, cell FROM ({checks}) ORDER BY line, col LIMIT $1", [max_bad]).fetchall()
            names = [header[p] for p in positions]
            return CsvRows(header, [], [(int(ln), names[c], cell) for ln, c, cell in found], bad_count)
        casts = ", ".join(_csv_cast(t, f"v{j}")[1] for j, t in enumerate(types))
        rows = con.execute(f"SELECT {casts} FROM t ORDER BY line").fetchall() if positions else []
        return CsvRows(header, [tuple(r) for r in rows], [], 0)


@contextmanager
def _csv_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    try:
        yield con
    finally:
        con.close()


def _csv_run(con: duckdb.DuckDBPyConnection, path: str, sql: str) -> list[tuple[object, ...]]:
    try:
        return list(con.execute(sql, [path]).fetchall())
    except duckdb.Error as exc:
        first = str(exc).split("\n\n")[0].replace("\n", "; ")
        raise errors.LoadError(f"{path}: cannot read it as CSV: {first}", None,
                               "a CSV file in UTF-8 with a header line") from None


class _CtrlCWatcher:
    """Ctrl-C during one long DuckDB statement: Python runs its SIGINT handler only between
    bytecodes, so the KeyboardInterrupt would wait for the statement to end. The C-level handler
    does write the signal to a wakeup file descriptor at once, though; a thread watching that
    descriptor interrupts the connection, the statement stops, and the KeyboardInterrupt follows.
    One thread and pipe per engine; each guarded call only installs the descriptor."""

    def __init__(self, engine: DuckDBEngine) -> None:
        import os
        import weakref

        # Weakly: the thread must not keep the engine (and its connection) alive.
        self._engine = weakref.ref(engine)
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._fds = [self._write, self._read]  # emptied when closed, so no descriptor closes twice
        self._old_fds: list[int] = []
        self._thread = threading.Thread(target=self._watch, name="duckdb-ctrl-c", daemon=True)
        self._thread.start()
        weakref.finalize(engine, _close_fds, self._fds)

    def _watch(self) -> None:
        import os

        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if not data:
                return  # closed: the engine is gone
            engine = self._engine()
            if engine is None:
                return
            if signal.SIGINT in data:
                engine._con.interrupt()
            del engine

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            self._old_fds.append(-2)  # signals go to the main thread only: nothing to watch
            return
        try:
            self._old_fds.append(signal.set_wakeup_fd(self._write, warn_on_full_buffer=False))
        except ValueError:
            self._old_fds.append(-2)

    def __exit__(self, *exc: object) -> None:
        old = self._old_fds.pop()
        if old != -2:
            signal.set_wakeup_fd(old)

    def close(self) -> None:
        _close_fds(self._fds)


def _close_fds(fds: list[int]) -> None:
    import os

    while fds:
        with contextlib.suppress(OSError):
            os.close(fds.pop())
