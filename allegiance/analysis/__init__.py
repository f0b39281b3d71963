"""Static analysis: program -> checked program, before anything reaches an engine.

Input: an ast.Program (or its clauses) and the predicates known from elsewhere (facts already in a
knowledge base, statement and metadata relations). Output: `CheckedProgram` (checked.py).
Raises a CheckError, or an ErrorGroup holding every error found, in source order:
arity (arity.py), safety (safety.py), unknown predicates (with did-you-mean), stratification
(stratify.py); a warning for recursive arithmetic that may grow for ever (growth.py), and for a
comparison of values of different kinds, which never holds (kinds.py).
demand.py rewrites a checked query and the rules it reads for evaluation on demand (magic sets).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from .. import ast
from ..errors import (
    AllegianceError,
    CheckError,
    ErrorGroup,
    UnknownPredicateError,
    UnsafeVariableError,
    did_you_mean,
)
from ..provenance import statement_relation
from .arity import check_arity, check_names
from .checked import CheckedProgram, CheckedQuery, Stratum
from .growth import growth_warnings
from .kinds import never_true
from .safety import normalize_query, normalize_rule
from .stratify import stratify

__all__ = ["CheckError", "CheckedProgram", "CheckedQuery", "Stratum", "check", "check_names", "check_query", "fact_row",
           "facts_of"]

Known = Mapping[ast.PredicateSym, tuple[str, ...]]


def _clauses(program: ast.Program | Iterable[ast.Clause]) -> list[ast.Clause]:
    return list(program.clauses) if isinstance(program, ast.Program) else list(program)


def facts_of(program: ast.Program | Iterable[ast.Clause]) -> dict[ast.PredicateSym, set[ast.Row]]:
    """The ground facts a program states in Datalog form (`p(a, 1).`), by predicate."""
    facts: dict[ast.PredicateSym, set[ast.Row]] = {}
    for clause in _clauses(program):
        if isinstance(clause, ast.Fact):
            facts.setdefault(clause.atom.sym, set()).add(fact_row(clause.atom))
    return facts


def fact_row(atom: ast.Atom) -> ast.Row:
    """The values of a ground atom; raises UnsafeVariableError if it is not ground."""
    values: list[ast.Value] = []
    for arg in atom.args:
        if not isinstance(arg, ast.Constant):
            name = "_" if isinstance(arg, ast.Wildcard) else str(arg)
            raise UnsafeVariableError(
                f"a fact must be ground, but {atom.sym} has `{name}`", getattr(arg, "span", atom.span),
                "write a constant (lowercase or quoted), or add a body with :- to make it a rule")
        values.append(arg.value)
    return tuple(values)


def check(program: ast.Program | Iterable[ast.Clause], known: Known | Iterable[ast.PredicateSym] = ()) -> CheckedProgram:
    clauses = _clauses(program)
    known_types: dict[ast.PredicateSym, tuple[str, ...]] = (
        dict(known) if isinstance(known, Mapping) else {p: ("any",) * p.arity for p in known}
    )
    errors: list[AllegianceError] = []
    rules: list[ast.Rule] = []
    types: dict[ast.PredicateSym, tuple[str, ...]] = dict(known_types)
    for clause in clauses:
        if isinstance(clause, (ast.Declaration, ast.RelationDecl)):
            # free text and symbols are one type to the engines, as in Soufflé
            types[clause.sym] = tuple("symbol" if p.type == "string" else p.type for p in clause.params)
        elif isinstance(clause, ast.Fact):
            try:
                fact_row(clause.atom)
            except AllegianceError as exc:
                errors.append(exc)
            types.setdefault(clause.atom.sym, ("any",) * clause.atom.sym.arity)
        elif isinstance(clause, ast.Statement):
            types.setdefault(clause.atom.sym, ("any",) * clause.atom.sym.arity)
        elif isinstance(clause, ast.Rule):
            rules.append(clause)
            types.setdefault(clause.head.sym, ("any",) * clause.head.sym.arity)

    arity_errors = check_arity(clauses, known_types)
    if arity_errors:
        # Safety and stratification would only repeat the confusion; unknown names are independent.
        errors += arity_errors + _unknown_predicates(rules, types)
    if errors:
        raise _bundle(errors)

    normalized: list[ast.Rule] = []
    warnings: list[str] = []
    aux_names = itertools.count(1)  # per check, so the same program normalizes the same way
    for rule in rules:
        warnings.extend(f"{w.span}: {w.message}" for w in never_true(rule.body, types))
        result = normalize_rule(rule, aux_names)
        errors.extend(result.errors)
        warnings.extend(result.warnings)
        normalized.extend(result.aux_rules)
        normalized.append(result.rule)
    for rule in normalized:
        types.setdefault(rule.head.sym, ("any",) * rule.head.sym.arity)
    errors.extend(_unknown_predicates(rules, types))
    if errors:
        raise _bundle(errors)

    strata = stratify(tuple(normalized))
    warnings.extend(growth_warnings(strata))
    return CheckedProgram(tuple(normalized), strata, types, tuple(warnings))


def check_query(query: ast.Query, program: CheckedProgram) -> CheckedQuery:
    errors: list[AllegianceError] = list(check_arity([query], program.types))
    if errors:
        raise _bundle(errors)
    errors.extend(_unknown_predicates([query], program.types))
    result = normalize_query(query, itertools.count(1))
    errors.extend(result.errors)
    if errors:
        raise _bundle(errors)
    rules = (*result.aux_rules, result.rule)
    return CheckedQuery(rules, result.rule.head.sym, tuple(v.name for v in query.variables), query,
                        tuple(never_true(query.body, program.types)))


def _unknown_predicates(clauses: Iterable[ast.Rule | ast.Query], types: Mapping[ast.PredicateSym, object]) -> list[AllegianceError]:
    names = {p.name for p in types if not p.name.startswith("__")}
    errors: list[AllegianceError] = []
    for clause in clauses:
        for lit in clause.body:
            atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
            if not isinstance(atom, ast.Atom):
                continue
            sym = ast.PredicateSym(statement_relation(atom.pred), atom.sym.arity + 1) if atom.statement else atom.sym
            if sym not in types:
                if any(p.name == sym.name for p in types):
                    continue  # a known name with another arity: the arity error says it better
                if atom.statement is not None and atom.sym in types:
                    errors.append(UnknownPredicateError(
                        f"no statement can stand behind {atom.sym}: it is derived, not stated",
                        atom.statement.span, "`as S` only binds the statements of a stated relation"))
                    continue
                errors.append(UnknownPredicateError(
                    f"unknown predicate {atom.sym}", atom.span,
                    did_you_mean(atom.pred, names) or "no fact, rule or declaration defines it"))
    return errors


def _bundle(errors: list[AllegianceError]) -> AllegianceError:
    errors.sort(key=lambda e: (e.span.file, e.span.line, e.span.column) if e.span else ("", 0, 0))
    unique: list[AllegianceError] = []
    seen: set[str] = set()
    for err in errors:
        if str(err) not in seen:
            seen.add(str(err))
            unique.append(err)
    return unique[0] if len(unique) == 1 else ErrorGroup(unique)



