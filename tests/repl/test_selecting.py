"""`:trust`, `:without`, `:at`, `:known-on` and `:sources QUERY`: their functions directly, and the
real program in a pseudo-terminal showing the selection in its prompt."""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

import pytest
from allegiance.repl.dispatch import dispatch
from allegiance.repl.session import Session

from allegiance.explain.critical import rests_on
from allegiance.kb import KnowledgeBase
from allegiance.selection import Selection

pexpect = pytest.importorskip("pexpect")


def test_each_setting_changes_what_counts_and_the_prompt(bundled: KnowledgeBase) -> None:
    session = Session(bundled)
    assert session.prompt == "?- "
    assert dispatch(":trust reliable", session).text == "counting: trust reliable"
    assert dispatch(":at 2015-10-06", session).text == "counting: trust reliable, at 2015-10-06"
    assert dispatch(":known-on 2015-10-05", session).text == "counting: trust reliable, at 2015-10-06, known on 2015-10-05"
    assert dispatch(":without isw_2015_10 reuters_2015_10_05", session).text.endswith(
        "without isw_2015_10, reuters_2015_10_05, at 2015-10-06, known on 2015-10-05")
    selection = Selection("reliable", frozenset({"isw_2015_10", "reuters_2015_10_05"}), datetime.date(2015, 10, 6),
                          datetime.date(2015, 10, 5))
    assert session.selection == selection
    assert session.prompt == f"[{selection.describe()}] ?- "
    shown = dispatch("strikes(A, T)", session).text
    assert f"({len(bundled.query('strikes(A, T)', selection))} answer" in shown
    assert len(bundled.query("strikes(A, T)", selection)) < len(bundled.query("strikes(A, T)"))
    for command in (":trust off", ":without off", ":at off", ":known-on off"):
        dispatch(command, session)
    assert session.selection == Selection() and session.prompt == "?- "


def test_explanations_and_inconsistencies_follow_the_selection(bundled: KnowledgeBase) -> None:
    session = Session(bundled)
    fact = "backs_terror_linked(usa, syrian_opposition, nusra)"
    assert "does not hold" not in dispatch(f":why {fact}", session).text
    dispatch(":trust reliable", session)
    assert "does not hold" in dispatch(f":why {fact}", session).text
    assert "does not hold" in dispatch(f":whynot {fact}", session).text
    listed = dispatch(":inconsistencies", session).text
    assert "backs_terror_linked" not in listed
    assert f"({len(bundled.inconsistencies(Selection('reliable')))} inconsistenc" in listed


def test_sources_of_a_query_names_the_single_sources(bundled: KnowledgeBase) -> None:
    session = Session(bundled)
    assert "reliability" in dispatch(":sources", session).text.splitlines()[0], "without a query: the list, as before"
    text = dispatch(":sources member(X, alliance41)", session).text
    for r in rests_on(bundled, "member(X, alliance41)"):
        assert r.single_source
        assert f"member({r.row[0]}, alliance41)\n    single source: {r.critical[0]} (" in text
    dispatch(":without in_foreign_2015_10", session)
    assert dispatch(":sources member(X, alliance41)", session).text == "no answers"


def test_mistakes_change_nothing_and_say_why(bundled: KnowledgeBase) -> None:
    session = Session(bundled)
    dispatch(":trust usual", session)
    out = dispatch(":trust reliabel", session)
    assert out.error and "unknown trust policy reliabel" in out.error and "did you mean 'reliable'?" in out.error
    out = dispatch(":without in_foreign", session)
    assert out.error and "did you mean 'in_foreign_2015_10'?" in out.error
    out = dispatch(":at 2015-10-32", session)
    assert out.error and "<:at>:1:9: not a date" in out.error and "    2015-10-32\n            ^^" in out.error
    out = dispatch(":known-on yesterday", session)
    assert out.error and "^^^^^^^^^" in out.error
    assert session.selection == Selection("usual")


@pytest.mark.thorough
def test_the_prompt_shows_the_selection_in_a_terminal(tmp_path: Path) -> None:
    env = {"TERM": "xterm-256color", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PROMPT_TOOLKIT_NO_CPR": "1", "PAGER": "cat", "PATH": "/usr/bin:/bin"}
    child = pexpect.spawn(str(Path(sys.executable).with_name("allegiance")), [], env=env, encoding="utf-8",
                          dimensions=(40, 140), timeout=90, cwd=str(tmp_path))  # generous: a loaded CI machine
    try:
        child.expect("Type a query")
        child.expect(re.escape("?-"))
        child.send(":trust reliable\r")
        child.expect("counting: trust reliable")
        child.expect(re.escape("[trust reliable] ?-"))
        child.send("backs_terror_linked(usa, G, T)\r")
        child.expect(re.escape("(0 answers)"))
        child.expect(re.escape("?-"))
        child.send(":trust off\r")
        child.expect("counting every statement")
        child.expect(re.escape("?-"))
        child.send("backs_terror_linked(usa, G, T)\r")
        child.expect(re.escape("(2 answers)"))
        child.expect(re.escape("?-"))  # keys typed before the prompt is drawn reach the terminal
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)
