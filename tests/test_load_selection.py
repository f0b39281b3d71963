"""`load --trust POLICY` / `--without` / `--at` (changes.load_with_report, importing.import_csv under
a selection): the report's derived facts and inconsistencies gained and lost are those of the
knowledge base as the selection sees it. The oracle, written here: the inconsistencies and derived
facts under the selection of a knowledge base loaded without the new file and of one loaded with
it, compared as sets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from allegiance.repl.dispatch import dispatch
from allegiance.repl.session import Session

from allegiance import ast
from allegiance.changes import load_with_report
from allegiance.cli import main
from allegiance.errors import AllegianceError
from allegiance.importing import import_csv
from allegiance.kb import KnowledgeBase
from allegiance.selection import EVERYTHING, Selection

FACTS = """\
.entity russia { kind: state }
.entity isis { kind: group }
.entity nusra { kind: group }
.entity rebels { kind: group }
.entity civilians { kind: group }
.entity hospitals { kind: place }
.entity schools { kind: place }
.relation stated_target(actor, target) { phrases: "{target} is the stated target of {actor}" }
.relation strikes(actor, target) { phrases: "{actor} strikes {target}" }
.source wire { publisher: "Wire"  reliability: B }
.source blog { publisher: "Blog"  reliability: D }
stated_target(russia, isis), from source wire.
strikes(russia, rebels), from source blog.
"""
RULES = """\
.inconsistency target_mismatch(actor, target, struck) { message: "{actor} targets {target}, strikes {struck}" }
target_mismatch(A, T, H) :- stated_target(A, T), strikes(A, H), H != T.
struck(H) :- strikes(_, H).
"""
NEW = """\
.source agency { publisher: "Agency"  reliability: A }
.source rumour { publisher: "Rumour mill"  reliability: E }
strikes(russia, civilians), claimed by rebels, from source rumour.
strikes(russia, hospitals), confirmed by agency, from source agency.
stated_target(russia, nusra), from source rumour.
not strikes(russia, rebels), from source agency.
"""
SELECTIONS = [EVERYTHING, Selection("reliable"), Selection("confirmed"), Selection(without=frozenset({"wire"})),
              Selection("usual", frozenset({"blog"}))]


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    (tmp_path / "facts").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "facts" / "t.facts").write_text(FACTS)
    (tmp_path / "rules" / "t.dl").write_text(RULES)
    (tmp_path / "new.facts").write_text(NEW)
    return tmp_path


def opened(kb_dir: Path, *extra: Path) -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None)
    kb.load_path(kb_dir / "facts", kb_dir / "rules", *extra)
    return kb


def seen(kb: KnowledgeBase, selection: Selection) -> tuple[set[tuple[str, ast.Row]], set[ast.Row]]:
    view = kb.under(selection)
    return {(i.kind, i.args) for i in view.inconsistencies()}, set(view.query("struck(H)").rows)


@pytest.fixture
def expected(kb_dir: Path) -> Iterator[dict[Selection, tuple[set[tuple[str, ast.Row]], set[ast.Row],
                                                             set[tuple[str, ast.Row]], set[ast.Row]]]]:
    before, after = opened(kb_dir), opened(kb_dir, kb_dir / "new.facts")
    try:
        yield {sel: (*seen(before, sel), *seen(after, sel)) for sel in SELECTIONS}
    finally:
        before.close()
        after.close()


def test_the_report_is_the_selections_difference(kb_dir: Path, expected: dict) -> None:  # type: ignore[type-arg]
    compared = 0
    reports = set()
    for selection in SELECTIONS:
        old_inc, old_struck, new_inc, new_struck = expected[selection]
        with opened(kb_dir) as kb:
            report = load_with_report(kb, [kb_dir / "new.facts"], dry_run=True, selection=selection)
            assert {(i.kind, i.args) for i in report.inconsistencies_new} == new_inc - old_inc
            assert {(i.kind, i.args) for i in report.inconsistencies_resolved} == old_inc - new_inc
            assert set(report.derived_gained.get("struck/1", [])) == new_struck - old_struck
            assert set(report.derived_lost.get("struck/1", [])) == old_struck - new_struck
            assert report.selection == selection.describe()
            assert len(report.new_statements) == 4, "the load itself is the whole file's"
            assert len(kb.statements) == 2, "a dry run keeps nothing"
            reports.add((tuple(sorted(map(str, report.inconsistencies_new))),
                         tuple(sorted(map(str, report.inconsistencies_resolved)))))
            compared += 1
    assert compared == len(SELECTIONS)
    assert len(reports) > 2, "the selections must differ in what the load changes, or this tests nothing"


def test_a_kept_load_under_a_selection_keeps_every_statement(kb_dir: Path) -> None:
    with opened(kb_dir) as kb:
        report = load_with_report(kb, [kb_dir / "new.facts"], selection=Selection("confirmed"))
        assert len(kb.statements) == 6 and report.selection == "trust confirmed"
        # nothing states a target confirmed: no inconsistency under `confirmed`, before or after
        assert report.inconsistencies_new_count == 0 and report.derived_gained_count == {"struck/1": 1}
        # the view followed the load: the knowledge base now answers under any selection
        assert seen(kb, Selection("confirmed"))[1] == {("hospitals",)}


def test_import_under_a_selection(kb_dir: Path, tmp_path: Path) -> None:
    rows = tmp_path / "strikes.csv"
    rows.write_text("actor,target\nrussia,schools\n")
    with opened(kb_dir) as kb:
        everything = import_csv(kb, rows, "strikes", "blog", dry_run=True)
        reliable = import_csv(kb, rows, "strikes", "blog", dry_run=True, selection=Selection("reliable"))
    assert everything.inconsistencies_new_count == 1 and everything.derived_gained_count == {"struck/1": 1}
    # the blog (D) does not count for `reliable`: nothing derived from its row
    assert reliable.inconsistencies_new_count == 0 and not reliable.derived_gained_count
    assert reliable.selection == "trust reliable"


def test_cli_load_takes_the_selection_options(kb_dir: Path, expected: dict,  # type: ignore[type-arg]
                                              capsys: pytest.CaptureFixture[str]) -> None:
    args = ["load", str(kb_dir / "new.facts"), "--kb", str(kb_dir), "--format", "json"]
    for selection, options in ((Selection(without=frozenset({"wire"})), ["--without", "wire"]), (EVERYTHING, [])):
        assert main([*args, *options]) == 0
        data = json.loads(capsys.readouterr().out)
        old_inc, _, new_inc, _ = expected[selection]
        assert data["selection"] == (selection.describe() or None)
        assert {(i["kind"], tuple(i["args"])) for i in data["inconsistencies_new"]} == new_inc - old_inc
    assert main([*args[:-2], "--trust", "confirmed"]) == 0
    assert "derived facts and inconsistencies under trust confirmed" in capsys.readouterr().out
    assert main([*args, "--trust", "reliabel"]) == 2
    err = capsys.readouterr().err
    assert "unknown trust policy reliabel" in err and "did you mean 'reliable'?" in err


def test_repl_load_follows_the_selection_in_use(kb_dir: Path) -> None:
    with opened(kb_dir) as kb:
        session = Session(kb)
        assert "new inconsistencies" in dispatch(f":load --dry-run {kb_dir / 'new.facts'}", session).text
        dispatch(":trust confirmed", session)
        text = dispatch(f":load --dry-run {kb_dir / 'new.facts'}", session).text
        assert "derived facts and inconsistencies under trust confirmed" in text
        assert "new inconsistencies" not in text and "struck 1" in text


def test_an_unknown_policy_loads_nothing(kb_dir: Path) -> None:
    with opened(kb_dir) as kb:
        with pytest.raises(AllegianceError, match="unknown trust policy"):
            load_with_report(kb, [kb_dir / "new.facts"], selection=Selection("nosuch"))
        assert len(kb.statements) == 2
