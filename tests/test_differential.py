"""Differential property test: random stratified programs, as text, through the whole evaluator
(parse -> check -> engine) on both engines, against a naive fixpoint written here.

DuckDB must agree on every relation; pyDatalog must agree whenever it finishes within its time
limit. (This test found raw pyDatalog's incomplete answers on right recursion over a 2-cycle.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from allegiance import KnowledgeBase, QueryTimeout

Rule = tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]  # head, head vars, body literals

# Body literals: ("pos", pred, vars...), ("neg", pred, vars...), ("lt", A, B), ("ne", A, B)
TEMPLATES: dict[str, list[Rule]] = {
    "reach": [
        ("reach", ("X", "Y"), (("pos", "edge", "X", "Y"),)),
        ("reach", ("X", "Y"), (("pos", "edge", "X", "Z"), ("pos", "reach", "Z", "Y"))),
        ("reach", ("X", "Y"), (("pos", "reach", "X", "Z"), ("pos", "edge", "Z", "Y"))),
        ("reach", ("X", "Y"), (("pos", "reach", "X", "Z"), ("pos", "reach", "Z", "Y"))),
    ],
    "odd": [
        ("odd", ("X", "Y"), (("pos", "edge", "X", "Y"),)),
        ("odd", ("X", "Y"), (("pos", "even", "X", "Z"), ("pos", "edge", "Z", "Y"))),
        ("even", ("X", "Y"), (("pos", "odd", "X", "Z"), ("pos", "edge", "Z", "Y"))),
    ],
    "lonely": [
        ("lonely", ("X",), (("pos", "node", "X"), ("neg", "reach", "X", "X"))),
        ("lonely", ("X",), (("pos", "node", "X"), ("neg", "edge", "X", "_"))),
    ],
    "up": [
        ("up", ("X", "Y"), (("pos", "reach", "X", "Y"), ("lt", "X", "Y"))),
        ("up", ("X", "Y"), (("pos", "edge", "X", "Y"), ("ne", "X", "Y"), ("neg", "lonely", "Y"))),
    ],
}
NODES = range(5)


def render(rule: Rule) -> str:
    head, args, body = rule
    parts = []
    for lit in body:
        if lit[0] == "pos":
            parts.append(f"{lit[1]}({', '.join(lit[2:])})")
        elif lit[0] == "neg":
            parts.append(f"not {lit[1]}({', '.join(lit[2:])})")
        else:
            parts.append(f"{lit[1]} {'<' if lit[0] == 'lt' else '!='} {lit[2]}")
    return f"{head}({', '.join(args)}) :- {', '.join(parts)}."


def naive(rules: list[Rule], edges: set[tuple[int, int]]) -> dict[str, set[tuple[int, ...]]]:
    """Evaluate stratum by stratum (the dictionary order above is a valid stratification),
    each to a fixpoint, by trying every assignment of nodes to the rule's variables."""
    db: dict[str, set[tuple[int, ...]]] = {"edge": set(edges), "node": {(n,) for n in NODES}}
    for stratum in TEMPLATES:
        group = [r for r in rules if r in TEMPLATES[stratum]]
        heads = {r[0] for r in group}
        for h in heads:
            db.setdefault(h, set())
        changed = True
        while changed:
            changed = False
            for head, args, body in group:
                for row in _solutions(args, body, db):
                    if row not in db[head]:
                        db[head].add(row)
                        changed = True
    return db


def _solutions(args: tuple[str, ...], body: tuple[tuple[str, ...], ...],
               db: dict[str, set[tuple[int, ...]]]) -> Iterator[tuple[int, ...]]:
    names = sorted({v for lit in body for v in (lit[2:] if lit[0] in ("pos", "neg") else lit[1:]) if v != "_"})
    for values in itertools.product(NODES, repeat=len(names)):
        env = dict(zip(names, values, strict=True))

        def holds(lit: tuple[str, ...], env: dict[str, int] = env) -> bool:
            if lit[0] in ("pos", "neg"):
                pattern = lit[2:]
                found = any(all(p == "_" or env[p] == v for p, v in zip(pattern, row, strict=True))
                            for row in db.get(lit[1], set()))
                return found if lit[0] == "pos" else not found
            a, b = env[lit[1]], env[lit[2]]
            return a < b if lit[0] == "lt" else a != b

        if all(holds(lit) for lit in body):
            yield tuple(env[a] for a in args)


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[Rule], set[tuple[int, int]]]:
    rules: list[Rule] = []
    for stratum, options in TEMPLATES.items():
        chosen = draw(st.lists(st.sampled_from(options), unique=True, max_size=len(options)))
        if stratum in ("reach", "odd") and chosen:
            # each recursive group needs its base rule
            chosen = [options[0], *[r for r in chosen if r != options[0]]]
        rules += chosen
    # a rule may only read predicates some rule defines (or edge/node)
    defined = {"edge", "node"}
    kept: list[Rule] = []
    for rule in rules:
        reads = {lit[1] for lit in rule[2] if lit[0] in ("pos", "neg")}
        heads_here = {r[0] for r in rules if r[0] in ("odd", "even")} if rule[0] in ("odd", "even") else {rule[0]}
        if reads <= defined | heads_here:
            kept.append(rule)
            defined.add(rule[0])
    edges = draw(st.sets(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=8))
    return kept, edges


def evaluate(engine: str, rules: list[Rule], edges: set[tuple[int, int]]) -> dict[str, set[tuple[int, ...]]]:
    facts = "".join(f"edge({a}, {b}).\n" for a, b in sorted(edges)) + "".join(f"node({n}).\n" for n in NODES)
    decls = ".decl edge(a: number, b: number)\n.decl node(a: number)\n"
    text = decls + facts + "\n".join(render(r) for r in rules)
    with KnowledgeBase(engine=engine, timeout=3.0) as kb:
        kb.load_text(text, file="random.dl")
        return {r[0]: set(kb.facts(f"{r[0]}/{len(r[1])}")) for r in rules}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_duckdb_agrees_with_the_naive_fixpoint(case: tuple[list[Rule], set[tuple[int, int]]]) -> None:
    rules, edges = case
    expected = naive(rules, edges)
    actual = evaluate("duckdb", rules, edges)
    for pred, rows in actual.items():
        assert rows == expected[pred], pred


def negates_nonlinear_recursion(rules: list[Rule]) -> bool:
    """A rule negates reach/2 while reach/2 has its non-linear rule (reach(X, Z), reach(Z, Y))."""
    nonlinear = any(head == "reach" and sum(lit[:2] == ("pos", "reach") for lit in body) > 1 for head, _, body in rules)
    return nonlinear and any(lit[:2] == ("neg", "reach") for _, _, body in rules for lit in body)


NONLINEAR_NEGATED = ("pyDatalog 0.22.4 answers a negated subgoal over non-linear recursion from an incomplete "
                     "table: with edges 0<->1, `not reach(X, X)` holds for 0 and 1 although reach(0, 0) and "
                     "reach(1, 1) are in the relation it returns (README, the pyDatalog limits)")


@pytest.mark.xfail(strict=True, reason=NONLINEAR_NEGATED)
def test_pydatalog_negation_over_nonlinear_recursion() -> None:
    rules = [TEMPLATES["reach"][0], TEMPLATES["reach"][3], TEMPLATES["lonely"][0]]
    edges = {(0, 1), (1, 0)}
    assert evaluate("pydatalog", rules, edges)["lonely"] == naive(rules, edges)["lonely"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_pydatalog_agrees_whenever_it_finishes(case: tuple[list[Rule], set[tuple[int, int]]]) -> None:
    rules, edges = case
    assume(not negates_nonlinear_recursion(rules))  # a known divergence, pinned just above
    try:
        actual = evaluate("pydatalog", rules, edges)
    except QueryTimeout:
        return  # a run that pyDatalog does not finish; the engine tests pin that it is caught
    expected = naive(rules, edges)
    for pred, rows in actual.items():
        assert rows == expected[pred], pred
