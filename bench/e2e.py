"""The baselines of the end-to-end rows: programs a user could write instead of running our command,
each measured like the command itself (from spawn to exit, peak memory of the process).

    python -m bench.e2e copy EDGES.csv OUT.csv     DuckDB's own COPY of the closure of the edges
    python -m bench.e2e import FILE.csv KB_DIR      the library: KnowledgeBase + import_csv, as the
                                                    `csv.allegiance` row does, without the command

Input: the files the benchmark wrote. Output: the answers in OUT.csv, or nothing (an import keeps
nothing without --db, as the command it is compared with).
"""

from __future__ import annotations

import sys
from pathlib import Path


def copy_closure(edges: str, out: str) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE edge AS SELECT * FROM read_csv($1, header = true, columns = "
                "{'src': 'BIGINT', 'dst': 'BIGINT'})", [edges])
    # the same closure as the command's rules; COPY writes it with DuckDB's own CSV writer
    con.execute("COPY (WITH RECURSIVE path(x, y) AS (SELECT src, dst FROM edge UNION "
                f"SELECT p.x, e.dst FROM path p JOIN edge e ON p.y = e.src) SELECT x, y FROM path) TO '{out}' "
                "(FORMAT csv, HEADER true)")


def library_import(csv_file: str, kb_dir: str) -> None:
    from allegiance.importing import import_csv
    from allegiance.kb import KnowledgeBase

    kb = KnowledgeBase(timeout=None)
    kb.load_path(Path(kb_dir) / "facts")
    import_csv(kb, csv_file, "strike_count", "bench_csv")


def main(argv: list[str]) -> int:
    what, *args = argv
    if what == "copy":
        copy_closure(*args)
    elif what == "import":
        library_import(*args)
    else:
        raise SystemExit(f"python -m bench.e2e: unknown baseline {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
