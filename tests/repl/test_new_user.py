"""What a new user hit in the REPL (issue 16), each through dispatch.dispatch as typed: the REPL
never misleads (undo, engine switch, the line an error quotes), points Prolog habits at the
command that does it here, and says what is wrong with undecodable input."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from allegiance.repl import dispatch as dispatch_module
from allegiance.repl import session as session_module
from allegiance.repl.dispatch import dispatch
from allegiance.repl.habits import prolog_habit
from allegiance.repl.session import Session

from allegiance.errors import AllegianceError
from allegiance.kb import KnowledgeBase


@pytest.mark.parametrize(("typed", "hint"), [
    ("halt.", ":quit"),
    ("halt", ":quit"),
    ("quit.", ":quit"),
    ("help", ":help"),
    ("help.", ":help"),
    ("help(load).", ":help load"),
    ("listing(ally).", ":rules ally"),
    ("listing(member/2)", ":rules member/2"),
    ("listing.", ":rules"),
    ("consult('more.dl').", ":load more.dl"),
    ("['more.dl'].", ":load more.dl"),
])
def test_prolog_habits_point_to_the_command(session: Session, typed: str, hint: str) -> None:
    before = len(session.kb.history)
    out = dispatch(typed, session)
    assert f"type {hint}" in out.error and out.error.startswith(f"error: {typed}")
    assert len(session.kb.history) == before  # nothing added (listing(ally). used to add a fact)


@pytest.mark.parametrize(("typed", "hint"), [
    ("why member(ahrar, alliance41)", ":why member(ahrar, alliance41)"),
    ("whynot ally(ahrar, isis)", ":whynot ally(ahrar, isis)"),
    ("load more.dl", ":load more.dl"),
    ("sources ally(X, nusra)", ":sources ally(X, nusra)"),
    ("format csv", ":format csv"),  # any command of the registry
])
def test_a_command_typed_without_its_colon_points_to_it(session: Session, typed: str, hint: str) -> None:
    """`allegiance why FACT` on the command line is `:why FACT` in the REPL: typed as the command line
    spells it, the entry names the command instead of "unexpected 'member'"."""
    before = len(session.kb.history)
    out = dispatch(typed, session)
    assert out.error == f"error: {typed.split()[0]} is a command here, typed with a colon: type {hint}"
    assert len(session.kb.history) == before
    named = dispatch(hint, session)  # and the command it names runs (more.dl is not there: its own error)
    assert named.ok or named.error == "error: more.dl: no such file", named


def test_a_habit_name_that_is_a_predicate_keeps_its_meaning(session: Session) -> None:
    assert dispatch("listing(X) :- member(X, alliance41).", session).text == "added 1 rule"
    assert prolog_habit("listing(ahrar).", {"listing"}) is None
    assert dispatch("listing(ahrar)", session).text == "yes (support B6 reported)"


def test_undo_with_nothing_typed_keeps_the_knowledge_base(session: Session) -> None:
    assert dispatch(":undo", session).text == "nothing to undo (the knowledge base is as the session started)"
    assert dispatch("member(ahrar, alliance41)", session).text == "yes (support B6 reported)"
    assert dispatch("member(nusra, alliance41).", session).ok
    assert dispatch(":undo", session).text.startswith("took back member(nusra, alliance41)")
    assert dispatch(":undo", session).text.startswith("nothing to undo")
    assert dispatch("ally(ahrar, nusra)", session).text == "yes (support B6 reported)"


def test_the_caret_goes_under_the_current_input(session: Session) -> None:
    assert dispatch("ally(X, nusra)", session).ok
    lines = dispatch(":why membr(ahrar, alliance41)", session).error.splitlines()
    assert lines[:3] == ["<query>:1:1: unknown predicate membr/2", "    membr(ahrar, alliance41)", "    ^^^^^"]
    lines = dispatch(":whynot membr(ahrar, alliance41)", session).error.splitlines()
    assert lines[1] == "    membr(ahrar, alliance41)"


def test_the_caret_is_drawn_with_no_earlier_query(small_kb: KnowledgeBase) -> None:
    lines = dispatch(":why membr(ahrar, alliance41)", Session(small_kb)).error.splitlines()
    assert lines[1:3] == ["    membr(ahrar, alliance41)", "    ^^^^^"]


def test_reload_after_a_bad_edit_quotes_the_line_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "edited.dl"
    path.write_text("p(a).\n")
    kb = KnowledgeBase(timeout=None)
    try:
        kb.load_file(path)
        session = Session(kb)
        path.write_text("p(a).\np(b).\n\nq(X) :- p(X\n")
        import os
        os.utime(path, (1, 1))
        out = dispatch(":reload", session)
        assert f"{path}:4:" in out.error
        assert "    q(X) :- p(X" in out.error.splitlines()
        assert dispatch("p(X)", session).text.endswith("(1 answer)")  # the old file stays
    finally:
        kb.close()


def test_why_on_a_fact_that_does_not_hold_points_to_the_meta_command(session: Session) -> None:
    text = dispatch(":why ally(ahrar, alliance41)", session).text
    assert "Ask `:whynot ally(ahrar, alliance41)`" in text


def test_a_statement_without_a_named_asserter_says_who_reports_it(session: Session) -> None:
    dispatch('.source s2 { title: "Two" }', session)  # no publisher: no asserter
    assert dispatch("member(nusra, alliance41) from source s2.", session).ok
    text = dispatch(":why member(nusra, alliance41)", session).text
    line = next(x for x in text.splitlines() if "statement s2_" in x)
    assert "statement s2_1, reported by the source" in line


def test_undecodable_input_is_reported_as_files_are(session: Session) -> None:
    out = dispatch("ally(X, \udce9)", session)  # what Python makes of the byte 0xe9 read from stdin
    lines = out.error.splitlines()
    assert lines[0] == "<input>:1:9: invalid UTF-8 (byte 0xe9)"
    assert lines[2] == "    " + " " * 8 + "^"
    assert "\udce9" not in out.error


def test_engine_switch_replays_typed_english_under_its_source(session: Session) -> None:
    dispatch('.source s2 { title: "Two" publisher: "Wire" }', session)
    dispatch(".source s2.", session)
    assert dispatch("Nusra Front is a member of the Alliance of 41.", session).ok
    out = dispatch(":engine pydatalog", session)
    assert out.text.startswith("now on pydatalog"), out.error
    assert dispatch("member(nusra, alliance41)", session).text == "yes (support F6 reported)"  # s2: no grade


def test_a_failed_engine_switch_says_it_stayed(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(history: object, kb: KnowledgeBase) -> None:
        raise AllegianceError("cannot replay")

    monkeypatch.setattr(session_module, "replay", failing)
    out = dispatch(":engine pydatalog", session)
    assert "cannot replay" in out.error
    assert out.error.splitlines()[-1].startswith("still on duckdb")
    assert session.kb.engine_name == "duckdb"


def test_listings_escape_control_characters_and_stay_aligned(session: Session) -> None:
    dispatch('.entity red { name: "Red\\u001b[31m Brigade" aliases: "x\\ty" kind: group }', session)
    text = dispatch(":entities red", session).text
    assert "\x1b" not in text and "\t" not in text
    header, rule, row = text.splitlines()[:3]
    assert row.index("|") == header.index("|") == rule.index("+")
    assert "Red\\u001b[31m Brigade" in row


def test_a_script_prints_no_raw_control_character(small_kb: KnowledgeBase) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    session = Session(small_kb)
    script = ['p("a\\u001b[31mRED\\u001b[0m").\n', "p(X)\n", ':why p("a\\u001b]0;title\\u0007")\n']
    dispatch_module.run_script(script, session, out, err)
    assert "\x1b" not in out.getvalue() + err.getvalue() and "\x07" not in err.getvalue()
    assert '"a\\u001b[31mRED\\u001b[0m"' in out.getvalue()


def test_facts_typed_under_a_source_are_its_statements(session: Session) -> None:
    assert dispatch(".source s1.", session).ok
    assert dispatch("member(nusra, alliance41).", session).text == "added 1 statement"
    assert session.kb.statements[-1].source == "s1"
    assert "source \"A test source\"" in dispatch(":why member(nusra, alliance41)", session).text
    # a near miss is refused, with a did-you-mean; a new predicate of its own stays a plain fact
    out = dispatch("membr(nusra, alliance41).", session)
    assert "new predicate membr/2, not added" in out.error and "did you mean 'member'?" in out.error
    assert dispatch("membr(X, Y)", session).error  # nothing was created
    assert dispatch("edge(1, 2).", session).text == "added 1 fact"


def test_a_misspelled_predicate_is_refused_in_a_script(session: Session) -> None:
    before = len(session.kb.history)
    out = dispatch("membr(nusra, alliance41).", session)
    assert out.error.startswith("error: new predicate membr/2, not added") and "did you mean 'member'?" in out.error
    assert len(session.kb.history) == before
    assert dispatch("edge(1, 2).", session).text == "added 1 fact"  # no near miss: a new relation


def test_a_new_predicate_asks_first_at_a_terminal(small_kb: KnowledgeBase) -> None:
    session = Session(small_kb, interactive=True)
    out = dispatch("membr(nusra, alliance41).", session)
    assert out.text == "warning: new predicate membr/2 (membr/2: did you mean 'member'?)"
    assert out.confirm == "add new predicate membr/2? [y/N] " and out.default is False
    assert len(session.kb.history) == 2  # nothing added until the user says yes
    assert out.then is not None and out.then().text == "added 1 fact"
    assert dispatch("membr(nusra, alliance41)", session).text.startswith("yes")
    out = dispatch("edge(1, 2).", session)
    assert out.confirm == "add new predicate edge/2? [Y/n] " and out.default is True and not out.text
    assert out.then is not None and out.then().text == "added 1 fact"
    # a fact of a predicate the same entry defines asks nothing
    assert dispatch("hop(1, 2).\nhop(X, Y) :- edge(X, Y).", session).text == "added 1 fact, 1 rule"


def test_help_fits_80_columns_with_its_descriptions_aligned(session: Session) -> None:
    session.columns = 80
    lines = dispatch(":help", session).text.splitlines()
    assert max(map(len, lines)) <= 80
    import re

    listed = [m for m in (re.match(r"  :\S.*?\s{2,}(\S)", line) for line in lines) if m]
    starts = {m.start(1) for m in listed}
    assert len(listed) > 20 and len(starts) == 1 and starts.pop() <= 34  # one column, not column 92


def test_schema_lists_each_inconsistency_once(session: Session) -> None:
    text = dispatch(":schema", session).text
    assert text.count("inconsistency ally_of_member(") == 1


def test_listings_fit_the_terminal_and_keep_the_ids(bundled: KnowledgeBase) -> None:
    session = Session(bundled, limit=None, columns=80)
    lines = dispatch(":sources", session).text.splitlines()
    assert max(map(len, lines)) <= 80
    ids = sorted(bundled.catalog.sources)
    assert [line.split(" | ")[0].strip() for line in lines[2:-1]] == ids  # never cut
    assert max(map(len, dispatch(":entities", Session(bundled, limit=None, columns=80)).text.splitlines())) <= 80


def test_an_engine_switch_after_a_bad_edit_quotes_the_line_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "edited.dl"
    path.write_text("q(a).\n")
    kb = KnowledgeBase(timeout=None)
    try:
        kb.load_file(path)
        session = Session(kb)
        path.write_text("q(a).\nq(b).\n\nr(X) :- q(X\n")
        out = dispatch(":engine pydatalog", session)
        assert "    r(X) :- q(X" in out.error.splitlines()
        assert out.error.splitlines()[-1].startswith("still on duckdb")
    finally:
        session.kb.close()


def test_why_wraps_long_proof_lines_at_spaces_under_their_branch(bundled: KnowledgeBase) -> None:
    """At 180 columns the terminal wrapped `:why`'s rule lines in the middle of an identifier
    (`not ally(fsa_gr` / `oups_in_alliance41, ...)`), at the left edge, outside the tree."""
    from allegiance.repl.treewrap import wrap_tree

    fact = "indirect_ally(fsa_groups_in_alliance41, ahrar_al_sham)"
    session = Session(bundled)
    whole = dispatch(f":why {fact}", session).text
    assert max(len(line) for line in whole.splitlines()) > 180  # there is something to wrap
    for width in (180, 80):
        session.columns = width
        text = dispatch(f":why {fact}", session).text
        assert text == wrap_tree(whole, width)
        assert all(len(line) <= width for line in text.splitlines()), text
        # the same words, none cut: only spaces became line breaks (and the tree's drawing repeated)
        assert [w for w in text.split() if w.strip("│├└─")] == [w for w in whole.split() if w.strip("│├└─")]
    lines = wrap_tree(whole, 80).splitlines()
    # a continuation line stays under its branch, indented under the line it continues
    at = lines.index("│       │   │     as co_member(fsa_groups_in_alliance41, ahrar_al_sham,")
    assert lines[at + 1].startswith("│       │   │       alliance41) :- member(")


def test_an_open_string_says_so_in_the_toolbar(small_kb: KnowledgeBase) -> None:
    """Enter after `member(X, "alliance41` went on to a `|` line with no word why: it looked like
    a REPL that had stopped answering. The toolbar says a string is open, where, and the way out.
    (Seen in tmux; pexpect's screen gets only the cells that change, so the toolbar is read here.)"""
    from allegiance.repl.app import prompt_session
    from allegiance.repl.session import pending
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    seen: list[str] = []

    async def type_and_read() -> None:  # the buffer starts its completion in the event loop
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            prompt = prompt_session(Session(small_kb))
            toolbar = prompt.bottom_toolbar
            assert callable(toolbar)
            prompt.default_buffer.completer = None
            for text in ('member(X, "alliance41', 'member(X, "alliance41\n', "member(X,\nalliance41\n"):
                prompt.default_buffer.text = text
                seen.append(toolbar())

    asyncio.run(type_and_read())
    assert "string is open" not in seen[0]  # typing on: the usual hints
    # Enter went on to another line: it says why
    assert seen[1] == (' a string is open (the " at line 1, column 11): close it with "; Enter on an '
                       'empty line runs it as it is, Ctrl-C drops it')
    assert seen[2].startswith(" a bracket is open: close it;")
    assert pending("indirect(X, Y) :-\n  ally(X, Y)\n").startswith("a rule, block or English statement ends with '.'")
    assert pending("member(X, alliance41)") == ""


def test_a_comparison_of_a_symbol_with_a_number_is_warned_about(bundled: KnowledgeBase, tmp_path: Path) -> None:
    """`member(X, alliance41), X > 3` answered "(0 answers)" and nothing else: a symbol is never
    ordered with a number (values.compare). Now a warning says so, where, and what to compare with,
    at the prompt, in a rule file, and on the command line; the query still runs."""
    session = Session(bundled)
    text = dispatch("member(X, alliance41), X > 3", session).text
    assert text.splitlines()[:3] == [
        "<query>:1:26: warning: X (member/2's 1st argument) is a symbol and 3 a number: values of different "
        "kinds are never ordered, so `X > 3` never holds",
        "    member(X, alliance41), X > 3",
        "                             ^"]
    assert text.endswith("(0 answers)")
    session.format = "json"  # JSON stays data: the warning is for the table a person reads
    assert not dispatch("member(X, alliance41), X > 3", session).text.startswith("<query>")
    session.format = "table"
    assert "warning" not in dispatch("member(X, alliance41), X != 3", session).text  # always true: no trap
    assert "warning" not in dispatch("published(S, D), D > 2015-10-01", session).text  # a date with a date
    assert "is a date and 3 a number" in dispatch("published(S, D), D >= 3", session).text
    rules = tmp_path / "late.dl"
    rules.write_text(".decl seen(x: symbol, d: date)\nlate(X) :- seen(X, D), D > \"2015\".\n", encoding="utf-8")
    kb = KnowledgeBase(timeout=None)
    try:
        kb.load_path(str(rules))
        assert [w for w in kb.warnings if "never holds" in w] == [
            f"{rules}:2:26: warning: D (seen/2's 2nd argument) is a date and \"2015\" a symbol: values of different "
            "kinds are never ordered, so `D > \"2015\"` never holds"]
    finally:
        kb.close()


def test_sources_and_inconsistencies_wrap_at_spaces_too(bundled: KnowledgeBase) -> None:
    """At 80 columns `:sources FACT` cut a source's title in the middle of a word (`Russ` / `ia`)
    at the left edge; so did `:inconsistencies`' messages. Both wrap at spaces, indented under
    the line they continue, as `:why` does."""
    from allegiance.repl.treewrap import wrap_tree

    session = Session(bundled)
    for entry in (":sources backs_terror_linked(usa, syrian_opposition, nusra)", ":inconsistencies"):
        session.columns = None
        whole = dispatch(entry, session).text
        assert max(len(line) for line in whole.splitlines()) > 80, entry  # there is something to wrap
        session.columns = 80
        text = dispatch(entry, session).text
        assert text == wrap_tree(whole, 80)
        assert all(len(line) <= 80 for line in text.splitlines()), text
        assert text.split() == whole.split()  # only spaces became line breaks


def test_the_banner_fits_an_80_column_terminal(bundled: KnowledgeBase) -> None:
    from allegiance.repl.app import banner

    lines = banner(Session(bundled)).splitlines()
    assert lines[0].startswith("allegiance ") and "statements" in lines[1] and ":help" in lines[2]
    assert max(len(line) for line in lines) <= 80, lines
