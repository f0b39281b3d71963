"""One-shot commands end, even when DuckDB's own cancel stalls.

Stage: command line (around a command's run). Input: the knowledge base a command runs on.
Output: a context; inside it a daemon thread watches the engine, and once the engine has been
stopping for GRACE seconds (Ctrl-C reached it, or the time limit passed) while its call still
runs, the thread says so on stderr and ends the process with os._exit: status 130 after Ctrl-C,
2 after the time limit (the status of the time limit's own error).

Why: cancelling a DuckDB statement can stall for good in C++ (issue 16, item 10: a load hung for 25
minutes after Ctrl-C), and no Python code can end a C++ call that never returns. The REPL abandons
such an entry and goes on (repl/running.py); a one-shot command has nothing to go on with, so it
leaves. What a --db file holds is what was committed: a change still in its transaction is not in
it (DuckDB drops it when the file is opened again), and the message says whether this command's
change had been committed before the stall (a load is, before its report is made).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..kb import KnowledgeBase

GRACE = 5.0  # seconds the engine has to stop after Ctrl-C or the time limit (as repl/running.py)
TICK = 0.1


@contextmanager
def bounded(kb: KnowledgeBase) -> Iterator[None]:
    """Run the block; should the engine not stop within GRACE seconds of being stopped, leave."""
    stopping: Callable[[], tuple[float, str] | None] | None = getattr(kb.engine, "stopping", None)
    if stopping is None:  # pyDatalog restarts its process, Spark cancels its jobs: they stop
        yield
        return
    done = threading.Event()
    depth = len(kb.history)

    def watch() -> None:
        while not done.wait(TICK):
            state = stopping()
            if state is not None and time.monotonic() - state[0] > GRACE and not done.is_set():
                leave(kb, depth, state[1])

    threading.Thread(target=watch, name="allegiance-bound", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def leave(kb: KnowledgeBase, depth: int, stopper: str) -> None:
    """Say what happened and what the --db file holds, and end the process at once."""
    if kb.store is None:
        kept = "nothing was kept (no --db)"
    elif len(kb.history) == depth:
        kept = f"{kb.store.path} holds what it held before this command"
    else:
        kept = f"{kb.store.path} holds this command's change (committed before the engine was stopped)"
    sys.stderr.write(f"allegiance: the engine did not stop within {GRACE:g} s of {stopper} (DuckDB's cancel "
                     f"stalled), so the command ends without it; {kept}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(130 if stopper == "Ctrl-C" else 2)


__all__ = ["GRACE", "bounded"]
