"""Loading with a change report: what a new article changes, and bad input that changes nothing.

The bundled knowledge base is curated while these tests are written, so they rely only on what the
brief guarantees (the entities ahrar_al_sham, alliance41, nusra, fsa, russia, usa and the membership
relation) and on what their own files state."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from allegiance import ast
from allegiance.changes import load_with_report, reload_command
from allegiance.cli import main
from allegiance.errors import AllegianceError, ErrorGroup, flatten
from allegiance.kb import KnowledgeBase

RULES = """\
test_fellow(X, Y) :- member(X, C), member(Y, C), X != Y.
test_unchallenged(X, C) :- member(X, C), not no_member(X, C).
"""

ARTICLE = """\
.source test_wire_2015_11_01 {
  title: "Rebel alliance holds, says a test wire"
  publisher: "Test Wire"
  date: 2015-11-01
  reliability: C
}
.entity test_brigade {
  name: "Test Brigade"
  aliases: "the brigade of tests"
  kind: group
}
member(ahrar_al_sham, alliance41).
The brigade of tests is a member of the Alliance of 41.
not member(fsa_groups_in_alliance41, alliance41).
"""

SMALL = """\
.source s1 { title: "one" }
.source s2 { title: "two" }
.entity a { name: "A" kind: group }
.entity b { name: "B" kind: group }
.entity c { name: "C" kind: coalition }
.relation member(group, coalition) { phrases: "{group} is a member of {coalition}" }
.relation strike_count(actor, target, count: number) { phrases: "{actor} struck {target} with {count} strikes" }
member(a, c) from source s1.
strike_count(a, b, 3) claimed by a between 2015-10-01 and 2015-10-03 from source s1.
"""


def snapshot(kb: KnowledgeBase) -> tuple[object, ...]:
    """Everything a user can see: statements, every predicate's rows, the catalog, the rules."""
    facts = {str(p): kb.facts(p) for p in kb.predicates()}
    cat = kb.catalog
    return (kb.statements, facts, dict(cat.sources), dict(cat.entities), dict(cat.relations), kb.rules,
            len(kb.history))


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bundled() -> KnowledgeBase:
    return KnowledgeBase.bundled(timeout=None)


@pytest.fixture
def small(tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None)
    kb.load_path(write(tmp_path, "small.facts", SMALL))
    return kb


# --- the change report on the bundled knowledge base ------------------------------------------------


def test_article_report_on_bundled_kb(bundled: KnowledgeBase, tmp_path: Path) -> None:
    rules = write(tmp_path, "test_rules.dl", RULES)
    article = write(tmp_path, "article.facts", ARTICLE)
    existing = bundled.statements_for("member", ("ahrar_al_sham", "alliance41"))
    fsa_member = bundled.statements_for("member", ("fsa_groups_in_alliance41", "alliance41"))
    assert existing and fsa_member, "the bundled KB states both memberships (see allegiance/__init__.py)"
    depth = len(bundled.history)
    load_with_report(bundled, [rules])
    try:
        before = snapshot(bundled)
        report = load_with_report(bundled, [article])
        assert report.new_sources == ["test_wire_2015_11_01"]
        assert report.new_entities == ["test_brigade"]
        assert [s.row for s in report.new_statements] == [
            ("ahrar_al_sham", "alliance41"), ("test_brigade", "alliance41"), ("fsa_groups_in_alliance41", "alliance41")]
        # corroboration: the same membership from another source
        (corroboration,) = report.corroborations
        assert corroboration.statement.row == ("ahrar_al_sham", "alliance41")
        assert {e.id for e in corroboration.existing} == {s.id for s in existing}
        # contradiction: the negative against the stated membership
        (contradiction,) = report.contradictions
        assert contradiction.kind == "negation"
        assert contradiction.statement.fact_sym == ast.PredicateSym("no_member", 2)
        assert {e.id for e in contradiction.existing} == {s.id for s in fsa_member}
        # derived links: gained through the new member, lost through the negative
        gained = report.derived_gained["test_fellow/2"]
        assert ("test_brigade", "ahrar_al_sham") in gained and ("ahrar_al_sham", "test_brigade") in gained
        assert report.derived_lost == {"test_unchallenged/2": [("fsa_groups_in_alliance41", "alliance41")]}
        # the new inconsistency: the negative contradicts the stated membership
        new = [(i.kind, i.args) for i in report.inconsistencies_new]
        negative_id = contradiction.statement.id
        assert ("contradicted", (fsa_member[0].id, negative_id)) in new
        assert report.inconsistencies_resolved == []
        text = report.render_text()
        assert "corroborates" in text and "contradicts (negation)" in text and "test_unchallenged(fsa_groups_in_alliance41, alliance41)" in text
        assert '"corroborations": 1' in report.to_json()
        # loading the same file again is harmless
        again = load_with_report(bundled, [article])
        assert not again.changed and "nothing changed" in again.render_text()
        bundled.undo()
        bundled.undo()
        assert snapshot(bundled) == before
    finally:
        while len(bundled.history) > depth:
            bundled.undo()


def test_dry_run_keeps_nothing(bundled: KnowledgeBase, tmp_path: Path) -> None:
    article = write(tmp_path, "article.facts", ARTICLE)
    before = snapshot(bundled)
    report = load_with_report(bundled, [article], dry_run=True)
    assert report.dry_run and report.new_statements and report.inconsistencies_new
    assert "dry run" in report.render_text()
    assert snapshot(bundled) == before


def test_value_contradiction_and_resolved_inconsistency(small: KnowledgeBase, tmp_path: Path) -> None:
    rules = write(tmp_path, "r.dl", "neg_member(X, C) :- no_member(X, C).\n")
    small.load_path(rules)
    negative = write(tmp_path, "neg.facts", "not member(a, c) from source s2.\n")
    first = load_with_report(small, [negative])
    assert [i.kind for i in first.inconsistencies_new] == ["contradicted"]
    counts = write(tmp_path, "counts.facts",
                   "strike_count(a, b, 2) confirmed by b on 2015-10-02 from source s2.\n"
                   "strike_count(a, b, 7) claimed by a between 2016-01-01 and 2016-01-02 from source s2.\n")
    report = load_with_report(small, [counts])
    (value,) = report.contradictions  # the 2016 count does not overlap the 2015 one
    assert value.kind == "value" and value.statement.row == ("a", "b", 2)
    assert value.existing[0].row == ("a", "b", 3)
    # taking the negative back resolves the inconsistency: undo, then reload it as a dry run of nothing
    small.undo()
    small.undo()
    before = snapshot(small)
    report = load_with_report(small, [write(tmp_path, "empty.facts", "")])
    assert not report.changed and report.warnings and "empty" in report.warnings[0]
    small.undo()
    assert snapshot(small) == before


def test_resolved_inconsistency_by_reload(small: KnowledgeBase, tmp_path: Path) -> None:
    path = write(tmp_path, "neg.facts", "not member(a, c) from source s2.\n")
    load_with_report(small, [path])
    assert [i.kind for i in small.inconsistencies()] == ["contradicted"]
    path.write_text("member(a, c) from source s2.\n", encoding="utf-8")
    os.utime(path, (1, 1))  # a different mtime, whatever the clock's resolution
    text = reload_command(small)
    assert "reloaded" in text and "resolved inconsistencies: 1" in text
    assert small.inconsistencies() == []
    assert reload_command(small) == "no file changed on disk"


def test_cli_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kb" / "facts").mkdir(parents=True)
    write(tmp_path, "kb/facts/small.facts", SMALL)
    more = write(tmp_path, "more.facts", "member(b, c) from source s2.\nmember(a, c) from source s2.\n")
    assert main(["load", str(more), "--kb", str(tmp_path / "kb"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would load" in out and "corroborations: 1" in out
    assert main(["load", str(more), "--kb", str(tmp_path / "kb"), "--format", "json"]) == 0
    assert '"new_statements": 2' in capsys.readouterr().out
    bad = write(tmp_path, "bad.facts", "member(b c).\nmember(zz, c) from source s2.\n")
    assert main(["load", str(bad), "--kb", str(tmp_path / "kb")]) == 2
    err = capsys.readouterr().err
    assert "bad.facts:1:10" in err


# --- bad input: a clear error, and the knowledge base exactly as before ------------------------------


def ten_thousand_with_one_bad_line() -> str:
    lines = [f"member(a, c) from source s{1 + i % 2}." for i in range(10_000)]
    lines[6_543] = "member(a, c from source s1."
    return "\n".join(lines) + "\n"


BAD_INPUTS: dict[str, tuple[bytes | str | None, str]] = {
    "invalid_utf8": (b"member(a, c) from source s1.\nmember(\xff, c) from source s1.\n", "2:8: invalid UTF-8"),
    "nul": (b"member(a, c)\x00 from source s1.\n", "NUL"),
    "one_bad_line_in_10000": (ten_thousand_with_one_bad_line(), "6544:"),
    "entity_clash": ('.entity a { name: "Another A" kind: group }\n', "entity a is already defined"),
    "alias_clash": ('.entity d { name: "D" aliases: "A" kind: group }\n', 'the name "A" already belongs to entity a'),
    "source_clash": ('.source s1 { title: "another one" }\n', "source s1 is already defined"),
    "arity": ("member(a, c, b) from source s1.\n", "member"),
    "unknown_entity": ("member(zz, c) from source s1.\n", "unknown entity zz"),
    "directory": (None, "is a directory"),
    "missing": (None, "no such file"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_changes_nothing(case: str, small: KnowledgeBase, tmp_path: Path) -> None:
    content, expected = BAD_INPUTS[case]
    path = tmp_path / f"{case}.facts"
    if case == "directory":
        path.mkdir()
    elif content is not None:
        write(tmp_path, path.name, content)
    good = write(tmp_path, "good.facts", "member(b, c) from source s2.\n")
    before = snapshot(small)
    with pytest.raises(AllegianceError) as info:
        load_with_report(small, [good, path])  # a good file in the same load is not kept either
    assert expected in str(info.value)
    assert snapshot(small) == before


def test_unreadable_file_changes_nothing(small: KnowledgeBase, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.facts", "member(b, c) from source s2.\n")
    # chmod 0 cannot deny root (CI runs as root), so the read itself is made to fail
    real_open = Path.open

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "secret.facts":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    before = snapshot(small)
    with pytest.raises(AllegianceError, match="permission denied"):
        load_with_report(small, [path])
    assert snapshot(small) == before


def test_every_syntax_error_is_reported(small: KnowledgeBase, tmp_path: Path) -> None:
    text = ("member(a, c) from source s1.\nmember(b c) from source s1.\nmember(a, c) from source s2.\n"
            "member(a,\n   b c).\nmember(b, c) from source s2\nmember(a, c) from source s1.\n")
    path = write(tmp_path, "many.facts", text)
    before = snapshot(small)
    with pytest.raises(ErrorGroup) as info:
        load_with_report(small, [path])
    lines = [e.span.line for e in flatten(info.value) if e.span]
    assert lines == [2, 5, 6]  # the missing period is reported at the end of line 6
    assert snapshot(small) == before


def test_bom_and_crlf_are_accepted(small: KnowledgeBase, tmp_path: Path) -> None:
    path = write(tmp_path, "windows.facts", b"\xef\xbb\xbfmember(b, c) from source s2.\r\nmember(a, c) from source s2.\r\n")
    report = load_with_report(small, [path])
    assert [s.row for s in report.new_statements] == [("b", "c"), ("a", "c")]
    assert len(report.corroborations) == 1


def test_empty_file_is_accepted_with_a_warning(small: KnowledgeBase, tmp_path: Path) -> None:
    before = snapshot(small)[:-1]
    for name, text in (("empty.facts", ""), ("comments.facts", "% nothing yet\n\n")):
        report = load_with_report(small, [write(tmp_path, name, text)])
        assert not report.changed
        assert report.warnings == [f"{tmp_path / name} is empty: it holds no statements, declarations or rules"]
        assert snapshot(small)[:-1] == before  # only the history grew


def test_file_over_the_size_limit_is_refused_quickly(small: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "huge.facts"
    with path.open("wb") as f:  # 50 MB, sparse: the limit is checked before anything is read
        f.truncate(50 * 1024 * 1024)
    before = snapshot(small)
    with pytest.raises(AllegianceError, match="MB limit") as info:
        load_with_report(small, [path])
    assert "`import FILE.csv" in (info.value.hint or "")  # `allegiance import` or `:import` (suggested.py)
    assert snapshot(small) == before


def test_loading_twice_is_harmless(small: KnowledgeBase, tmp_path: Path) -> None:
    path = write(tmp_path, "more.facts", "member(b, c) from source s2.\n")
    load_with_report(small, [path])
    once = snapshot(small)[:-1]
    report = load_with_report(small, [path])
    assert not report.changed
    assert snapshot(small)[:-1] == once


def test_a_folder_that_vanishes_while_a_directory_is_walked_is_passed_over(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`:load /tmp` in a new-user session: another program's temporary folder went away while the
    load walked /tmp, and the REPL said "internal error: FileNotFoundError". Such a folder is
    passed over, as os.walk passes over what it cannot list."""
    import shutil


    (tmp_path / "a.dl").write_text("p(a).\n", encoding="utf-8")
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "b.dl").write_text("p(b).\n", encoding="utf-8")
    scandir = os.scandir

    def vanishing(path: object = ".") -> object:
        if str(path).endswith("gone"):
            shutil.rmtree(str(path), ignore_errors=True)  # removed by its owner just now
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", vanishing)
    with KnowledgeBase(timeout=None) as kb:
        report = load_with_report(kb, [tmp_path])
        assert report.files == (str(tmp_path / "a.dl"),)
        assert kb.query("p(X)").rows == [("a",)]
