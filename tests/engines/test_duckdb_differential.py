"""Differential: random stratified programs over random small graphs with cycles, DuckDB engine vs
a naive fixpoint written here. Also checks that derivation rounds are well founded and that adding
and retracting facts lands where recomputing from scratch does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

from engine_helpers import hand_strata
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance import ast
from allegiance.ast import PredicateSym as P
from allegiance.engines.duckdb import DuckDBEngine

Rows = dict[P, set[tuple[object, ...]]]
BASE = [P("e", 2), P("f", 2), P("v", 1)]
VALUES = [0, 1, 2, 3, "a", "b"]  # ints and strings in one column: exercises tagged columns
VARS = ["X", "Y", "Z"]


# --- the naive fixpoint ------------------------------------------------------------------------------


def _value(term: ast.Term, env: Mapping[str, object]) -> object:
    return env[term.name] if isinstance(term, ast.Variable) else term.value  # type: ignore[union-attr]


def _compare(op: str, a: object, b: object) -> bool:
    if op == "=":
        return type(a) is type(b) and a == b
    if op == "!=":
        return not (type(a) is type(b) and a == b)
    if type(a) is not type(b):
        return False  # values of different kinds never compare
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]


def _match(atom: ast.Atom, row: tuple[object, ...], env: dict[str, object]) -> dict[str, object] | None:
    out = dict(env)
    for arg, value in zip(atom.args, row, strict=True):
        if isinstance(arg, ast.Variable):
            if arg.name in out and not _compare("=", out[arg.name], value):
                return None
            out[arg.name] = value
        elif isinstance(arg, ast.Constant) and not _compare("=", arg.value, value):
            return None
    return out


def bindings(rule: ast.Rule, rel: Rows) -> Iterator[tuple[dict[str, object], list[tuple[P, tuple[object, ...]]]]]:
    """Every satisfying binding of rule's body, with the positive premises it used."""
    positive = [lit for lit in rule.body if isinstance(lit, ast.Atom)]

    def walk(i: int, env: dict[str, object], used: list[tuple[P, tuple[object, ...]]]) -> Iterator[tuple[dict[str, object], list[tuple[P, tuple[object, ...]]]]]:
        if i == len(positive):
            for lit in rule.body:
                if isinstance(lit, ast.Comparison) and not _compare(lit.op, _value(lit.left, env), _value(lit.right, env)):
                    return
                if isinstance(lit, ast.NegLiteral):
                    row = tuple(_value(a, env) for a in lit.atom.args)
                    if any(all(_compare("=", x, y) for x, y in zip(row, r, strict=True)) for r in rel.get(lit.atom.sym, set())):
                        return
            yield env, used
            return
        atom = positive[i]
        for row in list(rel.get(atom.sym, set())):
            nxt = _match(atom, row, env)
            if nxt is not None:
                yield from walk(i + 1, nxt, [*used, (atom.sym, row)])

    yield from walk(0, {}, [])


def naive(program: ast.Program | object, facts: Rows) -> Rows:
    rel: Rows = {p: set(rows) for p, rows in facts.items()}
    for stratum in program.strata:  # type: ignore[attr-defined]
        changed = True
        while changed:
            changed = False
            for rule in stratum.rules:
                for env, _ in list(bindings(rule, rel)):
                    row = tuple(_value(a, env) for a in rule.head.args)
                    if row not in rel.setdefault(rule.head.sym, set()):
                        rel[rule.head.sym].add(row)
                        changed = True
    return rel


# --- random programs ------------------------------------------------------------------------------


@st.composite
def programs(draw: st.DrawFn) -> object:
    """Layers of derived predicates; layer k reads base predicates and layers <= k positively,
    and base predicates and layers < k under negation."""
    layers: list[list[P]] = []
    strata = []
    for k in range(draw(st.integers(1, 3))):
        preds = [P(f"p{k}_{i}", draw(st.integers(1, 2))) for i in range(draw(st.integers(1, 2)))]
        layers.append(preds)
        lower = BASE + [p for layer in layers[:-1] for p in layer]
        readable = lower + preds
        rules = []
        for head in preds:
            for _ in range(draw(st.integers(1, 3))):
                rules.append(draw(rule(head, readable, lower)))
        strata.append(tuple(rules))
    return hand_strata(*strata)


@st.composite
def rule(draw: st.DrawFn, head: P, readable: list[P], lower: list[P]) -> ast.Rule:
    body: list[ast.Literal] = []
    bound: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        pred = draw(st.sampled_from(readable))
        args: list[ast.Term] = []
        for _ in range(pred.arity):
            choice = draw(st.integers(0, 9))
            if choice == 0:
                args.append(ast.Constant(draw(st.sampled_from(VALUES))))
            else:
                name = draw(st.sampled_from(VARS))
                args.append(ast.Variable(name))
                if name not in bound:
                    bound.append(name)
        body.append(ast.Atom(pred.name, tuple(args)))
    if bound and draw(st.booleans()):
        op = draw(st.sampled_from(["=", "!=", "<", ">="]))
        right: ast.Term = (
            ast.Variable(draw(st.sampled_from(bound))) if draw(st.booleans()) else ast.Constant(draw(st.sampled_from(VALUES)))
        )
        body.append(ast.Comparison(op, ast.Variable(draw(st.sampled_from(bound))), right))
    if bound and draw(st.booleans()):
        pred = draw(st.sampled_from(lower))
        nargs = tuple(
            ast.Variable(draw(st.sampled_from(bound))) if draw(st.integers(0, 4)) else ast.Constant(draw(st.sampled_from(VALUES)))
            for _ in range(pred.arity)
        )
        body.append(ast.NegLiteral(ast.Atom(pred.name, nargs)))
    head_args = tuple(
        ast.Variable(draw(st.sampled_from(bound))) if bound else ast.Constant(draw(st.sampled_from(VALUES)))
        for _ in range(head.arity)
    )
    return ast.Rule(ast.Atom(head.name, head_args), tuple(body))


def graphs() -> st.SearchStrategy[Rows]:
    pair = st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES))
    return st.fixed_dictionaries(
        {
            P("e", 2): st.sets(pair, max_size=8),
            P("f", 2): st.sets(pair, max_size=5),
            P("v", 1): st.sets(st.tuples(st.sampled_from(VALUES)), max_size=4),
        }
    )


def derived_preds(program: object) -> list[P]:
    return sorted({r.head.sym for r in program.rules}, key=str)  # type: ignore[attr-defined]


def assert_same(engine: DuckDBEngine, program: object, facts: Rows) -> None:
    expected = naive(program, facts)
    for pred in derived_preds(program) + BASE:
        got = engine.relation(pred)
        assert {(tuple(map(type, r)), r) for r in got} == {
            (tuple(map(type, r)), r) for r in expected.get(pred, set())
        }, pred


def assert_well_founded(engine: DuckDBEngine, program: object) -> None:
    rel: Rows = {}
    rounds: dict[P, dict[tuple[object, ...], int]] = {}
    for pred in derived_preds(program) + BASE:
        rounds[pred] = engine.derivation_rounds(pred)
        rel[pred] = set(rounds[pred])
    for pred in BASE:
        assert set(rounds[pred].values()) <= {0}
    for pred in derived_preds(program):
        for row, n in rounds[pred].items():
            if n == 0:
                continue
            supported = any(
                tuple(_value(a, env) for a in r.head.args) == row
                and all(rounds[p][premise] < n for p, premise in used)
                for r in program.rules  # type: ignore[attr-defined]
                if r.head.sym == pred
                for env, used in bindings(r, rel)
            )
            assert supported, (pred, row, n)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), facts=graphs(), extra=graphs(), data=st.data())
def test_duckdb_matches_a_naive_fixpoint(program: object, facts: Rows, extra: Rows, data: st.DataObject) -> None:
    engine = DuckDBEngine(timeout=None)
    try:
        engine.load(program, facts)  # type: ignore[arg-type]
        assert_same(engine, program, facts)
        assert_well_founded(engine, program)
        # incremental: add some facts, retract others; the answer must be a fresh fixpoint's
        engine.add_facts(extra)
        now = {p: facts[p] | extra[p] for p in BASE}
        gone = {p: set(data.draw(st.lists(st.sampled_from(sorted(now[p], key=repr)), unique=True))) if now[p] else set() for p in BASE}
        engine.retract_facts(gone)
        now = {p: now[p] - gone[p] for p in BASE}
        assert_same(engine, program, now)
        assert_well_founded(engine, program)
    finally:
        engine.close()


def test_the_naive_fixpoint_itself_computes_a_closure() -> None:
    # guards the oracle: a wrong naive evaluator would make the differential test vacuous
    x, y, z = ast.Variable("X"), ast.Variable("Y"), ast.Variable("Z")
    rules = (
        ast.Rule(ast.Atom("r", (x, y)), (ast.Atom("e", (x, y)),)),
        ast.Rule(ast.Atom("r", (x, y)), (ast.Atom("e", (x, z)), ast.Atom("r", (z, y)))),
    )
    out = naive(hand_strata(rules), {P("e", 2): {(1, 2), (2, 1)}})
    assert out[P("r", 2)] == set(itertools.product([1, 2], repeat=2))
