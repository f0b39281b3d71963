"""The DuckDB engine's guard: the time limit and Ctrl-C around every evaluating call.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: the connection and the engine's
`timeout`. Output: SQL statements run under a deadline (`_run`), and a context (`_guard`) that turns
a passed deadline, an interrupt or a DuckDB failure into errors.QueryTimeout, QueryInterrupted or
QueryError.

Time limit and Ctrl-C
    A watchdog thread interrupts the connection once `timeout` seconds have passed (and keeps doing so
    until the call ends, so a statement started in between cannot escape); the loop also checks the
    deadline before each statement. Ctrl-C during one long statement reaches the connection through
    the signal wakeup descriptor (`_CtrlCWatcher`), since Python would run its handler only after the
    statement. Base-fact changes run in a transaction that is rolled back on failure (tables.py);
    derived state of an interrupted stratum stays dirty, so the next read recomputes it. Each
    guarded call has its own descriptor: a Ctrl-C that stopped one call never reaches the next
    (the watcher of a call that has ended interrupts nothing). `interrupt()` is the one way in,
    which a front end running the engine in a worker thread calls too (repl/running.py). Nothing
    is interrupted inside a shielded section (shield.py): a rollback, the undo of a stopped load.

Threads
    Every connection runs its statements on one DuckDB thread (`_configure`), and bulk work
    (`_parallel`: an export of many rows, COPY to CSV, Arrow, a sorted stream; an import's CSV
    file read, resolved, numbered and inserted) on the machine's threads. A recursive
    CTE must run on one (see `_run_on_one_thread`), and lowering DuckDB's threads and raising them
    again around each one cost more than the statement: the seeded reach of the point query took
    4.4 ms at one thread throughout and 8.9 ms with the setting lowered and restored around it
    (threads that have worked are joined and started again). The statements between are mostly
    small, where more threads buy nothing (a table scans in parallel by row groups of 122,880
    rows). Measured against the setting lowered around each recursive statement, on 2 cores: the
    point query 14.9 -> 11.4 ms, the negation 21.4 -> 16.5 ms, the three-way join 153 -> 132 ms,
    the bound queries of a 10,000-statement network p50 27.4 -> 22.9 ms; the random graph's whole
    closure (3.5 million answers, sorted) 2.7 -> 2.9 s, within its noise; its export to CSV took
    2.8-3.3 s on the machine's threads against 3.3-3.4 s on one; an import of a million CSV rows
    (bench row csv.allegiance) 2.14 s on one thread, 1.52-1.75 s on the machine's as before.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

import duckdb

from ... import errors, shield
from . import memory

RECURSIVE = "WITH RECURSIVE"  # statements that run on one thread (Guarded._run_on_one_thread)


class DeadlinePassed(Exception):
    """Raised between statements once the time limit has run out."""


def first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n")[0]


class Guarded:
    """The connection under the time limit and Ctrl-C; DuckDBEngine's lowest layer.

    The attributes are set by DuckDBEngine.__init__ (and `timeout` by engines.base.Engine)."""

    timeout: float | None
    _con: duckdb.DuckDBPyConnection
    _deadline: float | None
    _guarding: bool
    _ctrl_c: _CtrlCWatcher | None
    memory_limit: int | None  # bytes (memory.py)
    _growing: str  # what is being evaluated, named by the memory-limit error
    _headroom: int | None  # inside DuckDBEngine.ceiling()

    # Since when the time limit has been stopping the guarded call (None: it is not): a front end
    # that runs the engine in a worker thread gives up on a call that does not stop (repl/running.py).
    cancelling: float | None = None
    _interrupted = False  # interrupt() was called during this guarded call
    _interrupted_at: float | None = None  # when it was first called
    _call = 0  # which guarded call is running (or ran last): a Ctrl-C watcher stops only its own

    def interrupt(self) -> None:
        """Stop the guarded call running now (from any thread): the statement running, and any the
        call would start next. Outside a guarded call, or inside a shielded section (a rollback,
        an undo: shield.py), nothing."""
        if shield.active() or not self._guarding:
            # nothing to stop: a cancel sent now would land on whatever statement runs next, even
            # one outside any guarded call, as a raw DuckDB InterruptException
            return
        self._interrupted = True
        if self._interrupted_at is None:
            self._interrupted_at = time.monotonic()
        self._cancel()

    def stopping(self) -> tuple[float, str] | None:
        """Since when, and by what ("Ctrl-C" or "the time limit"), the guarded call running now is
        being stopped; None when it is not. A front end that must end in bounded time reads it
        (cli/bound.py); the REPL reads `cancelling` (repl/running.py)."""
        interrupted, cancelling = self._interrupted_at, self.cancelling
        if interrupted is not None and (cancelling is None or interrupted <= cancelling):
            return interrupted, "Ctrl-C"
        if cancelling is not None:
            return cancelling, "the time limit"
        return None

    def _interrupt_call(self, call: int) -> None:
        """`interrupt()`, if guarded call number `call` is still the one running."""
        if self._guarding and self._call == call:
            self.interrupt()

    def _cancel(self) -> None:
        """DuckDB's own cancel: the running statement stops (or should: it has been seen to stall)."""
        shield.unless_active(self._con.interrupt)

    def _run(self, sql: str, params: Sequence[object] = ()) -> duckdb.DuckDBPyConnection:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise DeadlinePassed
        # Ctrl-C, whether the watcher saw it (`_interrupted`) or a deferring section recorded it
        # (shield.py: a change, stopped here, between two statements, is rolled back whole)
        if (self._interrupted or shield.pressed()) and not shield.active():
            raise KeyboardInterrupt
        if RECURSIVE in sql and self._threads != 1:
            return self._run_on_one_thread(sql, params)
        return self._con.execute(sql, list(params))

    # DuckDB's worker threads: what the connection is set to now, and the machine's default
    _threads = 0  # 0: not known (a connection _configure did not set), read when needed
    _machine_threads = 1

    def _configure(self) -> memory.Spill:
        """A new connection's settings: its memory ceiling and spill folder (memory.py), and
        statements on one thread (see Threads above)."""
        spill = memory.configure(self._con, self.memory_limit)
        self._one_thread()
        return spill

    def _one_thread(self) -> None:
        self._machine_threads = self._threads_setting()
        self._con.execute("SET threads = 1")
        self._threads = 1

    @contextmanager
    def _parallel(self) -> Iterator[None]:
        """The machine's threads for the statements inside: an export of many rows (see Threads
        above). A recursive CTE inside still runs on one."""
        threads = self._machine_threads
        if self._threads != 1 or threads == 1:
            yield
            return
        self._con.execute(f"SET threads = {threads}")
        self._threads = threads
        try:
            yield
        finally:
            self._threads = 0  # not known, should the restoring fail
            self._set_threads_aside(1)
            self._threads = 1

    def _threads_setting(self) -> int:
        row = self._con.execute("SELECT current_setting('threads')").fetchone()
        return int(row[0]) if row is not None else 1

    def _set_threads_aside(self, threads: int) -> None:
        # On a cursor of its own (the setting is the database's): a statement's result stays the
        # connection's to fetch, and an interrupt aimed at the statement cannot stop this.
        cursor = self._con.cursor()
        try:
            cursor.execute(f"SET threads = {threads}")
        finally:
            cursor.close()

    def _run_on_one_thread(self, sql: str, params: Sequence[object]) -> duckdb.DuckDBPyConnection:
        """A recursive CTE with DuckDB's worker threads set to one for the statement.

        Cancelling a recursive CTE that runs on several threads can stall for good (DuckDB 2.0):
        the main thread waits in `Executor::CancelTasks` for a worker that spins in
        `PhysicalRecursiveCTE::ExecuteRecursivePipelines` -> `Executor::WaitForTask`, waiting for
        the recursive pipelines' tasks, which the cancel has taken away. Seen as a load that never
        ended after Ctrl-C (issue 16, item 10) and in one random-interrupt round in three under
        CPU load; `con.interrupt()` repeated on such a statement hangs within a few hundred tries
        with the default threads and never with one (tests/test_load_interrupt.py). A recursive CTE
        with a set UNION runs its rounds one after the other anyway: one thread took the same time
        as two on a closure of 1.5 million rows here."""
        threads = self._threads or self._threads_setting()
        if threads == 1:
            return self._con.execute(sql, list(params))
        self._con.execute("SET threads = 1")
        try:
            return self._con.execute(sql, list(params))
        finally:
            self._set_threads_aside(threads)

    def _guard(self) -> AbstractContextManager[None]:
        """Honour the time limit and Ctrl-C, turning either into a QueryError subclass.

        Ctrl-C is deferred for the whole call (shield.deferring): it stops the statement running
        (the watcher), or the call at its next statement (`_run`), or is raised as a bare
        KeyboardInterrupt once the call has ended; never inside the guard's own setup or cleanup
        (raised as contextlib left the generator, it once left `_guarding` set for good: every
        later call unguarded, no time limit)."""
        return shield.deferring(self._guarded_call())

    @contextmanager
    def _guarded_call(self) -> Iterator[None]:
        if self._guarding:  # nested: the outer guard watches
            yield
            return
        # A Ctrl-C raises KeyboardInterrupt at the next Python call, wherever it is: everything set
        # up from here on is undone in the `finally`, and the flags are reset there before anything
        # that could be interrupted (a guard left `_guarding` would leave every later call unguarded).
        stop = threading.Event()
        fired = threading.Event()
        watchdog = None
        self._call += 1
        call = self._call
        self._guarding = True
        try:
            self._interrupted = False
            self._growing = ""
            limit = self.timeout
            if limit is not None:
                self._deadline = time.monotonic() + limit

                def watch() -> None:
                    if stop.wait(limit) or not (self._guarding and self._call == call):
                        return
                    fired.set()
                    self.cancelling = time.monotonic()
                    # keep interrupting: a statement may start right after an interrupt found none
                    # running; but only this call's (it may end without waiting for this thread)
                    while self._guarding and self._call == call:
                        self._cancel()
                        if stop.wait(0.02):
                            return

                watchdog = threading.Thread(target=watch, name="duckdb-timeout", daemon=True)
                watchdog.start()
            if self._ctrl_c is None:
                self._ctrl_c = _CtrlCWatcher(self)
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
            self._deadline = None
            self._guarding = False
            self._interrupted = False
            self._interrupted_at = None
            self.cancelling = None
            stop.set()
            if watchdog is not None:
                watchdog.join()
                self.cancelling = None  # should the watchdog have fired as the call ended

    def _translate(self, exc: BaseException, fired: bool) -> BaseException:
        if memory.is_out_of_memory(exc):
            limit = (f"{memory.human(self._headroom)} more than the knowledge base holds" if self._headroom else
                     memory.human(self.memory_limit) if self.memory_limit is not None else "DuckDB's default")
            return memory.too_large(self._growing or "the answer", limit)
        if isinstance(exc, DeadlinePassed) or (fired and isinstance(exc, duckdb.InterruptException)):
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

    def _drop_quietly(self, names: list[str]) -> None:
        deadline, self._deadline = self._deadline, None
        try:
            if names:
                try:  # one batch (a statement each costs more than the drop itself)
                    self._con.execute("; ".join(f"DROP TABLE IF EXISTS {name}" for name in names))
                    return
                except duckdb.Error:
                    pass  # one at a time, each failure on its own
            for name in names:
                with contextlib.suppress(duckdb.Error):  # an interrupted connection: only memory
                    self._con.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            self._deadline = deadline


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK, inside a shielded section: tried again when an interrupt sent before the section
    began lands on it; nothing to roll back is no error."""
    for _ in range(10):
        try:
            con.rollback()
        except duckdb.InterruptException:
            continue  # an interrupt sent before the section began: once more
        except duckdb.Error:
            pass  # nothing to roll back
        return


class _CtrlCWatcher:
    """Ctrl-C during one long DuckDB statement: Python runs its SIGINT handler only between
    bytecodes, so the KeyboardInterrupt would wait for the statement to end. The C-level handler
    does write the signal to a wakeup file descriptor at once, though; a thread watching that
    descriptor interrupts the connection, the statement stops, and the KeyboardInterrupt follows.
    Each guarded call in the main thread gets its own pipe and thread (`_Watch`): a signal read
    late, once its call has ended, interrupts nothing (it would stop the next call, a query the
    user never interrupted)."""

    def __init__(self, engine: Guarded) -> None:
        import weakref

        # Weakly: the threads must not keep the engine (and its connection) alive.
        self._engine = weakref.ref(engine)
        self._stack: list[_Watch | None] = []

    # A Ctrl-C may raise KeyboardInterrupt between any two calls here (Python checks for signals
    # after each built-in call, set_wakeup_fd included): whatever was set up is undone in a
    # `finally`, so no watcher outlives its call, nor stays the wakeup descriptor. (One left open
    # once read the Ctrl-C that ended its call late, under CPU load, and stopped a later query.)
    def __enter__(self) -> None:
        engine = self._engine()
        if engine is None or threading.current_thread() is not threading.main_thread():
            self._stack.append(None)  # signals go to the main thread only: nothing to watch
            return
        watch = _Watch(self._engine, engine._call)
        del engine
        entered = False
        try:
            watch.installed = True  # before the call: a KeyboardInterrupt may follow it (`old` stays -1 then)
            try:
                watch.old = signal.set_wakeup_fd(watch.write, warn_on_full_buffer=False)
            except ValueError:
                watch.installed = False
                watch.close()
                self._stack.append(None)
                entered = True
                return
            watch.start()
            self._stack.append(watch)
            entered = True
        finally:
            if not entered:
                watch.end()

    def __exit__(self, *exc: object) -> None:
        watch = self._stack.pop()
        if watch is not None:
            watch.end()

    def close(self) -> None:
        while self._stack:
            watch = self._stack.pop()
            if watch is not None:
                watch.close()


class _Watch:
    """One guarded call's pipe and the thread reading it; `close()` ends both, and after it the
    thread interrupts nothing (the check and the close hold one lock)."""

    def __init__(self, engine: Callable[[], Guarded | None], call: int) -> None:
        import os

        self._engine = engine
        self._call = call  # the guarded call this watch belongs to (Guarded._call)
        self.read, self.write = os.pipe()
        os.set_blocking(self.write, False)
        self.old = -1
        self.installed = False  # whether `write` is the wakeup descriptor now
        self._started = False
        self._open = True
        self._lock = threading.Lock()

    def start(self) -> None:
        self._started = True  # first: the thread closes `read`, which close() must then leave alone
        threading.Thread(target=self._watch, name="duckdb-ctrl-c", daemon=True).start()

    def _watch(self) -> None:
        import os

        try:
            while True:
                try:
                    data = os.read(self.read, 64)
                except OSError:
                    return
                if not data:
                    return  # closed: the call has ended
                if signal.SIGINT in data:
                    with self._lock:
                        engine = self._engine() if self._open else None
                        if engine is not None:
                            engine._interrupt_call(self._call)
                        del engine
        finally:
            with contextlib.suppress(OSError):
                os.close(self.read)

    def end(self) -> None:
        """The call has ended: the wakeup descriptor back as it was, then `close()` (in a
        `finally`: a KeyboardInterrupt raised after set_wakeup_fd returns must not skip it)."""
        try:
            if self.installed:
                signal.set_wakeup_fd(self.old)
                self.installed = False
        finally:
            self.close()

    def close(self) -> None:
        import os

        with self._lock:
            if not self._open:
                return
            self._open = False
            with contextlib.suppress(OSError):
                os.close(self.write)  # the thread reads the end of the pipe, and closes its side
            if not self._started:
                with contextlib.suppress(OSError):
                    os.close(self.read)
