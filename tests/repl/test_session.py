"""session.py: what an entry is, when it is complete, and what dispatching it does."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from allegiance.repl.dispatch import dispatch, run_script
from allegiance.repl.session import Session, classify, is_complete, strip_comments

from allegiance.kb import KnowledgeBase


@pytest.mark.parametrize(("text", "kind"), [
    ("", "empty"),
    ("   % only a comment", "empty"),
    (":help", "command"),
    ("  :load facts/x.facts", "command"),
    ("ally(X, nusra)", "query"),
    ("?- ally(X, nusra).", "query"),
    ("ally(X, nusra).", "query"),  # variables and a period: Prolog's toplevel habit
    ("ally(_, nusra).", "query"),
    ("member(ahrar, alliance41)", "query"),  # ground, no period: yes or no
    ("ally(X, Y), member(Y, C).", "query"),
    ("member(ahrar, alliance41).", "add"),  # ground, with a period: a fact
    ("member(ahrar, alliance41). member(nusra, alliance41).", "add"),
    ("linked(X, Y) :- ally(X, Y).", "add"),
    ("not member(nusra, alliance41).", "add"),
    # a query may start with a negation (it said "expected '.' at the end of this clause")
    ("not ally(X, nusra), member(X, alliance41)", "query"),
    ("not member(nusra, alliance41)", "query"),
    ("member(nusra, alliance41) according to s1.", "add"),
    (".entity isis { name: \"Islamic State\" kind: group }", "add"),
    (".decl p(a: symbol)", "add"),
    ("Nusra Front is allied with Ahrar al-Sham.", "add"),
    ("member(X, alliance41). % which members?", "query"),
])
def test_classify(text: str, kind: str) -> None:
    assert classify(text) == kind


@pytest.mark.parametrize(("text", "complete"), [
    ("ally(X, nusra)", True),
    ("ally(X, nusra).", True),
    ("ally(X,", False),
    ("ally(X, nusra),", False),
    ("linked(X, Y) :-", False),
    ("linked(X, Y) :- ally(X, Z),", False),
    ("linked(X, Y) :- ally(X, Z), ally(Z, Y)", False),  # a rule waits for its period
    ("linked(X, Y) :- ally(X, Z),\n    ally(Z, Y).", True),
    ('member("Nusra', False),  # an open string
    ('member("a) b(", X)', True),  # brackets inside a string do not count
    ("ally(X, Y) % the ( in a comment", True),
    (".entity x {", False),
    (".entity x {\n  name: \"X\"\n}", True),
    (".relation p(a, b)", False),
    (".decl p(a: symbol)", True),
    ("Nusra Front is allied with", False),  # English waits for its period
    ("Nusra Front is allied with Ahrar al-Sham.", True),
    ("linked(X, Y) :- ally(X,\n", True),  # an empty line runs what is there
    (":load a b", True),
    ("", True),
])
def test_is_complete(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def test_strip_comments_keeps_strings_and_modulo() -> None:
    assert strip_comments('p("50% off"). % a note') == 'p("50% off"). '
    assert strip_comments("n(X) :- m(Y), X = Y % 2.") == "n(X) :- m(Y), X = Y % 2."
    assert strip_comments("p(a). // done") == "p(a). "


def test_query_answers_as_a_table_with_a_count(session: Session) -> None:
    out = dispatch("ally(X, nusra)", session)
    assert out.ok
    assert out.text.splitlines() == ["X     | support", "------+------------", "ahrar | B6 reported", "(1 answer)"]


def test_ground_query_answers_yes_or_no(session: Session) -> None:
    assert dispatch("member(ahrar, alliance41)", session).text == "yes (support B6 reported)"
    assert dispatch("member(nusra, alliance41)", session).text == "no"


def test_query_over_an_inconsistency_shows_its_messages(session: Session) -> None:
    out = dispatch("ally_of_member(X, C)", session)
    assert "  - Nusra Front is allied with a member of Alliance of 41" in out.text.splitlines()
    bound = dispatch("ally_of_member(nusra, C)", session)
    assert "Nusra Front is allied with a member of Alliance of 41" in bound.text


def test_a_typo_gets_a_caret_and_did_you_mean(session: Session) -> None:
    out = dispatch("membr(X, alliance41)", session)
    assert not out.ok and not out.text
    lines = out.error.splitlines()
    assert lines[0] == "<query>:1:1: unknown predicate membr/2"
    assert lines[1] == "    membr(X, alliance41)"
    assert lines[2] == "    ^^^^^"
    assert "did you mean 'member'?" in out.error


def test_a_parse_error_points_into_the_entry(session: Session) -> None:
    out = dispatch("member(X alliance41)", session)
    assert "unexpected" in out.error
    caret_line = out.error.splitlines()[2]
    assert caret_line.index("^") == len("    member(X ")


def test_adding_a_fact_then_undo(session: Session) -> None:
    out = dispatch("member(nusra, alliance41).", session)
    assert out.text == "added 1 fact"
    assert dispatch("member(nusra, alliance41)", session).text == "yes (support axiom)"  # typed: no source
    assert dispatch(":undo", session).text == "took back member(nusra, alliance41)."
    assert dispatch("member(nusra, alliance41)", session).text == "no"
    assert dispatch(":undo", session).text.startswith("nothing to undo")  # the KB as started stays


def test_a_rule_over_two_lines_is_added_and_answers(session: Session) -> None:
    out = dispatch("linked(X, Y) :- ally(X, Z),\n    member(Z, Y).", session)
    assert out.text == "added 1 rule"
    assert "alliance41" in dispatch("linked(nusra, Y)", session).text


def test_an_english_statement_is_added(session: Session) -> None:
    out = dispatch('.source s2 { title: "Two" publisher: "Wire" }', session)
    assert out.text == "added 1 source"
    # the source typed last stays current for the statements typed after it
    out = dispatch("Nusra Front is a member of the Alliance of 41.", session)
    assert out.text == "added 1 statement", out.error
    assert session.kb.statements[-1].source == "s2"
    assert dispatch("member(nusra, alliance41)", session).text == "yes (support F6 reported)"  # s2: no grade
    assert "s2" in dispatch(".source s2.", session).text
    both = '.source s3 { title: "Three" publisher: "Wire" }\nAhrar al-Sham is allied with Nusra Front.'
    assert dispatch(both, session).text == "added 1 statement, 1 source"


def test_a_bad_addition_changes_nothing_and_points_at_it(session: Session) -> None:
    before = len(session.kb.history)
    out = dispatch("linked(X, Y) :- ally(X, Z).", session)
    assert "Y" in out.error and "<repl:" in out.error
    assert "    linked(X, Y) :- ally(X, Z)." in out.error.splitlines()
    assert len(session.kb.history) == before
    assert not session.journal


def test_retract_and_undo_the_retraction(session: Session) -> None:
    assert dispatch(":retract member(ahrar, alliance41)", session).text == "retracted 1 fact"
    assert dispatch("member(ahrar, alliance41)", session).text == "no"
    assert "nothing retracted" in dispatch(":retract member(ahrar, alliance41).", session).text
    assert dispatch(":undo", session).text.startswith("took back :retract")
    assert dispatch("member(ahrar, alliance41)", session).text == "yes (support B6 reported)"


def test_retract_rejects_a_rule_with_a_caret(session: Session) -> None:
    out = dispatch(":retract p(X) :- q(X).", session)
    assert "only facts can be retracted" in out.error


def test_journal_and_save(session: Session, tmp_path: Path) -> None:
    session.journal_path = tmp_path / "journal.dl"
    dispatch("member(nusra, alliance41).", session)
    dispatch("linked(X, Y) :- ally(X, Y).", session)
    dispatch("p(a).", session)
    dispatch(":undo", session)
    journal = session.journal_path.read_text()
    assert "member(nusra, alliance41)." in journal and "p(a)." in journal and ":undo" in journal
    target = tmp_path / "session.dl"
    assert dispatch(f":save {target}", session).text == f"wrote 2 entries to {target}"
    saved = target.read_text()
    assert "member(nusra, alliance41).\nlinked(X, Y) :- ally(X, Y).\n" in saved and "p(a)" not in saved
    # what :save wrote reads back into a knowledge base built like this one
    kb = KnowledgeBase(timeout=None)
    try:
        for path, text in session.kb.sources_text.items():
            if path in ("test.facts", "test.dl"):
                kb.load_text(text, file=path)
        kb.load_file(target)
        assert kb.ask("linked(nusra, ahrar)") and kb.ask("member(nusra, alliance41)")
    finally:
        kb.close()


def test_limit_cuts_long_answers_and_more_pages_them(session: Session) -> None:
    for i in range(30):
        dispatch(f"n({i}).", session)
    session.limit = 5
    out = dispatch("n(X)", session)
    lines = out.text.splitlines()
    assert len(lines) == 2 + 5 + 1 and lines[-1].startswith("... 25 more")
    page = dispatch(":more", session)
    assert page.page and page.text.splitlines()[-1] == "(30 answers)"
    assert dispatch(":limit none", session).text == "limit none"
    assert dispatch("n(X)", session).text.splitlines()[-1] == "(30 answers)"


def test_formats_and_timing(session: Session) -> None:
    dispatch(":format csv", session)
    assert dispatch("ally(X, nusra)", session).text == "X,support\nahrar,B6 reported"
    dispatch(":format json", session)
    doc = json.loads(dispatch("ally(X, nusra)", session).text)
    assert doc["answers"] == [["ahrar"]] and doc["supports"][0]["grade"] == "B6 reported"
    assert doc["supports"][0]["source"] == "s1" and doc["supports"][0]["status"] == "reported"
    dispatch(":support off", session)
    assert "supports" not in json.loads(dispatch("ally(X, nusra)", session).text)
    dispatch(":support on", session)
    dispatch(":format table", session)
    dispatch(":time on", session)
    assert dispatch("ally(X, nusra)", session).text.splitlines()[-1].endswith("ms)")


def test_switching_engine_keeps_the_session(session: Session) -> None:
    dispatch("member(nusra, alliance41).", session)
    dispatch(":retract ally(ahrar, nusra)", session)
    out = dispatch(":engine pydatalog", session)
    assert out.text.startswith("now on pydatalog"), out.error
    assert session.kb.engine_name == "pydatalog"
    assert dispatch("member(X, alliance41)", session).text.splitlines()[2:4] == ["ahrar | B6 reported", "nusra | axiom"]
    assert dispatch("ally(ahrar, nusra)", session).text == "no"
    assert dispatch(":engine", session).text.startswith("pydatalog")
    assert "did you mean 'duckdb'?" in dispatch(":engine duckdbb", session).error


def test_script_mode_runs_entries_and_reports_errors(small_kb: KnowledgeBase) -> None:
    session = Session(small_kb, limit=None)
    script = ["% a script\n", "ally(X, nusra)\n", "linked(X, Y) :-\n", "  ally(X, Y).\n", "\n",
              "membr(X, Y)\n", "linked(ahrar, Y)\n"]
    out, err = io.StringIO(), io.StringIO()
    assert run_script(script, session, out, err) == 2
    table = "{v}     | support\n------+------------\n{a} | B6 reported\n(1 answer)\n"
    assert out.getvalue() == table.format(v="X", a="ahrar") + "added 1 rule\n" + table.format(v="Y", a="nusra")
    assert "did you mean 'member'?" in err.getvalue()


def test_script_mode_exits_0_without_errors_and_stops_at_quit(small_kb: KnowledgeBase) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_script(["ally(ahrar, nusra)\n", ":quit\n", "membr(X)\n"], Session(small_kb), out, err) == 0
    assert out.getvalue() == "yes (support B6 reported)\n" and err.getvalue() == ""


def test_an_unfinished_entry_at_the_end_of_a_script_still_runs(small_kb: KnowledgeBase) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_script(["linked(X, Y) :- ally(X, Y)"], Session(small_kb), out, err) == 2
    assert "'.'" in err.getvalue()
