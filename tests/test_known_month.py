"""Knowledge time at month precision: a source's `date: 2015-10` (or `date: October 2015`) and a
statement's `reported on 2015-10` take the same month forms as validity. A month as a date of
knowledge is its last day: what a source published "in October 2015" is known on 2015-10-31 and
after, never earlier (`--known-on` must not count what may not have been out yet). It is shown
back as the month (issue 15)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import allegiance.files
from allegiance import KnowledgeBase
from allegiance.english import render_datalog, render_sentence
from allegiance.explain import render_tree, why
from allegiance.selection import Selection

D = datetime.date
HEAD = """\
.entity a { name: "Alpha" kind: group }
.entity b { name: "Beta" kind: group }
.relation ally(x, y) { phrases: "{x} is allied with {y}" }
"""
FACTS = HEAD + """\
.source monthly { title: "A monthly digest" date: 2015-10 }
ally(a, b).
.source later { title: "A later digest" date: November 2015 }
ally(b, a).
.source daily { title: "A daily" date: 2015-09-01 }
ally(a, a) reported on October 2015.
Beta is allied with Beta, reported on 2015-12.
"""


@pytest.fixture
def kb() -> KnowledgeBase:
    with KnowledgeBase() as kb:
        kb.load_text(FACTS, "k.facts")
        yield kb


def known(kb: KnowledgeBase, day: D) -> set[tuple[object, ...]]:
    return set(kb.query("ally(X, Y)", Selection(known_on=day)).rows)


@pytest.mark.parametrize(("day", "expected"), [
    (D(2015, 9, 30), set()),
    (D(2015, 10, 1), set()),  # a source of October 2015 is not known on its first day...
    (D(2015, 10, 30), set()),
    (D(2015, 10, 31), {("a", "b"), ("a", "a")}),  # ...but on its last, with what was reported that month
    (D(2015, 11, 29), {("a", "b"), ("a", "a")}),
    (D(2015, 11, 30), {("a", "b"), ("a", "a"), ("b", "a")}),  # `date: November 2015`
    (D(2015, 12, 31), {("a", "b"), ("a", "a"), ("b", "a"), ("b", "b")}),  # `reported on 2015-12`
])
def test_a_month_is_known_from_its_last_day(kb: KnowledgeBase, day: D, expected: set[tuple[object, ...]]) -> None:
    assert known(kb, day) == expected


def test_the_month_is_stored_as_its_last_day_and_shown_as_the_month(kb: KnowledgeBase) -> None:
    monthly, later, daily = (kb.catalog.sources[s] for s in ("monthly", "later", "daily"))
    assert (monthly.date, monthly.date_text()) == (D(2015, 10, 31), "2015-10")
    assert (later.date, later.date_text()) == (D(2015, 11, 30), "2015-11")
    assert (daily.date, daily.date_text()) == (D(2015, 9, 1), "2015-09-01")
    # the metadata rules read is the day it is known from
    assert set(kb.query("published(monthly, D)").rows) == {(D(2015, 10, 31),)}
    assert set(kb.query("reported_on(S, D)").rows) == {("daily_1", D(2015, 10, 31)), ("daily_2", D(2015, 12, 31))}
    datalog, english = (r for r in kb.statements if r.source == "daily")
    assert render_datalog(datalog) == "ally(a, a) reported on 2015-10 from source daily."
    assert render_sentence(english, kb.catalog) == "Beta is allied with Beta, reported on 2015-12, from source daily."
    text = render_tree(why(kb, "ally(a, a)"))
    assert "reported on 2015-10" in text
    assert "2015-10" in render_tree(why(kb, "ally(a, b)"))  # the source's line shows its month


def test_what_reads_back_is_the_same_statement(kb: KnowledgeBase) -> None:
    for record in kb.statements:
        if record.reported_on is None:
            continue
        with KnowledgeBase() as again:
            again.load_text(HEAD + '.source daily { title: "A daily" date: 2015-09-01 }\n' + render_datalog(record) + "\n",
                            "k.facts")
            assert again.statements[0].identity() == record.identity()


def test_a_month_survives_a_stored_knowledge_base(kb: KnowledgeBase, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "facts"
    folder.mkdir()
    (folder / "k.facts").write_text(FACTS, encoding="utf-8")
    db = str(tmp_path / "kb.duckdb")
    with KnowledgeBase(timeout=None, db=db) as first:
        first.load_path(folder)
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was parsed")

    monkeypatch.setattr(allegiance.files, "parse_program_recovering", refuse)  # restored, not read again
    with KnowledgeBase(timeout=None, db=db) as back:
        back.load_path(folder)
        assert [r.identity() for r in back.statements] == [r.identity() for r in kb.statements]
        assert [r.reported_month for r in back.statements] == [r.reported_month for r in kb.statements]
        assert known(back, D(2015, 10, 30)) == set()


def test_whynot_says_when_a_statement_became_known(kb: KnowledgeBase) -> None:
    from allegiance.explain import why_not

    def message(fact: str, day: D) -> str:
        return why_not(kb, fact, selection=Selection(known_on=day)).message

    assert message("ally(a, b)", D(2015, 10, 15)).endswith(
        "whose source was published in 2015-10, after 2015-10-15")
    # its own report date, not its source's (2015-09-01, known by then), is what leaves it out
    assert message("ally(a, a)", D(2015, 10, 15)).endswith("which was reported in 2015-10, after 2015-10-15")
