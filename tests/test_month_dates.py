"""Month-precision dates: `in 2015-10` / `in October 2015`, and months as the bounds of `since`,
`until` and `between`. A month is its first day as a start and its last day as an end (bounds are
included, as for days), and it is shown back as the month (issue 17)."""

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
.source s { title: "S" date: 2015-11-02 }
"""


@pytest.mark.parametrize(("qualifier", "start", "end", "shown"), [
    ("in 2015-10", D(2015, 10, 1), D(2015, 10, 31), "in 2015-10"),
    ("in October 2015", D(2015, 10, 1), D(2015, 10, 31), "in 2015-10"),
    ("in February 2016", D(2016, 2, 1), D(2016, 2, 29), "in 2016-02"),
    ("since 2015-10", D(2015, 10, 1), None, "since 2015-10"),
    ("until September 2015", None, D(2015, 9, 30), "until 2015-09"),
    ("between 2015-09 and 2015-10-03", D(2015, 9, 1), D(2015, 10, 3), "between 2015-09 and 2015-10-03"),
    ("between 2015-09-30 and December 2015", D(2015, 9, 30), D(2015, 12, 31), "between 2015-09-30 and 2015-12"),
    ("between 2015-10-01 and 2015-10-31", D(2015, 10, 1), D(2015, 10, 31), "between 2015-10-01 and 2015-10-31"),
])
def test_a_month_is_its_days_and_reads_back_as_the_month(qualifier: str, start: D | None, end: D | None,
                                                          shown: str) -> None:
    text = f"ally(a, b) {qualifier}.\nBeta is allied with Alpha, {qualifier}.\n"
    with KnowledgeBase() as kb:
        kb.load_text(HEAD + text, "k.facts")
        datalog, english = kb.statements
        assert (datalog.valid_from, datalog.valid_until) == (english.valid_from, english.valid_until) == (start, end)
        assert render_datalog(datalog) == f"ally(a, b) {shown} from source s."
        assert render_sentence(english, kb.catalog) == f"Beta is allied with Alpha, {shown}, from source s."
        assert f"held {shown}" in render_tree(why(kb, "ally(a, b)"))
        # what reads back is the same statement again
        with KnowledgeBase() as again:
            again.load_text(HEAD + render_datalog(datalog) + "\n", "k.facts")
            assert again.statements[0].identity() == datalog.identity()


def test_at_a_date_a_month_covers_its_first_and_last_day_only() -> None:
    with KnowledgeBase() as kb:
        kb.load_text(HEAD + "ally(a, b) in October 2015.\nally(b, a) until 2015-09.\n", "k.facts")
        holds = {day: kb.query("ally(X, Y)", Selection(at=day)).rows
                 for day in (D(2015, 8, 1), D(2015, 9, 30), D(2015, 10, 1), D(2015, 10, 31), D(2015, 11, 1))}
        assert holds == {D(2015, 8, 1): [("b", "a")], D(2015, 9, 30): [("b", "a")], D(2015, 10, 1): [("a", "b")],
                         D(2015, 10, 31): [("a", "b")], D(2015, 11, 1): []}


def test_month_dates_survive_a_stored_knowledge_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = tmp_path / "k.facts"
    facts.write_text(HEAD + "ally(a, b) since 2015-10.\n", encoding="utf-8")
    db = str(tmp_path / "k.duckdb")
    with KnowledgeBase(timeout=None, db=db) as kb:
        kb.load_files([facts])
        built = kb.statements
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was parsed")
    monkeypatch.setattr(allegiance.files, "parse_program_recovering", refuse)
    with KnowledgeBase(timeout=None, db=db) as kb:
        kb.load_files([facts])
        assert kb.statements == built and kb.statements[0].month_from
        assert render_datalog(kb.statements[0]) == "ally(a, b) since 2015-10 from source s."


@pytest.mark.parametrize("text", ["ally(a, b) in 2015.", "ally(a, b) in 2015-10-05.", "ally(a, b) on 2015-10."])
def test_no_year_and_no_day_after_in_and_no_month_after_on(text: str) -> None:
    with KnowledgeBase() as kb, pytest.raises(allegiance.AllegianceError):
        kb.load_text(HEAD + text + "\n", "k.facts")
