"""What support, `sources` and the link chart cost: each measured beside the same work without them.

Stage: measurement tasks run in a child process. Input: parameters (sizes, with or without support)
and the Clock. Output: the answers' count, or one sample per call for the latency rows. Loading the
facts and rules happens before the clock, as in subjects.py.

    support.closure   the closure of a graph whose edges are statements of three sources graded A, C
                      and E (a third each, interleaved): path(X, Y) with support or without
    support.bundled   queries on the bundled knowledge base, with support or without, repeated: the
                      typical ones and every inconsistency relation (the deep ones)
    support.sources   `sources` (explain.critical.rests_on) on every answer of every inconsistency
                      relation and of the derived relations the README's session asks about; or,
                      as its baseline, `why` on the same facts
"""

from __future__ import annotations

from typing import Any

from . import data
from .baselines import graph_edges
from .bundled import _bundled, _goal
from .clock import Clock, Timeout
from .subjects import CLOSURE_RULES, Missing, _import, _need, _open, _timed

GRADES = ("A", "C", "E")


def graded_edge_facts(edges: list[tuple[int, int]]) -> str:
    """edge/2 facts as statements of three sources graded A, C and E, edge k stated by source k mod 3."""
    text = "".join(f'.source s{i} {{ title: "generated" reliability: {g} }}\n' for i, g in enumerate(GRADES))
    text += ".relation edge(a: number, b: number).\n"
    for i in range(len(GRADES)):
        text += f".source s{i}.\n" + data.edge_facts(e for k, e in enumerate(edges) if k % len(GRADES) == i)
    return text


def closure(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """path(X, Y) over graded edges; `support` says whether each answer's support is computed too."""
    kb = _open(params, clock)
    _need(kb, "load_text")(graded_edge_facts(graph_edges(params)), file="bench_graded_edges.facts")
    support = bool(params.get("support"))
    if not support:
        return {"count": _timed(kb, clock, CLOSURE_RULES, "path(X, Y)")}
    errors = _import("allegiance.errors")
    _need(kb, "load_text")(CLOSURE_RULES, file="bench_rules.dl")
    try:
        with clock:
            answers = kb.query("path(X, Y)", support=True)
            count = sum(1 for _ in answers.rows)  # every row read, as subjects._timed reads the plain side's
    except errors.QueryTimeout as e:
        raise Timeout(str(e)) from e
    if answers.supports is None or len(answers.supports) != len(answers.rows):
        raise Missing("query(support=True) gave no support per answer")
    return {"count": count}


def _inconsistency_goals(kb: Any) -> list[str]:
    names = {r.sym.name for r in _need(kb, "inconsistency_relations")()}
    return [_goal(p) for p in sorted(kb.program.derived, key=lambda p: (p.name, p.arity)) if p.name in names]


def bundled_queries(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Each query of `queries` plus every inconsistency relation's, `repeat` times, one sample each,
    with support (`support`) or without. The first round evaluates (the engine and the support are
    computed on first use and kept until the knowledge base changes), as in bundled.query."""
    kb = _bundled()
    ask = _need(kb, "query")
    queries = [*params.get("queries", []), *_inconsistency_goals(kb)]
    support = bool(params.get("support"))
    for _ in range(params.get("repeat", 20)):
        for q in queries:
            with clock:
                ask(q, support=support)
    return {"latency": True, "calls": len(clock.samples), "queries": queries,
            "first": max(clock.samples[: len(queries)])}


def _facts(kb: Any, goals: list[str]) -> list[str]:
    fmt = _import("allegiance.ast").format_value
    found = []
    for goal in goals:
        name = goal.split("(")[0]
        for row in kb.query(goal).rows:
            found.append(f"{name}({', '.join(fmt(v) for v in row)})")
    return found


def sources(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`sources FACT` (mode "sources") or `why FACT` (mode "why") on every fact of the goals."""
    kb = _bundled()
    facts = _facts(kb, [*params.get("goals", []), *_inconsistency_goals(kb)])
    if params.get("mode") == "why":
        run = _need(_import("allegiance.explain"), "why")
    else:
        run = _need(_import("allegiance.explain.critical"), "rests_on")
    for _ in range(params.get("repeat", 1)):
        for fact in facts:
            with clock:
                run(kb, fact)
    return {"latency": True, "calls": len(clock.samples), "facts": len(facts)}


__all__ = ["bundled_queries", "closure", "graded_edge_facts", "sources"]
