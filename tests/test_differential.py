"""Differential property test: random stratified programs, as text, through the whole evaluator
(parse -> check -> engine) on both engines, against a naive fixpoint written here.

DuckDB must agree on every relation; pyDatalog must agree whenever it finishes within its time
limit. (This test found raw pyDatalog's incomplete answers on right recursion over a 2-cycle.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance import KnowledgeBase

Rule = tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]  # head, head vars, body literals

# Body literals: ("pos", pred, vars...), ("neg", pred, vars...), ("lt", A, B), ("ne", A, B)
TEMPLATES: dict[str, list[Rule]] = {
    "reach": [
        ("reach", ("X", "Y"), (("pos", "edge", "X", "Y"),)),
        ("reach", ("X", "Y"), (("pos", "edge", "X", "Z"), ("pos", "reach", "Z", "Y"))),
        ("reach", ("X", "Y"), (("pos", "reach", "X", "Z"), ("pos", "edge", "Z", "Y"))),
        ("reach", ("X", "Y"), (("pos", "reach", "X", "Z"), ("pos", "reach", "Z", "Y"))),
        ("reach", ("0", "Y"), (("pos", "reach", "_", "Y"), ("pos", "reach", "0", "Y"))),
    ],
    # symmetric recursion, negated below (pyDatalog's tabling once answered `not sym(0, X)` wrongly)
    "sym": [
        ("sym", ("X", "Y"), (("pos", "edge", "X", "Y"),)),
        ("sym", ("X", "Y"), (("pos", "sym", "Y", "X"),)),
        ("sym", ("X", "Y"), (("pos", "sym", "X", "Z"), ("pos", "edge", "Z", "Y"))),
    ],
    # three predicates in a ring, with self and mutual recursion (pyDatalog's tabling never returned)
    "ring": [
        ("ra", ("X",), (("pos", "edge", "X", "_"),)),
        ("ra", ("X",), (("pos", "rc", "X"),)),
        ("rb", ("X",), (("pos", "ra", "X"),)),
        ("rc", ("X",), (("pos", "rb", "X"),)),
        ("rb", ("Y",), (("pos", "rb", "X"), ("pos", "edge", "X", "Y"))),
        ("rc", ("4",), (("pos", "ra", "3"),)),
    ],
    "odd": [
        ("odd", ("X", "Y"), (("pos", "edge", "X", "Y"),)),
        ("odd", ("X", "Y"), (("pos", "even", "X", "Z"), ("pos", "edge", "Z", "Y"))),
        ("even", ("X", "Y"), (("pos", "odd", "X", "Z"), ("pos", "edge", "Z", "Y"))),
    ],
    "lonely": [
        ("lonely", ("X",), (("pos", "node", "X"), ("neg", "reach", "X", "X"))),
        ("lonely", ("X",), (("pos", "node", "X"), ("neg", "edge", "X", "_"))),
        ("lonely", ("X",), (("pos", "node", "X"), ("neg", "sym", "0", "X"))),
        ("lonely", ("X",), (("pos", "node", "X"), ("neg", "rb", "X"))),
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


def is_constant(term: str) -> bool:
    return term.isdigit()


def naive(rules: list[Rule], edges: set[tuple[int, int]]) -> dict[str, set[tuple[int, ...]]]:
    """Evaluate stratum by stratum (the dictionary order above is a valid stratification),
    each to a fixpoint, by trying every assignment of nodes to the rule's variables. A term is a
    variable, `_`, or a number (a constant)."""
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
    names = sorted({v for lit in body for v in (lit[2:] if lit[0] in ("pos", "neg") else lit[1:])
                    if v != "_" and not is_constant(v)})
    for values in itertools.product(NODES, repeat=len(names)):
        env = dict(zip(names, values, strict=True))

        def holds(lit: tuple[str, ...], env: dict[str, int] = env) -> bool:
            if lit[0] in ("pos", "neg"):
                pattern = lit[2:]
                found = any(all(p == "_" or (int(p) if is_constant(p) else env[p]) == v
                                for p, v in zip(pattern, row, strict=True))
                            for row in db.get(lit[1], set()))
                return found if lit[0] == "pos" else not found
            a, b = env[lit[1]], env[lit[2]]
            return a < b if lit[0] == "lt" else a != b

        if all(holds(lit) for lit in body):
            yield tuple(int(a) if is_constant(a) else env[a] for a in args)


def group_of(rule: Rule) -> str:
    return next(group for group, options in TEMPLATES.items() if rule in options)


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[Rule], set[tuple[int, int]]]:
    rules: list[Rule] = []
    for stratum, options in TEMPLATES.items():
        chosen = draw(st.lists(st.sampled_from(options), unique=True, max_size=len(options)))
        if stratum in ("reach", "odd", "sym", "ring") and chosen:
            # each recursive group needs its base rule
            chosen = [options[0], *[r for r in chosen if r != options[0]]]
        rules += chosen
    # a rule may only read predicates some kept rule defines (or edge/node): drop the others until
    # none is left reading a predicate whose every rule was dropped (a ring may lose its closing rule)
    kept = list(rules)
    while True:
        defined = {"edge", "node"} | {r[0] for r in kept}
        still = [r for r in kept if {lit[1] for lit in r[2] if lit[0] in ("pos", "neg")} <= defined]
        if still == kept:
            break
        kept = still
    edges = draw(st.sets(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=8))
    return kept, edges


def evaluate(engine: str, rules: list[Rule], edges: set[tuple[int, int]],
             timeout: float = 3.0) -> dict[str, set[tuple[int, ...]]]:
    facts = "".join(f"edge({a}, {b}).\n" for a, b in sorted(edges)) + "".join(f"node({n}).\n" for n in NODES)
    decls = ".decl edge(a: number, b: number)\n.decl node(a: number)\n"
    text = decls + facts + "\n".join(render(r) for r in rules)
    with KnowledgeBase(engine=engine, timeout=timeout) as kb:
        kb.load_text(text, file="random.dl")
        found = {r[0]: set(kb.facts(f"{r[0]}/{len(r[1])}")) for r in rules}
        if "reach" in found:  # a query on the diagonal of a (maybe non-linear) closure
            found["reach(X, X)"] = {(x, x) for (x,) in kb.query("reach(X, X)").rows}
        return found


def expected_of(rules: list[Rule], edges: set[tuple[int, int]]) -> dict[str, set[tuple[int, ...]]]:
    """The naive fixpoint of the relations `evaluate` returns."""
    db = naive(rules, edges)
    if "reach" in db:
        db["reach(X, X)"] = {row for row in db["reach"] if row[0] == row[1]}
    return {name: db[name] for name in [*(r[0] for r in rules), "reach(X, X)"] if name in db}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_duckdb_agrees_with_the_naive_fixpoint(case: tuple[list[Rule], set[tuple[int, int]]]) -> None:
    rules, edges = case
    expected = expected_of(rules, edges)
    actual = evaluate("duckdb", rules, edges)
    for pred, rows in actual.items():
        assert rows == expected[pred], pred


# The shapes raw pyDatalog got wrong or never finished (issue 20): the engine drives it stratum by
# stratum, so each must now answer exactly as the naive fixpoint does.
HARD_SHAPES = {
    "negation over non-linear recursion": ([TEMPLATES["reach"][0], TEMPLATES["reach"][3], TEMPLATES["lonely"][0]],
                                           {(0, 1), (1, 0)}),
    "negation over symmetric recursion": ([TEMPLATES["sym"][0], TEMPLATES["sym"][1], TEMPLATES["lonely"][2]],
                                          {(1, 0)}),
    "a ring of three predicates": (TEMPLATES["ring"][:4], {(0, 1)}),
    "a non-linear rule with a constant": ([TEMPLATES["reach"][0], TEMPLATES["reach"][4]], {(0, 1), (2, 1)}),
    "a non-linear closure on its diagonal": ([TEMPLATES["reach"][0], TEMPLATES["reach"][3]], {(1, 2), (2, 3), (3, 1)}),
}


@pytest.mark.parametrize("shape", list(HARD_SHAPES))
def test_pydatalog_answers_the_shapes_raw_pydatalog_got_wrong(shape: str) -> None:
    rules, edges = HARD_SHAPES[shape]
    assert evaluate("pydatalog", rules, edges, timeout=30.0) == expected_of(rules, edges)


def test_pydatalog_agrees_with_the_naive_fixpoint() -> None:
    """Every random program, mutual, symmetric and non-linear recursion under negation included:
    pyDatalog answers exactly (a time-out is a failure here, with a limit far above the ~0.1 s
    these take), and the test counts the programs it really compared."""
    compared: list[int] = []

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(programs())
    def agrees(case: tuple[list[Rule], set[tuple[int, int]]]) -> None:
        rules, edges = case
        assert evaluate("pydatalog", rules, edges, timeout=60.0) == expected_of(rules, edges)
        compared.append(len(rules))

    agrees()
    assert len(compared) >= 15


@pytest.mark.spark
def test_spark_agrees_with_the_naive_fixpoint(request: pytest.FixtureRequest) -> None:
    """The same random programs on the Spark engine (local mode), counting the programs compared: 12, or
    as many as --spark-examples says (CI's make test-spark-core runs fewer, each a few seconds of jobs)."""
    examples = request.config.getoption("--spark-examples")
    compared: list[int] = []

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(programs())
    def agrees(case: tuple[list[Rule], set[tuple[int, int]]]) -> None:
        rules, edges = case
        assert evaluate("spark", rules, edges, timeout=600.0) == expected_of(rules, edges)
        compared.append(len(rules))

    agrees()
    assert examples > 0 and len(compared) >= examples, f"compared {len(compared)} programs of {examples}"
