"""A statement's own report date (`reported on D`): knowledge time for that statement where it is
not its source's publication date. `--known-on` goes by it (issue 15); it is metadata reported_on/2,
shown by `why` and read back in the statement's words."""

from __future__ import annotations

import datetime

import pytest

from allegiance import AllegianceError, KnowledgeBase
from allegiance.english import render_datalog, render_sentence
from allegiance.explain import render_tree, why
from allegiance.selection import Selection

D = datetime.date
FACTS = """\
.entity russia { name: "Russia" kind: state }
.entity opposition { name: "the patriotic opposition" kind: group }
.entity hama { name: "Hama" kind: place }
.relation offers_help(helper, helped) { phrases: "{helper} offers help to {helped}" }
.relation strikes(actor, target) { phrases: "{actor} strikes {target}" }
.source weekly { title: "A weekly round-up" date: 2015-10-26 }
% the round-up passes on what was said on the 24th, and what it found itself
Russia offers help to the patriotic opposition, reported on 2015-10-24.
strikes(russia, hama).
.source daily { title: "An early report, updated later" date: 2015-10-01 }
strikes(russia, opposition) reported on 2015-10-05.
"""


@pytest.fixture
def kb() -> KnowledgeBase:
    with KnowledgeBase() as kb:
        kb.load_text(FACTS, "k.facts")
        yield kb


def known(kb: KnowledgeBase, day: D) -> list[tuple[object, ...]]:
    selection = Selection(known_on=day)
    return sorted([("offers_help", *r) for r in kb.query("offers_help(X, Y)", selection).rows]
                  + [("strikes", *r) for r in kb.query("strikes(X, Y)", selection).rows])


def test_known_on_goes_by_a_statement_s_own_report_date_before_its_source_s(kb: KnowledgeBase) -> None:
    assert known(kb, D(2015, 10, 1)) == []  # the daily's statement was reported only on the 5th
    assert known(kb, D(2015, 10, 24)) == [("offers_help", "russia", "opposition"), ("strikes", "russia", "opposition")]
    assert known(kb, D(2015, 10, 26)) == [("offers_help", "russia", "opposition"), ("strikes", "russia", "hama"),
                                          ("strikes", "russia", "opposition")]


def test_the_report_date_is_metadata_and_reads_back(kb: KnowledgeBase) -> None:
    assert sorted(kb.query("reported_on(S, D)").rows) == [("daily_1", D(2015, 10, 5)), ("weekly_1", D(2015, 10, 24))]
    english, plain, datalog = kb.statements
    assert plain.reported_on is None
    assert render_sentence(english, kb.catalog) == (
        "Russia offers help to the patriotic opposition, reported on 2015-10-24, from source weekly.")
    assert render_datalog(datalog) == "strikes(russia, opposition) reported on 2015-10-05 from source daily."
    with KnowledgeBase() as again:
        again.load_text(FACTS.split(".source weekly")[0] + render_datalog(datalog) + "\n"
                        + '.source daily { title: "D" date: 2015-10-01 }\n', "k.facts")
        assert again.statements[0].identity() == datalog.identity()
    assert "undated: counts at every date, reported on 2015-10-24" in render_tree(why(kb, "offers_help(russia, opposition)"))


def test_a_trust_policy_reads_the_report_date(kb: KnowledgeBase) -> None:
    kb.load_text(".trust reported_late { trusted(S) :- reported_on(S, D), D > 2015-10-10. }\n", "t.dl")
    assert kb.query("strikes(X, Y)", Selection(trust="reported_late")).rows == []
    assert kb.query("offers_help(X, Y)", Selection(trust="reported_late")).rows == [("russia", "opposition")]


def test_a_bad_report_date_is_pointed_at() -> None:
    with KnowledgeBase() as kb, pytest.raises(AllegianceError, match="'2015-10-32' is not a valid date"):
        kb.load_text(FACTS.replace("reported on 2015-10-05", "reported on 2015-10-32"), "k.facts")
