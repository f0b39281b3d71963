"""Memory: a ceiling on every DuckDB connection, a spill directory of our own, and the clear error
when a relation outgrows the ceiling.

Stage: engine (set-up of a connection). Input: a DuckDB connection and the limit asked for (a
DuckDB size such as "2GB", a share of the machine's memory such as "50%", or None for the default).
Output: the connection configured; `too_large(...)` turns DuckDB's out-of-memory error into an
`errors.MemoryLimitError` naming what grew.

Why a ceiling: a closure over a connected network of N parties holds N² pairs; without a ceiling the
kernel kills the process (13.6 GB once, issue 18) where a clear error could have said which relation
grew. DuckDB keeps its own memory under `memory_limit` and spills what it can (large sorts, joins,
aggregates, temp tables) to `temp_directory`; an operator that cannot spill (a recursive CTE's
working set) fails with an out-of-memory error instead, and the evaluation is abandoned with the
knowledge base unchanged (base facts change only in transactions; derived tables are recomputed).

Settings (environment variables, read when a connection opens):
    ALLEGIANCE_MEMORY_LIMIT   the ceiling: "4GB", "500MB", "60%" (of physical memory); default 50%
    ALLEGIANCE_TEMP_DIR       where DuckDB spills; default a fresh folder in the system's temporary
                              folder (never the current folder), removed when the engine closes
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator

import duckdb

from ... import errors

DEFAULT_SHARE = 0.5  # of physical memory: DuckDB's own default (80%) leaves too little for Python
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def physical_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def parse_limit(text: str) -> int:
    """Bytes for "2GB", "500 MB", "1.5GiB", "60%" (of physical memory). ValueError otherwise."""
    text = text.strip()
    if text.endswith("%"):
        share = float(text[:-1])
        total = physical_memory()
        if not 0 < share <= 100 or total is None:
            raise ValueError(f"not a share of memory: {text}")
        return int(total * share / 100)
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text} (write it as 500MB, 4GB or 50%)")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "B").upper()])


def default_limit() -> int | None:
    total = physical_memory()
    return None if total is None else int(total * DEFAULT_SHARE)


def limit_from_environment() -> int | None:
    """ALLEGIANCE_MEMORY_LIMIT, else the default; a bad value is a LoadError naming it."""
    text = os.environ.get("ALLEGIANCE_MEMORY_LIMIT")
    if not text:
        return default_limit()
    try:
        return parse_limit(text)
    except ValueError as exc:
        raise errors.LoadError(f"ALLEGIANCE_MEMORY_LIMIT={text}: {exc}", None,
                               "write it as 500MB, 4GB or 50% (of physical memory)") from None


def human(size: int) -> str:
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


class Spill:
    """The folder DuckDB spills to: ALLEGIANCE_TEMP_DIR, else one made for this connection."""

    def __init__(self) -> None:
        given = os.environ.get("ALLEGIANCE_TEMP_DIR")
        self.owned = not given
        self.path = given or tempfile.mkdtemp(prefix="allegiance-spill-")
        # removed when the engine closes, or at the latest when this object goes (an engine
        # nobody closed, the interpreter exiting)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, True) if self.owned else None

    def remove(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


# DuckDB's allocator (jemalloc) keeps freed memory for reuse: after a large evaluation it held about
# 500 MB that the next one (leave-one-out's, in `allegiance inconsistencies`) added to. Handing it
# back sooner, on background threads, took that command's peak on the bench's 100,000-statement
# network from 2,021 MB to 1,736 MB (50.6 s against 54.1 s); the random closure took 2.15 s against
# 2.03 s, one run each (bench/RESULTS.md has the rows).
ALLOCATOR = (
    "allocator_background_threads = true",
    "allocator_flush_threshold = '32MB'",  # DuckDB's default 128 MB: flushed after a task past it
    "allocator_bulk_deallocation_flush_threshold = '64MB'",  # default 512 MB: a dropped table's
)


def configure(con: duckdb.DuckDBPyConnection, limit: int | None) -> Spill:
    """Set the ceiling (bytes) and the spill folder on a new connection."""
    spill = Spill()
    # Both values are ours (an int, a path we made or the user named): bound as parameters would
    # be refused by SET, so they are checked here instead.
    con.execute(f"SET temp_directory = '{quoted(spill.path)}'")
    if limit is not None:
        con.execute(f"SET memory_limit = '{int(limit)}B'")
    for setting in ALLOCATOR:
        con.execute(f"SET {setting}")
    return spill


def quoted(path: str) -> str:
    if "\x00" in path:
        raise errors.LoadError(f"ALLEGIANCE_TEMP_DIR: not a folder name: {path!r}")
    return path.replace("'", "''")


def in_use(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    return int(row[0] or 0) if row else 0


@contextlib.contextmanager
def lowered(con: duckdb.DuckDBPyConnection, headroom: int, normal: int | None) -> Iterator[None]:
    """A lower ceiling for a while (a report's optional parts): what is in use now plus
    `headroom`, never above `normal` (None: DuckDB's own default), which is restored afterwards."""
    low = in_use(con) + headroom
    if normal is not None and low >= normal:
        yield
        return
    try:
        con.execute(f"SET memory_limit = '{int(low)}B'")
    except duckdb.Error:  # cannot go that low: keep the ceiling we have
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("RESET memory_limit" if normal is None else f"SET memory_limit = '{int(normal)}B'")


def hand_back(con: duckdb.DuckDBPyConnection, limit: int | None) -> None:
    """Hand the memory DuckDB's allocator has freed back to the system now, not when its background
    threads get to it: setting the ceiling (again, to `limit`) purges the allocator's arenas.

    Called before a large answer is fetched into Python (engines/columns.py), whose arrays come
    from Python's allocator and so cannot reuse what DuckDB keeps: after the random graph's closure
    (3.5 million pairs) the process held 344 MB, 177 MB after this (11.5 ms), and the fetched
    answer's peak was the evaluation's own. The setting is the database's, set on a cursor of its
    own: a statement on `con` would end the result `con` is being read from."""
    with contextlib.suppress(duckdb.Error), contextlib.closing(con.cursor()) as cursor:
        cursor.execute("RESET memory_limit" if limit is None else f"SET memory_limit = '{int(limit)}B'")


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.OutOfMemoryException)


def too_large(what: str, limit: str) -> errors.MemoryLimitError:
    return errors.MemoryLimitError(
        f"{what} grew past the memory limit ({limit}); nothing was changed", None,
        "ask for part of it (a constant, e.g. linked(fsa, X)), or raise the limit with "
        "ALLEGIANCE_MEMORY_LIMIT (e.g. 8GB or 70%)")


__all__ = ["DEFAULT_SHARE", "Spill", "configure", "default_limit", "hand_back", "human", "in_use", "quoted", "is_out_of_memory",
           "limit_from_environment", "lowered", "parse_limit", "physical_memory", "too_large"]
