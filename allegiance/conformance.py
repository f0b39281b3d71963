"""The adapter the `datalog-conformance` suite runs against: a program in, a model out.

Input: datalog_conformance.Program (facts as rows of scalars, rules as Soufflé-style text).
Output: a mapping predicate name -> set of rows. It goes through the same stages as every user
input: the rules are parsed in the `souffle` dialect (the suite writes `Fib(n, x)`, `flight("QA",
x, z)`), the facts become ast.Fact nodes so arity analysis sees them, and the engine evaluates.

Soufflé requires a `.decl` for every relation; the harvested cases dropped them, so the adapter
declares each predicate that only appears in a rule body with the arity of its use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import ast
from .analysis import check, facts_of
from .engines import make_engine
from .parse import parse_program


class Evaluator:
    """`datalog_conformance.DatalogEvaluator` on the default (DuckDB) engine."""

    engine = "duckdb"

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout

    def evaluate(self, program: Any) -> dict[str, set[ast.Row]]:
        text = ".dialect souffle\n" + "\n".join(_terminated(rule) for rule in program.rules)
        parsed = parse_program(text, file="<conformance>")
        facts = _fact_rows(program.facts, parsed.clauses)
        if facts is not None:
            # every predicate of the facts has one arity, the rules' included: the facts are data
            # the analysis knows by their predicates, as a knowledge base's are
            clauses: list[ast.Clause] = list(parsed.clauses)
            clauses += _declarations(clauses, set(facts))
            checked = check(clauses, {sym: ("any",) * sym.arity for sym in facts})
        else:  # arities disagree: let the analysis see each fact, and say so as it would in a file
            clauses = [
                ast.Fact(ast.Atom(name, tuple(ast.Constant(_value(v)) for v in row)))
                for name, rows in program.facts.items()
                for row in rows
            ]
            clauses += parsed.clauses
            clauses += _declarations(clauses)
            checked = check(clauses)
            facts = facts_of(clauses)
        engine = make_engine(self.engine, timeout=self.timeout)
        try:
            engine.load(checked, facts)
            model: dict[str, set[ast.Row]] = {}
            for sym in checked.types:
                if not sym.name.startswith("__"):
                    model.setdefault(sym.name, set()).update(engine.relation(sym))
            return model
        finally:
            engine.close()


class PyDatalogEvaluator(Evaluator):
    """The same adapter on the pyDatalog engine."""

    engine = "pydatalog"

    def __init__(self, timeout: float | None = 60.0) -> None:
        super().__init__(timeout)


class SparkEvaluator(Evaluator):
    """The same adapter on the Spark engine (local mode unless configured otherwise)."""

    engine = "spark"

    def __init__(self, timeout: float | None = 600.0) -> None:
        super().__init__(timeout)


def _terminated(rule: str) -> str:
    rule = rule.strip()
    return rule if rule.endswith(".") else rule + "."


def _value(value: object) -> ast.Value:
    if isinstance(value, bool):  # pyDatalog would merge True with 1; the suite has none, keep it honest
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return value
    return str(value)


def _fact_rows(facts: Any, clauses: Sequence[ast.Clause]) -> dict[ast.PredicateSym, set[ast.Row]] | None:
    """The suite's facts by predicate, or None when a name is used with two arities."""
    found: dict[ast.PredicateSym, set[ast.Row]] = {}
    arity: dict[str, int] = {}
    for name, rows in facts.items():
        for row in rows:
            values = tuple(_value(v) for v in row)
            if arity.setdefault(name, len(values)) != len(values):
                return None
            found.setdefault(ast.PredicateSym(name, len(values)), set()).add(values)
    for clause in clauses:
        if isinstance(clause, ast.Rule):
            for lit in (clause.head, *clause.body):
                atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
                if isinstance(atom, ast.Atom) and arity.get(atom.pred, atom.sym.arity) != atom.sym.arity:
                    return None
    return found


def _declarations(clauses: list[ast.Clause], defined: set[ast.PredicateSym] | None = None) -> list[ast.Clause]:
    defined = set(defined or ()) | {c.atom.sym for c in clauses if isinstance(c, ast.Fact)}
    defined |= {c.head.sym for c in clauses if isinstance(c, ast.Rule)}
    used: dict[ast.PredicateSym, None] = {}
    for clause in clauses:
        if isinstance(clause, ast.Rule):
            for lit in clause.body:
                atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
                if isinstance(atom, ast.Atom) and atom.sym not in defined:
                    used[atom.sym] = None
    return [ast.Declaration(sym.name, tuple(ast.Param(f"x{i}") for i in range(sym.arity))) for sym in used]
