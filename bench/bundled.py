"""Latency on the bundled knowledge base (`KnowledgeBase.bundled()`): query, why and check.

Stage: measurement tasks run in a child process. Input: parameters (how many repetitions, which
queries) and the Clock. Output: one sample per call, so the report can give p50 and p95. Loading the
bundled knowledge base happens before the clock: start-up has its own row (the REPL fed `:quit`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .clock import Clock
from .subjects import Missing, _import, _kb, _need

ROOT = Path(__file__).resolve().parent.parent


def _bundled() -> Any:
    return _need(_kb(), "bundled")()


def _derived_predicates(kb: Any) -> list[Any]:
    """The predicates some rule derives, in a stable order."""
    derived = _need(_need(kb, "program"), "derived")
    return sorted(derived, key=lambda p: (p.name, p.arity))


def _goal(pred: Any) -> str:
    if pred.arity == 0:
        return f"{pred.name}()"
    return f"{pred.name}({', '.join(f'V{i}' for i in range(pred.arity))})"


def _user_predicates(kb: Any) -> list[Any]:
    # Internal relations (`__neg1_p`, `__stmt_p`) are the analysis's, not something a user asks.
    return [p for p in _derived_predicates(kb) if not p.name.startswith("_")]


def query_latency(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Typical queries (or every user-visible derived predicate, all arguments open), repeated."""
    kb = _bundled()
    ask = _need(kb, "query")
    queries = params.get("queries") or [_goal(p) for p in _user_predicates(kb)]
    if not queries:
        raise Missing("the bundled knowledge base has no rules to query")
    answers = 0
    for _ in range(params.get("repeat", 20)):
        for q in queries:
            with clock:
                answers += len(ask(q).rows)
    # The first round evaluates the rules (the engine is lazy); later rounds read what it derived.
    return {"latency": True, "calls": len(clock.samples), "queries": queries,
            "first": max(clock.samples[: len(queries)])}


def why_latency(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`why` on every derived fact of the bundled knowledge base."""
    fmt = _import("allegiance.ast").format_value
    kb = _bundled()
    why = getattr(kb, "why", None)
    if why is None:
        explain = _import("allegiance.explain")
        fn = getattr(explain, "why", None)
        if fn is None:
            raise Missing("KnowledgeBase.why / allegiance.explain.why missing: renamed or removed?")

        def why(fact: str) -> Any:
            return fn(kb, fact)

    ask = _need(kb, "query")
    facts = []
    for pred in _user_predicates(kb):
        for row in ask(_goal(pred)).rows:
            facts.append(f"{pred.name}({', '.join(fmt(v) for v in row)})")
    if not facts:
        raise Missing("the bundled knowledge base derives no facts")
    for _ in range(params.get("repeat", 1)):
        for fact in facts:
            with clock:
                why(fact)
    return {"latency": True, "calls": len(clock.samples), "facts": len(facts)}


def check_latency(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Every check of every file under checks/ against the bundled knowledge base, one sample each.

    A fresh Checker per file and repetition, as `allegiance check` and `checks.run_file` do, so the
    inconsistencies a file's accepts need are computed inside the first check that reads them."""
    files = sorted((ROOT / "checks").glob("*.check"))
    if not files:
        raise Missing("no checks/*.check files")
    checks = _import("allegiance.checks")
    checker_cls, read = _need(checks, "Checker"), _need(checks, "read_checks")
    kb = _bundled()
    parsed = [read(path) for path in files]
    failed = 0
    for _ in range(params.get("repeat", 5)):
        for check_file in parsed:
            checker = checker_cls(kb)
            for check in check_file.checks:
                with clock:
                    outcome = checker.run(check)
                failed += not outcome.passed
    return {"latency": True, "calls": len(clock.samples), "files": len(files), "failed": failed}
