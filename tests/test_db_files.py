"""What --db FILE does with a file that is not ours, or no longer whole (issue 16, items 1 and 5).

Opening a user's file must never load or fetch code (DuckDB autoloads the extension that reads a
SQLite file, downloading it over plain HTTP), and a damaged file is never overwritten: it is set aside
as it is, and the notice says what only it held.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from allegiance import KnowledgeBase, LoadError, QueryError
from allegiance.engines.duckdb.connection import SAFE_CONFIG, connect
from allegiance.importing import import_csv

ROOT = Path(__file__).resolve().parent.parent
FACTS = """\
.source wire_1 { title: "Wire" reliability: B }
.entity a { name: "A" kind: group }
.entity b { name: "B" kind: group }
.relation backs(backer, backed).
backs(a, b) from source wire_1.
"""


def foreign_files(folder: Path) -> dict[str, Path]:
    sqlite_file = folder / "notes.sqlite"
    with sqlite3.connect(sqlite_file) as con:
        con.execute("CREATE TABLE t (a)")
    parquet = folder / "rows.parquet"
    con = duckdb.connect(":memory:")
    con.execute(f"COPY (SELECT 1 AS a) TO '{parquet}' (FORMAT parquet)")
    con.close()
    csv = folder / "rows.duckdb"  # a CSV file named as a database
    csv.write_text("backer,backed\na,b\n", encoding="utf-8")
    return {"a SQLite database": sqlite_file, "a Parquet file": parquet, "a text file": csv}


def test_foreign_files_get_our_error_and_no_code_is_fetched(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # no network either: a proxy that refuses, in case anything tried
    env = {**os.environ, "HOME": str(home), "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    for what, path in foreign_files(tmp_path).items():
        before = path.read_bytes()
        result = subprocess.run([sys.executable, "-m", "allegiance", "--db", str(path), "query", "ally(X, Y)"],
                                capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
        assert result.returncode == 2, (what, result.stdout)
        assert f"{path}: cannot open it as a DuckDB database: it is {what}" in result.stderr
        for word in ("download", "extension", "http", "Traceback"):
            assert word not in result.stderr, (what, result.stderr)
        assert path.read_bytes() == before  # left as it was
    assert list(home.iterdir()) == []  # DuckDB wrote no ~/.duckdb/extensions


def test_every_connection_has_extensions_off(tmp_path: Path) -> None:
    with KnowledgeBase(timeout=None, db=str(tmp_path / "kb.duckdb")) as kb:
        con = kb.engine._con  # type: ignore[attr-defined]
        for name, value in SAFE_CONFIG.items():
            assert con.execute(f"SELECT current_setting('{name}')").fetchone()[0] == value, name
    con = connect(None)  # csv.py's private connections too
    assert con.execute("SELECT current_setting('autoload_known_extensions')").fetchone() == (False,)
    con.close()


PROGRESS = """
import sys
from allegiance import KnowledgeBase
from allegiance.engines.duckdb.connection import connect
off = "SELECT current_setting('enable_progress_bar')"
found = []
with KnowledgeBase(timeout=None) as kb:
    found.append(kb.engine._con.execute(off).fetchone()[0])
with KnowledgeBase(timeout=None, db=sys.argv[1]) as kb:
    kb.load_text("edge(1, 2).")
with KnowledgeBase(timeout=None, db=sys.argv[1]) as kb:  # opened read-only first, then for writing
    kb.load_text("edge(2, 3).")
    found.append(kb.engine._con.execute(off).fetchone()[0])
found.append(connect(None).execute(off).fetchone()[0])
print(found)
"""


def test_no_connection_draws_a_progress_bar(tmp_path: Path) -> None:
    """DuckDB drew its progress bar over our output on long statements under `python -c` and in
    Jupyter (where DuckDB turns it on; not under pytest): off on the engine's connection (in memory,
    a --db file reopened for writing after its read-only check) and on csv.py's private ones."""
    result = subprocess.run([sys.executable, "-c", PROGRESS, str(tmp_path / "kb.duckdb")], capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "[False, False, False]", result.stderr


def test_duckdb_itself_would_not_autoload_past_our_header_check(tmp_path: Path) -> None:
    # if a foreign file ever got past connect's own check, the configuration still stops the autoload
    path = foreign_files(tmp_path)["a SQLite database"]
    with pytest.raises(duckdb.Error) as info:
        duckdb.connect(str(path), config=SAFE_CONFIG)
    assert "download" not in str(info.value).lower()


def build(tmp_path: Path) -> tuple[Path, Path]:
    facts = tmp_path / "kb.facts"
    facts.write_text(FACTS, encoding="utf-8")
    rows = tmp_path / "rows.csv"
    rows.write_text("backer,backed\n" + "".join(f"g{i},h{i}\n" for i in range(20_000)), encoding="utf-8")
    db = tmp_path / "kb.duckdb"
    with KnowledgeBase(timeout=None, db=str(db)) as kb:
        kb.load_files([facts])
        import_csv(kb, rows, "backs", "wire_1")
        assert len(kb.query("backs(X, Y)").rows) == 20_001
    return db, facts


def test_a_halved_file_is_set_aside_and_the_notice_says_what_is_lost(tmp_path: Path) -> None:
    db, facts = build(tmp_path)
    os.truncate(db, db.stat().st_size // 2)
    inode, size, damaged = db.stat().st_ino, db.stat().st_size, db.read_bytes()
    with KnowledgeBase(timeout=None, db=str(db)) as kb:
        kb.load_files([facts])
        assert kb.store is not None
        (notice,) = kb.store.notices
        assert kb.query("backs(X, Y)").rows == [("a", "b")]  # the files, read again
    assert f"kept, unchanged, as {db}.damaged" in notice and "is not in this session" in notice
    assert "CSV import" in notice  # what only lived in the file
    # the same file, renamed, byte for byte as the user had it: opened read-only until it was read
    kept = Path(f"{db}.damaged")
    assert kept.stat().st_ino == inode and db.stat().st_ino != inode
    assert kept.stat().st_size == size and kept.read_bytes() == damaged


@pytest.mark.thorough
@pytest.mark.parametrize("seed", range(4))
def test_damage_anywhere_never_overwrites_the_file(tmp_path: Path, seed: int) -> None:
    db, facts = build(tmp_path)
    rng = random.Random(seed)
    data = bytearray(db.read_bytes())
    start = rng.randrange(4096, len(data) - 4096)
    data[start:start + 4096] = rng.randbytes(4096)
    db.write_bytes(bytes(data))
    answers = None
    try:
        with KnowledgeBase(timeout=None, db=str(db)) as kb:
            kb.load_files([facts])
            answers = len(kb.query("backs(X, Y)").rows)
    except LoadError as exc:  # refused: the file stays as it is
        assert "cannot open it" in str(exc) or "beyond repair" in str(exc)
        assert db.read_bytes() == bytes(data)
        return
    except QueryError as exc:  # a damaged block of facts, found when a query reads it: said plainly
        assert "Corrupt database file" in str(exc)
        return
    kept = Path(f"{db}.damaged")
    if kept.exists():  # found damaged: set aside (renamed, byte for byte), the files read again
        assert kept.read_bytes() == bytes(data) and answers == 1
    else:  # the damage hit nothing the knowledge base reads: it is whole
        assert answers == 20_001
