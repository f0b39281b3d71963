"""Closures the DuckDB engine evaluates without a general recursion.

A bound query of a transitive closure is its reach (seeding.py's `_reach_from`, closure form):
when a linear predicate's non-recursive rules are its steps and it has no facts, its rows from a
constant are what the constant reaches in one step or more, with no join to the base.

Random closure-shaped programs (right and left recursion, steps of one or two atoms, a comparison,
base rules equal to the steps up to the names of variables or not, facts of the closure or not)
are queried from a constant on demand and compared with the whole evaluation, counting the
queries the closure form really answered and those it rightly left to the general form.

A relation whose recursive rules only reorder its arguments (`ally(X, Y) :- ally(Y, X).`) is its
base under each order of the group they generate (loop.py's `_linear_cte`): compared with an oracle
that applies the orders until nothing is new, with no recursive statement run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine_helpers import checked_query_text, checked_text, closure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance.ast import PredicateSym as P
from allegiance.engines.duckdb import DuckDBEngine

E, F, PP = P("e", 2), P("f", 2), P("p", 2)
VALUES = [0, 1, 2, 3, 4]
# a step from {a} to {b}; W is a variable of the step's own
STEPS = ("e({a}, {b})", "f({a}, {b})", "e({b}, {a})", "e({a}, W), f(W, {b})", "e({a}, {b}), {a} != {b}")


def program(steps: list[str], base: list[str], left: bool, renamed: bool) -> str:
    """p over `steps` (right recursion, or left with `left`), its non-recursive rules `base`."""
    rules = []
    for step in steps:
        if left:  # p(X, Z) :- p(X, Y), step(Y -> Z): the reach runs backwards from Z
            rules.append(f"p(X, Z) :- p(X, Y), {step.format(a='Y', b='Z')}.")
        else:
            rules.append(f"p(X, Z) :- {step.format(a='X', b='Y')}, p(Y, Z).")
    a, b = ("A", "B") if renamed else ("X", "Y")
    rules += [f"p({a}, {b}) :- {body.format(a=a, b=b)}." for body in base]
    return "\n".join(rules) + "\n"


def answers(text: str, facts: dict[P, list[tuple[object, ...]]], query: str, on_demand: bool) -> tuple[set[tuple[object, ...]], int]:
    checked, _ = checked_text(text, E, F, PP)
    engine = DuckDBEngine(timeout=None)
    engine.demand_min_rows = 0  # demand on these few facts too
    engine.demand = on_demand
    try:
        engine.load(checked, facts)
        return set(engine.query(checked_query_text(query, checked))), engine.closures
    finally:
        engine.close()


def test_a_closure_queried_from_a_constant_is_its_reach() -> None:
    text = program(["e({a}, {b})"], ["e({a}, {b})"], left=False, renamed=True)
    edges = [(0, 1), (1, 2), (2, 0), (3, 4)]
    got, closures = answers(text, {E: edges}, "p(0, Y)", on_demand=True)
    assert closures == 1
    assert got == {(y,) for (x, y) in closure(edges) if x == 0}  # 0 reaches itself round the cycle
    got, closures = answers(text, {E: edges}, "p(3, Y)", on_demand=True)
    assert (got, closures) == ({(4,)}, 1)  # 3 does not reach itself


def test_closure_form_answers_as_the_whole_evaluation_on_random_programs() -> None:
    taken: list[str] = []
    general: list[str] = []

    @settings(max_examples=120, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.lists(st.sampled_from(STEPS), min_size=1, max_size=2, unique=True), st.booleans(),
           st.booleans(), st.booleans(), st.booleans(), st.sampled_from(VALUES),
           st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=8),
           st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=5),
           st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=2))
    def agrees(steps: list[str], same: bool, left: bool, renamed: bool, with_facts: bool, c: int,
               e: set[tuple[object, object]], f: set[tuple[object, object]], p: set[tuple[object, object]]) -> None:
        base = steps if same else [s for s in STEPS if s not in steps][:1]
        text = program(steps, base, left, renamed)
        facts: dict[P, list[tuple[object, ...]]] = {E: sorted(e), F: sorted(f), PP: sorted(p) if with_facts else []}
        query = f"p(X, {c})" if left else f"p({c}, Y)"
        whole, _ = answers(text, facts, query, on_demand=False)
        got, closures = answers(text, facts, query, on_demand=True)
        assert got == whole, (text, query, facts)
        if closures:
            assert same and not (with_facts and p), (text, facts)  # only a closure with no facts of its own
            taken.append(query)
        else:
            general.append(query)

    agrees()
    assert len(taken) >= 25, len(taken)  # the closure form really answered many
    assert len(general) >= 25, len(general)  # and the general form the others


def _orders_closure(rows: set[tuple[object, ...]], orders: list[tuple[int, ...]]) -> set[tuple[object, ...]]:
    """The oracle: rows under the orders, again and again until nothing is new."""
    out = set(rows)
    while True:
        new = {tuple(r[k] for k in perm) for r in out for perm in orders} - out
        if not new:
            return out
        out |= new


ORDERS = {2: [(1, 0)], 3: [(1, 0, 2), (1, 2, 0), (2, 1, 0), (0, 2, 1)]}


def test_a_relation_closed_under_reorderings_is_its_base_under_each_order() -> None:
    compared: list[int] = []

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from([2, 3]), st.data(),
           st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=6))
    def agrees(arity: int, data: st.DataObject, triples: set[tuple[object, object, object]]) -> None:
        orders = data.draw(st.lists(st.sampled_from(ORDERS[arity]), min_size=1, max_size=2, unique=True))
        names = ["X", "Y", "Z"][:arity]
        rules = [f"q({', '.join(names[k] for k in perm)}) :- q({', '.join(names)})." for perm in orders]
        rules.append(f"q({', '.join(names)}) :- e(X, Y){', t(X, Y, Z)' if arity == 3 else ''}.")
        text = "\n".join(rules) + "\n"
        t = P("t", 3)
        checked, _ = checked_text(text, E, t)
        e = {(a, b) for (a, b, _) in triples}
        base = {(a, b) for (a, b) in e} if arity == 2 else set(triples)
        engine = DuckDBEngine(timeout=None)
        statements: list[str] = []
        run = engine._run

        def spy(sql: str, params: Sequence[object] = ()) -> Any:
            statements.append(sql)
            return run(sql, params)

        try:
            engine.load(checked, {E: sorted(e), t: sorted(triples)})
            engine._run = spy  # type: ignore[method-assign]
            got = engine.relation(P("q", arity))
        finally:
            engine.close()
        assert not any("RECURSIVE" in sql for sql in statements)  # one pass, no recursion
        perms = [tuple(names.index(v) for v in [names[k] for k in perm]) for perm in orders]
        assert got == _orders_closure(base, perms), text
        compared.append(len(got))

    agrees()
    assert len(compared) == 60 and sum(1 for n in compared if n) >= 40, compared
