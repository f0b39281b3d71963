"""Shielded and deferring sections: work that an interrupt must not cut in half.

Stage: none (the words every stage speaks, below the engines). Input: nothing. Output: the context
managers `shielded()`, `deferred()` and `deferring(cm)`, and the questions `active()` (a shielded
section runs) and `pressed()` (Ctrl-C was pressed inside the deferring section running now).

Python raises the KeyboardInterrupt of Ctrl-C at whatever bytecode the main thread is at: between
a COMMIT and the line that records it, inside the `except` that was about to roll a change back,
or inside a context manager's `__enter__` after its setup (a generator-based one is then left
suspended, its transaction open, and its `finally` never runs). Each was seen to break "all or
nothing" under CPU load (issue 16, item 3). So, in the main thread:

- `deferred()`: Ctrl-C is recorded instead of raised (the signal's C handler still writes the
  wakeup descriptor, so an engine still stops its running statement: DuckDB's guard.py). Code inside
  asks `pressed()` at the points where stopping is safe (an engine, before each statement) and
  raises there; when the outermost section ends, a Ctrl-C still recorded is raised then, unless an
  exception is already on its way out (that one says the work was stopped). A change and the
  record of it (an engine's COMMIT and the knowledge base's history) inside one deferring section
  are both done or both taken back, and the interrupt comes after.
- `shielded()`: as `deferred()`, and engines do not interrupt their evaluation at all (DuckDB's
  guard asks `active()`), and a front end running entries in a worker thread waits for the section
  to end before it interrupts the worker (repl/running.py). For taking a change back (the undo
  after an interrupted load, an engine's rollback after a failed call): a second Ctrl-C, or the
  time limit that stopped the change, landing half-way through it would leave half a knowledge
  base (issue 16, items 3 and 10). The time limit is the caller's to lift
  (`changes.load_with_report` does, around its undo). Sections are short by construction: they
  only put back what was there.

Both are classes, not generators: their `__enter__` swaps the signal handler first, so no
KeyboardInterrupt can be raised after their setup and before the block, and their `__exit__` runs
with the handler still swapped. `deferring(cm)` runs another context manager (a generator-based
one, whose __enter__ and __exit__ Python could otherwise interrupt as they start) wholly inside a
deferring section. Outside the main thread, or
when the program has a SIGINT handler of its own, Ctrl-C is not Python's to defer: the sections only
count (`active()`), and a front end that raises in a worker thread asks first (repl/running.py).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType, TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_depth = 0  # shielded sections running, in any thread
_sections = 0  # deferring and shielded sections running, in any thread
_pressed: list[bool] = []  # a Ctrl-C arrived inside the outermost section (main thread only)


def active() -> bool:
    """Whether a shielded section is running (in any thread)."""
    return _depth > 0


def pressed() -> bool:
    """Whether Ctrl-C was pressed inside the deferring (or shielded) section running now in the
    main thread, and not yet raised: the place to stop is here."""
    return bool(_pressed)


def unless_deferring(action: Callable[[], None]) -> bool:
    """Run `action` (a front end raising KeyboardInterrupt in a worker thread) unless a deferring
    or shielded section runs, in any thread; none can start while it does. Whether it ran."""
    with _lock:
        if _sections == 0:
            action()
            return True
    return False


def unless_active(action: Callable[[], None]) -> None:
    """Run `action` (an engine's interrupt, from any thread) unless a shielded section runs; none
    can start while it does. (Checked first and run after, an interrupt raced a section just
    starting: it stopped the ROLLBACK that section was there to finish, and the transaction stayed open.)"""
    with _lock:
        if _depth == 0:
            action()


def _record(signum: int, frame: FrameType | None) -> None:
    _pressed.append(True)


class _Section:
    """A deferring section; with `shield`, a shielded one."""

    def __init__(self, shield: bool) -> None:
        self._shield = shield
        self._swapped = False
        self._counted = False

    def __enter__(self) -> None:
        global _depth, _sections
        # The swap comes first: once `_record` is the handler, a Ctrl-C that Python checks for
        # (after any call below, or as __enter__ returns) is recorded, never raised in between.
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            del _pressed[:]  # none can be ours yet (a Ctrl-C not yet handled is recorded after the swap)
            signal.signal(signal.SIGINT, _record)
            self._swapped = True
        try:
            with _lock:
                _sections += 1
                _depth += self._shield
                self._counted = True
        except BaseException:  # not swapped (a worker thread): an interrupt raised as the lock was let go
            self._end(raising=True)
            raise

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._end(raising=kind is not None):
            raise KeyboardInterrupt

    def _end(self, raising: bool) -> bool:
        """Undo __enter__; whether a Ctrl-C recorded inside is to be raised now."""
        global _depth, _sections
        if self._counted:
            with _lock:
                _sections -= 1
                _depth -= self._shield
                self._counted = False
        if not self._swapped:
            return False
        self._swapped = False
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # from here on Ctrl-C raises as usual
        finally:
            # no call before the record is read and cleared: Python checks for signals after calls
            raise_now = not raising and _pressed != []
            del _pressed[:]
        return raise_now


def deferred() -> _Section:
    """Run the block with Ctrl-C raised only where the block asks `pressed()`, or as it ends (see
    the module docstring)."""
    return _Section(shield=False)


def shielded() -> _Section:
    """Run the block without being interrupted (see the module docstring)."""
    return _Section(shield=True)


class deferring(Generic[T]):  # noqa: N801 (used as a function: shield.deferring(cm))
    """`cm` entered, run and left inside a deferring section: Python runs a context manager's
    __enter__ and __exit__ as functions, and a Ctrl-C raised as one of them starts (or, with
    contextlib, right after a generator's yield) skips the whole of it: the generator stays
    suspended, its cleanup never runs. Here the section's handler records that Ctrl-C instead."""

    def __init__(self, cm: AbstractContextManager[T]) -> None:
        self._cm = cm
        self._section = deferred()

    def __enter__(self) -> T:
        self._section.__enter__()
        try:
            return self._cm.__enter__()
        except BaseException as exc:
            self._section.__exit__(type(exc), exc, exc.__traceback__)
            raise

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool | None:
        try:
            swallowed = self._cm.__exit__(kind, exc, tb)
        except BaseException as raised:
            self._section.__exit__(type(raised), raised, raised.__traceback__)
            raise
        if swallowed or kind is None:
            self._section.__exit__(None, None, None)  # a Ctrl-C recorded inside is raised now
        else:
            self._section.__exit__(kind, exc, tb)
        return swallowed


__all__ = ["active", "deferred", "deferring", "pressed", "shielded", "unless_active", "unless_deferring"]
