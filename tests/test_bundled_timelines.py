"""The bundled knowledge base over time: timelines a reader of the two articles expects.

Each expectation is said in the articles (dates quoted beside it); none is a copy of what the engine
happens to print. They pin the dates the fact files carry: Russia's air campaign since 2015-09-30,
the Ministry's claimed strikes of 1-3 October, the joint statement of Monday 2015-10-05, Lavrov's
offer of 2015-10-24, the designations since 1999/2004/2012/2014.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from allegiance import KnowledgeBase
from allegiance.analysis import check_query
from allegiance.ast import PredicateSym, Row
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.parse import parse_query
from allegiance.provenance import catalog_facts, record_facts
from allegiance.timeline import Timeline, timeline
from allegiance.validity import Period


@pytest.fixture(scope="module")
def kb() -> Iterator[KnowledgeBase]:
    base = KnowledgeBase.bundled(timeout=None)
    yield base
    base.close()


DAY = datetime.timedelta(days=1)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def periods(line: Timeline) -> dict[tuple[object, ...], list[str]]:
    return {h.row: [p.text() for p in h.periods] for h in line.answers}


def test_russia_strikes_the_opposition_since_the_intervention(kb: KnowledgeBase) -> None:
    # Reuters: "the Russian air force, which has been bombing insurgents in Syria since Sept. 30"
    line = timeline(kb, "strikes(russia, syrian_opposition)")
    assert periods(line) == {(): ["since 2015-09-30"]}
    assert line.answers[0].undated == ()  # every statement behind it is dated
    # before the intervention Russia strikes no one
    assert timeline(kb, "strikes(russia, X)").at(d("2015-09-29")) == []


def test_the_ministrys_claimed_strikes_hold_from_1_to_3_october(kb: KnowledgeBase) -> None:
    # ISW: "claimed only three airstrikes ... between October 1 and October 3"
    assert periods(timeline(kb, "strike_count(russia, isis_terrain, N)")) == \
        {(3,): ["between 2015-10-01 and 2015-10-03"], (2,): ["between 2015-10-01 and 2015-10-03"]}
    assert periods(timeline(kb, "count_mismatch(russia, isis_terrain, N, M)")) == \
        {(3, 2): ["between 2015-10-01 and 2015-10-03"]}


def test_the_alliance_opposes_russia_from_the_joint_statement_on(kb: KnowledgeBase) -> None:
    # Reuters via In Foreign: "Monday's statement" (2015-10-05)
    assert periods(timeline(kb, "signed(alliance41, joint_statement)")) == {(): ["on 2015-10-05"]}
    line = timeline(kb, "opposes(alliance41, russia)")
    assert periods(line) == {(): ["since 2015-10-05"]}
    assert line.at(d("2015-10-04")) == [] and line.at(d("2015-10-05")) == [()]


def test_lavrovs_offer_is_of_24_october(kb: KnowledgeBase) -> None:
    # Reuters: "Lavrov said on Oct. 24 ... would be ready to help the 'patriotic' Syrian opposition"
    line = timeline(kb, "offers_help(russia, X)")
    held = {h.row: h for h in line.answers}
    assert held[("patriotic_opposition",)].periods == (Period(d("2015-10-24"), d("2015-10-24")),)
    # the Southern Front's account of an offer stands from Lavrov's "shift in Russia's position" on
    # (Reuters), not from the start of the bombing
    assert held[("southern_front",)].periods == (Period(d("2015-10-24"), None),)
    assert held[("southern_front",)].undated == ()


def test_help_while_striking_starts_with_the_offer_and_rests_on_undated_ties(kb: KnowledgeBase) -> None:
    # the strikes began on 2015-09-30, the offer came with Lavrov's shift of 2015-10-24: no "help while
    # striking" before there was help to offer
    line = timeline(kb, "help_while_striking")
    assert periods(line) == {("russia", "fsa"): ["since 2015-10-24"], ("russia", "syrian_opposition"): ["since 2015-10-24"]}
    assert line.at(d("2015-10-23")) == []
    # the ties that make the patriotic opposition and the FSA's western groups part of a side carry
    # no date: the finding is dated only by assumption, and says so
    assert all(h.undated == h.periods for h in line.answers)


def test_designations_hold_from_their_dates(kb: KnowledgeBase) -> None:
    # background.facts: the U.S. State Department's list, Russia's and Turkey's decisions
    line = timeline(kb, "designated_terrorist(X, usa)")
    assert periods(line) == {("al_qaeda",): ["since 1999-10-08"], ("isis",): ["since 2004-12-17"],
                             ("nusra",): ["since 2012-12-11"]}
    assert periods(timeline(kb, "designated_terrorist(nusra, turkey)")) == {(): ["since 2014-06-03"]}
    assert periods(timeline(kb, "designated_terrorist(nusra, russia)")) == {(): ["since 2014-12-29"]}


def test_what_held_before_and_after_the_intervention(kb: KnowledgeBase) -> None:
    # before 2015-09-30 no strike, no target mismatch; on the day of the joint statement the
    # alliance's claims of strikes on civilians stand beside Reuters' strikes on the opposition
    mismatch = timeline(kb, "target_mismatch")
    assert mismatch.at(d("2015-09-29")) == []
    on_statement = set(mismatch.at(d("2015-10-05")))
    assert ("russia", "isis", "civilians", "alliance41") in on_statement
    assert ("russia", "isis", "syrian_opposition", "reuters") in on_statement
    # after the statement the alliance's claims (of strikes made before it) no longer hold
    assert ("russia", "isis", "civilians", "alliance41") not in set(mismatch.at(d("2015-10-06")))


@pytest.mark.slow
def test_every_inconsistency_timeline_agrees_with_evaluation_at_every_change_point(kb: KnowledgeBase) -> None:
    """The oracle: at each day that matters, the statements covering it filtered by hand, the
    engine evaluating the program plainly over their facts; and again without undated statements."""
    queries = [r.sym.name for r in kb.inconsistency_relations()]
    lines = {q: timeline(kb, q) for q in queries}
    checked = {q: check_query(parse_query(lines[q].query), kb.program) for q in queries}
    days = {datetime.date(1990, 1, 1), datetime.date(2030, 1, 1)}
    for r in kb.file_statements:  # the first and last day of every segment
        if r.valid_from is not None:
            days |= {r.valid_from - DAY, r.valid_from}
        if r.valid_until is not None:
            days |= {r.valid_until, r.valid_until + DAY}
    plain = {sym: set(rows) for sym, rows in kb.plain_facts.items()}
    compared = answers = 0
    oracle = DuckDBEngine(timeout=None)
    try:
        for day in sorted(days):
            counting = [r for r in kb.file_statements if (r.valid_from is None or r.valid_from <= day)
                        and (r.valid_until is None or day <= r.valid_until)]
            for dated_only in (False, True):
                records = [r for r in counting if r.valid_from or r.valid_until] if dated_only else counting
                facts: dict[PredicateSym, set[Row]] = {sym: set(rows) for sym, rows in plain.items()}
                for sym, row in [*catalog_facts(kb.catalog), *(f for r in records for f in record_facts(r))]:
                    facts.setdefault(sym, set()).add(row)
                oracle.load(kb.program, facts)
                for q in queries:
                    expected = set(oracle.query(checked[q]))
                    if not dated_only:
                        assert set(lines[q].at(day)) == expected, (q, day)
                        answers += len(expected)
                    else:
                        for held in lines[q].answers:
                            if any(p.covers(day) for p in held.periods):
                                marked = any(u.covers(day) for u in held.undated)
                                assert marked == (held.row not in expected), (q, day, held.row)
                    compared += 1
    finally:
        oracle.close()
    assert compared >= 2 * 25 * len(queries) and answers >= 50, (compared, answers)
