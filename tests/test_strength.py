"""Rules read support: `strength(S, N)`, a statement's grade as a whole number in the knowledge
base's grade order (grades.Order.strength, provenance.STRENGTH, made with the base facts).

Checked against the order itself (every pair of grades, default and overridden orders: strengths
compare as keys do), against each statement's grade, and through a rule written as an analyst
would ("a claim no independent source states at least as strongly") against an oracle written
here over the statements, on DuckDB and pyDatalog. The normal analysis checks rules that read it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import MappingProxyType

import pytest

from allegiance.errors import AllegianceError
from allegiance.grades import COMPONENTS, DEFAULT_STATUS_RANK, RELIABILITIES, Grade, Order
from allegiance.importing import import_csv
from allegiance.kb import KnowledgeBase
from allegiance.selection import Selection, parse_date
from allegiance.timeline import timeline

STATUSES = ("confirmed", "reported", "assessed", "claimed", "denied", "rumoured")
ORDERS = [
    Order(),
    Order(("status", "reliability", "credibility"), MappingProxyType({"confirmed": 1, "reported": 1, "claimed": 3})),
    Order(("credibility",), MappingProxyType(DEFAULT_STATUS_RANK)),
    Order(("reliability", "status"), MappingProxyType({"confirmed": -2, "reported": 0, "claimed": 7})),
]


def test_strength_orders_grades_as_the_order_does() -> None:
    grades = [Grade(r, c, s) for r in RELIABILITIES for c in range(1, 7) for s in STATUSES]
    compared = 0
    for order in ORDERS:
        assert set(order.components) <= set(COMPONENTS)
        for a, b in itertools.combinations(grades, 2):
            ka, kb_ = order.key(a), order.key(b)
            sa, sb = order.strength(a), order.strength(b)
            assert (ka < kb_) == (sa < sb) and (ka == kb_) == (sa == sb), (order, a, b)
            compared += 1
    assert compared == len(ORDERS) * len(grades) * (len(grades) - 1) // 2


FACTS = """\
.entity russia { kind: state }
.entity civilians { kind: group }
.entity homs { kind: place }
.entity isis { kind: group }
.relation strikes(actor, target) { phrases: "{actor} strikes {target}" }
.source rebels_statement { publisher: "Rebels"  reliability: F  via: wire }
.source wire { publisher: "Wire"  reliability: B }
.source agency { publisher: "Agency"  reliability: A }
.source blog { publisher: "Blog"  reliability: D }
strikes(russia, civilians), claimed by rebels_statement, from source rebels_statement, credibility 4.
strikes(russia, civilians), from source wire, credibility 3.
strikes(russia, homs), claimed by rebels_statement, from source rebels_statement.
strikes(russia, homs), from source blog, credibility 5.
strikes(russia, isis), claimed by russia, from source agency, credibility 2.
strikes(russia, isis), confirmed by blog, from source blog, credibility 1.
"""
# A claim that no source independent of its own (another source, neither reaching us through the
# other) states at least as strongly.
RULES = """\
claim_unconfirmed(A, T) :- strikes(A, T) as S, status(S, claimed), not backed_up(S).
backed_up(S) :- strikes(A, T) as S, strikes(A, T) as C, C != S, source(S, X), source(C, Y), X != Y,
                not via(X, Y), not via(Y, X), strength(S, N), strength(C, M), M >= N.
"""


def oracle(kb: KnowledgeBase, order: Order) -> set[tuple[str, str]]:
    def strength(r):  # type: ignore[no-untyped-def]
        src = kb.catalog.sources[r.source]
        return order.strength(Grade.of(src.reliability, r.credibility, r.status))

    def relayed(x: str, y: str) -> bool:
        return y in kb.catalog.sources[x].via

    found = set()
    for s in kb.statements:
        if s.status != "claimed":
            continue
        backed = any(c.id != s.id and c.row == s.row and c.source != s.source and not relayed(s.source, c.source)
                     and not relayed(c.source, s.source) and strength(c) >= strength(s) for c in kb.statements)
        if not backed:
            found.add(tuple(s.row))
    return found


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
@pytest.mark.parametrize("override", ["", "grade_order(status, reliability).\n"])
def test_a_rule_reads_strength_instead_of_regrading(engine: str, override: str) -> None:
    with KnowledgeBase(engine=engine, timeout=None) as kb:
        kb.load_text(FACTS, file="t.facts")
        kb.load_text(RULES + override, file="t.dl")
        order = Order.from_facts(kb.plain_facts)
        assert order.components == (("status", "reliability") if override else COMPONENTS)
        # every statement's strength is its grade's, in the knowledge base's order
        strengths = dict(kb.query("strength(S, N)").rows)
        assert strengths == {r.id: order.strength(Grade.of(kb.catalog.sources[r.source].reliability, r.credibility,
                                                                r.status)) for r in kb.statements}
        expected = oracle(kb, order)
        assert set(kb.query("claim_unconfirmed(A, T)").rows) == expected
        # the rebels' statement reaches us through the wire: not independent, it backs up nothing;
        # the blog (D) is stronger than the rebels (F); the agency's claim (A) is weaker than the
        # blog's confirmation (D) only when status comes first
        assert ("russia", "civilians") in expected and ("russia", "homs") not in expected
        assert (("russia", "isis") in expected) == (not override)


def test_the_analysis_checks_rules_that_read_strength() -> None:
    with KnowledgeBase(timeout=None) as kb:
        kb.load_text(FACTS, file="t.facts")
        with pytest.raises(AllegianceError, match="strength"):
            kb.load_text("weak(S) :- strength(S).\n", file="bad.dl")
        with pytest.raises(AllegianceError, match="a trust policy reads only statement metadata"):
            kb.load_text(".trust strong { trusted(S) :- strength(S, N), N > 70. }\n", file="bad.dl")
        assert len(kb.rules) == 0, "a bad file changes nothing"


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
def test_imported_rows_have_their_strength_and_follow_the_order(engine: str, tmp_path: Path) -> None:
    """An import's rows are statements like a fact file's: reported by their source, no credibility.
    Their strength is that grade's, in the order the knowledge base declares now; a CSV import made
    in SQL and rows given in Python agree."""
    csv = tmp_path / "strikes.csv"
    csv.write_text("actor,target\nrussia,isis\n")
    with KnowledgeBase(engine=engine, timeout=None) as kb:
        kb.load_text(FACTS, file="t.facts")
        kb.load_text(RULES, file="t.dl")
        # the agency's claim about isis is backed up by nothing as strong (a D-graded blog) ...
        assert ("russia", "isis") in set(kb.query("claim_unconfirmed(A, T)").rows)
        import_csv(kb, csv, "strikes", "wire")
        kb.import_rows("strikes", [("russia", "civilians")], "agency")
        for override in ("", "grade_order(status, reliability).\n"):
            if override:
                kb.load_text(override, file="order.dl")
            order = Order.from_facts(kb.plain_facts)
            strengths = dict(kb.query("strength(S, N)").rows)
            imported = [r for b in kb.blocks for r in b.records()]
            assert len(imported) == 2
            for r in imported:
                assert strengths[r.id] == order.strength(Grade.of(kb.catalog.sources[r.source].reliability, None,
                                                                  "reported")), (override, r)
            assert set(kb.query("claim_unconfirmed(A, T)").rows) == oracle(kb, order)
        # ... until an import reports it from the wire (B reported): the claim is backed up, under
        # either order (status first: reported outranks claimed)
        assert ("russia", "isis") not in set(kb.query("claim_unconfirmed(A, T)").rows)


def test_a_timeline_reads_strength_as_a_query_at_each_date_does() -> None:
    """A rule reading strength(S, N) over dated statements: on each date, the timeline says what the
    query under `--at` that date answers (timeline.py gave statements no strength: every claim then
    looked unconfirmed, at every date). The ministry's report (A1) backs up the agency's claim (A2)
    about isis from 2015-10-01 on."""
    dated = FACTS + (".source ministry { publisher: \"Ministry\"  reliability: A }\n"
                     "strikes(russia, isis), from source ministry, credibility 1, since 2015-10-01.\n")
    with KnowledgeBase(timeout=None) as kb:
        kb.load_text(dated, file="t.facts")
        kb.load_text(RULES, file="t.dl")
        line = timeline(kb, "claim_unconfirmed(A, T)")
        compared = 0
        for day in ("2015-09-15", "2015-09-30", "2015-10-01", "2016-01-01"):
            at = parse_date(day)
            expected = set(kb.query("claim_unconfirmed(A, T)", Selection(at=at)).rows)
            held = {a.row for a in line.answers if any(p.covers(at) for p in a.periods)}
            assert held == expected, day
            compared += 1
        assert compared == 4
        # the blog (D) states the rebels' (F) claim about homs at least as strongly: never unconfirmed
        assert ("russia", "homs") not in {a.row for a in line.answers}
        (isis,) = [a for a in line.answers if a.row == ("russia", "isis")]
        assert [p.text() for p in isis.periods] == ["until 2015-09-30"]
