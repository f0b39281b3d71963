"""Running one REPL entry so that Ctrl-C and the time limit always give the prompt back.

Stage: REPL (between dispatch and the terminal). Input: an entry's work (a function returning its
Output) and the Session. Output: the entry's Output; or, when the engine would not stop, an Output
saying so, with the session moved to a knowledge base rebuilt as it was before the entry.

Why a worker thread: DuckDB's own cancel can stall. Ctrl-C during a `:load` once hung for 25
minutes, the main thread inside DuckDB's `Executor::CancelTasks` waiting on a worker busy in
`PhysicalRecursiveCTE` (issue 16, item 10), and no Python code can end a C++ call that never
returns. So the entry runs in a worker thread while the main thread waits, free to act:

- Ctrl-C: the main thread, reading the presses presses.py records (a KeyboardInterrupt raised in
  it once escaped from `Thread.start()`, leaving the worker's query running unwatched), interrupts
  the engine (the statement running and any it would start next stop, and the entry ends with its
  usual "interrupted" message). A press after the entry's Enter and before it began keeps it from
  beginning. Python code between statements (parsing, a report made in Python) gets a
  KeyboardInterrupt raised in the worker after NUDGE seconds, as Python would raise it in the main
  thread.
- The time limit: the engine's watchdog interrupts it and says since when (`cancelling`).
- Nothing is interrupted inside a shielded section (allegiance/shield.py: a rollback, the undo of
  a stopped load): a Ctrl-C pressed there reaches the engine when the section ends.
- Either way, if the worker has not ended GRACE seconds later, the entry is abandoned: the worker
  keeps the old knowledge base (and its DuckDB connection, which is never touched again) to itself,
  and the session goes on with a new one on the same engine, the history of before the entry
  replayed into it (what was committed before it; `:engine` rebuilds the same way). A knowledge base
  kept in a `--db` file goes on in memory (the file holds what was committed before the entry; the
  stuck connection still has it open), and the message says so. When the REPL ends after an
  abandoned entry it leaves with os._exit: a stuck C++ thread must not hold up the interpreter's
  shutdown (`exit_now`).

Engines without `interrupt()` (pyDatalog evaluates in a process of its own and restarts it on
Ctrl-C; Spark cancels its jobs) run the entry in the main thread, with Python's own Ctrl-C.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable

from allegiance import shield
from allegiance.errors import QueryError, QueryInterrupted, QueryTimeout
from allegiance.history import Import, Operation, Retraction, SourceFile
from allegiance.kb import KnowledgeBase

from . import presses
from .output import Output
from .session import Session, replay

GRACE = 5.0  # seconds an interrupted or timed-out entry has to stop before it is abandoned
NUDGE = 1.0  # seconds after Ctrl-C before a KeyboardInterrupt is raised in the worker's Python code
TICK = 0.05

# Knowledge bases of abandoned entries: their worker threads may still use them, so they are never
# closed nor collected while the process lives.
_abandoned: list[KnowledgeBase] = []


INTERRUPTED = "interrupted (the knowledge base is as it was)"


def run_entry(work: Callable[[], Output], session: Session, since: float | None = None) -> Output:
    """`work()`'s Output, with Ctrl-C and the time limit bounded (see the module docstring). A
    Ctrl-C pressed from `since` on (the Enter of the entry; by default, now) stops it, or keeps it
    from starting."""
    if since is not None and presses.pressed_since(since) is not None:
        return Output(error=INTERRUPTED)  # pressed after Enter, before the entry began: it does not begin
    since = time.monotonic() if since is None else since
    engine = session.kb.engine
    interrupt: Callable[[], None] | None = getattr(engine, "interrupt", None)
    if interrupt is None or threading.current_thread() is not threading.main_thread():
        with presses.raising():  # the engine's own Ctrl-C: a KeyboardInterrupt in this thread
            return work()
    with presses.recording():  # (already, inside the REPL's loop; not for a caller of its own)
        return _in_worker(work, session, interrupt, since)


def _in_worker(work: Callable[[], Output], session: Session, interrupt: Callable[[], None], since: float) -> Output:
    """`work()` in a worker thread; this thread reads Ctrl-C (presses.py) and the time limit."""
    engine = session.kb.engine
    before = session.kb.history
    box: list[Output | BaseException] = []
    # An Event, not Thread.join: a KeyboardInterrupt inside join() can leave the thread looking
    # ended while it runs on (CPython's _wait_for_tstate_lock).
    done = threading.Event()

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed to the main thread, which raises it there
            box.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=target, name="allegiance-entry", daemon=True)
    worker.start()
    pressed: float | None = None  # when Ctrl-C was first pressed
    nudged = False
    while not done.wait(TICK):
        now = time.monotonic()
        if pressed is None:
            pressed = presses.pressed_since(since)
        if pressed is not None and not shield.active():
            # On every tick, not once: Ctrl-C pressed in Python code (a load parsing its file) or
            # inside a shielded section (an undo) finds no guarded call to stop, and the engine
            # call that starts next would run to its end without ever hearing of it; and a
            # statement may have started since the last tick.
            interrupt()
        if pressed is not None and not nudged and now - pressed > NUDGE and \
                not getattr(engine, "_guarding", False):
            # Python code outside the engine: as in the main thread; never inside a deferring
            # section (a change and its record in the history: shield.py), which the
            # engine's interrupt stops at its next statement instead
            nudged = shield.unless_deferring(lambda: _raise_in(worker, KeyboardInterrupt))
        cancelling: float | None = getattr(engine, "cancelling", None)
        stopping = [t for t in (pressed, cancelling) if t is not None]
        if stopping and now - min(stopping) > GRACE and not done.is_set():
            return _abandon(session, before, worker, "Ctrl-C" if pressed is not None else "the time limit")
    result = box[0]
    if isinstance(result, KeyboardInterrupt):
        return Output(error=INTERRUPTED)
    if isinstance(result, BaseException):
        raise result
    return result


def _raise_in(thread: threading.Thread, exc: type[BaseException]) -> None:
    """Raise `exc` in `thread` at its next Python bytecode (CPython's PyThreadState_SetAsyncExc)."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc))


def _abandon(session: Session, before: tuple[Operation, ...], worker: threading.Thread, stopper: str) -> Output:
    old = session.kb
    _abandoned.append(old)
    _raise_in(worker, KeyboardInterrupt)  # should it ever come back, it unwinds instead of going on
    stored = old.store is not None
    session.kb = KnowledgeBase(engine=old.engine_name, timeout=old.engine.timeout, dialect=old.dialect)
    session.changed()
    # The rebuild is an entry of its own: Ctrl-C, the time limit and an engine that does not stop
    # end it as they end any entry (it ran unbounded in the main thread, and a Ctrl-C escaped it
    # with the session still on the stuck engine). Each operation goes in whole or not at all.
    lost: list[str] = []
    rebuilt = run_entry(lambda: _rebuild(before, session.kb, lost), session)
    where = (" The session goes on in memory: the --db file keeps what it held before this entry "
             "(restart allegiance to work on it again)." if stored else "")
    head = f"interrupted: the engine did not stop within {GRACE:g} s of {stopper}, so this entry was abandoned; "
    done = len(session.kb.history) + len(lost)  # in order: a prefix of `before` (a lost import counts as done)
    if rebuilt.error or done < len(before):
        why = "the time limit" if rebuilt.error and "took longer" in rebuilt.error else "Ctrl-C"
        return Output(error=head + f"rebuilding the knowledge base as it was before it was stopped too, by {why}: "
                                   f"{len(session.kb.history)} of the {len(before)} operations of before are in; "
                                   f"not rebuilt: {', '.join(_label(op) for op in before[done:])}. Load "
                                   f"{'it' if len(before) - done == 1 else 'them'} again, or restart allegiance.{where}")
    if lost:
        return Output(error=head + f"the knowledge base was rebuilt as it was before it, except the "
                                   f"import of {', '.join(lost)}, whose rows only the abandoned engine held: import "
                                   f"{'it' if len(lost) == 1 else 'them'} again with :import.{where}")
    return Output(error=head + f"the knowledge base is as it was before it (rebuilt).{where}")


def _label(op: Operation) -> str:
    """An operation as the user knows it: a file's path, an entry's text, an import's file."""
    if isinstance(op, SourceFile):
        return op.path if op.mtime is not None else repr(op.text.strip()[:60])
    if isinstance(op, Retraction):
        return f":retract {op.label}"
    return f":import {op.path}"


def _rebuild(before: tuple[Operation, ...], new: KnowledgeBase, lost: list[str]) -> Output:
    """Replay `before` into `new`; the CSV imports whose rows are staged on the abandoned engine's
    connection (which is busy for good, and refuses a second caller) are left out, their files
    in `lost`. Stopped (Ctrl-C, the time limit): an Output saying by what."""
    try:
        start = 0
        for i, op in enumerate(before):
            if isinstance(op, Import):
                replay(before[start:i], new)
                start = i + 1
                try:
                    new.import_table(op)
                except (QueryInterrupted, QueryTimeout):
                    raise
                except Exception:  # its rows could not be read (the stuck connection holds them)
                    lost.append(op.path)
        replay(before[start:], new)
    except (QueryError, KeyboardInterrupt) as exc:
        return Output(error=str(exc) or "interrupted")
    return Output()


def abandoned() -> bool:
    """Whether an entry was abandoned in this process (its thread may still be inside DuckDB)."""
    return bool(_abandoned)


def exit_now(status: int) -> None:
    """Leave at once, without the interpreter's shutdown, which a stuck thread could hold up."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


__all__ = ["GRACE", "abandoned", "exit_now", "run_entry"]
