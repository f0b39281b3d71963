"""Ctrl-C in the interactive REPL: each press recorded, never raised at a random point.

Stage: REPL (under app.py and running.py). Input: SIGINT, while `recording()` is entered in the
main thread. Output: the time of the last press (`pressed_since`), read where the REPL can act on
it: running.py stops the entry running, app.py drops an entry whose Enter came before the press.

Why not KeyboardInterrupt: Python raises it wherever the main thread happens to be, and three
places of the REPL went wrong with it (each seen by driving it in a terminal with Ctrl-C pressed
just after Enter, under CPU load; tests/repl/test_presses.py):
- raised inside `Thread.start()` of an entry's worker, it escaped `run_entry` while the worker ran
  on, its query unstopped: the next entry found the connection busy ("internal error:
  ResourceInUseException") and leaving the REPL crashed in DuckDB's close;
- raised as prompt-toolkit handed the terminal back after Enter, it dropped the entry without a
  word, and no later Ctrl-C could say "interrupted" (CI saw that);
- raised while the pager ran (Ctrl-C in `less`), it ended the session with a traceback.

A Ctrl-C in the first milliseconds after Enter may still find the terminal raw: then it is a key.
If prompt-toolkit read it, app.py takes it from the typeahead (the entry does not begin); if it
was still in the terminal's queue, the next prompt reads it and clears its empty line, and the
entry runs until the next press (in a stress run, 13-15 entries in 80 pressed within 35 ms).

prompt-toolkit puts its own handler in place while it reads a line (Ctrl-C there clears the line)
and this one back after (`Application.run`, `_restore_sigint_from_ctypes`). Engines without
`interrupt()` (pyDatalog, Spark) need the KeyboardInterrupt itself in the main thread: `raising()`
restores Python's handler around their work.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType

_last: float | None = None  # monotonic time of the last press recorded


def _record(signum: int, frame: FrameType | None) -> None:
    global _last
    _last = time.monotonic()


def pressed_since(moment: float) -> float | None:
    """When Ctrl-C was last pressed, if at `moment` or after it; else None."""
    last = _last
    return last if last is not None and last >= moment else None


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _handler(handler: Callable[[int, FrameType | None], object]) -> Iterator[None]:
    if not _in_main_thread():  # signals reach the main thread only; nothing to change
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        # (None: a handler set from C, which Python cannot put back; Python's own stands for it)
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def recording() -> AbstractContextManager[None]:
    """Inside: a Ctrl-C is recorded (`pressed_since`), not raised. Nested inside one another, the
    outer one stays in place after the inner one ends, so a press after an entry is still only
    recorded."""
    return _handler(_record)


def raising() -> AbstractContextManager[None]:
    """Inside: Python's own Ctrl-C, a KeyboardInterrupt (for work done in the main thread)."""
    return _handler(signal.default_int_handler)


__all__ = ["pressed_since", "raising", "recording"]
