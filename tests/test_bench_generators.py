"""The bench's data generators are deterministic, and its hand-written SQL computes what it claims.

Speed is measured in bench/, never here: these tests only guard the bench's correctness, so that a
ratio in bench/RESULTS.md compares two programs that compute the same answers on the same data.
"""

from __future__ import annotations

import duckdb
import pytest

from bench import baselines, data


def test_random_graph_is_deterministic_and_simple() -> None:
    a = data.random_graph(60, 180, seed=7)
    assert a == data.random_graph(60, 180, seed=7)
    assert a != data.random_graph(60, 180, seed=8)
    assert len(set(a)) == 180
    assert all(x != y and 0 <= x < 60 and 0 <= y < 60 for x, y in a)


def test_text_generators_are_deterministic() -> None:
    assert data.datalog_fact_file(200) == data.datalog_fact_file(200)
    assert data.english_fact_file(50) == data.english_fact_file(50)
    assert data.csv_text(30) == data.csv_text(30)
    assert data.join_relations(100) == data.join_relations(100)


def test_chain_closure_size() -> None:
    assert len(data.closure(data.chain_edges(30))) == 30 * 31 // 2


def _table(con: duckdb.DuckDBPyConnection, edges: list[tuple[int, int]]) -> None:
    con.execute("CREATE TABLE edge (src INTEGER, dst INTEGER)")
    con.executemany("INSERT INTO edge VALUES (?, ?)", edges)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_closure_equals_python_closure(seed: int) -> None:
    edges = data.random_graph(40, 70, seed=seed)  # sparse: some nodes reach little, some nothing
    con = duckdb.connect()
    _table(con, edges)
    rows = con.execute(baselines.CLOSURE_SQL + "SELECT x, y FROM path").fetchall()
    assert len(rows) == len(set(rows))
    assert set(rows) == data.closure(edges)


def test_sql_reach_and_unreached_match_the_closure() -> None:
    edges = data.random_graph(40, 60, seed=5)
    expected = {y for x, y in data.closure(edges) if x == 0}
    con = duckdb.connect()
    _table(con, edges)
    reach = con.execute(baselines.REACH_SQL + "SELECT y FROM reach", {"start": 0}).fetchall()
    assert {y for (y,) in reach} == expected
    con.execute("CREATE TABLE node AS SELECT range AS x FROM range(40)")
    unreached = con.execute(
        baselines.REACH_SQL + "SELECT x FROM node WHERE NOT EXISTS (SELECT 1 FROM reach WHERE reach.y = node.x)",
        {"start": 0},
    ).fetchall()
    assert {x for (x,) in unreached} == set(range(40)) - expected


def test_sql_join_matches_a_python_join() -> None:
    r, s, t = data.join_relations(300)
    con = duckdb.connect()
    for name, rows, cols in (("r", r, ("x", "y")), ("s", s, ("y", "z")), ("t", t, ("z", "w"))):
        baselines._duckdb_table(con, name, rows, cols)
    s_by_y: dict[int, list[int]] = {}
    t_by_z: dict[int, list[int]] = {}
    for y, z in s:
        s_by_y.setdefault(y, []).append(z)
    for z, w in t:
        t_by_z.setdefault(z, []).append(w)
    expected = {(x, w) for x, y in r for z in s_by_y.get(y, ()) for w in t_by_z.get(z, ())}
    assert expected  # keys are dense enough that the join is not empty
    assert set(con.execute(baselines.JOIN_SQL).fetchall()) == expected


def test_rooted_graph_is_a_relabelling_with_node_0_reaching_the_rest() -> None:
    edges = data.random_graph(200, 600)
    rooted = data.rooted(edges)
    assert sorted(rooted) != sorted(edges) or any(a == 0 for a, _ in edges)
    assert len(data.closure(rooted)) == len(data.closure(edges))  # the same graph, renamed
    assert len({y for x, y in data.closure(rooted) if x == 0}) > 150


def test_the_dated_network_dates_every_statement_and_uses_every_day() -> None:
    import re

    from allegiance import KnowledgeBase

    text = data.dated_network(400, 150)
    assert text == data.dated_network(400, 150)
    statements = [line for line in text.splitlines() if line.startswith(("ally", "opposes", "strikes", "offers",
                                                                          "member", "part_of"))]
    assert len(statements) == 400
    assert all(re.search(r" (on|since|until|between) \d{4}-\d\d-\d\d( and \d{4}-\d\d-\d\d)?\.$", s) for s in statements)
    assert len(set(re.findall(r"\d{4}-\d\d-\d\d", "\n".join(statements)))) == 150
    # it loads into the bundled knowledge base as it is, and its inconsistencies are found
    kb = KnowledgeBase.bundled(timeout=120)
    kb.load_text(text, file="network.dl")
    assert kb.inconsistencies()
