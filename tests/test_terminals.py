"""terminals.py: the grammar's terminals as the REPL and the highlighter use them, taken from
grammar.lark and cut where needed; these tests check the cuts still mean what they say."""

from __future__ import annotations

import re

import pytest
from allegiance.repl.session import classify, is_complete

from allegiance import terminals
from allegiance.parse import parse_program

STARTED = re.compile(terminals.QUALIFIER_STARTED)
COMPLETE = [
    "claimed by russia_mod", "according to reuters", "on 2015-10-01", "since 2015-10-01", "until 2016-01-31",
    "between 2015-10-01 and 2016-01-31", "credibility 3", "with credibility 3", 'quoting "x"', "from source s",
    "in 2015-10", "in October 2015", "since 2015-10", "until September 2015", "between 2015-09 and October 2015",
]


def test_the_qualifiers_are_those_of_the_grammar() -> None:
    grammar = terminals.GRAMMAR.read_text(encoding="utf-8")
    body = grammar[grammar.index("?qualifier_body:"): grammar.index("// --- controlled English")]
    assert set(re.findall(r"\b([A-Z][A-Z_]+)\b", body)) - {"STRING", "LNAME"} == set(terminals.QUALIFIERS)


@pytest.mark.parametrize("text", COMPLETE)
def test_a_qualifier_counts_as_one_when_complete_and_while_typed(text: str) -> None:
    assert re.fullmatch(terminals.QUALIFIER, text.removesuffix(' "x"').removesuffix(" russia_mod")
                        .removesuffix(" reuters").removesuffix(" s"))
    # every prefix that reaches its date's or number's first characters is already a qualifier
    shortest = min(len(text[:i]) for i in range(1, len(text) + 1) if STARTED.match(text[:i]))
    assert all(STARTED.match(text[:i]) for i in range(shortest, len(text) + 1))


@pytest.mark.parametrize("text", ["on monday", "on 2015", "since", "between friends", "credibility", "misquoting",
                                  "fromage source", "in 2015", "in October", "in Octobers", "since 2015"])
def test_words_that_only_begin_like_a_qualifier_are_none(text: str) -> None:
    assert not STARTED.search(text)


def test_the_repl_waits_for_a_statement_whose_date_is_being_typed() -> None:
    for partial in ["ally(fsa, nusra) on 2015-", "ally(fsa, nusra) since 2015-10", "ally(fsa, nusra) between 2015-"]:
        assert not is_complete(partial) and classify(partial) == "add"
    assert classify("ally(X, nusra)") == "query"


@pytest.mark.parametrize(("text", "english"), [
    ("Nusra Front is allied with Ahrar al-Sham.", True), ("Ally (x).", False), ("Ally  (x).", False),
    ("Ally(x).", False), ("X = 1", False), ("Russia's jets struck Idlib.", True)])
def test_the_sentence_start_agrees_with_the_grammar(text: str, english: bool) -> None:
    assert bool(re.match(terminals.SENTENCE_START, text)) == english
    if english:  # and the grammar reads the same text as a sentence
        assert type(parse_program(text, "<t>").clauses[0]).__name__ != "Fact"
