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
    derived state of an interrupted stratum stays dirty, so the next read recomputes it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb

from ... import errors
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

    def _run(self, sql: str, params: Sequence[object] = ()) -> duckdb.DuckDBPyConnection:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise DeadlinePassed
        return self._con.execute(sql, list(params))

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Honour the time limit and Ctrl-C, turning either into a QueryError subclass."""
        if self._guarding:  # nested: the outer guard watches
            yield
            return
        self._guarding = True
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
    One thread and pipe per engine; each guarded call only installs the descriptor."""

    def __init__(self, engine: Guarded) -> None:
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
