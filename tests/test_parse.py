"""The grammar and the parser: what each construct reads as, and where the nodes point."""

from __future__ import annotations

import contextlib
import datetime

import pytest

from allegiance import ast
from allegiance.errors import ParseError
from allegiance.parse import parse_program, parse_query


def one(text: str, dialect: str = "prolog") -> ast.Clause:
    (clause,) = parse_program(text, "t.dl", dialect).clauses
    return clause


def test_fact_with_every_kind_of_constant() -> None:
    fact = one('s(nusra, "Jabhat al-Nusra \\u00e9\\n", 41, -3, 2.5, 2015-10-26).')
    assert isinstance(fact, ast.Fact)
    values = [a.value for a in fact.atom.args if isinstance(a, ast.Constant)]
    assert values == ["nusra", "Jabhat al-Nusra é\n", 41, -3, 2.5, datetime.date(2015, 10, 26)]


def test_quoted_and_bare_symbols_are_one_constant_but_numbers_differ_from_strings() -> None:
    a, b, c = (one(t) for t in ('p(nusra).', 'p("nusra").', 'p("1").'))
    assert isinstance(a, ast.Fact) and isinstance(b, ast.Fact) and isinstance(c, ast.Fact)
    assert a.atom == b.atom
    assert c.atom.args[0] == ast.Constant("1") != ast.Constant(1)


def test_rule_with_negation_comparison_and_arithmetic() -> None:
    rule = one("h(X, N) :- a(X, M), !b(M), not c(X), M != 3, N = M * (2 + 1) % 5.")
    assert isinstance(rule, ast.Rule)
    kinds = [type(lit).__name__ for lit in rule.body]
    assert kinds == ["Atom", "NegLiteral", "NegLiteral", "Comparison", "Comparison"]
    assignment = rule.body[-1]
    assert isinstance(assignment, ast.Comparison) and str(assignment) == "N = (M * 3) % 5"


def test_subtraction_is_left_associative_and_folds() -> None:
    rule = one("result(1-2-3) :- seed(x).")
    assert isinstance(rule, ast.Rule)
    assert rule.head.args == (ast.Constant(-4),)


def test_capitalised_predicates_zero_arity_and_a_space_before_the_parenthesis() -> None:
    rule = one("Ok() :- not Ok().")
    assert isinstance(rule, ast.Rule) and rule.head.sym == ast.PredicateSym("Ok", 0)
    spaced = one("T (x1, x4) :- R(x1, _, x2), T(x2, x4).", dialect="souffle")
    assert isinstance(spaced, ast.Rule) and spaced.head.pred == "T"


def test_wildcards_are_numbered_apart() -> None:
    rule = one("p(X) :- q(X, _, _).")
    assert isinstance(rule, ast.Rule)
    first, second = rule.body[0].args[1:]  # type: ignore[union-attr]
    assert isinstance(first, ast.Wildcard) and isinstance(second, ast.Wildcard) and first != second


def test_dialects_decide_what_a_bare_name_is() -> None:
    prolog = one("p(X) :- q(X, nusra).")
    souffle = one(['.dialect souffle', 'p(x) :- q(x, nusra, "QA").'][1], dialect="souffle")
    assert isinstance(prolog, ast.Rule) and isinstance(prolog.body[0].args[1], ast.Constant)  # type: ignore[union-attr]
    assert isinstance(souffle, ast.Rule)
    args = souffle.body[0].args  # type: ignore[union-attr]
    assert isinstance(args[1], ast.Variable) and args[2] == ast.Constant("QA")
    program = parse_program('.dialect souffle\nflight("QA", x, z).', "t.dl")
    assert program.dialect == "souffle"


def test_comments_of_both_kinds_and_percent_as_modulo() -> None:
    program = parse_program("% a comment\np(1). // another\nq(X) :- p(Y), X = Y % 2. % trailing\n", "t.dl")
    assert [type(c).__name__ for c in program.clauses] == ["Fact", "Rule"]


def test_queries_with_and_without_the_prompt() -> None:
    assert parse_query("ally(X, nusra)") == parse_query("?- ally(X, nusra).")
    query = parse_query("ally(X, Y), not enemy(X, Y)")
    assert [v.name for v in query.variables] == ["X", "Y"]


def test_declarations_and_blocks() -> None:
    decl = one(".decl strike_count(actor: symbol, target: symbol, n: number)")
    assert isinstance(decl, ast.Declaration) and [p.type for p in decl.params] == ["symbol", "symbol", "number"]
    source = one('.source r { title: "T" date: 2015-10-26 reliability: B }')
    assert isinstance(source, ast.SourceBlock) and source.get("date") == datetime.date(2015, 10, 26)
    assert source.get("reliability") == "B"


def test_statement_qualifiers_in_datalog_form() -> None:
    st = one("strike_count(russia, isis_terrain, 3) claimed by russia_mod, between 2015-10-01 and 2015-10-03, "
             'credibility 3, quoting "three airstrikes".')
    assert isinstance(st, ast.Statement) and not st.negated
    assert [q.kind for q in st.qualifiers] == ["claimed_by", "between", "credibility", "quoting"]
    assert st.qualifiers[1].values == (datetime.date(2015, 10, 1), datetime.date(2015, 10, 3))
    negative = one("not member(nusra, alliance41).")
    assert isinstance(negative, ast.Statement) and negative.negated


def test_english_sentences_keep_abbreviations_and_stop_at_the_final_period() -> None:
    sentence = one("The U.S. backs the Free Syrian Army, according to Reuters, on 2015-10-26.")
    assert isinstance(sentence, ast.Sentence)
    assert sentence.words == ("The", "U.S.", "backs", "the", "Free", "Syrian", "Army")
    assert [(q.kind, q.who) for q in sentence.qualifiers] == [("according_to", "Reuters"), ("on", None)]


def test_a_sentence_may_run_over_lines_but_not_across_a_blank_line() -> None:
    text = "Russia strikes the FSA,\n    claimed by the MoD.\nAhrar al-Sham is an ally of Nusra Front.\n"
    program = parse_program(text, "t.facts")
    assert [type(c).__name__ for c in program.clauses] == ["Sentence", "Sentence"]
    assert program.clauses[1].span.line == 3
    with pytest.raises(ParseError):
        parse_program("Russia strikes the FSA\n\nwithout a period.\n", "t.facts")


def test_check_clauses() -> None:
    program = parse_program("expect ally(X, nusra) = {ahrar_al_sham, (a)}.\nexpect count member(_, c) >= 2.\n"
                            'accept m(a, 3) because "known".', "t.check")
    equals, count, accept = program.clauses
    assert isinstance(equals, ast.Expect) and equals.answers == (("ahrar_al_sham",), ("a",))
    assert isinstance(count, ast.Expect) and (count.op, count.count) == (">=", 2)
    assert isinstance(accept, ast.Accept) and accept.reason == "known"


def test_spans_point_at_the_source() -> None:
    rule = one("\n\n  p(X) :- q(X, Yy).")
    assert isinstance(rule, ast.Rule)
    var = rule.body[0].args[1]  # type: ignore[union-attr]
    assert (var.span.line, var.span.column, var.span.end_column) == (3, 16, 18)


@pytest.mark.parametrize("text, message", [
    ("p(a)", "expected '.'"),
    ("p(a) q(b).", "unexpected 'q'"),
    ("p('a').", "unexpected character"),
    ('p("a\\q").', "unknown escape"),
    ("p(2015-02-30).", "not a valid date"),
    (".dialect klingon", "unknown dialect"),
    ("p(X) :- q(X) as S, not r(X) as T.", "unexpected 'as'"),
    ("x(a) on 2015-01-01 between 2015-02-01 and 2015-01-01.", "ends before it starts"),
])
def test_parse_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_program(text, "t.dl")
    assert message in str(caught.value)
    assert caught.value.span is not None and caught.value.span.file == "t.dl"


@pytest.mark.parametrize("text", ["p(a.", "p(a", "p(a b).", "q(X) :- p(a."])
def test_an_unclosed_argument_list_says_what_may_follow_an_argument(text: str) -> None:
    # whatever comes next, the same three things could have followed the argument
    with pytest.raises(ParseError) as caught:
        parse_program(text, "t.dl")
    assert "expected ')', ',', an operator" in str(caught.value)


def test_deep_nesting_is_an_error_or_an_answer_never_a_crash() -> None:
    depth = 5000
    text = "p(X) :- q(Y), X = " + "(" * depth + "Y" + ")" * depth + "."
    with contextlib.suppress(ParseError):
        parse_program(text, "t.dl")


def test_constant_folding_uses_the_engines_arithmetic() -> None:
    from allegiance import KnowledgeBase

    folded = one("r(-7 / 2, -7 % 2, 7 / 0) :- s(1).")
    assert isinstance(folded, ast.Rule)
    assert folded.head.args[:2] == (ast.Constant(-3), ast.Constant(-1))
    assert isinstance(folded.head.args[2], ast.BinOp), "no value for 7 / 0: left to the engine"
    with KnowledgeBase() as kb:
        kb.load_text("s(1).\nf(-7 / 2, -7 % 2) :- s(1).\ne(Q, R) :- s(1), M = 0 - 7, Q = M / 2, R = M % 2.", file="t.dl")
        assert kb.facts("f/2") == kb.facts("e/2") == [(-3, -1)]


def test_a_string_with_no_end_says_so() -> None:
    """It said "unexpected character '\"'" at the opening quote (found in a new-user session)."""
    with pytest.raises(ParseError) as info:
        parse_program('p("abc).\nq(a).\n', "x.dl")
    error = info.value
    assert (error.message, error.span.line if error.span else None) == ("this string is never closed", 1)
    assert error.hint == 'end it with " on the same line (write \\n for a line break)'
    with pytest.raises(ParseError) as info:
        parse_program('p("a\\qb").\n', "x.dl")  # closed, but with an unknown escape: not this message
    assert info.value.message != "this string is never closed"
