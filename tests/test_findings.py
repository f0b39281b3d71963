"""Findings (allegiance/explain/findings.py, premise.py): each inconsistency with its support, its
weakest premise in words, and the single-source flag, the same in text, JSON, CSV, the REPL and
`check`. The flag is checked against leave-one-out evaluation written here (a knowledge base
loaded without each source in turn); the premise against the statement the fact file holds.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from allegiance.checks import Checker, parse_checks
from allegiance.cli import main
from allegiance.explain.findings import findings
from allegiance.explain.premise import premise_text
from allegiance.kb import KnowledgeBase
from allegiance.selection import EVERYTHING

SCHEMA = """\
.entity rebels { name: "Rebel Alliance"  kind: group }
.entity russia { name: "Russia"  kind: state }
.entity isis { name: "Islamic State"  kind: group }
.entity civilians { name: "civilians"  kind: group }
.relation stated_target(actor, target) { phrases: "{target} is the stated target of {actor}" }
.relation strikes(actor, target) { phrases: "{actor} strikes {target}" }
.source statement {
  publisher: "Rebel Alliance"
  via: wire
  reliability: F
}
.source wire {
  publisher: "Wire"
  via: blog
  reliability: B
}
.source blog {
  publisher: "Blog"
  reliability: D
}
.source agency {
  publisher: "Agency"
  reliability: A
}
"""
STATEMENTS = {
    "statement": "strikes(russia, civilians), claimed by rebels, from source statement, credibility 4.",
    "wire": "stated_target(russia, isis), from source wire.",
    "agency": "strikes(russia, rebels), confirmed by agency, from source agency, credibility 2.",
    "blog": "strikes(russia, rebels), assessed by blog, from source blog.",
}
RULES = """\
.inconsistency target_mismatch(actor, target, struck) {
  message: "{actor} says it targets {target}, but strikes {struck}"
}
target_mismatch(A, T, H) :- stated_target(A, T), strikes(A, H), H != T.
"""


def kb_text(left_out: str = "") -> str:
    return SCHEMA + "\n".join(s for src, s in STATEMENTS.items() if src != left_out) + "\n"


def make(left_out: str = "") -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(kb_text(left_out), file="t.facts")
    kb.load_text(RULES, file="t.dl")
    return kb


@pytest.fixture(scope="module")
def kb() -> Iterator[KnowledgeBase]:
    base = make()
    yield base
    base.close()


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    (tmp_path / "facts").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "facts" / "t.facts").write_text(kb_text())
    (tmp_path / "rules" / "t.dl").write_text(RULES)
    return tmp_path


def test_a_premise_names_who_asserts_who_reported_and_the_grade(kb: KnowledgeBase) -> None:
    by_source = {r.source: r for r in kb.statements}
    assert premise_text(by_source["statement"], kb.catalog) == \
        "a claim by Rebel Alliance, reported by Wire, as quoted by Blog, graded F4"
    assert premise_text(by_source["agency"], kb.catalog) == "a confirmation by Agency, graded A2"
    assert premise_text(by_source["blog"], kb.catalog) == "an assessment by Blog, graded D6"


def test_a_publisher_named_by_the_asserters_alias_is_no_second_hop() -> None:
    # The State Department's list, published as "U.S. Department of State", says what
    # us_state_department says: "a report by U.S. State Department", not "as quoted by" itself.
    with KnowledgeBase(timeout=None) as kb:
        kb.load_text('''.entity dos { name: "U.S. State Department" aliases: "U.S. Department of State" kind: agency }
.entity wire { name: "Wire" kind: media }
.entity x { name: "X" kind: group }
.relation listed(group, lister) { phrases: "{lister} lists {group}" }
.source fto { title: "FTO list" publisher: "U.S. Department of State" reliability: A }
listed(x, dos) according to dos.
.source other { title: "A story" publisher: "Wire" reliability: B }
listed(x, dos) according to dos.
''', file="alias.facts")
        texts = {r.source: premise_text(r, kb.catalog) for r in kb.statements}
        assert texts == {"fto": "a report by U.S. State Department, graded A6",
                         "other": "a report by U.S. State Department, as quoted by Wire, graded B6"}


def test_single_source_is_leave_one_out(kb: KnowledgeBase) -> None:
    found = kb.inconsistencies()
    results = findings(kb, EVERYTHING, found)
    assert len(results) == 2
    compared = 0
    for f in results:
        assert f.critical is not None
        oracle = []
        for source in STATEMENTS:
            without = make(source)
            try:
                if f.inconsistency.args not in {i.args for i in without.inconsistencies()}:
                    oracle.append(source)
            finally:
                without.close()
        assert list(f.critical) == sorted(oracle)
        assert f.single_source == (len(oracle) == 1)
        compared += 1
    assert compared == 2
    by_struck = {f.inconsistency.args[2]: f for f in results}
    # civilians: the claim and the wire's stated target, two sources; rebels: two sources strike,
    # so only the wire is critical
    assert by_struck["civilians"].critical == ("statement", "wire") and not by_struck["civilians"].single_source
    assert by_struck["rebels"].critical == ("wire",) and by_struck["rebels"].single_source


def test_weakest_premise_is_the_statement_at_the_support(kb: KnowledgeBase) -> None:
    by_struck = {f.inconsistency.args[2]: f for f in findings(kb, EVERYTHING, kb.inconsistencies())}
    civilians, rebels = by_struck["civilians"], by_struck["rebels"]
    assert civilians.support is not None and civilians.support["grade"] == "F4 claimed"
    assert civilians.premise == "a claim by Rebel Alliance, reported by Wire, as quoted by Blog, graded F4"
    # the agency's confirmation beats the blog's assessment: the weakest link is the wire's report
    assert rebels.support is not None and rebels.support["grade"] == "B6 reported"
    assert rebels.premise == "a report by Wire, as quoted by Blog, graded B6"


def test_text_json_and_csv_agree(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inconsistencies", "--kb", str(kb_dir), "--format", "json"]) == 1
    items = json.loads(capsys.readouterr().out)
    assert [set(i) for i in items] == [{"kind", "args", "message", "support", "weakest_premise", "critical",
                                        "single_source", "at", "known_on"}] * 2
    assert main(["inconsistencies", "--kb", str(kb_dir), "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["kind"], r["args"], r["support"], r["weakest_premise"], r["critical"].split(), r["single_source"])
            for r in rows] == \
        [(i["kind"], ", ".join(i["args"]), i["support"]["grade"], i["weakest_premise"],
          i["critical"], "true" if i["single_source"] else "false") for i in items]
    assert main(["inconsistencies", "--kb", str(kb_dir)]) == 1
    lines = capsys.readouterr().out.splitlines()
    for item in items:
        head = f"{item['kind']}: {item['message']}   [support {item['support']['grade']}" + \
            (f", SINGLE SOURCE: {item['critical'][0]}]" if item["single_source"] else "]")
        assert head in lines
        assert lines[lines.index(head) + 1] == \
            f"    rests on {item['weakest_premise']} ({item['support']['statement']})"
    assert lines[-1] == "(2 inconsistencies, 1 single-source)"


def test_explain_grades_every_statement_and_options_leave_parts_out(kb_dir: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inconsistencies", "--kb", str(kb_dir), "--explain"]) == 1
    out = capsys.readouterr().out
    assert ": a claim by Rebel Alliance, reported by Wire, as quoted by Blog, graded F4]" in out
    assert "reliability" not in out
    assert main(["inconsistencies", "--kb", str(kb_dir), "--explain", "--format", "json"]) == 1
    items = json.loads(capsys.readouterr().out)
    assert all(s["grade"] and s["premise"].startswith("a ") for i in items for s in i["statements"])
    assert main(["inconsistencies", "--kb", str(kb_dir), "--no-sources", "--format", "json"]) == 1
    assert all("critical" not in i and "support" in i for i in json.loads(capsys.readouterr().out))
    assert main(["inconsistencies", "--kb", str(kb_dir), "--no-support", "--format", "json"]) == 1
    assert all(set(i) == {"kind", "args", "message", "at", "known_on"} for i in json.loads(capsys.readouterr().out))
    assert main(["inconsistencies", "--kb", str(kb_dir), "--without", "wire"]) == 0
    assert capsys.readouterr().out.strip() == "no inconsistencies"


def test_check_names_the_weakest_premise_of_a_counterexample_and_of_an_open_inconsistency(kb: KnowledgeBase) -> None:
    checks = parse_checks("expect no target_mismatch(russia, isis, civilians).\n", "t.check")
    checker = Checker(kb)
    outcome = checker.run(checks.checks[0])
    assert not outcome.passed
    assert any(line.endswith("[support F4 claimed: rests on a claim by Rebel Alliance, reported by Wire, "
                             "as quoted by Blog, graded F4]") for line in outcome.details)
    strict = checker.strict([])
    assert any("target_mismatch(russia, isis, rebels): " in line and
               line.endswith("[support B6 reported: rests on a report by Wire, as quoted by Blog, graded B6]")
               for line in strict.details)


def test_premises_past_the_limit_keep_their_grade(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--premises N`: the weakest premise of the first N findings only (a proof search each); the
    others keep their support's grade, say in JSON that no premise was searched, and the summary
    says how many were."""
    assert main(["inconsistencies", "--kb", str(kb_dir), "--format", "json", "--premises", "all"]) == 1
    every = json.loads(capsys.readouterr().out)
    assert main(["inconsistencies", "--kb", str(kb_dir), "--format", "json", "--premises", "1"]) == 1
    first = json.loads(capsys.readouterr().out)
    assert first[0] == every[0] and "weakest_premise_searched" not in first[0]
    assert first[1]["support"] == {**every[1]["support"], "statement": None, "source": None, "status": None}
    assert first[1]["weakest_premise"] is None and first[1]["weakest_premise_searched"] is False
    assert first[1]["critical"] == every[1]["critical"]
    assert main(["inconsistencies", "--kb", str(kb_dir), "--premises", "0"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("    rests on") for line in lines)
    assert lines[-1] == ("(2 inconsistencies, 1 single-source; the weakest premise searched for the first 0 only: "
                         "`why` explains any other)")
    with pytest.raises(SystemExit) as exited:  # argparse's own usage error
        main(["inconsistencies", "--kb", str(kb_dir), "--premises", "some"])
    assert exited.value.code == 2
    assert "expected a count or all, not 'some'" in capsys.readouterr().err


def test_a_one_shot_command_lets_the_caches_go_before_leave_one_out() -> None:
    """A one-shot command (support_ahead off) asks once: findings lets support's grading and the
    explainer go before the leave-one-out evaluation, the largest, and finds the same; a session
    keeps both for its next question."""
    from allegiance import support
    from allegiance.explain import search

    session, command = make(), make()
    command.support_ahead = False
    try:
        asked = [findings(kb, EVERYTHING, kb.inconsistencies()) for kb in (session, command)]
        assert asked[0] == asked[1] and len(asked[0]) == 2
        assert session in search._CACHE and session in support._graded
        assert command not in search._CACHE and command not in support._graded
    finally:
        session.close()
        command.close()


def test_a_fully_bound_lookup_finds_what_the_index_finds() -> None:
    """Explainer.matching looks a fully bound pattern up in the relation (no index over a closure of
    millions of rows); a number written as a float still finds the row as stored."""
    from allegiance.explain.search import Explainer

    with KnowledgeBase(timeout=None) as kb:
        kb.load_text("e(1, 2). e(2, 3). e(1, 3). p(X, Y) :- e(X, Y). p(X, Z) :- e(X, Y), p(Y, Z).\n", file="p.dl")
        ex = Explainer(kb)
        sym = kb.program.rules[0].head.sym
        rows = sorted(ex.relation(sym))
        assert len(rows) == 3
        for row in rows:
            assert list(ex.matching(sym, row)) == [r for r in ex.matching(sym, (row[0], None)) if r == row] == [row]
        assert list(ex.matching(sym, (1.0, 3))) == [(1, 3)] and type(ex.matching(sym, (1.0, 3))[0][0]) is int
        assert list(ex.matching(sym, (3, 1))) == []
