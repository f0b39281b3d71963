"""Settling a program's knowledge base: what it holds, kept out of Python's cyclic garbage collector.

Stage: none (a process-wide setting, below the engines). Input: nothing (the objects alive in the
process). Output: `enable()` (the program owning the process allows it: the `allegiance` command and
its REPL), `settle()` (after a change to the knowledge base), `release()` (before the process
ends), `enabled()`.

Why. A knowledge base of 100,000 statements holds about 1.4 million Python objects (statements,
the files' parsed clauses, their spans). Each full pass of Python's cyclic collector examines every
one: 1.0 s on the bench machine, landing on whatever allocates next. On the bench's network the
first `why` after the load took 1.6-2.6 s, 0.5-0.7 s of it its own work. `settle()` moves every
object alive now out of the collector's later passes (`gc.freeze`); a full pass then examines only
what came after.

What it costs. The objects left out are still freed when their last reference goes (reference
counting); only garbage in a reference cycle among them stays, until the process ends. A load and
an undo of the bundled knowledge base leave about 20 such objects (measured with gc.collect()).
The young garbage is collected first (`gc.collect(1)`, which examines only recent objects).

Why not always. `gc.freeze` acts on the whole process: in a notebook or a program that imports
allegiance it would leave that program's own objects out too, which only the program may decide.
So the knowledge base never calls it by itself: `settle()` does nothing until `enable()`, which the
`allegiance` command calls as it starts (cli.run), and a program of its own may call.
"""

from __future__ import annotations

import gc

_enabled = False


def enable() -> None:
    """Let `settle()` act: this process is the knowledge base's (a command, the REPL, a program that
    holds a large knowledge base and asks it many questions)."""
    global _enabled
    _enabled = True


def enabled() -> bool:
    return _enabled


def release() -> None:
    """Before the process ends: every object back in the collector's sight, so that the last pass
    as Python exits frees what only it can (DuckDB's binding counts what is left then, and says so
    on stderr: "nanobind: leaked 27 instances")."""
    gc.unfreeze()


def settle() -> None:
    """After a change to the knowledge base: the young garbage collected, then every object alive
    left out of the collector's later full passes. Nothing unless `enable()` was called."""
    if not _enabled:
        return
    gc.collect(1)
    gc.freeze()


__all__ = ["enable", "enabled", "release", "settle"]
