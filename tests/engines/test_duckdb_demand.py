"""Demand-driven queries (engines/duckdb/magic.py, analysis/demand.py) answer exactly what the whole
evaluation answers, and leave unevaluated what they do not need. (The property test over random
programs is test_duckdb_demand_property.py.)
"""

from __future__ import annotations

import random

import pytest
from engine_helpers import checked_query_text, checked_text, closure

from allegiance.analysis import demand
from allegiance.ast import PredicateSym as P
from allegiance.engines.duckdb import DuckDBEngine

E = P("e", 2)

LINKS = """
allied(X, Y) :- ally(X, Y).
allied_chain(X, Y) :- allied(X, Y).
allied_chain(X, Z) :- allied(X, Y), allied_chain(Y, Z).
rivals(X, Y) :- overshadows(X, Y).
indirect_ally(X, Y) :- allied_chain(X, Y), X != Y, not ally(X, Y), not rivals(X, Y).
"""


def test_a_bound_query_through_a_non_recursive_rule_does_not_build_the_closure() -> None:
    chain = [(f"g{i}", f"g{i + 1}") for i in range(60)]
    checked, _ = checked_text(LINKS, P("ally", 2), P("overshadows", 2))
    facts = {P("ally", 2): chain, P("overshadows", 2): [("g10", "g12")]}
    engine = DuckDBEngine(timeout=None)
    engine.demand_min_rows = 0  # demand on these few facts too
    engine.load(checked, facts)
    strata = {engine._stratum_of[P(name, 2)] for name in ("allied_chain", "indirect_ally")}
    got = engine.query(checked_query_text("indirect_ally(g5, Y)", checked))
    assert sorted(got) == sorted((f"g{i}",) for i in range(7, 61))
    assert engine.query(checked_query_text("indirect_ally(g10, g12)", checked)) == []
    assert engine.query(checked_query_text("indirect_ally(g10, g13)", checked)) == [()]
    assert engine.planned == 3
    assert strata <= engine._dirty  # neither relation was evaluated whole
    whole = engine.relation(P("indirect_ally", 2))
    expected = {(a, b) for (a, b) in closure(chain) if (a, b) not in chain and (a, b) != ("g10", "g12")}
    assert whole == expected
    engine.close()


@pytest.mark.parametrize("seed", range(4))
def test_mutual_and_non_linear_recursion_on_demand(seed: int) -> None:
    rng = random.Random(seed)
    edges = sorted({(rng.randrange(10), rng.randrange(10)) for _ in range(16)})
    rules = ("odd(X, Y) :- e(X, Y). odd(X, Y) :- even(X, Z), e(Z, Y). even(X, Y) :- odd(X, Z), e(Z, Y).\n"
             "tc(X, Y) :- e(X, Y). tc(X, Y) :- tc(X, Z), tc(Z, Y).\n"
             "far(X, Y) :- odd(X, Y), tc(Y, X).\n")
    checked, _ = checked_text(rules, E)
    full = closure(edges)
    for query, expected in (
        ("tc(3, Y)", {(y,) for (x, y) in full if x == 3}),
        ("tc(X, 4)", {(x,) for (x, y) in full if y == 4}),
        ("far(2, Y)", None),
        ("even(X, 5)", None),
    ):
        answers_ = {}
        for on_demand in (True, False):
            engine = DuckDBEngine(timeout=None)
            engine.demand_min_rows = 0  # demand on these few facts too
            engine.demand = on_demand
            engine.load(checked, {E: edges})
            answers_[on_demand] = set(engine.query(checked_query_text(query, checked)))
            assert engine.planned == int(on_demand)
            engine.close()
        assert answers_[True] == answers_[False], query
        if expected is not None:
            assert answers_[True] == expected


def test_no_demand_table_outlives_a_query() -> None:
    checked, _ = checked_text(LINKS, P("ally", 2), P("overshadows", 2))
    engine = DuckDBEngine(timeout=None)
    engine.demand_min_rows = 0  # demand on these few facts too
    engine.load(checked, {P("ally", 2): [("a", "b"), ("b", "c")], P("overshadows", 2): []})
    assert engine.query(checked_query_text("indirect_ally(a, Y)", checked)) == [("c",)]
    assert engine.planned == 1
    tables = {r[0] for r in engine._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not any(t.startswith("g") for t in tables), tables  # what the whole program needs (r<N>) stays
    assert not any("@" in s.name for s in engine._reps)
    engine.close()


def test_the_rewrite_carries_constants_and_stops_at_negation() -> None:
    checked, _ = checked_text(LINKS, P("ally", 2), P("overshadows", 2))
    derived = {r.head.sym: [x for x in checked.rules if x.head.sym == r.head.sym] for r in checked.rules}
    query = checked_query_text("indirect_ally(g5, Y)", checked)
    plan = demand.rewrite(derived, query.rules)
    assert plan is not None
    assert {str(s) for s in plan.adorned} == {"indirect_ally@b_/2", "allied_chain@b_/2", "allied@b_/2"}
    assert all(str(lit) != "not allied_chain" for r in plan.rules for lit in r.body)
    negated = {str(lit.atom.sym) for r in plan.rules for lit in r.body if type(lit).__name__ == "NegLiteral"}
    assert negated == {"ally/2", "rivals/2"}  # whole relations, never adorned
    assert demand.rewrite(derived, checked_query_text("indirect_ally(X, Y)", checked).rules) is None


def test_batches_of_mixed_kinds_on_demand_leave_no_table() -> None:
    # a column of several kinds is sorted in Python: answer_batches reads the query again inside its read
    checked, _ = checked_text("p(X, Y) :- e(X, Y). p(X, Y) :- e(X, Z), p(Z, Y). q(X, Y) :- p(X, Y), X != Y.\n", E)
    engine = DuckDBEngine(timeout=None)
    engine.demand_min_rows = 0  # demand on these few facts too
    engine.load(checked, {E: [(1, "a"), ("a", 2), (2, 1), (2, 2.5)]})
    batches = list(engine.answer_batches(checked_query_text("q(1, Y)", checked)))
    assert sorted(map(repr, (r for b in batches for r in b))) == sorted(map(repr, [("a",), (2,), (2.5,)]))
    assert engine.planned >= 1
    tables = {r[0] for r in engine._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not any(t.startswith("g") for t in tables), tables
    engine.close()


def test_a_small_knowledge_base_evaluates_whole_once() -> None:
    # below demand_min_rows base facts, the first query evaluates what it reads and later ones read it
    checked, _ = checked_text(LINKS, P("ally", 2), P("overshadows", 2))
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, {P("ally", 2): [("a", "b"), ("b", "c")], P("overshadows", 2): []})
    assert engine.query(checked_query_text("indirect_ally(a, Y)", checked)) == [("c",)]
    assert engine.planned == 0
    assert engine._stratum_of[P("indirect_ally", 2)] not in engine._dirty
    engine.demand_min_rows = 4
    engine.add_facts({P("ally", 2): [("c", "d"), ("d", "e")]})
    assert engine.query(checked_query_text("indirect_ally(a, Y)", checked)) == [("c",), ("d",), ("e",)]
    assert engine.planned == 1  # four base facts now: on demand
    engine.close()


def test_the_count_of_base_facts_demand_reads_is_kept_as_facts_change() -> None:
    # _worth_it reads the count the engine keeps, not DuckDB's catalog (~10 ms on a connection's
    # first read); after a change it cannot follow (a CSV import, a store read again) it counts again
    def stored(engine: DuckDBEngine) -> int:
        names = [r[0] for r in engine._con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE regexp_matches(table_name, '^b[0-9]+$')").fetchall()]
        return sum(engine._con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in names)

    checked, _ = checked_text(LINKS, P("ally", 2), P("overshadows", 2))
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, {P("ally", 2): [("a", "b"), ("b", "c"), ("a", "b")], P("overshadows", 2): [("a", "c")]})
    assert engine._base_count == stored(engine) == 3
    engine.add_facts({P("ally", 2): [("c", "d"), ("a", "b")]})  # one new, one already there
    assert engine._base_count == stored(engine) == 4
    engine.retract_facts({P("ally", 2): [("a", "b"), ("x", "y")]})  # one there, one never was
    assert engine._base_count == stored(engine) == 3
    engine.demand_min_rows = 3
    assert engine._worth_it() and not engine._worth_it(4)
    engine._read_store()  # as after a rollback: unknown, counted from the catalog when asked
    assert engine._base_count is None
    assert engine._worth_it() and engine._base_count in (3, 4)  # DuckDB's estimate may still count the retracted row
    engine.close()
