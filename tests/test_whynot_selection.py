"""`whynot FACT` under a selection (explain/left_out.py, why_not.py): a fact, or a rule's failing
literal, whose statements exist but do not count says which ones and why (the policy, --without,
--at, --known-on), each as a premise in words with its grade; a derived fact that holds when every
statement counts says so, with its support. The statements named are checked against the
selection's own counting (selection.counting, one record at a time, and the view's statements).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from allegiance.repl.dispatch import dispatch
from allegiance.repl.session import Session

from allegiance import ast
from allegiance.cli import main
from allegiance.explain import render_tree, why_not
from allegiance.explain.left_out import left_out
from allegiance.kb import KnowledgeBase
from allegiance.selection import Selection, parse_date

FACTS = """\
.entity usa { name: "United States"  kind: state }
.entity x { name: "X Front"  kind: group }
.entity y { name: "Y Brigade"  kind: group }
.entity rebels { name: "Rebel Council"  kind: group }
.relation backs(backer, group) { phrases: "{backer} backs {group}" }
.source blog { publisher: "Blog"  reliability: D  date: 2015-10-10 }
.source wire { publisher: "Wire"  reliability: B  date: 2015-10-01 }
backs(usa, x), claimed by rebels, from source blog, credibility 4.
backs(usa, y), from source wire, between 2015-09-01 and 2015-09-30.
backs(usa, y), from source blog, credibility 2.
"""
RULES = """\
backed(B, G) :- backs(B, G).
arms(B) :- backs(B, _), kind(B, state).
"""
X_CLAIM = "a claim by Rebel Council, reported by Blog, graded D4"


@pytest.fixture(scope="module")
def kb() -> Iterator[KnowledgeBase]:
    base = KnowledgeBase(timeout=None)
    base.load_text(FACTS, file="t.facts")
    base.load_text(RULES, file="t.dl")
    yield base
    base.close()


def message(kb: KnowledgeBase, fact: str, selection: Selection | None = None) -> str:
    return why_not(kb, fact, selection=selection).message


def test_a_stated_fact_names_the_statements_the_policy_leaves_out(kb: KnowledgeBase) -> None:
    (record,) = [r for r in kb.statements if r.row == ("usa", "x")]
    assert message(kb, "backs(usa, x)", Selection("reliable")) == (
        f"backs(usa, x) does not hold under trust reliable: it is stated only by {X_CLAIM} [{record.id}], "
        "which policy `reliable` leaves out")
    # no selection: nothing is left out, the plain message
    assert message(kb, "backs(usa, z)") == "backs(usa, z) does not hold: no statement says it"


def test_each_part_of_a_selection_gives_its_reason(kb: KnowledgeBase) -> None:
    assert message(kb, "backs(usa, x)", Selection(without=frozenset({"blog"}))).endswith(
        "which --without blog leaves out")
    assert message(kb, "backs(usa, x)", Selection(known_on=parse_date("2015-10-05"))).endswith(
        "whose source was published on 2015-10-10, after 2015-10-05")
    # two statements of backs(usa, y), left out for two reasons: each gets its own
    mixed = message(kb, "backs(usa, y)", Selection(without=frozenset({"blog"}), at=parse_date("2015-10-05")))
    assert "(which --without blog leaves out)" in mixed
    assert "(which does not hold on 2015-10-05 (held between 2015-09-01 and 2015-09-30))" in mixed


def test_the_statements_named_are_exactly_those_that_do_not_count(kb: KnowledgeBase) -> None:
    compared = 0
    for selection in (Selection("reliable"), Selection("confirmed"), Selection(without=frozenset({"wire"})),
                      Selection(at=parse_date("2015-10-05")), Selection(known_on=parse_date("2015-10-05")),
                      Selection("usual", frozenset({"blog"}))):
        view = kb.under(selection)
        counted = {r.id for r in view.statements}
        for target in ("x", "y"):
            stated = [r for r in kb.statements if r.row == ("usa", target)]
            found = left_out(kb, selection, ast.PredicateSym("backs", 2), ("usa", target))
            if any(r.id in counted for r in stated):
                assert found is None, (selection, target)
            else:
                assert found is not None and sorted(r.id for r, _ in found) == sorted(r.id for r in stated)
            compared += 1
    assert compared == 12


def test_a_derived_fact_and_its_failing_literal(kb: KnowledgeBase) -> None:
    answer = why_not(kb, "backed(usa, x)", selection=Selection("reliable"))
    assert answer.message == ("backed(usa, x) does not hold under trust reliable: it holds when every statement "
                              "counts (support D4 claimed), but a premise does not count")
    (failure,) = answer.failures
    assert failure.literal == "backs(usa, x)"
    assert failure.reason.startswith("no statement that counts says backs(usa, x): it is stated only by "
                                     f"{X_CLAIM} [")
    # a literal with a free argument: each matching fact of the whole knowledge base left out
    (failure,) = why_not(kb, "arms(usa)", selection=Selection("confirmed")).failures
    assert "backs(usa, x) is stated only by" in failure.reason and "backs(usa, y) is stated only by" in failure.reason


def test_cli_and_repl(kb: KnowledgeBase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "facts").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "facts" / "t.facts").write_text(FACTS)
    (tmp_path / "rules" / "t.dl").write_text(RULES)
    assert main(["whynot", "backs(usa, x)", "--kb", str(tmp_path), "--trust", "reliable"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("backs(usa, x) does not hold under trust reliable: it is stated only by " + X_CLAIM)
    # the nearest statements (those that count) carry their grades; --no-support leaves them out
    assert "   [B6 reported]" in out
    assert main(["whynot", "backs(usa, x)", "--kb", str(tmp_path), "--trust", "reliable", "--no-support"]) == 0
    assert "reported]" not in capsys.readouterr().out
    assert main(["whynot", "backs(usa, x)", "--kb", str(tmp_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["holds"] and data["proof"]["proofs"][0]["support"] == "D4 claimed"
    session = Session(kb)
    dispatch(":trust reliable", session)
    assert f"it is stated only by {X_CLAIM}" in dispatch(":whynot backs(usa, x)", session).text
    assert render_tree(why_not(kb, "backs(usa, x)")).startswith("backs(usa, x) holds")


def test_json_lists_the_statements_left_out_with_their_grades_and_why(kb: KnowledgeBase, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The text's sentences, as data: "left_out" on the fact and on each failing literal, one entry a
    statement (as elsewhere in the JSON: statement, grade, source), `by` the part of the selection."""
    (tmp_path / "facts").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "facts" / "t.facts").write_text(FACTS)
    (tmp_path / "rules" / "t.dl").write_text(RULES)

    def whynot(fact: str, *options: str) -> dict:  # type: ignore[type-arg]
        assert main(["whynot", fact, "--kb", str(tmp_path), "--format", "json", *options]) == 0
        return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]

    (x_claim,) = [r for r in kb.statements if r.row == ("usa", "x")]
    data = whynot("backs(usa, x)", "--trust", "reliable")
    assert [(e["statement"]["id"], e["statement"]["grade"], e["source"]["id"], e["by"], e["reason"])
            for e in data["left_out"]] == [(x_claim.id, "D4 claimed", "blog", "trust", "which policy `reliable` leaves out")]
    # a derived fact: nothing of its own is left out, its failing literal's statement is
    data = whynot("backed(usa, x)", "--trust", "reliable")
    assert data["left_out"] == []
    (failure,) = data["failures"]
    assert [(e["statement"]["id"], e["by"]) for e in failure["left_out"]] == [(x_claim.id, "trust")]
    # each part of the selection by name; exactly the statements left_out() names, for every fact
    data = whynot("backs(usa, y)", "--without", "blog", "--at", "2015-10-05")
    selection = Selection(without=frozenset({"blog"}), at=parse_date("2015-10-05"))
    expected = left_out(kb, selection, ast.PredicateSym("backs", 2), ("usa", "y"))
    assert expected is not None and len(expected) == 2
    assert sorted((e["statement"]["id"], e["by"]) for e in data["left_out"]) == \
        sorted((r.id, "without" if r.source == "blog" else "at") for r, _ in expected)
    # a literal with a free argument: the statements of each matching fact
    (failure,) = whynot("arms(usa)", "--trust", "confirmed")["failures"]
    assert sorted(e["statement"]["id"] for e in failure["left_out"]) == sorted(r.id for r in kb.statements)
    # no selection: nothing is left out
    assert whynot("backs(usa, z)")["left_out"] == []
