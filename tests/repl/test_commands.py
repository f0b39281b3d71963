"""commands.py: the registry feeds :help and completion; each command's own behaviour."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allegiance.repl import commands
from allegiance.repl.commands import COMMANDS, special_command
from allegiance.repl.dispatch import dispatch
from allegiance.repl.output import say
from allegiance.repl.session import Session

from allegiance.kb import KnowledgeBase
from allegiance.provenance import METADATA, STRENGTH

REQUIRED = ["help", "load", "reload", "facts", "rules", "schema", "entities", "sources", "inconsistencies",
            "engine", "time", "format", "limit", "quit", "retract", "undo", "save", "why", "whynot", "check"]


@pytest.fixture
def scratch_command() -> Iterator[None]:
    @special_command("shout", "TEXT", "say TEXT loudly", completes="choice:yes|no", aliases=("sh",))
    def _shout(session: Session, arg: str) -> object:
        """Upper-cases its argument."""
        return say(arg.upper())

    yield
    del COMMANDS["shout"]
    del commands.ALIASES["sh"]


def test_every_command_of_the_issue_is_registered() -> None:
    assert set(REQUIRED) <= set(COMMANDS)


def test_a_registered_command_dispatches_and_feeds_help(session: Session, scratch_command: None) -> None:
    assert dispatch(":shout hi", session).text == "HI"
    assert dispatch(":sh hi", session).text == "HI"
    listing = dispatch(":help", session).text
    assert ":shout TEXT" in listing and "say TEXT loudly" in listing
    detail = dispatch(":help shout", session).text
    assert detail.splitlines()[0] == ":shout TEXT" and "Upper-cases its argument." in detail and ":sh" in detail
    assert commands.completion_table()["shout"] == ("say TEXT loudly", "choice:yes|no")


def test_help_lists_every_command_and_the_keys(session: Session) -> None:
    text = dispatch(":help", session).text
    for name in COMMANDS:
        assert f"  :{name}" in text
    assert "Ctrl-R" in text and "Ctrl-D" in text
    assert "docs/language.md" in dispatch(":help syntax", session).text


def test_unknown_commands_get_did_you_mean(session: Session) -> None:
    assert "did you mean 'load'?" in dispatch(":lod x", session).error
    assert "did you mean 'schema'?" in dispatch(":help shema", session).error


def test_quit(session: Session) -> None:
    assert dispatch(":quit", session).quit and dispatch(":q", session).quit


def test_usage_errors_are_errors_not_tracebacks(session: Session) -> None:
    for text in (":load", ":retract", ":save", ":why", ":time maybe", ":limit many", ":format xml", ":timeout -1"):
        out = dispatch(text, session)
        assert out.error.startswith("error: usage: :"), text


def test_load_reports_and_is_all_or_nothing(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.dl"
    good.write_text("edge(1, 2).\nedge(2, 3).\npath(X, Y) :- edge(X, Y).\n")
    bad = tmp_path / "bad.dl"
    bad.write_text("edge(3, 4).\nbroken(X :- edge(X, _).\n")
    dry = dispatch(f":load {good} --dry-run", session).text
    assert dry.startswith(f"would load {good} (dry run: nothing kept)") and "new rules: 1" in dry
    assert "path(1, 2)" in dry and "unknown predicate edge/2" in dispatch("edge(1, 2)", session).error
    assert dispatch(f":load {good}", session).text.startswith("loaded")
    assert dispatch("path(1, 2)", session).text == "yes (support axiom)"  # a rule file's facts: no source
    out = dispatch(f":load {bad}", session)
    assert f"{bad}:2:" in out.error and "    broken(X :- edge(X, _)." in out.error
    assert dispatch("edge(3, 4)", session).text == "no"
    assert "no such file" in dispatch(f":load {tmp_path}/missing.dl", session).error


def test_facts_rules_schema_entities_sources(session: Session) -> None:
    facts = dispatch(":facts member", session).text.splitlines()
    assert facts[0].split() == ["Group", "|", "Coalition", "|", "support"]
    assert facts[2].split() == ["ahrar", "|", "alliance41", "|", "B6", "reported"]
    assert "did you mean 'member'?" in dispatch(":facts membr", session).error
    assert dispatch(":rules ally_of_member", session).text.startswith(
        "ally_of_member(X, C) :- ally(X, Y), member(Y, C), X != Y.  % test.dl:4")
    schema = dispatch(":schema", session).text
    assert "relation member(group, coalition)  member/2" in schema
    assert "phrase:   {group} is a member of {coalition}" in schema
    assert "relation ally(a, b) (symmetric)" in schema
    assert "message:  {group} is allied with a member of {coalition}" in schema
    assert "nusra | Nusra Front | group | al-Nusra; Jabhat al-Nusra" in dispatch(":entities nusra", session).text
    assert dispatch(":entities jabhat", session).text.count("nusra") == 1
    assert "s1 | Test Wire | 2015-10-05 | B" in dispatch(":sources", session).text


def test_schema_calls_every_metadata_relation_built_in(bundled: KnowledgeBase) -> None:
    # provenance.py defines the metadata relations; :schema must not keep a second, stale list of them
    # (via, date_assumed, some_of, reported_on and strength were listed as plain facts).
    listed = {}
    for line in dispatch(":schema", Session(bundled)).text.split("other predicates:")[1].splitlines():
        if line.strip():
            name_arity, how = line.split(None, 1)
            listed[name_arity.partition("/")[0]] = how.strip("()")
    metadata = {sym.name for sym in [*METADATA, STRENGTH]}
    shown = metadata & set(listed)
    assert {"via", "date_assumed", "some_of", "reported_on", "strength", "source", "status"} <= shown
    assert {name: listed[name] for name in shown} == dict.fromkeys(shown, "built in")
    derived = {r.head.pred for r in bundled.rules}
    assert all(how == "rules" for name, how in listed.items() if name in derived)
    assert not [name for name, how in listed.items() if how == "built in" and name not in metadata]


def test_inconsistencies(session: Session) -> None:
    lines = dispatch(":inconsistencies", session).text.splitlines()
    assert lines[0] == "ally_of_member: Nusra Front is allied with a member of Alliance of 41   " \
                       "[support B6 reported, SINGLE SOURCE: s1]"
    assert lines[1].startswith("    rests on a report by Test Wire, graded B6 (")
    assert lines[2:] == ["(1 inconsistency, 1 single-source)"]


def test_settings_report_their_value(session: Session) -> None:
    assert dispatch(":time", session).text == "timing off"
    assert dispatch(":limit 7", session).text == "limit 7" and session.limit == 7
    assert dispatch(":timeout 2.5", session).text == "time limit: 2.5 s" and session.kb.engine.timeout == 2.5
    assert dispatch(":timeout off", session).text == "time limit: none" and session.kb.engine.timeout is None
    assert dispatch(":engine", session).text == "duckdb (time limit none)"


def test_why_and_whynot_use_explain(session: Session) -> None:
    why = dispatch(":why ally(nusra, ahrar)", session)
    assert why.ok and "ally(ahrar, nusra)" in why.text
    assert "does not hold" in dispatch(":whynot member(nusra, alliance41)", session).text
    assert "not ground" in dispatch(":why ally(X, nusra)", session).error


def test_check_runs_check_files(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    checks = tmp_path / "t.check"
    checks.write_text("expect member(ahrar, alliance41).\nexpect no ally(ahrar, alliance41).\nexpect ally(a, b).\n")
    text = dispatch(f":check {checks}", session).text
    assert text.splitlines()[0].startswith("PASS") and text.splitlines()[-1] == "2 passed, 1 failed"


def test_import_a_csv_at_the_prompt(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    schema = tmp_path / "schema.facts"
    schema.write_text('.source wire { title: "a wire export" }\n.relation backs(backer, backed).\n')
    assert dispatch(f":load {schema}", session).text.startswith("loaded")
    data = tmp_path / "rows.csv"
    data.write_text("who,whom\nqatar,ahrar\nturkey,ahrar\n")
    out = dispatch(f":import {data} --relation backs --source wire --columns who,whom --dry-run", session)
    assert "new statements: 2" in out.text and "dry run" in out.text
    assert dispatch("backs(qatar, ahrar)", session).text == "no"
    assert "new statements: 2" in dispatch(f":import {data} --relation backs --source wire --columns who,whom",
                                           session).text
    assert dispatch("backs(qatar, ahrar)", session).text == "yes (support F6 reported)"  # wire: no grade
    assert "did you mean 'backs'?" in dispatch(f":import {data} --relation bakcs --source wire", session).error
    missing = dispatch(f":import {data} --source wire", session).error
    assert "the following arguments are required: --relation" in missing and "usage:" in missing
    assert dispatch(":undo", session).text == f"took back the import of {data} (2 rows)"
    assert dispatch("backs(qatar, ahrar)", session).text == "no"
