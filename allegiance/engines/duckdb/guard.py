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
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import duckdb

from ... import errors, shield
from . import memory


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

    def interrupt(self) -> None:
        """Stop the guarded call running now (from any thread): the statement running, and any the
        call would start next. Outside a guarded call, or inside a shielded section (a rollback,
        an undo: shield.py), nothing."""
        if shield.active():
            return
        if self._guarding:
            self._interrupted = True
        self._cancel()

    def _cancel(self) -> None:
        """DuckDB's own cancel: the running statement stops (or should: it has been seen to stall)."""
        if not shield.active():
            self._con.interrupt()

    def _run(self, sql: str, params: Sequence[object] = ()) -> duckdb.DuckDBPyConnection:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise DeadlinePassed
        if self._interrupted and not shield.active():
            raise KeyboardInterrupt
        return self._con.execute(sql, list(params))

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Honour the time limit and Ctrl-C, turning either into a QueryError subclass."""
        if self._guarding:  # nested: the outer guard watches
            yield
            return
        self._guarding = True
        self._interrupted = False
        self._growing = ""
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
                self.cancelling = time.monotonic()
                # keep interrupting: a statement may start right after an interrupt found none running
                while True:
                    self._cancel()
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
            self._interrupted = False
            self.cancelling = None

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

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            self._stack.append(None)  # signals go to the main thread only: nothing to watch
            return
        watch = _Watch(self._engine)
        try:
            watch.old = signal.set_wakeup_fd(watch.write, warn_on_full_buffer=False)
        except ValueError:
            watch.close()
            self._stack.append(None)
            return
        watch.start()
        self._stack.append(watch)

    def __exit__(self, *exc: object) -> None:
        watch = self._stack.pop()
        if watch is not None:
            signal.set_wakeup_fd(watch.old)
            watch.close()

    def close(self) -> None:
        while self._stack:
            watch = self._stack.pop()
            if watch is not None:
                watch.close()


class _Watch:
    """One guarded call's pipe and the thread reading it; `close()` ends both, and after it the
    thread interrupts nothing (the check and the close hold one lock)."""

    def __init__(self, engine: Callable[[], Guarded | None]) -> None:
        import os

        self._engine = engine
        self.read, self.write = os.pipe()
        os.set_blocking(self.write, False)
        self.old = -1
        self._open = True
        self._lock = threading.Lock()

    def start(self) -> None:
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
                            engine.interrupt()
                        del engine
        finally:
            with contextlib.suppress(OSError):
                os.close(self.read)

    def close(self) -> None:
        import os

        with self._lock:
            if not self._open:
                return
            self._open = False
            with contextlib.suppress(OSError):
                os.close(self.write)  # the thread reads the end of the pipe, and closes its side
