"""Curated statements: English matched against phrases, qualifiers, negatives, corroboration,
provenance relations, and the round trip English <-> Datalog."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allegiance import KnowledgeBase, StatementError
from allegiance.curate import curate
from allegiance.english import render_datalog, render_sentence
from allegiance.errors import flatten
from allegiance.parse import parse_program

SCHEMA = """
.entity fsa { name: "Free Syrian Army" aliases: "FSA" kind: group }
.entity ahrar { name: "Ahrar al-Sham" kind: group }
.entity alliance41 { name: "Alliance of 41" aliases: "the 41 groups" kind: coalition }
.entity russia { name: "Russia" kind: state }
.entity mod { name: "Russian Ministry of Defense" aliases: "the MoD" kind: agency }
.entity isis { name: "ISIS" kind: group }
.entity reuters { name: "Reuters" kind: media }
.relation member(group, coalition) {
  phrases: "{group} is a member of {coalition}", "{group} belongs to {coalition}"
  negative: "{group} does not belong to {coalition}"
}
.relation ally(a, b) { symmetric: yes  phrases: "{a} is allied with {b}" }
.relation strike_count(actor, target, count: number) { phrases: "{actor} struck {target} a total of {count} times" }
.source r1 { title: "One" publisher: "Reuters" date: 2015-10-26 reliability: B }
"""


class KB(KnowledgeBase):
    """Statements in these tests come from source r1 unless they say otherwise."""

    def load_text(self, text: str, file: str = "<input>", source: bool = False):  # type: ignore[override]
        return super().load_text((".source r1.\n" if source else "") + text, file=file)


@pytest.fixture
def kb() -> KnowledgeBase:
    kb = KB()
    kb.load_text(SCHEMA, file="schema.facts")
    yield kb
    kb.close()


def test_english_and_datalog_state_the_same_fact(kb: KnowledgeBase) -> None:
    kb.load_text(".source r2 { title: \"Two\" publisher: \"Reuters\" reliability: C }\n"
                 "The FSA is a member of the 41 groups.\nmember(fsa, alliance41) from source r1.\n", file="a.facts", source=True)
    assert kb.query("member(X, alliance41)").rows == [("fsa",)]
    behind = kb.statements_for("member", ("fsa", "alliance41"))
    assert {s.source for s in behind} == {"r1", "r2"}, "two sources: one fact, two statements"
    assert {s.english for s in behind} == {True, False}


def test_qualifiers_become_metadata_relations(kb: KnowledgeBase) -> None:
    kb.load_text("Russia struck ISIS a total of three times, claimed by the MoD, between 2015-10-01 and 2015-10-03, "
                 "credibility 3.\n", file="a.facts", source=True)
    (record,) = kb.statements
    assert (record.status, record.asserter, record.credibility) == ("claimed", "mod", 3)
    assert record.row == ("russia", "isis", 3)
    assert kb.query("strike_count(russia, isis, N) as S, status(S, claimed), asserted_by(S, mod), "
                    "valid_from(S, D), D < 2015-10-02").rows == [(3, record.id, datetime.date(2015, 10, 1))]
    assert kb.query("source(S, r1), reliability(r1, G), published(r1, D)").rows == \
        [(record.id, "B", datetime.date(2015, 10, 26))]


def test_a_statement_without_asserter_is_reported_by_the_publisher(kb: KnowledgeBase) -> None:
    kb.load_text("Ahrar al-Sham belongs to the Alliance of 41.\n", file="a.facts", source=True)
    (record,) = kb.statements
    assert (record.status, record.asserter) == ("reported", "reuters")


def test_negatives_are_not_absence_and_contradict_positives(kb: KnowledgeBase) -> None:
    kb.load_text("Ahrar al-Sham does not belong to the Alliance of 41.\n"
                 "Ahrar al-Sham is not a member of the Alliance of 41.\n", file="a.facts", source=True)
    assert kb.query("member(ahrar, alliance41)").rows == []
    assert kb.query("no_member(ahrar, alliance41)").rows == [()]
    assert kb.inconsistencies() == []
    kb.load_text("member(ahrar, alliance41) from source r1.", file="b.facts")
    assert {i.kind for i in kb.inconsistencies()} == {"contradicted"}


def test_symmetric_relations_hold_both_ways_with_their_statements(kb: KnowledgeBase) -> None:
    kb.load_text("The FSA is allied with Ahrar al-Sham.\n", file="a.facts", source=True)
    assert kb.query("ally(ahrar, fsa)").rows == [()]
    assert kb.query("ally(ahrar, fsa) as S").rows == [(kb.statements[0].id,)]


@pytest.mark.parametrize("text, message, hint", [
    ("The FSA is a member of the Alliance of 14.", 'unknown entity "the Alliance of 14"', "did you mean 'Alliance of 41'?"),
    ("The FSA joined the Alliance of 41.", "no relation's phrase matches", "closest phrase"),
    ("Russia struck ISIS a total of many times.", '"many" is not a number', None),
    ("The FSA is a member of the 41 groups, claimed by the Kremlin.", 'unknown entity "the Kremlin"', None),
    ("membr(fsa, alliance41).", "unknown relation membr/2", "did you mean 'member'?"),
    ("member(fsx, alliance41).", "unknown entity fsx", "did you mean 'fsa'?"),
    ("The FSA is a member of the 41 groups, from source r11.", "unknown source r11", "did you mean 'r1'?"),
])
def test_mistakes_in_fact_files_are_pointed_out(kb: KnowledgeBase, text: str, message: str, hint: str | None) -> None:
    before = kb.statements
    with pytest.raises(StatementError) as caught:
        kb.load_text(".source r1.\n" + text + "\n", file="bad.facts")
    assert message in caught.value.message
    if hint:
        assert hint in (caught.value.hint or "")
    assert kb.statements == before


def test_every_error_of_a_file_is_reported(kb: KnowledgeBase) -> None:
    with pytest.raises(Exception) as caught:
        kb.load_text("The FSA joined the Alliance of 41.\nmembr(fsa, alliance41).\n", file="bad.facts")
    assert len(flatten(caught.value)) == 2  # type: ignore[arg-type]


def test_clashing_declarations_are_errors(kb: KnowledgeBase) -> None:
    with pytest.raises(StatementError, match="already defined"):
        kb.load_text('.entity fsa { name: "Syrian Free Army" kind: group }', file="x.facts")
    with pytest.raises(StatementError, match="already belongs"):
        kb.load_text('.entity fsa2 { name: "Free Syrian Army" kind: group }', file="x.facts")
    with pytest.raises(StatementError, match="already defined"):
        kb.load_text('.source r1 { title: "Other" }', file="x.facts")


def test_a_quote_missing_from_its_article_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "article.txt").write_text("The FSA joined the alliance on Monday.", encoding="utf-8")
    facts = tmp_path / "a.facts"
    facts.write_text(SCHEMA.replace('reliability: B }', 'reliability: B file: "article.txt" }') +
                     'The FSA is a member of the 41 groups, quoting "The FSA joined the alliance on Monday.".\n'
                     'Ahrar al-Sham is a member of the 41 groups, quoting "Ahrar joined too.".\n', encoding="utf-8")
    with KnowledgeBase() as kb:
        kb.load_file(facts)
        assert len(kb.warnings) == 1 and "quote is not in" in kb.warnings[0]


def test_article_files_that_cannot_be_read_are_one_warning_line(tmp_path: Path) -> None:
    facts = tmp_path / "a.facts"
    facts.write_text(SCHEMA.replace('reliability: B }', 'reliability: B file: "gone/one.txt" }') +
                     '.source r2 { title: "Another" file: "gone/two.txt" }\n'
                     'The FSA is a member of the 41 groups, from source r1, quoting "The FSA joined.".\n'
                     'Ahrar al-Sham is a member of the 41 groups, from source r2, quoting "Ahrar joined.".\n',
                     encoding="utf-8")
    with KnowledgeBase() as kb:
        kb.load_file(facts)
        assert len(kb.warnings) == 1
        assert "gone/one.txt, which cannot be read (and 1 more article files: " in kb.warnings[0]
        assert kb.warnings[0].endswith("gone/two.txt); quotes from them are not checked")


BUNDLED = Path(__file__).resolve().parent.parent


def test_a_fresh_clone_without_the_articles_loads_without_warnings(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The bundled sources name ../shared/articles/, beside the project, not in it: a clone elsewhere
    # has no such folder, and its statements quote their sentences already.
    for part in ("facts", "rules"):
        (tmp_path / "clone" / part).mkdir(parents=True)
        for f in (BUNDLED / part).iterdir():
            (tmp_path / "clone" / part / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("ALLEGIANCE_KB", str(tmp_path / "clone"))
    with KnowledgeBase.bundled() as kb:
        paths = {s.article_path() for s in kb.catalog.sources.values()} - {None}
        assert paths and not any(Path(p).exists() for p in paths if p)
        assert kb.warnings == ()
    # ... while the same files loaded as anyone's knowledge base say, in one line, what goes unchecked.
    monkeypatch.delenv("ALLEGIANCE_KB")
    with KnowledgeBase() as kb:
        kb.load_path(tmp_path / "clone" / "facts")
        assert len(kb.warnings) == 1 and "cannot be read" in kb.warnings[0]


def test_the_bundled_quotes_are_in_their_articles_where_the_articles_are() -> None:
    with KnowledgeBase.bundled() as kb:
        paths = {s.article_path() for s in kb.catalog.sources.values()} - {None}
        if not all(p and Path(p).is_file() for p in paths):
            pytest.skip("the articles (../shared/articles/) are not beside this checkout")
        texts = {p: " ".join(Path(p).read_text(encoding="utf-8").split()) for p in paths if p}
        checked = 0
        for record in kb.statements:
            source = kb.catalog.sources[record.source]
            path = source.article_path()
            if record.quote and path:
                assert " ".join(record.quote.split()) in texts[path], record.span
                checked += 1
        assert checked > 50 and kb.warnings == ()


def test_every_bundled_statement_round_trips_through_english_and_datalog() -> None:
    with KnowledgeBase.bundled() as kb:
        assert len(kb.statements) > 50
        for record in kb.statements:
            for text in (render_sentence(record, kb.catalog), render_datalog(record)):
                clauses = parse_program(text, "roundtrip.facts").clauses
                curated = curate(clauses, kb.catalog.copy(), True, {})
                assert not curated.errors, (text, curated.errors)
                (again,) = curated.statements
                assert again.identity() == record.identity(), text


# English matching skips a phrase unless each of its literal words is in the sentence
# (english._literals): it must find the same statements and the same nearest miss as trying
# every phrase.
_PHRASES = ["{} is a member of {}", "{} belongs to {}", "{} does not belong to {}", "{} is not a member of {}",
            "{} is allied with {}", "{} struck {} a total of {} times", "{} is an ally of {}"]
_NAMES = ["Free Syrian Army", "the FSA", "Ahrar al-Sham", "the Alliance of 41", "the 41 groups", "Russia", "ISIS",
          "the MoD", "Zorgon", "three", "3", "Free Army"]
_WORDS = ["is", "a", "member", "of", "belongs", "to", "not", "allied", "with", "the", "total", "Syrian", "41"]


@st.composite
def _sentence(draw: st.DrawFn) -> str:
    phrase = draw(st.sampled_from(_PHRASES))
    words = phrase.format(*(draw(st.sampled_from(_NAMES)) for _ in range(phrase.count("{}")))).split()
    where = draw(st.integers(0, len(words) - 1))
    change = draw(st.sampled_from(["none", "none", "drop", "insert", "replace"]))
    if change == "drop" and len(words) > 2:
        del words[where]
    elif change in ("insert", "replace"):
        words[where:where + (change == "replace")] = [draw(st.sampled_from(_WORDS))]
    text = " ".join(words)
    assume(text[:1].isalpha())  # else it is no sentence at all
    return text[:1].upper() + text[1:] + "."


@settings(max_examples=150, deadline=None)
@given(st.lists(_sentence(), min_size=1, max_size=6))
def test_skipping_phrases_that_cannot_match_changes_no_statement_and_no_message(sentences: list[str]) -> None:
    from allegiance import english
    from allegiance.catalog import Catalog
    from allegiance.curate import declare

    text = SCHEMA + ".source r1.\n" + "".join(f"{s}\n" for s in sentences)
    clauses = parse_program(text, "t.facts").clauses
    catalog = Catalog()
    declare(clauses, catalog, [])

    def outcome() -> list[str]:
        curated = curate(clauses, catalog, True, {})
        return [repr(r) for r in curated.statements] + [f"{e} {e.span!r} {e.hint!r}" for e in curated.errors]

    filtered = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(english, "_literals", lambda parts: frozenset())  # every phrase is tried
        assert outcome() == filtered
