"""The DuckDB engine's fast paths give the answers of the plain evaluation (no timing here).

- a linear recursive stratum runs as one WITH RECURSIVE statement; its derivation rounds are
  computed on demand and must stay well-founded;
- demand: a query or a rule reading a linear recursive predicate with a constant at a position its
  recursion passes on reads a seeded view; answers equal those of the full evaluation.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from engine_helpers import checked_query_text, checked_text, closure
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance import errors
from allegiance.ast import PredicateSym as P
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.engines.duckdb.compile import column_kinds, encode, kind_of, rep_for, stored_as_is, unnested

EDGE, NODE = P("edge", 2), P("node", 1)
LEFT = "path(X, Y) :- edge(X, Y). path(X, Y) :- path(X, Z), edge(Z, Y).\n"
RIGHT = "path(X, Y) :- edge(X, Y). path(X, Y) :- edge(X, Z), path(Z, Y).\n"


def graph(seed: int, nodes: int = 12, edges: int = 18) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return sorted({(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(edges)})




def engine_with(rules: str, edges: list[tuple[int, int]], nodes: int = 12) -> tuple[DuckDBEngine, object]:
    checked, _ = checked_text("edge(0, 0). node(0).\n" + rules)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, {EDGE: edges, NODE: [(i,) for i in range(nodes)]})
    return engine, checked


@pytest.mark.parametrize("rules", [LEFT, RIGHT], ids=["left", "right"])
@pytest.mark.parametrize("seed", range(12))
def test_point_queries_equal_the_full_evaluation(rules: str, seed: int) -> None:
    edges = graph(seed)
    full = closure(edges)
    for start in (0, 3, 7, 99):
        engine, checked = engine_with(rules, edges)  # fresh: nothing materialised yet
        got = engine.query(checked_query_text(f"path({start}, Y)", checked))
        assert sorted(got) == sorted((y,) for (x, y) in full if x == start)
        got = engine.query(checked_query_text(f"path(X, {start})", checked))
        assert sorted(got) == sorted((x,) for (x, y) in full if y == start)
        # the full relation afterwards is still the whole closure, with well-founded rounds
        rounds = engine.derivation_rounds(P("path", 2))
        assert set(rounds) == full
        for (x, y), n in rounds.items():
            assert n > 0
            assert (x, y) in edges or any(
                rounds.get(p, n) < n for p in ((x, z) for (z, w) in edges if w == y)
            ) or any(rounds.get(p, n) < n for p in ((z, y) for (w, z) in edges if w == x))
        engine.close()


@pytest.mark.parametrize("seed", range(10))
def test_negation_over_a_seeded_view_equals_the_full_evaluation(seed: int) -> None:
    edges = graph(seed)
    full = closure(edges)
    rules = LEFT + "unreached(X) :- node(X), not path(0, X).\n"
    engine, _ = engine_with(rules, edges)
    expected = {(x,) for x in range(12) if (0, x) not in full}
    assert engine.relation(P("unreached", 1)) == expected
    # path was only read through the seeded view: the full relation is still right
    assert engine.relation(P("path", 2)) == full
    # rounds: unreached comes after every row of path it was decided against
    unreached = engine.derivation_rounds(P("unreached", 1))
    path = engine.derivation_rounds(P("path", 2))
    assert set(unreached) == expected
    assert all(n > max(path.values(), default=0) for n in unreached.values())
    # a change re-evaluates: add an edge from 0 to everything
    engine.add_facts({EDGE: [(0, x) for x in range(12)]})
    assert engine.relation(P("unreached", 1)) == set()
    engine.close()


def test_mixed_kinds_and_a_constant_of_another_kind() -> None:
    checked, _ = checked_text('e(1, "a"). e("a", 2). e(2, 1). e(2, 2.5).\n'
                              "p(X, Y) :- e(X, Y). p(X, Y) :- p(X, Z), e(Z, Y).\n")
    facts = {P("e", 2): [(1, "a"), ("a", 2), (2, 1), (2, 2.5)]}
    full = DuckDBEngine(timeout=None)
    full.load(checked, facts)
    rel = full.relation(P("p", 2))
    for const in (1, "a", 2, "1", 2.5, 1.0):
        engine = DuckDBEngine(timeout=None)
        engine.load(checked, facts)
        got = engine.query(checked_query_text(f"p({const!r}, Y)".replace("'", '"'), checked))
        want = {(y,) for (x, y) in rel if type(x) is type(const) and x == const}
        assert sorted(map(repr, got)) == sorted(map(repr, want)), const
        engine.close()
    full.close()


def test_a_query_reading_the_predicate_twice_is_answered_whole() -> None:
    edges = graph(3)
    full = closure(edges)
    engine, checked = engine_with(LEFT, edges)
    got = engine.query(checked_query_text("path(0, Y), path(Y, Z)", checked))
    assert set(got) == {(y, z) for (a, y) in full if a == 0 for (b, z) in full if b == y}
    engine.close()


def test_no_seeded_table_outlives_a_read() -> None:
    engine, checked = engine_with(LEFT + "unreached(X) :- node(X), not path(0, X).\n", graph(1))
    before = engine._con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    engine.query(checked_query_text("path(0, Y)", checked))
    assert engine._con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == before
    engine.relation(P("unreached", 1))
    tables = {r[0] for r in engine._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not any(t.startswith("m") for t in tables)
    engine.close()


def test_ctrl_c_in_the_recursive_statement_recovers(monkeypatch: pytest.MonkeyPatch) -> None:
    edges = [(i, i + 1) for i in range(30)]
    engine, _ = engine_with(LEFT, edges)
    real_run = engine._run

    def interrupt(sql: str, params: object = ()) -> object:
        if "WITH RECURSIVE" in sql:
            raise KeyboardInterrupt
        return real_run(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run", interrupt)
    with pytest.raises(errors.QueryInterrupted):
        engine.relation(P("path", 2))
    monkeypatch.setattr(engine, "_run", real_run)
    assert engine.relation(P("path", 2)) == closure(edges)
    engine.close()


def test_ctrl_c_while_computing_rounds_recovers(monkeypatch: pytest.MonkeyPatch) -> None:
    edges = [(i, i + 1) for i in range(30)]
    engine, _ = engine_with(LEFT, edges)
    assert engine.relation(P("path", 2)) == closure(edges)
    real_run = engine._run
    calls = {"n": 0}

    def interrupt(sql: str, params: object = ()) -> object:
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return real_run(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run", interrupt)
    with pytest.raises(errors.QueryInterrupted):
        engine.derivation_rounds(P("path", 2))
    monkeypatch.setattr(engine, "_run", real_run)
    rounds = engine.derivation_rounds(P("path", 2))
    assert set(rounds) == closure(edges)
    assert {(x, y): n for (x, y), n in rounds.items()} == {
        (x, y): min(rounds.values()) + (y - x - 1) for (x, y) in closure(edges)
    }
    engine.close()


# Right recursion read with a constant where recursion changes the value: a reachability from the
# constant over the rules' steps, then the base rows there (engines/duckdb/compile.py `reach_steps`).
SHAPES = {
    "right": RIGHT,
    "left, constant at the end": LEFT,
    "step with a join and a test": "path(X, Y) :- edge(X, Y). path(X, Y) :- edge(X, Z), node(Z), Z != 3, path(Z, Y).\n",
    "step with negation": "path(X, Y) :- edge(X, Y). path(X, Y) :- edge(X, Z), not edge(Z, X), path(Z, Y).\n",
    "two steps and an identity": ("path(X, Y) :- edge(X, Y). path(X, Y) :- edge(X, Z), path(Z, Y). "
                                  "path(X, Y) :- edge(Z, X), path(Z, Y). path(X, Y) :- node(X), path(X, Y).\n"),
    "arity 3": "tri(X, Y, W) :- edge(X, Y), node(W), W < 2. tri(X, Y, W) :- edge(X, Z), tri(Z, Y, W).\n",
    "step reads the output (not a reachability)": "path(X, Y) :- edge(X, Y). path(X, Y) :- edge(X, Z), node(Y), path(Z, Y).\n",
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(6))
def test_reachability_point_queries_equal_the_full_evaluation(shape: str, seed: int) -> None:
    edges = graph(seed)
    rules = SHAPES[shape]
    sym = P("tri", 3) if rules.startswith("tri") else P("path", 2)
    whole, checked = engine_with(rules, edges)
    full = whole.relation(sym)
    whole.close()
    variables = ["X", "Y", "W"][: sym.arity]
    for j, value in ((0, 0), (1, 5)):
        query = f"{sym.name}({', '.join(str(value) if k == j else v for k, v in enumerate(variables))})"
        expected = {tuple(v for k, v in enumerate(row) if k != j) for row in full if row[j] == value}
        engine, checked = engine_with(rules, edges)
        assert set(engine.query(checked_query_text(query, checked))) == expected, query
        assert engine.relation(sym) == full  # and the whole relation is still right afterwards
        engine.close()


def test_a_right_recursive_point_query_does_not_compute_the_closure() -> None:
    engine, checked = engine_with(RIGHT, graph(1))
    path = engine._stratum_of[P("path", 2)]
    assert engine.query(checked_query_text("path(0, Y)", checked)) is not None
    assert path in engine._dirty  # read through the seeded view: the stratum itself never ran
    engine.close()


# a column of the values annotated evaluation meets, and of those it refuses (bool, datetime, None)
_VALUE = st.one_of(st.text(max_size=3), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                   st.dates(), st.booleans(), st.datetimes(), st.none())


def _outcome(f: Callable[[], object]) -> object:
    try:
        return f()
    except errors.QueryError as e:
        return ("refused", e.message)


def test_column_at_a_time_kinds_and_keys_are_those_of_each_value() -> None:
    """compile.column_kinds and stored_as_is (annotated.py's load and compile.unnested, a column at
    a time) against kind_of and encode value by value: the same kinds, a refusal where some value
    has none (bool, datetime, None), and a row that is its own key only where encode leaves every
    value as it is."""
    compared = {"columns": 0, "as_is": 0, "encoded": 0, "refused": 0}

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(st.lists(st.lists(_VALUE, min_size=2, max_size=2), min_size=1, max_size=6))
    def check(rows: list[list[object]]) -> None:
        columns = list(zip(*rows, strict=True))
        for column in columns:
            each = _outcome(lambda column=column: {kind_of(v) for v in column})  # type: ignore[misc]
            at_once = _outcome(lambda column=column: column_kinds(column))  # type: ignore[misc]
            if isinstance(each, tuple):  # refused (the message names a value of a refused type)
                assert isinstance(at_once, tuple), (column, at_once)
                compared["refused"] += 1
                continue
            assert at_once == each, column
            compared["columns"] += 1
        if any(isinstance(_outcome(lambda c=c: column_kinds(c)), tuple) for c in columns):  # type: ignore[misc]
            return
        reps = [rep_for(frozenset(column_kinds(c))) for c in columns]
        keys = [tuple(r) for r in rows]
        if stored_as_is(keys, reps):
            compared["as_is"] += 1
            assert all(encode(v, rep) == v or v != v for row in keys for v, rep in zip(row, reps, strict=True))
            # compile.unnested's columns for the plain engine's loads: the values, as encode gives them
            assert unnested(reps, keys)[0] == [[encode(row[j], rep) for row in keys] for j, rep in enumerate(reps)]
        else:  # encoded value by value: a tagged column, or an integer encode refuses
            compared["encoded"] += 1
            assert "t" in reps or any(isinstance(_outcome(lambda v=v, rep=rep: encode(v, rep)), tuple)  # type: ignore[misc]
                                      for row in keys for v, rep in zip(row, reps, strict=True))

    check()
    # derandomized: facts of the 300 examples
    assert compared["columns"] >= 100 and compared["as_is"] >= 20, compared
    assert compared["encoded"] >= 8 and compared["refused"] >= 200, compared
