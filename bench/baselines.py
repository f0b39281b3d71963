"""The baselines: what allegiance is measured against, written straight on the libraries.

Stage: measurement tasks run in a child process (see child.py). Input: workload parameters and the
Clock. Output: a dict of counts for the report. Nothing here imports allegiance, so every baseline
runs before (and whether or not) allegiance's own pieces exist.

- raw pyDatalog: the closure written with pyDatalog's Python API (terms from create_terms, clauses
  built with `<=`), never pyDatalog.load/ask on strings.
- hand-written DuckDB SQL: `WITH RECURSIVE ... UNION` (set semantics, like Datalog).
- Lark's floor: a minimal LALR grammar for `name(arg, ...).` facts, parsing the same file.

Every baseline hands its answers to Python (fetchall, a Python set) because allegiance's
`KnowledgeBase.query` does: the comparison is answer-to-Python against answer-to-Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import data
from .clock import Clock


def _duckdb_table(con: Any, name: str, rows: list[tuple[int, int]], cols: tuple[str, str]) -> None:
    # unnest of two list parameters: one round trip instead of an INSERT per row.
    con.execute(
        f"CREATE TABLE {name} AS SELECT unnest($1) AS {cols[0]}, unnest($2) AS {cols[1]}",
        [[a for a, _ in rows], [b for _, b in rows]],
    )


def graph_edges(params: dict[str, Any]) -> list[tuple[int, int]]:
    if params["graph"] == "chain":
        return data.chain_edges(params["length"])
    edges = data.random_graph(params["nodes"], params["edges"], params.get("seed", data.SEED))
    return data.rooted(edges) if params.get("rooted") else edges


# path(X, Y) :- edge(X, Y).
# path(X, Y) :- path(X, Z), edge(Z, Y).
CLOSURE_SQL = """
WITH RECURSIVE path(x, y) AS (
    SELECT src, dst FROM edge
    UNION
    SELECT p.x, e.dst FROM path p JOIN edge e ON p.y = e.src
)
"""

# reach(Y) :- edge(0, Y).
# reach(Y) :- reach(X), edge(X, Y).
REACH_SQL = """
WITH RECURSIVE reach(y) AS (
    SELECT dst FROM edge WHERE src = $start
    UNION
    SELECT e.dst FROM reach r JOIN edge e ON e.src = r.y
)
"""


def sql_closure(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    _duckdb_table(con, "edge", graph_edges(params), ("src", "dst"))
    with clock:
        if params.get("count_only"):
            (count,) = con.execute(CLOSURE_SQL + "SELECT count(*) FROM path").fetchall()[0]
        else:
            count = len(con.execute(CLOSURE_SQL + "SELECT x, y FROM path").fetchall())
    return {"count": count}


def sql_reach(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """The hand-seeded rule: only what node `start` reaches, never the whole closure."""
    import duckdb

    con = duckdb.connect()
    _duckdb_table(con, "edge", graph_edges(params), ("src", "dst"))
    start = params.get("start", 0)
    with clock:
        rows = con.execute(REACH_SQL + "SELECT y FROM reach", {"start": start}).fetchall()
    return {"count": len(rows)}


def sql_unreached(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    # unreached(X) :- node(X), not reach(X).   with reach seeded at `start` as above
    import duckdb

    con = duckdb.connect()
    _duckdb_table(con, "edge", graph_edges(params), ("src", "dst"))
    con.execute("CREATE TABLE node AS SELECT range AS x FROM range($n)", {"n": params["nodes"]})
    start = params.get("start", 0)
    sql = REACH_SQL + "SELECT x FROM node WHERE NOT EXISTS (SELECT 1 FROM reach WHERE reach.y = node.x)"
    with clock:
        rows = con.execute(sql, {"start": start}).fetchall()
    return {"count": len(rows)}


# j(X, W) :- r(X, Y), s(Y, Z), t(Z, W).
JOIN_SQL = "SELECT DISTINCT r.x, t.w FROM r JOIN s ON r.y = s.y JOIN t ON s.z = t.z"


def sql_join(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    r, s, t = data.join_relations(params["rows"])
    _duckdb_table(con, "r", r, ("x", "y"))
    _duckdb_table(con, "s", s, ("y", "z"))
    _duckdb_table(con, "t", t, ("z", "w"))
    with clock:
        count = len(con.execute(JOIN_SQL).fetchall())
    return {"count": count}


def pydatalog_closure(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    from pyDatalog import pyDatalog

    edge, path, X, Y, Z = pyDatalog.create_terms("edge", "path", "X", "Y", "Z")
    for a, b in graph_edges(params):
        +edge(a, b)
    with clock:
        # Left-recursive, as the Datalog reads; pyDatalog evaluates it top-down with tabling.
        path(X, Y) <= edge(X, Y)  # noqa: B015 (pyDatalog's `<=` defines a clause)
        path(X, Y) <= path(X, Z) & edge(Z, Y)  # noqa: B015
        count = len(set(path(X, Y).data))
    return {"count": count}


def pydatalog_join(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    from pyDatalog import pyDatalog

    r, s, t, j, X, Y, Z, W = pyDatalog.create_terms("r", "s", "t", "j", "X", "Y", "Z", "W")
    rr, ss, tt = data.join_relations(params["rows"])
    for rel, rows in ((r, rr), (s, ss), (t, tt)):
        for a, b in rows:
            +rel(a, b)
    with clock:
        j(X, W) <= r(X, Y) & s(Y, Z) & t(Z, W)  # noqa: B015
        count = len(set(j(X, W).data))
    return {"count": count}


# The smallest LALR grammar that reads the fact file: no rules, no statements, no spans.
FACT_GRAMMAR = r"""
start: fact*
fact: NAME "(" [arg ("," arg)*] ")" "."
?arg: NAME | INT | STRING
NAME: /[a-z_][A-Za-z0-9_]*/
INT: /-?[0-9]+/
STRING: /"([^"\\]|\\.)*"/
%ignore /[ \t\r\n]+/
"""


def lark_floor(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    from lark import Lark

    parser = Lark(FACT_GRAMMAR, parser="lalr")
    path = Path(params["file"])
    with clock:
        # Reading the file is inside the section: allegiance's load_file reads it too.
        tree = parser.parse(path.read_text(encoding="utf-8"))
        count = len(tree.children)
    return {"count": count}
