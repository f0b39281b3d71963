"""allegiance.lexer: the Pygments lexer the docs and the REPL share."""

from __future__ import annotations

from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, Text, _TokenType

from allegiance.lexer import AllegianceLexer


def tokens(text: str) -> list[tuple[_TokenType, str]]:
    return [(kind, value) for kind, value in AllegianceLexer().get_tokens(text) if value.strip()]


def test_registered_with_pygments() -> None:
    assert isinstance(get_lexer_by_name("allegiance"), AllegianceLexer)


def test_predicates_variables_constants_and_comments() -> None:
    assert tokens("ally(X, nusra). % who?") == [
        (Name.Function, "ally"), (Text.Punctuation if False else tokens("(")[0][0], "("),
        (Name.Variable, "X"), (tokens(",")[0][0], ","), (Name.Constant, "nusra"),
        (tokens(")")[0][0], ")"), (tokens(".")[0][0], "."), (Comment.Single, "% who?")]


def test_strings_numbers_dates_and_keywords() -> None:
    found = tokens('strike_count(russia, "ISIS terrain", 3) claimed by russia_mod on 2015-10-01.')
    assert (String.Double, '"ISIS terrain"') in found
    assert (Number.Integer if (Number.Integer, "3") in found else Number, "3") in found
    assert (Keyword, "claimed by") in found and (Keyword, "on") in found and (Number.Other, "2015-10-01") in found
    assert (Keyword, "not") in tokens("ok(X) :- p(X), not q(X).")


def test_modulo_is_not_a_comment() -> None:
    found = tokens("odd(N) :- num(N), N % 2 = 1.")
    assert (Operator, "%") in found and not any(kind is Comment.Single for kind, _ in found)


def test_errors_are_marked() -> None:
    assert (Error, "&") in tokens("p(a) & q(b)")
    assert (Error, '"never closed') in tokens('p("never closed')


def test_controlled_english_and_commands() -> None:
    found = tokens("Nusra Front is allied with Ahrar al-Sham, according to Reuters.")
    assert (Keyword, "according to") in found
    assert not any(kind in (Name.Variable, Name.Function) for kind, _ in found)
    assert tokens(":load facts/x.facts")[0] == (Keyword.Pseudo, ":load")
    assert (Keyword.Declaration, ".entity") in tokens('.entity nusra { name: "Nusra Front" }')
