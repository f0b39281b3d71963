"""The pyDatalog engine: a checked program evaluated by pyDatalog 0.22.4 in a worker process.

Stage: evaluation. Input: an `analysis.CheckedProgram`, base facts as rows of plain values, and
`CheckedQuery`s. Output: rows of the same plain values (str, int, float, datetime.date).

Built only from pyDatalog's object API (`pyEngine.Literal`, `Clause`, `assert_`, `retract`,
`Literal.ask`): no text ever reaches `pyDatalog.load`/`ask`, which hand their text to exec/eval, and
this module calls neither eval nor exec. Predicate names become generated names (`p0`, `p1`, ...; query
rules `q0`, ...), variables `V0`, `V1`, ..., so nothing a user wrote is interpreted by pyDatalog.

Why a worker process (a `python -c` child speaking length-prefixed pickles of plain tuples on its
stdin/stdout): pyDatalog's compiled loop never looks at signals, so neither a time limit nor Ctrl-C
can stop it inside our process; and its knowledge base is a per-thread global whose `Logic` copies
share predicate objects, so two engines in one process would see each other's facts. One worker per
engine fixes both: on timeout or Ctrl-C the parent kills the worker, starts a fresh one and replays
the program and facts it keeps, so the knowledge base is as before the call.

pyDatalog quirks handled here (the README lists them):
- `1`, `1.0` and `True` are one constant, and its parser turns the strings "True"/"False"/"??" into
  other things: every value is wrapped in `_Enc` (a kind tag and the value), which keeps numbers and
  dates comparable and numbers usable in arithmetic, and never equals a value of another kind.
- floats are rounded to about 8 digits: raw floats never reach `pyEngine.Term_of` (they are wrapped)
  and `Float_Precision` is set to None anyway.
- arithmetic in a head silently yields nothing: `h(X + 1) :- b(X).` becomes
  `h(V) :- b(X), V = X + 1.`
- an expression of constants alone is not evaluated when a body starts with it (`2 * 3 > 5` raises
  "left hand side of comparison must be bound"): constant expressions are folded here.
- a failing operation (`1 / 0`, `"a" + 1`) makes pyDatalog bind the Python exception as a value
  (`inv(0, ZeroDivisionError(...))`): `_Enc` arithmetic returns `_INVALID` instead, which equals
  nothing, so the literal simply fails.
- negating (or reading) a predicate with no facts and no rules raises AttributeError: every
  predicate the program, its facts or a query mentions is declared (inserted, empty) first.
- its tabled resolution answers a negation over a table still being completed (symmetric or
  non-linear recursion) from what it holds so far, and never returns on some cycles (three
  predicates in a ring; a non-linear closure asked on its diagonal): pyDatalog is never given a
  recursive rule. The worker evaluates the strata bottom-up itself, semi-naively, and asks pyDatalog
  only non-recursive rules over complete relations (`_WorkerKB`). The time limit still catches a
  program whose fixpoint is infinite (`n(X + 1) :- n(X).`): QueryTimeout.

Why one module: the engine in the parent and the worker process speak one private protocol (the
messages, `_Enc`'s encoding of values), and pyDatalog's global state lives only in the worker; apart,
a change to one side would not show in the other.
"""

from __future__ import annotations

import datetime
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from .. import ast, values
from ..analysis.checked import CheckedProgram, CheckedQuery
from ..errors import QueryError, QueryInterrupted, QueryTimeout
from .base import DEFAULT_TIMEOUT, Engine, Facts

# --- the wire format: plain tuples, so the worker never needs the AST ------------------------------
#   term     ("v", name) | ("c", value) | ("op", op, term, term)
#   literal  ("atom", pred, terms) | ("neg", pred, terms) | ("cmp", op, term, term)
#   rule     (pred, head terms, body literals)
#   pred     (generated name, arity)
TermIR = tuple[Any, ...]
LiteralIR = tuple[Any, ...]
RuleIR = tuple[str, tuple[TermIR, ...], tuple[LiteralIR, ...]]
PredIR = tuple[str, int]
StratumIR = tuple[bool, list[str], list[RuleIR]]  # recursive?, its predicates, its rules

_COMPARISON = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


# --- values inside pyDatalog ------------------------------------------------------------------------

_NUMBER, _DATE, _STRING, _BAD = 0, 1, 2, 3


class _Enc:
    """A value inside pyDatalog: its kind and the plain value.

    pyDatalog compares, hashes and computes with whatever it holds as a constant's id, so this class
    decides what `=`, `<` and `+` mean: values of different kinds are never equal nor ordered, `1`
    equals `1.0` (one number, as in Python), and arithmetic is defined on numbers only."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: int, value: Any) -> None:
        self.kind = kind
        self.value = value

    def __repr__(self) -> str:
        return f"_Enc({self.kind}, {self.value!r})"

    def __hash__(self) -> int:
        return hash((self.kind, self.value))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Enc)
            and self.kind == other.kind
            and self.kind != _BAD
            and bool(self.value == other.value)
        )

    def __ne__(self, other: object) -> bool:
        # `_INVALID != x` must fail too, or a failed division would pass a `!=` test.
        if self.kind == _BAD or (isinstance(other, _Enc) and other.kind == _BAD):
            return False
        return not self.__eq__(other)

    def _ordered(self, other: object, test: Callable[[Any, Any], bool]) -> bool:
        if not isinstance(other, _Enc) or self.kind != other.kind or self.kind == _BAD:
            return False
        return test(self.value, other.value)

    def __lt__(self, other: object) -> bool:
        return self._ordered(other, lambda a, b: a < b)

    def __le__(self, other: object) -> bool:
        return self._ordered(other, lambda a, b: a <= b)

    def __gt__(self, other: object) -> bool:
        return self._ordered(other, lambda a, b: a > b)

    def __ge__(self, other: object) -> bool:
        return self._ordered(other, lambda a, b: a >= b)

    def _arith(self, other: object, op: str) -> _Enc:
        if not (isinstance(other, _Enc) and self.kind == _NUMBER and other.kind == _NUMBER):
            return _INVALID
        # values.apply is the one definition (Soufflé's `/` and `%`); no value there, none here
        result = values.apply(op, self.value, other.value)
        if result is None:
            return _INVALID
        if isinstance(result, int) and result not in _INT64:
            _Overflow.seen = True
            return _INVALID
        return _Enc(_NUMBER, result)

    def __add__(self, other: object) -> _Enc:
        return self._arith(other, "+")

    def __sub__(self, other: object) -> _Enc:
        return self._arith(other, "-")

    def __mul__(self, other: object) -> _Enc:
        return self._arith(other, "*")

    def __truediv__(self, other: object) -> _Enc:
        return self._arith(other, "/")

    def __mod__(self, other: object) -> _Enc:
        # Also stops pyEngine's `'%'` from ever treating a value as a format string.
        return self._arith(other, "%")


_INT64 = range(values.INT64_MIN, values.INT64_MAX + 1)


class _Overflow:
    """Set when arithmetic leaves int64, which the DuckDB engine reports as an error. pyDatalog turns
    any exception raised inside an operation into a value, so the worker checks this after each ask."""

    seen = False


_INVALID = _Enc(_BAD, None)


def _encode(value: ast.Value) -> _Enc:
    if isinstance(value, bool):
        raise TypeError(f"booleans are not allegiance values: {value!r}")
    if isinstance(value, (int, float)):
        return _Enc(_NUMBER, value)
    if isinstance(value, str):
        return _Enc(_STRING, value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return _Enc(_DATE, value)
    raise TypeError(f"not an allegiance value: {value!r}")


def _check_row(pred: ast.PredicateSym, row: Iterable[ast.Value]) -> ast.Row:
    """Reject what the worker could not store faithfully, in the parent, before anything is sent."""
    values = tuple(row)
    if len(values) != pred.arity:
        raise ValueError(f"row {values!r} has {len(values)} values, {pred} needs {pred.arity}")
    for value in values:
        _encode(value)
    return values


# --- the worker: runs in the child process, the only code that touches pyDatalog ---------------------


class _WorkerKB:
    """The knowledge base inside the worker: builds pyDatalog objects from the wire format.

    pyDatalog never sees a recursive rule, and never sees a rule above a predicate it could still
    be completing. Its tabled top-down resolution gives wrong answers when a negation reads a table
    that is not complete (negation over symmetric or non-linear recursion) and does not terminate on
    some cycles (three predicates in a ring, a non-linear closure queried on its diagonal). So we
    drive it stratum by stratum, bottom-up, and use it for what it does well, joining:

        non-recursive stratum   each rule, asserted under a temporary head, asked once
        recursive stratum       semi-naive rounds: the first round asks every rule over the facts so
                                far; each later round asks, per rule and per recursive body atom,
                                the variant reading only last round's new rows (a delta relation)
                                at that atom:    p(X, Y) :- d_p(X, Z), e(Z, Y).
                                until a round adds nothing

    The rows each stratum derives are asserted as facts of its predicates, so everything above it,
    a negation included, reads a complete relation. Derived rows are dropped whenever base facts
    change, and strata are computed again on demand (only those the goal depends on)."""

    def __init__(self) -> None:
        from pyDatalog import pyEngine
        from pyDatalog.Logic import Logic

        self.engine: Any = pyEngine
        self.logic_class: Any = Logic
        pyEngine.Float_Precision = None
        self.strata: list[StratumIR] = []
        self.stratum_of: dict[str, int] = {}
        self.reads: list[set[str]] = []  # per stratum: the predicates its rules read
        self.done: set[int] = set()  # strata whose rows are asserted
        self.derived: dict[str, set[tuple[Any, ...]]] = {}  # rows asserted by evaluation, per predicate
        self.base: dict[str, set[tuple[Any, ...]]] = {}
        self.temporaries = 0
        self._reset()

    def _reset(self) -> None:
        self.logic_class()  # a fresh, empty knowledge base for this (the only) thread
        self.done.clear()
        self.derived.clear()
        self.base.clear()

    @property
    def _db(self) -> dict[str, Any]:
        db: dict[str, Any] = self.logic_class.tl.logic.Db
        return db

    def handle(self, request: tuple[Any, ...]) -> Any:
        kind = request[0]
        if kind == "load":
            _, preds, strata, facts = request
            self._reset()
            self._declare(preds)
            self.strata = [(recursive, list(names), list(rules)) for recursive, names, rules in strata]
            self.stratum_of = {name: i for i, (_, names, _) in enumerate(self.strata) for name in names}
            self.reads = [{lit[1] for _, _, body in rules for lit in body if lit[0] in ("atom", "neg")}
                          for _, _, rules in self.strata]
            self._base_facts(facts, add=True)
            return None
        if kind == "add":
            _, preds, facts = request
            self._declare(preds)
            self._base_facts(facts, add=True)
            return None
        if kind == "retract":
            _, facts = request
            self._base_facts(facts, add=False)
            return None
        if kind == "ask":
            _, preds, rules, goal = request
            return self._ask(preds, rules, goal)
        if kind == "inventory":
            # For tests: what the knowledge base holds, so a leak shows.
            return sorted((pred_id, len(pred.db)) for pred_id, pred in self._db.items() if not pred.prim)
        raise ValueError(f"unknown request {kind!r}")

    def _declare(self, preds: Iterable[PredIR]) -> None:
        # pyDatalog raises AttributeError on a predicate it has never seen a clause of.
        for name, arity in preds:
            if f"{name}/{arity}" not in self._db:
                self.engine.insert(self.engine.Pred(name, arity))

    # --- facts

    def _assert(self, name: str, rows: Iterable[tuple[Any, ...]], add: bool) -> None:
        e = self.engine
        action = e.assert_ if add else e.retract
        for row in rows:
            action(e.Clause(e.Literal(name, [e.Const(v) for v in row]), []))

    def _base_facts(self, facts: Iterable[tuple[str, list[ast.Row]]], add: bool) -> None:
        """Base facts change: the derived rows go (they are computed again when asked for)."""
        self._forget_derived()
        for name, rows in facts:
            encoded = [tuple(_encode(v) for v in row) for row in rows]
            kept = self.base.setdefault(name, set())
            if add:
                fresh = [row for row in dict.fromkeys(encoded) if row not in kept]
                kept.update(fresh)
                self._assert(name, fresh, True)
            else:
                gone = [row for row in dict.fromkeys(encoded) if row in kept]
                kept.difference_update(gone)
                self._assert(name, gone, False)

    def _forget_derived(self) -> None:
        for name, rows in self.derived.items():
            self._assert(name, rows, False)
        self.derived.clear()
        self.done.clear()

    # --- evaluation, stratum by stratum

    def _needed(self, names: Iterable[str]) -> list[int]:
        """The strata the given predicates depend on, lowest first."""
        wanted: set[int] = set()
        stack = [self.stratum_of[n] for n in names if n in self.stratum_of]
        while stack:
            i = stack.pop()
            if i in wanted:
                continue
            wanted.add(i)
            stack.extend(self.stratum_of[n] for n in self.reads[i] if n in self.stratum_of)
        return sorted(wanted)

    def _materialise(self, names: Iterable[str]) -> None:
        for i in self._needed(names):
            if i not in self.done:
                self._evaluate(*self.strata[i])
                self.done.add(i)

    def _evaluate(self, recursive: bool, names: list[str], rules: list[RuleIR]) -> None:
        known = {name: set(self.base.get(name, ())) | self.derived.get(name, set()) for name in names}
        fresh = self._round(rules, known)
        if not recursive:
            return
        inside = set(names)
        while any(fresh.values()):
            deltas = {name: self._temporary_facts(rows) for name, rows in fresh.items() if rows}
            try:
                variants = []
                for head, terms, body in rules:
                    for i, literal in enumerate(body):
                        if literal[0] == "atom" and literal[1] in inside and literal[1] in deltas:
                            changed = (literal[0], deltas[literal[1]], literal[2])
                            variants.append((head, terms, (*body[:i], changed, *body[i + 1 :])))
                fresh = self._round(variants, known)
            finally:
                for name in deltas.values():
                    self._drop(name)

    def _round(self, rules: list[RuleIR], known: dict[str, set[tuple[Any, ...]]]) -> dict[str, set[tuple[Any, ...]]]:
        """Ask every rule once; assert and return the rows not known before."""
        found: dict[str, set[tuple[Any, ...]]] = {name: set() for name in known}
        for rule in rules:
            for row in self._ask_rule(rule):
                if row not in known[rule[0]]:
                    found[rule[0]].add(row)
        for name, rows in found.items():
            known[name].update(rows)
            self.derived.setdefault(name, set()).update(rows)
            self._assert(name, rows, True)
        return found

    def _ask_rule(self, rule: RuleIR) -> list[tuple[Any, ...]]:
        name, head, body = rule
        temporary = self._new_name()
        clause = self._clause((temporary, head, body))
        e = self.engine
        try:
            e.assert_(clause)
            _Overflow.seen = False
            answers = e.Literal(temporary, [e.Var(f"V{i}") for i in range(len(head))]).ask()
            if _Overflow.seen:
                raise OverflowError("integer arithmetic left the 64-bit range")
        finally:
            e.retract(clause)
            self._drop(temporary)
        if answers is True:
            return [()]
        return [tuple(answer) for answer in answers or ()
                if all(isinstance(v, _Enc) and v.kind != _BAD for v in answer)]

    def _temporary_facts(self, rows: set[tuple[Any, ...]]) -> str:
        name = self._new_name()
        self._assert(name, rows, True)
        return name

    def _new_name(self) -> str:
        self.temporaries += 1
        return f"t{self.temporaries}"

    def _drop(self, name: str) -> None:
        """Forget a temporary predicate entirely (its facts, its rules, its table)."""
        registry = self.logic_class.tl.logic.Pred_registry
        for pred_id in [p for p in self._db if p.split("/")[0].lstrip("~") == name]:
            del self._db[pred_id]
            registry.pop(pred_id, None)

    # --- queries

    def _ask(self, preds: list[PredIR], rules: list[RuleIR], goal: PredIR) -> list[ast.Row]:
        self._declare(preds)
        self._materialise([goal[0], *(lit[1] for _, _, body in rules for lit in body if lit[0] in ("atom", "neg"))])
        # The query's own rules: none is recursive, each reads the program's (now complete)
        # relations and earlier rules of the query. Asked in order, each one's rows asserted.
        own: dict[str, set[tuple[Any, ...]]] = {}
        try:
            for rule in rules:
                self._declare([(rule[0], len(rule[1]))])
                rows = self._ask_rule(rule)
                kept = own.setdefault(rule[0], set())
                fresh = [row for row in rows if row not in kept]
                kept.update(fresh)
                self._assert(rule[0], fresh, True)
            name, arity = goal
            if name in own:
                answers: list[tuple[Any, ...]] = list(own[name])
            else:
                e = self.engine
                asked = e.Literal(name, [e.Var(f"V{i}") for i in range(arity)]).ask()
                answers = [()] if asked is True else [tuple(a) for a in asked or ()]
        finally:
            for name in own:
                self._drop(name)
        return [tuple(v.value for v in answer) for answer in answers
                if all(isinstance(v, _Enc) and v.kind != _BAD for v in answer)]

    def _clause(self, rule: RuleIR) -> Any:
        e = self.engine
        name, head, body = rule
        literals = []
        for literal in body:
            if literal[0] == "atom":
                literals.append(e.Literal(literal[1], [self._term(t) for t in literal[2]]))
            elif literal[0] == "neg":
                literals.append(e.Literal("~" + literal[1], [self._term(t) for t in literal[2]]))
            else:
                _, op, left, right = literal
                literals.append(e.Literal(op, [self._term(left), self._term(right)]))
        return e.Clause(e.Literal(name, [self._term(t) for t in head]), literals)

    def _term(self, term: TermIR) -> Any:
        e = self.engine
        if term[0] == "v":
            return e.Var(term[1])
        if term[0] == "c":
            return e.Const(_encode(term[1]))
        _, op, left, right = term
        lhs, rhs = self._term(left), self._term(right)
        if isinstance(lhs, e.Const) and isinstance(rhs, e.Const):
            # pyDatalog only evaluates an operation while substituting variables, which never
            # happens to `2 * 3` at the start of a body: fold it here.
            return e.Const(lhs.id._arith(rhs.id, op))
        return e.Operation(lhs, op, rhs)


_HEADER = struct.Struct(">Q")


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _recv(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


_MAIN_THREAD_STARTED = "ALLEGIANCE_WORKER_FROM_MAIN_THREAD"  # see _die_with_parent


def _die_with_parent() -> None:
    """A worker busy in pyDatalog's loop reads no more requests, so it would not notice its parent
    dying (a killed test run, a closed terminal) and would compute on, alone. On Linux the kernel
    kills it with its parent; elsewhere a thread watches the parent's pid."""
    parent = os.getppid()
    # PR_SET_PDEATHSIG fires when the parent *thread* that started us ends, not the process: the
    # REPL runs each entry in a thread of its own, so `:engine pydatalog` lost its worker as soon as
    # the entry ended ("the pyDatalog worker process died" on the next query). Only a worker
    # started by the main thread may use it; the others watch the parent's pid.
    try:
        if os.environ.get(_MAIN_THREAD_STARTED) != "1":
            raise OSError("started by another thread")
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_main() -> None:
    """The worker's entry point: answer requests from stdin on stdout until stdin closes."""
    # Ctrl-C is the parent's business: it kills and replaces us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    requests, replies = 0, os.dup(1)
    os.dup2(2, 1)  # anything pyDatalog prints must not corrupt the reply stream
    kb = _WorkerKB()
    _send(replies, ("ready", None))
    while True:
        try:
            request = _recv(requests)
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", kb.handle(request))
        except Exception as error:  # reported to the parent, which restarts us
            reply = ("error", f"{type(error).__name__}: {error}")
        _send(replies, reply)


# --- the parent side -----------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The worker needs this module and the few it imports (ast, errors, analysis.checked, engines.base),
# not the package's public API, which pulls in the parser, the knowledge base and DuckDB (~300 ms of
# every start and restart). So it registers the packages as bare namespaces instead of running their
# __init__ files. The directory comes in as an argument: no path is ever pasted into code.
_WORKER_COMMAND = """
import sys, types
root = sys.argv[1]
for name, path in (("allegiance", ""), ("allegiance.analysis", "analysis"), ("allegiance.engines", "engines")):
    package = types.ModuleType(name)
    package.__path__ = [root + "/" + path if path else root]
    sys.modules[name] = package
from allegiance.engines.pydatalog import _worker_main
_worker_main()
"""


class _WorkerDied(Exception):
    pass


class _TimedOut(Exception):
    pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


class _Worker:
    """One child process running `_worker_main`."""

    def __init__(self) -> None:
        main = threading.current_thread() is threading.main_thread()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_COMMAND, _PACKAGE_DIR],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, _MAIN_THREAD_STARTED: "1" if main else "0"},
            # Its own session: a Ctrl-C at the terminal reaches only us, and we decide.
            start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to, self._from = self.process.stdin.fileno(), self.process.stdout.fileno()
        # A forgotten engine must not leave a process behind.
        self._finalizer = weakref.finalize(self, _stop, self.process)
        self._read(None)  # the "ready" message: startup never counts against a time limit

    def call(self, request: tuple[Any, ...], deadline: float | None) -> Any:
        try:
            _send(self._to, request)
        except OSError as error:
            raise _WorkerDied(str(error)) from error
        status, payload = self._read(deadline)
        if status == "error":
            raise QueryError(f"pyDatalog failed: {payload}")
        return payload

    def _read(self, deadline: float | None) -> tuple[str, Any]:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self._from], [], [], remaining)
        if not ready:
            raise _TimedOut
        try:
            reply: tuple[str, Any] = _recv(self._from)
        except (EOFError, OSError) as error:
            raise _WorkerDied(f"exit code {self.process.poll()}") from error
        return reply

    def stop(self) -> None:
        self._finalizer()


class PyDatalogEngine(Engine):
    """The Engine interface on pyDatalog, one worker process per engine (started on first use)."""

    name = "pydatalog"

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout)
        self._worker: _Worker | None = None
        self._names: dict[ast.PredicateSym, str] = {}
        # What a fresh worker is given: the parent keeps the knowledge base, the worker a copy.
        self._strata: list[StratumIR] = []
        self._facts: dict[ast.PredicateSym, set[ast.Row]] = {}
        self._queries = 0

    # --- the Engine interface

    def load(self, program: CheckedProgram, facts: Facts) -> None:
        names: dict[ast.PredicateSym, str] = {}
        for sym in program.types:
            _name(names, sym)
        strata: list[StratumIR] = [
            (stratum.recursive, sorted(_name(names, p) for p in stratum.predicates),
             [_rule_ir(rule, lambda sym: _name(names, sym)) for rule in stratum.rules])
            for stratum in program.strata
        ]
        checked = {sym: {_check_row(sym, row) for row in rows} for sym, rows in facts.items()}
        for sym in checked:
            _name(names, sym)
        self._call(("load", _preds(names), strata, _fact_ir(names, checked)), evaluates=False)
        self._names, self._strata, self._facts = names, strata, checked

    def add_facts(self, facts: Facts) -> None:
        checked = {sym: [_check_row(sym, row) for row in rows] for sym, rows in facts.items()}
        names = dict(self._names)
        for sym in checked:
            _name(names, sym)
        self._call(("add", _preds(names), _fact_ir(names, checked)), evaluates=False)
        self._names = names
        for sym, rows in checked.items():
            kept = self._facts.setdefault(sym, set())
            for row in rows:
                kept.discard(row)  # as pyDatalog does: the last of 1 and 1.0 stays
                kept.add(row)

    def retract_facts(self, facts: Facts) -> None:
        known = {
            sym: [_check_row(sym, row) for row in rows] for sym, rows in facts.items() if sym in self._names
        }
        self._call(("retract", _fact_ir(self._names, known)), evaluates=False)
        for sym, rows in known.items():
            self._facts.get(sym, set()).difference_update(rows)

    def relation(self, pred: ast.PredicateSym) -> frozenset[ast.Row]:
        if pred not in self._names:
            return frozenset()
        goal = (self._names[pred], pred.arity)
        return frozenset(self._call(("ask", [], [], goal), evaluates=True))

    def query(self, query: CheckedQuery) -> list[ast.Row]:
        # The query's own predicates get fresh names, so they never meet the program's.
        local: dict[ast.PredicateSym, str] = {}
        for rule in query.rules:
            if rule.head.sym not in local:
                local[rule.head.sym] = f"q{self._queries}"
                self._queries += 1
        names = dict(self._names)

        def resolve(sym: ast.PredicateSym) -> str:
            return local.get(sym) or _name(names, sym)

        rules = [_rule_ir(rule, resolve) for rule in query.rules]
        goal = (resolve(query.goal), query.goal.arity)
        rows = self._call(("ask", _preds(names), rules, goal), evaluates=True)
        # Program predicates the query mentioned are now declared in the worker: remember them.
        self._names = names
        return list(dict.fromkeys(rows))

    def _inventory(self) -> list[tuple[str, int]]:
        """Each predicate in the worker's knowledge base with its number of clauses (for tests)."""
        inventory: list[tuple[str, int]] = self._call(("inventory",), evaluates=False)
        return inventory

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    # --- the worker's life

    def _call(self, request: tuple[Any, ...], evaluates: bool) -> Any:
        limit = self.timeout if evaluates else None
        try:
            worker = self._ensure_worker()
            deadline = None if limit is None else time.monotonic() + limit
            return worker.call(request, deadline)
        except _TimedOut:
            self._restart()
            raise QueryTimeout(
                f"the query did not finish within the time limit of {limit:g} s",
                hint=(
                    "raise the limit with --timeout SECONDS (:timeout in the REPL); pyDatalog is slow "
                    "on large joins and closures and may not terminate on some recursive programs: "
                    "try --engine duckdb"
                ),
            ) from None
        except KeyboardInterrupt:
            self._restart()
            raise QueryInterrupted("interrupted (Ctrl-C); the knowledge base is unchanged") from None
        except _WorkerDied as error:
            self._restart()
            raise QueryError(f"the pyDatalog worker process died ({error})") from None
        except QueryError:
            # pyDatalog failed half-way: its state is not to be trusted, start clean.
            self._restart()
            raise

    def _ensure_worker(self) -> _Worker:
        if self._worker is None:
            worker = _Worker()
            try:
                if self._strata or self._facts:
                    replay = ("load", _preds(self._names), self._strata, _fact_ir(self._names, self._facts))
                    worker.call(replay, None)
                elif self._names:
                    worker.call(("add", _preds(self._names), []), None)
            except BaseException:
                worker.stop()
                raise
            self._worker = worker
        return self._worker

    def _restart(self) -> None:
        """Kill the worker and start a fresh one with the knowledge base as it was before the call."""
        self.close()
        try:
            self._ensure_worker()
        except (KeyboardInterrupt, QueryError, _WorkerDied):
            # Another Ctrl-C, or a replay that failed: leave it to the next call to try again.
            self.close()


# --- translation: ast -> wire format ----------------------------------------------------------


def _name(names: dict[ast.PredicateSym, str], sym: ast.PredicateSym) -> str:
    found = names.get(sym)
    if found is None:
        found = names[sym] = f"p{len(names)}"
    return found


def _preds(names: dict[ast.PredicateSym, str]) -> list[PredIR]:
    return [(name, sym.arity) for sym, name in names.items()]


def _fact_ir(
    names: dict[ast.PredicateSym, str], facts: dict[ast.PredicateSym, Any]
) -> list[tuple[str, list[ast.Row]]]:
    return [(names[sym], list(rows)) for sym, rows in facts.items()]


def _rule_ir(rule: ast.Rule, resolve: Callable[[ast.PredicateSym], str]) -> RuleIR:
    """One rule as plain tuples, its variables renamed V0, V1, ... and head arithmetic moved out."""
    variables: dict[object, str] = {}

    def term(t: ast.Term) -> TermIR:
        if isinstance(t, (ast.Variable, ast.Wildcard)):
            key = t.name if isinstance(t, ast.Variable) else ("_", t.index)
            if key not in variables:
                variables[key] = f"V{len(variables)}"
            return ("v", variables[key])
        if isinstance(t, ast.Constant):
            return ("c", t.value)
        return ("op", t.op, term(t.left), term(t.right))

    def fresh() -> TermIR:
        key = ("head", len(variables))
        variables[key] = f"V{len(variables)}"
        return ("v", variables[key])

    body: list[LiteralIR] = []
    for literal in rule.body:
        if isinstance(literal, ast.Atom):
            body.append(("atom", resolve(literal.sym), tuple(term(a) for a in literal.args)))
        elif isinstance(literal, ast.NegLiteral):
            atom = literal.atom
            body.append(("neg", resolve(atom.sym), tuple(term(a) for a in atom.args)))
        elif isinstance(literal, ast.Assignment):
            body.append(("cmp", "==", term(literal.variable), term(literal.expr)))
        else:
            body.append(("cmp", _COMPARISON[literal.op], term(literal.left), term(literal.right)))
    head: list[TermIR] = []
    for arg in rule.head.args:
        if isinstance(arg, ast.BinOp):
            # h(X + 1) :- b(X).   becomes   h(V) :- b(X), V = X + 1.
            expression = term(arg)
            variable = fresh()
            body.append(("cmp", "==", variable, expression))
            head.append(variable)
        else:
            head.append(term(arg))
    return (resolve(rule.head.sym), tuple(head), tuple(body))
