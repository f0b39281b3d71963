"""Opening a DuckDB connection that never loads or fetches code.

Stage: engine (below every layer of DuckDBEngine and csv.py). Input: a database path, or None for
memory. Output: a duckdb connection, or a LoadError naming the file.

A `--db FILE` is the user's file and may be anything: DuckDB recognises a SQLite or other foreign
file by its header and, left to its defaults, autoloads (and downloads over plain HTTP) the
extension that reads it. So every connection is made with extension autoloading, autoinstalling and
community extensions off, unsigned extensions refused and no persistent secrets, passed at connect
time (before DuckDB reads the file); a file that is not a DuckDB database is refused before DuckDB
sees it. The configuration is not locked (`lock_configuration`): memory.py lowers and restores the
memory ceiling while a connection is in use; no user text becomes SQL, so only our own code could
change a setting. External file access stays on: `allegiance import` reads the user's CSV file through this same
connection (csv.py), and DuckDB would refuse that path otherwise. No user text ever becomes SQL, so
the only paths DuckDB reads are the database file and a CSV file the user named.
"""

from __future__ import annotations

import contextlib

import duckdb

from ... import errors

# Settings that reach the network or load code, each off (see the module docstring).
SAFE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    # Division by zero has no value (as a failed arithmetic test), not an error.
    "error_on_division_by_zero": False,
}


# A DuckDB database file holds these four bytes at offset 8 (its main header's magic).
MAGIC, MAGIC_AT = b"DUCK", 8
# What a file that is not one most likely is, by its first bytes.
FOREIGN = ((b"SQLite format 3\x00", "a SQLite database"), (b"PAR1", "a Parquet file"),
           (b"\x89HDF", "an HDF5 file"), (b"PK\x03\x04", "a ZIP archive (or an Excel/ODF file)"))


def connect(path: str | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to `path` (None: in memory) with SAFE_CONFIG applied. A file that
    exists, is not empty and is not a DuckDB database is refused before DuckDB sees it (DuckDB 2
    would open a Parquet file as an in-memory database with a view over it, so nothing would be kept).
    `read_only`: DuckDB writes nothing to the file (DuckDBEngine opens a file so until it is verified)."""
    if path is not None:
        foreign = _not_duckdb(path)
        if foreign is not None:
            raise errors.LoadError(f"{path}: cannot open it as a DuckDB database: it is {foreign}", None,
                                   "name a new file for --db, or one that allegiance wrote (the file is left as it is)")
    try:
        con = duckdb.connect(path if path is not None else ":memory:", read_only=read_only, config=SAFE_CONFIG)
    except duckdb.Error as exc:
        # not a DuckDB file (SQLite, Parquet, CSV...), a newer format, or in use by another process:
        # never overwrite it, never fetch an extension to read it
        message = str(exc).strip().split("\n")[0]
        locked = "lock" in message.lower()
        raise errors.LoadError(f"{path}: cannot open it as a DuckDB database: {_why(message)}", None,
                               "another process has it open: close that one first" if locked else
                               "name a new file for --db, or one that allegiance wrote") from None
    # DuckDB draws a progress bar on the terminal during a long statement (seen under `python -c` and in
    # Jupyter, over our own output); a session setting, so set on each connection, not in the config.
    # In a Jupyter kernel without ipywidgets DuckDB refuses any change to it ("required package
    # 'ipywidgets' is missing"), and draws no bar there either.
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")
    return con


def _not_duckdb(path: str) -> str | None:
    """What the file at `path` is when it is not a DuckDB database; None for a DuckDB file, an empty
    file or no file (DuckDB makes a new database there) or one that cannot be read (connect says why)."""
    try:
        with open(path, "rb") as f:
            head = f.read(MAGIC_AT + len(MAGIC))
    except OSError:
        return None
    if not head or head[MAGIC_AT:] == MAGIC:
        return None
    for start, what in FOREIGN:
        if head.startswith(start):
            return what
    if head.startswith(b"SQLite"):
        return "a SQLite database"
    if all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file (a CSV file? import it with allegiance import)"
    return "not a DuckDB database file"


def _why(message: str) -> str:
    """DuckDB's reason, without its advice to install or load an extension (which we never do)."""
    lowered = message.lower()
    if "sqlite" in lowered:
        return "it is a SQLite database"
    if "extension" in lowered or "autoload" in lowered:
        return "it is not a DuckDB database file"
    return message


__all__ = ["SAFE_CONFIG", "connect"]
