"""Source files: read, decode and parse a fact, rule or check file; where the bundled ones are.

Stage: before curation. Input: a path (or text and a file name). Output: a `history.SourceFile`
(its text and clauses), or a LoadError naming the file for every way it can be unreadable (missing,
a folder, too large, not UTF-8, binary), or every syntax error of it at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .errors import LoadError, bundle
from .history import SourceFile
from .parse import parse_program_recovering

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Plain Datalog facts load at about Lark's own speed (a million, ~15 MB, in under a minute), so the
# limit lets such a file through and refuses a 50 MB one at once rather than seem to hang. Statements
# with qualifiers cost more per byte; bulk data belongs in `allegiance import` (CSV).
MAX_FILE_BYTES = 32 * 1024 * 1024
# Read in pieces of this size, so a file that never ends (/dev/zero, a pipe) costs at most the limit
# plus one piece before it is refused.
CHUNK_BYTES = 1024 * 1024
FILE_SUFFIXES = (".facts", ".dl", ".check")


def bundled_paths() -> list[Path]:
    root = Path(os.environ.get("ALLEGIANCE_KB", PROJECT_ROOT))
    return [p for p in (root / "facts", root / "rules") if p.is_dir()]


def files_in(folder: str | os.PathLike[str]) -> list[Path]:
    """The fact and rule files under `folder`, sorted. A folder that vanishes while it is walked
    (another program's temporary folder, `:load /tmp`) is passed over: os.walk ignores what it
    cannot list, where Path.rglob raised FileNotFoundError out of the load."""
    found: list[Path] = []
    for top, _dirs, names in os.walk(folder):
        found.extend(Path(top, n) for n in names if Path(n).suffix in (".facts", ".dl") and os.path.isfile(os.path.join(top, n)))
    return sorted(found)


def read_source(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES, dialect: str = "prolog") -> SourceFile:
    """Read and parse a file; every way a file can be unreadable is a LoadError naming the file."""
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise LoadError(f"{name} is a directory", None, "name the files, or use load_path for a folder")
        stat = p.stat()
        data = read_limited(p, name, max_bytes, stat.st_size)
    except FileNotFoundError:
        raise LoadError(f"{name}: no such file", None) from None
    except PermissionError:
        raise LoadError(f"{name}: permission denied", None) from None
    except IsADirectoryError:
        raise LoadError(f"{name} is a directory", None) from None
    except OSError as exc:
        raise LoadError(f"{name}: {exc.strerror or exc}", None) from None
    text = decode(data, name)
    return parse_source(text, name, stat.st_mtime, dialect)


def megabytes(size: int) -> str:
    """A size as the docs write it: MB of 1024 * 1024 bytes (the limit is 32 MB, not "34 MB")."""
    return f"{size / (1024 * 1024):.0f} MB"


def too_large(name: str, max_bytes: int, size: int | None = None, kind: str = "fact files") -> LoadError:
    """The one message for a file over the limit, whether its size is known or it never ends."""
    how_big = f"is {megabytes(size)}, over" if size else "is over"
    return LoadError(
        f"{name} {how_big} the {megabytes(max_bytes)} limit for {kind} ({max_bytes:,} bytes)", None, "bulk data loads faster as CSV: `import FILE.csv --relation R --source ID`")


def read_limited(path: str | os.PathLike[str], name: str, max_bytes: int = MAX_FILE_BYTES,
                 size: int | None = None, kind: str = "fact files") -> bytes:
    """A file's bytes, read in bounded pieces: a file over max_bytes is refused by its size when it has
    one and, whatever it claims (/dev/zero, a pipe, a file growing meanwhile), after max_bytes + 1
    bytes at most. OSError passes through for the caller to name."""
    if size is not None and size > max_bytes:
        raise too_large(name, max_bytes, size, kind)
    pieces: list[bytes] = []
    total = 0
    with Path(path).open("rb") as f:
        while piece := f.read(min(CHUNK_BYTES, max_bytes + 1 - total)):
            pieces.append(piece)
            total += len(piece)
            if total > max_bytes:
                raise too_large(name, max_bytes, None, kind)
    return b"".join(pieces)


def decode(data: bytes, name: str) -> str:
    """UTF-8, strictly; a byte-order mark and CRLF line ends are accepted."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(f"invalid UTF-8 (byte 0x{data[exc.start]:02x})",
                        ast.Span(name, line, column, line, column + 1),
                        "save the file as UTF-8") from None
    if "\x00" in text:
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        raise LoadError("a NUL character: is this a binary file?", ast.Span(name, line, 1, line, 2))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_source(text: str, file: str, mtime: float | None = None, dialect: str = "prolog") -> SourceFile:
    """Parse a file; every syntax error of it, not only the first, in one ErrorGroup."""
    program, errors = parse_program_recovering(text, file, dialect)
    if errors:
        raise bundle(errors)
    return SourceFile(file, text, program.clauses, mtime)


__all__ = ["CHUNK_BYTES", "FILE_SUFFIXES", "MAX_FILE_BYTES", "PROJECT_ROOT", "bundled_paths", "decode", "files_in", "megabytes",
           "parse_source", "read_limited", "read_source", "too_large"]
