"""Max-min strata (allegiance/engines/duckdb/maxmin.py): the interval SQL with a grade per row
gives what the sweep gives (one plain evaluation per threshold, itself checked against the
pointwise oracle in test_annotated.py), on prefix-shaped facts (each holds on [0, g], as support
grades them) and negation-free programs of every recursive shape: linear either way (with facts of
its own too), symmetric, non-linear, mutual, a derived predicate with facts of its own, a rule of
no atom. Each program gets its examples; each counts the strata that really went through
maxmin.py and the rows it compared.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance.analysis import check, check_query
from allegiance.ast import PredicateSym, Row
from allegiance.engines.base import Annotated, Engine, Interval
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.engines.duckdb.maxmin import MaxMin
from allegiance.parse import parse_program, parse_query

EDGE, NODE, PATH = PredicateSym("edge", 2), PredicateSym("node", 1), PredicateSym("path", 2)
PROGRAMS = {
    "left": "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).",
    "right": "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).",
    "right_fact": "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\npath(4, 0).",
    "symmetric": "path(X, Y) :- edge(X, Y), X < Y.\npath(X, Y) :- path(Y, X).",
    "nonlinear": "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), path(Y, Z).",
    "mutual": "path(X, Y) :- edge(X, Y).\npath(X, Z) :- hop(X, Y), edge(Y, Z).\nhop(X, Y) :- path(X, Y), node(Y).",
    "filtered": "path(X, Y) :- edge(X, Y), X < Y.\npath(X, Z) :- path(X, Y), edge(Y, Z), node(Z).\n"
                "seen(X) :- path(X, _).\nseen(9).",
}
QUERIES = ["?- path(X, Y).", "?- path(1, Y).", "?- path(X, X).", "?- seen(X)."]
SIZE = 5  # thresholds 0..4


def _evaluate(engine: Engine, rules: str, query: str, plain: dict[PredicateSym, set[Row]],
              graded: dict[PredicateSym, list[tuple[Row, int, int]]]) -> dict[Row, tuple[Interval, ...]]:
    types = {EDGE: ("number", "number"), NODE: ("number",)}
    program = check(parse_program(rules), types)
    try:
        return engine.annotated_query(program, plain, Annotated(SIZE, graded), check_query(parse_query(query), program))
    finally:
        engine.close()


@pytest.mark.thorough
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_max_min_strata_agree_with_the_sweep(name: str) -> None:
    compared = {"cases": 0, "rows": 0, "max_min": 0, "reordered": 0}
    real, reordered = MaxMin.max_min_stratum, MaxMin._reordered

    def counted(self: MaxMin, *args: object, **kwargs: object) -> None:
        compared["max_min"] += 1
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    def counted_reordered(self: MaxMin, *args: object) -> None:
        compared["reordered"] += 1
        reordered(self, *args)  # type: ignore[arg-type]

    edge = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(-1, SIZE - 1))

    @settings(max_examples=20, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(QUERIES),
           st.lists(edge, min_size=1, max_size=10), st.sets(st.integers(0, 4), max_size=3),
           st.lists(st.tuples(st.integers(0, 4), st.integers(0, SIZE - 1)), max_size=3))
    def check_one(query: str, edges: list[tuple[int, int, int]], plain_nodes: set[int],
                  nodes: list[tuple[int, int]]) -> None:
        rules = PROGRAMS[name]
        if "seen" in query and "seen" not in rules:
            query = "?- path(X, Y)."
        graded = {EDGE: [((a, b), 0, g) for a, b, g in edges], NODE: [((n,), 0, g) for n, g in nodes]}
        plain = {NODE: {(n,) for n in plain_nodes}}
        sql = DuckDBEngine(timeout=None)
        sql.annotated_method = "sql"
        sweep = DuckDBEngine(timeout=None)
        sweep.annotated_method = "sweep"
        before = compared["max_min"]
        MaxMin.max_min_stratum = counted  # type: ignore[method-assign]
        MaxMin._reordered = counted_reordered  # type: ignore[method-assign,assignment]
        try:
            got = _evaluate(sql, rules, query, plain, graded)
        finally:
            MaxMin.max_min_stratum, MaxMin._reordered = real, reordered  # type: ignore[method-assign]
        assert compared["max_min"] > before, (rules, query)
        expected = _evaluate(sweep, rules, query, plain, graded)
        assert got == expected, (rules, query, edges, plain_nodes, nodes)
        compared["cases"] += 1
        compared["rows"] += len(expected)

    check_one()
    # derandomized: these counts are facts of the 20 examples of each program, not hopes
    assert compared["cases"] == 20 and compared["rows"] >= 15, compared
    if name == "symmetric":  # each example's relation graded in one statement, no recursion
        assert compared["reordered"] == 20, compared
