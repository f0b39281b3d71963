"""Demand-driven queries (engines/duckdb/magic.py, analysis/demand.py) answer exactly what the whole
evaluation answers, on random programs.

Random stratified programs (mutual, non-linear and linear recursion, constants in heads and bodies,
negation, comparisons, wildcards) and random queries with constants: each engine's answers are
compared with those of an engine that evaluates everything whole (`demand = False`), counting the
queries a demand program really answered. (A thorough suite: about a minute on 2 cores.)
"""

from __future__ import annotations

from engine_helpers import checked_query_text, checked_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance.ast import PredicateSym as P
from allegiance.engines.duckdb import DuckDBEngine

E, V = P("e", 2), P("v", 1)
VALUES = [0, 1, 2, 3, "a"]  # ints and a string in one column: tagged columns too
GROUPS = [["p0", "p1"], ["p2"], ["p3"]]  # a group may be mutually recursive; negation reads lower groups
ARITY = {"p0": 2, "p1": 2, "p2": 2, "p3": 1}


def _term(draw: st.DrawFn, pool: list[str]) -> str:
    kind = draw(st.sampled_from(["var", "var", "var", "var", "const", "wild"]))
    if kind == "const":
        return repr(draw(st.sampled_from(VALUES))).replace("'", '"')
    if kind == "wild":
        return "_"
    return draw(st.sampled_from(pool))


@st.composite
def programs(draw: st.DrawFn) -> str:
    rules = []
    for g, group in enumerate(GROUPS):
        positive_preds = ["e", "e", "v"] + [p for gg in GROUPS[: g + 1] for p in gg]
        negative_preds = ["e", "v"] + [p for gg in GROUPS[:g] for p in gg]
        for head in group:
            for _ in range(draw(st.integers(1, 3))):
                body, bound = [], []
                for _ in range(draw(st.integers(1, 3))):
                    pred = draw(st.sampled_from(positive_preds))
                    arity = ARITY.get(pred, 2 if pred == "e" else 1)
                    args = [_term(draw, ["X", "Y", "Z", "W"]) for _ in range(arity)]
                    body.append(f"{pred}({', '.join(args)})")
                    bound += [a for a in args if a[:1].isupper()]
                if not bound:
                    body.append("v(X)")
                    bound = ["X"]
                if draw(st.booleans()):
                    pred = draw(st.sampled_from(negative_preds))
                    arity = ARITY.get(pred, 2 if pred == "e" else 1)
                    args = [draw(st.sampled_from(bound + ['"a"', "1", "_"])) for _ in range(arity)]
                    body.append(f"not {pred}({', '.join(args)})")
                if draw(st.integers(0, 3)) == 0:
                    a, b = draw(st.sampled_from(bound)), draw(st.sampled_from(bound))
                    body.append(f"{a} {draw(st.sampled_from(['!=', '<']))} {b}")
                head_args = [draw(st.sampled_from(bound + ["2"])) for _ in range(ARITY[head])]
                rules.append(f"{head}({', '.join(head_args)}) :- {', '.join(body)}.")
    return "\n".join(rules) + "\n"


@st.composite
def queries(draw: st.DrawFn) -> str:
    pred = draw(st.sampled_from(sorted(ARITY)))
    args = [draw(st.sampled_from(["X", "Y"])) if draw(st.booleans()) else
            repr(draw(st.sampled_from([*VALUES, 7]))).replace("'", '"') for _ in range(ARITY[pred])]
    if not any(a[:1].isupper() for a in args):
        args[0] = "X"
    if "X" not in args:
        args = ["X" if a == "Y" else a for a in args]
    first = f"{pred}({', '.join(args)})"
    more = draw(st.sampled_from(["", "p3(X)", "not p3(X)", "p2(X, Z)", "e(X, Z), p1(Z, 1)"]))
    return first + (f", {more}" if more else "")


def answers(program: str, facts: dict[P, list[tuple[object, ...]]], query: str, on_demand: bool) -> tuple[list[str], int]:
    checked, _ = checked_text(program, E, V)
    engine = DuckDBEngine(timeout=None)
    engine.demand_min_rows = 0  # demand on these few facts too
    engine.demand = on_demand
    try:
        engine.load(checked, facts)
        rows = engine.query(checked_query_text(query, checked))
        return sorted(map(repr, rows)), engine.planned
    finally:
        engine.close()


def test_demand_answers_equal_the_whole_evaluation_on_random_programs() -> None:
    compared: list[str] = []

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(programs(), queries(), st.sets(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=9),
           st.sets(st.sampled_from(VALUES), max_size=4))
    def agrees(program: str, query: str, edges: set[tuple[object, object]], nodes: set[object]) -> None:
        facts: dict[P, list[tuple[object, ...]]] = {E: sorted(edges, key=repr), V: [(n,) for n in sorted(nodes, key=repr)]}
        whole, planned_whole = answers(program, facts, query, on_demand=False)
        assert planned_whole == 0
        got, planned = answers(program, facts, query, on_demand=True)
        assert got == whole, (program, query)
        if planned:
            compared.append(query)

    agrees()
    assert len(compared) >= 40, len(compared)  # most examples really went through a demand program
