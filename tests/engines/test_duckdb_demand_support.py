"""Support on demand (engines/duckdb/demanded.py): an annotated query with constants, evaluated through
its demand program, gives every answer exactly the intervals (so the support) the whole-program
annotated evaluation gives.

Random stratified programs with constants in queries (test_duckdb_demand_property.py's, plus linear
recursions bound where a leaf's reachability answers them), over facts graded on random intervals:
the demand engine's intervals are compared with those of an engine that evaluates the whole program
(`demand = False`), counting the examples a demand program really answered, and those answered
through a leaf. The ranks `why` reads on demand (ranked.py) are checked against the whole relations
on the same programs.
"""

from __future__ import annotations

from engine_helpers import checked_query_text, checked_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_duckdb_demand_property import VALUES, programs, queries

from allegiance.ast import PredicateSym as P
from allegiance.ast import Row
from allegiance.engines.base import Annotated, Interval
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.engines.duckdb import demanded as demanded_module

E, V = P("e", 2), P("v", 1)
SIZE = 5  # the grade scale: thresholds 0..4
EXAMPLES = 60

# Linear recursions of one predicate, each bound at the position its recursion changes (a leaf) or
# passes on unchanged, with exits that are facts, rules with a constant, and negation of a lower relation.
LINEAR = (
    "p0(X, Y) :- e(X, Y).\np0(X, Z) :- e(X, Y), p0(Y, Z).\n",
    "p0(X, Y) :- e(X, Y).\np0(X, Z) :- p0(X, Y), e(Y, Z).\n",
    "p0(X, Y) :- e(X, Y), not v(Y).\np0(1, Y) :- v(Y).\np0(X, Z) :- e(X, Y), p0(Y, Z), X != Z.\n",
    "p3(X) :- v(X).\np0(X, Y) :- e(X, Y), p3(Y).\np0(X, Z) :- e(X, Y), e(Y, W), p0(W, Z).\n"
    "p2(X, Y) :- p0(X, Y), not p3(X).\n",
    "p0(X, Y) :- e(X, Y).\np0(X, Z) :- e(X, Y), p0(Y, Z).\np1(X, Z) :- p0(X, Y), p0(Y, Z).\n",
)
LINEAR_QUERIES = ("p0({a}, X)", "p0({a}, X), v(X)", "p0(X, {a})", "p2({a}, X)", "p1({a}, X)", "p0({a}, {b})")


@st.composite
def linear(draw: st.DrawFn) -> tuple[str, str]:
    program = draw(st.sampled_from(LINEAR))
    heads = {line.split("(")[0] for line in program.splitlines()}
    query = draw(st.sampled_from([q for q in LINEAR_QUERIES if q.split("(")[0] in heads]))
    a, b = (repr(draw(st.sampled_from(VALUES))).replace("'", '"') for _ in range(2))
    return program, query.format(a=a, b=b)


def graded(draw: st.DrawFn, rows: list[tuple[object, ...]]) -> list[tuple[Row, int, int]]:
    """Each row on one or two intervals of 0..SIZE-1, as grades give them: [0, level] mostly."""
    out = []
    for row in rows:
        for _ in range(draw(st.integers(1, 2))):
            lo = draw(st.sampled_from([0, 0, 0, 1, 2]))
            out.append((row, lo, draw(st.integers(lo, SIZE - 1))))
    return out


def intervals(program: str, plain: dict[P, list[Row]], annotated: Annotated, query: str,
              on_demand: bool) -> tuple[dict[Row, tuple[Interval, ...]], int]:
    checked, _ = checked_text(program, E, V)
    engine = DuckDBEngine(timeout=None)
    engine.annotated_method = "sql"
    engine.demand_min_rows = 0  # demand on these few facts too
    engine.demand = on_demand
    try:
        found = engine.annotated_query(checked, plain, annotated, checked_query_text(query, checked))
        return found, engine.planned
    finally:
        engine.close()


def test_support_on_demand_equals_the_whole_annotated_evaluation_on_random_programs() -> None:
    compared: list[str] = []
    leaves: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.one_of(st.tuples(programs(), queries()), linear()), st.data())
    def agrees(case: tuple[str, str], data: st.DataObject) -> None:
        program, query = case
        edges = sorted(data.draw(st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=9)),
                       key=repr)
        nodes = sorted(data.draw(st.sets(st.sampled_from(VALUES), max_size=4)), key=repr)
        split = data.draw(st.integers(0, len(edges)))  # some edges hold everywhere (no statement behind them)
        plain: dict[P, list[Row]] = {E: edges[:split]}
        annotated = Annotated(SIZE, {E: graded(data.draw, list(edges[split:])), V: graded(data.draw, [(n,) for n in nodes])})
        whole, planned_whole = intervals(program, plain, annotated, query, on_demand=False)
        assert planned_whole == 0
        got, planned = intervals(program, plain, annotated, query, on_demand=True)
        assert got == whole, (program, query)
        if planned:
            compared.append(query)
            checked, _ = checked_text(program, E, V)
            made = demanded_module.rewrite(checked, checked_query_text(query, checked))
            assert made is not None
            if any(s.name.startswith("@r@") for s in made.program.derived):
                leaves.append(query)

    agrees()
    assert len(compared) >= EXAMPLES // 2, len(compared)  # most examples really went through a demand program
    # derandomized: the same examples each run, so these counts are facts (random runs saw 6 leaves)
    assert len(leaves) >= EXAMPLES // 8, len(leaves)  # and many through a leaf's reachability


def test_a_rule_of_three_atoms_whose_filter_folds_to_false() -> None:
    """The baseline itself: DuckDB failed to read back the plan of an annotated rule of three atoms
    (GREATEST of three `lo` columns, annotated.py's `_pairwise`); a comparison of a number column with
    itself folded to FALSE made DuckDB serialize it. Found by the test above."""
    program = "p2(X, X) :- e(X, X), e(X, X), e(X, 0), X != X.\np3(X) :- e(X, Y), e(Y, Z), e(Z, X).\n"
    facts: dict[P, list[Row]] = {E: [(0, 0)]}
    graded_edges = Annotated(SIZE, {E: [((0, 1), 0, 2), ((1, 0), 1, 4)]})
    # cycles of three steps: 0 -> 0 -> 0 -> 0 everywhere; 1 -> 0 -> 0 -> 1 where both graded edges hold
    assert intervals(program, facts, graded_edges, "p3(X)", on_demand=False)[0] == {(0,): ((0, 4),), (1,): ((1, 2),)}


def test_ranks_on_demand_hold_the_fact_and_only_rows_of_the_whole_evaluation() -> None:
    """Engine.derivation_rounds_on_demand (ranked.py, what `why` reads on a large knowledge base): for
    a fact of a random program, its relation's ranked rows include the fact iff the whole evaluation
    holds it, and every ranked row of every relation is a row of the whole evaluation (that the ranks
    give every row a derivation from lower ones, the proof search checks: tests/test_support_on_demand.py)."""
    compared: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.one_of(st.tuples(programs(), queries()), linear()), st.data())
    def agrees(case: tuple[str, str], data: st.DataObject) -> None:
        program, _ = case
        checked, _ = checked_text(program, E, V)
        edges = sorted(data.draw(st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=9)),
                       key=repr)
        facts: dict[P, list[Row]] = {E: edges, V: [(n,) for n in sorted(data.draw(st.sets(st.sampled_from(VALUES),
                                                                                      max_size=4)), key=repr)]}
        on, whole = DuckDBEngine(timeout=None), DuckDBEngine(timeout=None)
        on.demand_min_rows = 0
        whole.demand = False
        try:
            on.load(checked, facts)
            whole.load(checked, facts)
            sym = data.draw(st.sampled_from(sorted({r.head.sym for r in checked.rules if r.head.sym.arity}, key=str)))
            rows = sorted(whole.relation(sym), key=repr)
            row = data.draw(st.sampled_from(rows)) if rows and data.draw(st.booleans()) else \
                tuple(data.draw(st.sampled_from(VALUES)) for _ in range(sym.arity))
            ranks = on.derivation_rounds_on_demand(sym, row)
            if ranks is None:
                return
            assert (row in ranks.get(sym, {})) == (row in whole.relation(sym)), (program, row)
            for p, ranked in ranks.items():
                assert set(ranked) <= whole.relation(p), (program, p)
            compared.append(program)
        finally:
            on.close()
            whole.close()

    agrees()
    assert len(compared) >= EXAMPLES // 2, len(compared)
