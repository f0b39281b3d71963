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


# --- the fast path of plain fact lines ------------------------------------------------------------

names = st.sampled_from(["ally", "ally", "p", "p", "member", "x_1", "aB9", "not", "expect", "accept", "no", "count", "as",
                         "quoting", "at", "under", "from", "source", "e", "é", "Ally", "_"])
plain_args = st.sampled_from(["g0", "a", "al_sham", "b12", "42", "0", "2.25", "2015-10-10", '"Group 7"', "x_y"])
args = st.one_of(plain_args, plain_args, plain_args, st.sampled_from([
    "g0", "a", "al_sham", "not", "as", "quoting", "at", "Var", "_", "é", "al-sham", "1", "007", "42", "-3", "+4",
    "1.5", "1.5e3", "1.5e", "0.10000000000000000000001", "1.", "12345678901234567890", "999999999999999999",
    "2015-10-10", "2015-02-30", "2015-10", "2015-10-10-1", "2015-10-10x", '"text"', '"with, comma)."', '"% not a comment"',
    '"a\\"b"', '"\\u00e9"', '"\\q"', '"\\u00"', '""', "1 + 2", "f(a)", "a b",
]))
spaces = st.sampled_from(["", "", " ", "  ", "\t"])
ends = st.sampled_from([".", ".", ".", ".", " .", ". % note", ".// note", ".\r", "", ". p(b).", ") .", ". %"])


@st.composite
def fact_lines(draw: st.DrawFn) -> str:
    sp = draw(spaces)
    listed = draw(st.lists(args, min_size=0, max_size=4))
    return f"{draw(spaces)}{draw(names)}{sp}({sp}{(sp + ',' + sp).join(listed)}{sp}){draw(ends)}"


other_lines = st.sampled_from([
    "", "% a comment", "// a comment", "   ", ".source blog { publisher: \"Blog\"  reliability: D }",
    ".trust t {", "}", "trusted(S) :- status(S, confirmed).", "backed(B, G) :-", "  backs(B, G),", "  p(a).",
    "Russia backs the rebels", "Russia backs the rebels.", "Nusra is allied with Jordan, according to Reuters.",
    ".dialect souffle", ".dialect prolog", ".relation ally(a, b) { symmetric: true }",
    "ally(a, b), claimed by rebels, from source blog.", "not ally(a, b).", "?- ally(X, Y).", "ally(X, b) :- p(X).",
    "x(A) :- y(A), A % 2 = 0.", "expect ally(a, b).", "p(a) q(b).", "p(a).q(b).", "\ufeffp(a).", "p(a) % (",
])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.one_of(fact_lines(), fact_lines(), other_lines), min_size=1, max_size=10), st.sampled_from(["\n", "\r\n"]))
def _compare_files(lines: list[str], newline: str) -> None:
    text = newline.join(lines)

    def read() -> str:
        try:
            return repr(parse.parse_program(text, "t.facts"))
        except ParseError as exc:  # the error, its place and its hint
            return f"error {exc} {exc.span} {exc.hint}"

    counted: list[int] = []
    original = parse._plain_fact

    def fast_fact(match, line, file):  # type: ignore[no-untyped-def]
        made = original(match, line, file)
        counted.append(made is not None)
        return made

    parse._plain_fact = fast_fact  # type: ignore[assignment]
    try:
        fast = read()
    finally:
        parse._plain_fact = original  # type: ignore[assignment]
    with_fast = parse._with_plain_facts
    parse._with_plain_facts = lambda text, ctx: None  # type: ignore[assignment]
    try:
        lark = read()
    finally:
        parse._with_plain_facts = with_fast  # type: ignore[assignment]
    assert fast == lark, text
    COMPARED["files"] += 1
    COMPARED["fast_lines"] += sum(counted)
    COMPARED["fast_files"] += bool(counted) and fast.startswith("Program")


COMPARED = {"files": 0, "fast_lines": 0, "fast_files": 0}


def test_plain_fact_lines_read_as_lark_reads_them() -> None:
    """Files mixing lines that look like plain facts (some only look like them: a keyword, a bad
    date, a negative number, a fact inside a block or ending a rule or a sentence that runs over
    lines) with other clauses: the clauses, or the error with its place, are Lark's."""
    for key in COMPARED:
        COMPARED[key] = 0
    _compare_files()
    # derandomized: the same files each run, so these counts are facts about what was compared
    assert COMPARED["files"] >= 400, COMPARED
    # (137 lines read on the fast path, in 56 files that parse, when written)
    assert COMPARED["fast_lines"] >= 120 and COMPARED["fast_files"] >= 45, COMPARED


def test_a_file_of_plain_facts_is_read_without_lark(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "% generated\n" + "".join(f"ally(g{i}, g{i + 1}).\n" for i in range(200)) + 'name(g0, "G 0", 3, 1.5, 2015-10-10).\n'
    expected = repr(parse.parse_program(text, "net.dl"))
    calls: list[str] = []
    real = parse._parse_with
    monkeypatch.setattr(parse, "_parse_with", lambda text, start: calls.append(start) or real(text, start))
    assert repr(parse.parse_program(text, "net.dl")) == expected
    assert calls == []  # not one Lark parse: every line was a plain fact or a comment
    # a declaration among them: Lark reads that line alone, the facts around it are still fast
    mixed = '.relation ally(a, b) { phrases: "{a} is allied with {b}" }\n' + text
    monkeypatch.setattr(parse, "_with_plain_facts", lambda text, ctx: None)
    lark = repr(parse.parse_program(mixed, "net.dl"))
    monkeypatch.undo()
    calls.clear()
    monkeypatch.setattr(parse, "_parse_with", lambda text, start: calls.append(text) or real(text, start))
    assert repr(parse.parse_program(mixed, "net.dl")) == lark
    assert calls == ['.relation ally(a, b) { phrases: "{a} is allied with {b}" }\n% generated']
