"""The fast path of an English sentence (parse._plain_sentence) against the grammar's `sentence`
start: a sentence of words alone, which Lark has already read as one SENTENCE token, is split into
its words with the grammar's own terminals instead of being parsed a second time; every other text
goes to the `sentence` parse, so the result (or the error) is the grammar's.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance import parse
from allegiance.errors import ParseError

# --- the fast path of an English sentence ---------------------------------------------------------

words = st.sampled_from([
    "Nusra", "is", "allied", "with", "the", "U.S.", "al-Sham", "Russia's", "Russia’s", "3", "12", "x.y", "é", "Ünal",
    "claimed", "by", "according", "to", "on", "2015-10-10", "between", "and", "since", "until", "credibility",
    "quoting", "Quoting", "from", "source", '"a quote"', '"a \\"b\\""', "%", "% note", "// note", ".", "-", "'", "_x",
    "1.5", "(", ")", ",", "é.", "A.B", "5%", "Some", "some", "of", "in",
    "2015-10", "October", "October 2015",
])
separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\t", "\n  ", " % note\n", ""])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(words, separators), min_size=1, max_size=12), st.sampled_from([".", "", " .", ". ", "U.S."]))
def test_a_plain_sentence_reads_as_the_sentence_start_reads_it(pieces: list[tuple[str, str]], end: str) -> None:
    text = "".join(w + s for w, s in pieces) + end
    fast = parse._plain_sentence(text)
    try:
        lark: object = parse._parse_with(text, "sentence")
    except ParseError:
        lark = None
    if fast is not None:
        assert lark == (fast, ()), "the fast path read a text as the grammar does not"
    elif isinstance(lark, tuple) and not lark[1] and '"' not in text:
        # words alone, where no qualifier terminal matches (a first word may, and still be a word)
        assert parse._sentence_syntax is not None and parse._sentence_syntax.qualifier.search(text), \
            f"a plain sentence missed the fast path: {text!r}"


def test_english_statements_read_the_same_with_and_without_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ("Nusra is allied with Jordan.\nThe U.S. backs the Free Syrian Army, according to Reuters.\n"
            "Russia carried out 3 strikes on ISIS-held terrain\n    between 2015-10-01 and 2015-10-03.\n"
            'Ahrar al-Sham is a member of "the Alliance of 41".\nRussia backs the U.S.\n'
            "Some of the Southern Front backs some of the FSA.\nRussia strikes Hama in October 2015.\n")
    fast = repr(parse.parse_program(text, "t.facts"))
    monkeypatch.setattr(parse, "_plain_sentence", lambda text: None)
    assert repr(parse.parse_program(text, "t.facts")) == fast
