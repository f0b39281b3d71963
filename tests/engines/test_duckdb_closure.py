"""A bound query of a transitive closure is its reach (seeding.py's `_reach_from`, closure form):
when a linear predicate's non-recursive rules are its steps and it has no facts, its rows from a
constant are what the constant reaches in one step or more, with no join to the base.

Random closure-shaped programs (right and left recursion, steps of one or two atoms, a comparison,
base rules equal to the steps up to the names of variables or not, facts of the closure or not)
are queried from a constant on demand and compared with the whole evaluation, counting the
queries the closure form really answered and those it rightly left to the general form.
"""

from __future__ import annotations

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
