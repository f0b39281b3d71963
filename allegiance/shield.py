"""Shielded sections: work that an interrupt must not cut in half.

Stage: none (the words every stage speaks, below the engines). Input: nothing. Output: `shielded()`,
a context manager, and `active()`, whether a shielded section is running.

Taking a change back (the undo after an interrupted load, an engine's rollback after a failed
call) is how "the knowledge base is as it was" comes true; a second Ctrl-C, or the time limit
that stopped the change, landing half-way through it would leave half a knowledge base (issue 16,
items 3 and 10). Inside a shielded section:

- in the main thread, Ctrl-C is held back: the signal is recorded instead of raising
  KeyboardInterrupt, and raised as KeyboardInterrupt when the outermost section ends, unless an
  exception is already on its way out (that one says the work was stopped);
- engines do not interrupt their evaluation (DuckDB's guard asks `active()` before it does), and
  a front end running entries in a worker thread waits for the section to end before it
  interrupts the worker (repl/running.py);
- the time limit is the caller's to lift (`changes.load_with_report` does, around its undo).

Sections are short by construction: they only put back what was there.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

_lock = threading.Lock()
_depth = 0
_held: list[bool] = []  # a Ctrl-C arrived inside the outermost section (main thread only)


def active() -> bool:
    """Whether a shielded section is running (in any thread)."""
    return _depth > 0


def unless_active(action: Callable[[], None]) -> None:
    """Run `action` (an engine's interrupt, from any thread) unless a shielded section runs; none
    can start while it does. (Checked first and run after, an interrupt raced a section just
    starting: it stopped the ROLLBACK that section was there to finish, and the transaction stayed open.)"""
    with _lock:
        if _depth == 0:
            action()


def _hold(signum: int, frame: FrameType | None) -> None:
    _held.append(True)


@contextmanager
def shielded() -> Iterator[None]:
    """Run the block without being interrupted (see the module docstring)."""
    global _depth
    swap = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with _lock:
        _depth += 1
    if swap:
        signal.signal(signal.SIGINT, _hold)
    raising = False
    try:
        yield
    except BaseException:
        raising = True
        raise
    finally:
        if swap:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        with _lock:
            _depth -= 1
        held = bool(_held) and swap
        if swap:
            _held.clear()
        if held and not raising:
            raise KeyboardInterrupt


__all__ = ["active", "shielded", "unless_active"]
