"""Static analysis: arity, safety (and the normal form it hands the engines), stratification."""

from __future__ import annotations

import pytest

from allegiance import ast
from allegiance.analysis import check, check_query
from allegiance.errors import (
    ArityError,
    CheckError,
    ErrorGroup,
    StratificationError,
    UnknownPredicateError,
    UnsafeVariableError,
    WildcardInHeadError,
    flatten,
)
from allegiance.parse import parse_program, parse_query


def checked(text: str, dialect: str = "prolog"):  # type: ignore[no-untyped-def]
    return check(parse_program(text, "t.dl", dialect))


def errors_of(text: str) -> list[CheckError]:
    with pytest.raises((CheckError, ErrorGroup)) as caught:
        checked(text)
    return flatten(caught.value)  # type: ignore[return-value]


def test_every_error_class_has_a_stable_code() -> None:
    codes = {cls.code for cls in (ArityError, UnsafeVariableError, WildcardInHeadError, StratificationError,
                                  UnknownPredicateError)}
    assert codes == {"arity_mismatch", "unbound_variable", "safety_violations", "cyclic_negation", "unknown_predicate"}


def test_arity_is_part_of_identity_and_a_mismatch_names_both_places() -> None:
    (error,) = errors_of("fib(0, 0, 2).\nfib(1, 1).")
    assert isinstance(error, ArityError) and "t.dl:1:1" in error.message and error.span and error.span.line == 2


def test_unsafe_head_comparison_and_expression_variables() -> None:
    assert isinstance(errors_of("e(a). p(X) :- e(Y).")[0], UnsafeVariableError)
    assert "N > M" in errors_of("c(a, 1). big(X) :- c(X, M), N > M.")[0].message
    (error,) = errors_of(".decl fib(n: number, x: number)\nfib(n, x) :- fib(N - 1, x).")
    assert isinstance(error, UnsafeVariableError)


def test_wildcard_in_a_head() -> None:
    assert isinstance(errors_of("q(a). p(_) :- q(_).")[0], WildcardInHeadError)


def test_negation_in_a_cycle_names_the_cycle() -> None:
    (error,) = errors_of("e(a, b).\nl(X, Y) :- e(X, Y), not b(X, Y).\nb(X, Y) :- e(X, Y), l(Y, X).")
    assert isinstance(error, StratificationError)
    assert "l/2 -> b/2 -> l/2" in error.message


def test_unknown_predicates_get_a_suggestion() -> None:
    (error,) = errors_of("ally(a, b). f(X) :- aly(X, _).")
    assert isinstance(error, UnknownPredicateError) and error.hint == "did you mean 'ally'?"


def test_a_variable_only_under_negation_reads_for_no_value_with_a_warning() -> None:
    program = checked("person(a). banned(b, x).\nok(X) :- person(X), not banned(X, Y).")
    assert any("for no value of Y" in w for w in program.warnings)
    aux = [r for r in program.rules if r.head.pred.startswith("__neg")]
    assert len(aux) == 1 and aux[0].head.args == (ast.Variable("X"),)
    quiet = checked("person(a). banned(b, x).\nok(X) :- person(X), not banned(X, _).")
    assert quiet.warnings == ()


def test_normal_form_orders_bodies_and_moves_arithmetic_out_of_atoms_and_heads() -> None:
    program = checked("s(1).\nn(Y + 1) :- not t(X), s(X), Y = X * 2, Y < 10.\nt(0).")
    (rule,) = [r for r in program.rules if r.head.pred == "n"]
    kinds = [type(lit).__name__ for lit in rule.body]
    assert kinds == ["Atom", "Assignment", "Comparison", "Assignment", "NegLiteral"]
    assert all(isinstance(a, (ast.Variable, ast.Constant)) for a in rule.head.args)


def test_strata_put_dependencies_first_and_mark_recursion() -> None:
    program = checked("e(a, b).\nr(X, Y) :- e(X, Y).\nr(X, Y) :- e(X, Z), r(Z, Y).\nu(X) :- e(X, _), not r(X, X).")
    order = [sorted(str(p) for p in s.predicates) for s in program.strata]
    assert order.index(["r/2"]) < order.index(["u/1"])
    assert [s.recursive for s in program.strata if "r/2" in {str(p) for p in s.predicates}] == [True]


def test_queries_are_checked_too() -> None:
    program = checked("ally(a, b).")
    with pytest.raises(UnknownPredicateError):
        check_query(parse_query("aly(X, Y)"), program)
    with pytest.raises(ArityError):
        check_query(parse_query("ally(X)"), program)
    with pytest.raises(UnsafeVariableError):
        check_query(parse_query("ally(X, _), not ally(X, Y)"), program)
    query = check_query(parse_query("ally(X, Y), not ally(Y, _)"), program)
    assert query.variables == ("X", "Y") and query.goal == ast.PredicateSym("__query", 2)


def test_reserved_names_are_refused() -> None:
    assert "reserved" in errors_of("__x(a).")[0].message
