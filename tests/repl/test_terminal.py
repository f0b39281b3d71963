"""What a user sees in a real terminal (issue 16): the program in a pseudo-terminal, typed at."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect  # a declared test dependency: missing, it is an error, not a skip
import pytest

ALLEGIANCE = str(Path(sys.executable).with_name("allegiance"))
PROMPT = re.escape("?-")
TIMEOUT = 20


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLEGIANCE")}
    env.update(TERM="xterm-256color", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               PROMPT_TOOLKIT_NO_CPR="1", PAGER="cat")
    env.update(extra)
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[object]:
    children = []

    def start(*args: str, columns: int = 140, **env: str) -> object:
        child = pexpect.spawn(ALLEGIANCE, list(args), env=environment(tmp_path, **env), encoding="utf-8",
                              dimensions=(40, columns), timeout=TIMEOUT, cwd=str(tmp_path))
        children.append(child)
        child.expect("Type a query")
        child.expect(PROMPT)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def small(tmp_path: Path) -> str:
    path = tmp_path / "small.dl"
    path.write_text("member(fsa, alliance41).\nmember(ahrar_al_sham, alliance41).\n")
    return str(path)


def test_an_escape_sequence_in_a_value_reaches_the_screen_escaped(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn(small(tmp_path))
    child.send('p("a\\u001b[31mRED\\u001b[0m", x).\r')
    child.expect(re.escape("add new predicate p/2? [Y/n]"))
    child.send("\r")  # Enter: yes, there is no known predicate it could be a typo of
    child.expect("added 1 fact")
    child.expect(PROMPT)
    child.send("p(X, Y)\r")
    child.expect(r"\(1 answer\)")
    screen = child.before
    assert '"a\\u001b[31mRED\\u001b[0m" | x' in screen
    assert "\x1b[31mRED" not in screen  # the value never recolours the terminal
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_a_misspelled_predicate_asks_before_it_is_created(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn(small(tmp_path))
    child.send("membr(isis, alliance41).\r")
    child.expect(re.escape("warning: new predicate membr/2 (membr/2: did you mean 'member'?)"))
    child.expect(re.escape("add new predicate membr/2? [y/N]"))
    child.send("\r")  # Enter: no
    child.expect("not added")
    child.expect(PROMPT)
    child.send("member(X, alliance41)\r")
    child.expect(r"\(2 answers\)")
    child.expect(PROMPT)
    child.send("membr(isis, alliance41).\r")
    child.expect(re.escape("[y/N]"))
    child.send("y\r")
    child.expect("added 1 fact")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_ctrl_r_then_enter_runs_the_match(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn(small(tmp_path))
    child.send("member(X, alliance41)\r")
    child.expect(r"\(2 answers\)")
    child.expect(PROMPT)
    child.send(":time on\r")
    child.expect("timing on")
    child.expect(PROMPT)
    child.sendcontrol("r")
    child.expect("search")
    child.send("member(X")
    child.expect("alliance41")
    child.send("\r")  # runs the match, as bash does
    child.expect(r"\(2 answers\)")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_keys_typed_during_a_long_entry_wait_for_the_next_prompt(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chain = tmp_path / "chain.dl"
    chain.write_text("".join(f"edge({i}, {i + 1}).\n" for i in range(1, 1500)) +
                     "path(X, Y) :- edge(X, Y).\npath(X, Y) :- edge(X, Z), path(Z, Y).\n")
    child = spawn("--timeout", "3", str(chain))
    child.send("path(X, Y), path(Y, Z)\r")  # runs until the 3 s limit
    child.expect(re.escape("\x1b[?2004l"))  # prompt-toolkit has left the terminal: the entry runs
    child.send("edge(7, X)\r")  # typed ahead while it runs
    child.expect("took longer than 3 s")
    assert "edge(7" not in child.before  # not echoed over the running entry's output
    child.expect(PROMPT)
    child.expect(r"X\s*\r\n-+\r\n8\s*\r\n\(1 answer\)")  # the next prompt ran what was typed ahead
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)



def test_a_pasted_100_kb_line_answers_promptly(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn(small(tmp_path))
    long_name = "x" * 100_000
    # as a terminal pastes: between bracketed-paste marks, in one go
    child.send(f'\x1b[200~member(X, "{long_name}")\x1b[201~')
    child.send("\r")
    child.expect(re.escape("(0 answers)"))  # within TIMEOUT: it used to take minutes to draw
    child.expect(PROMPT)
    child.send("member(X, alliance41)\r")
    child.expect(r"\(2 answers\)")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_long_output_goes_through_the_pager_short_output_does_not(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn(small(tmp_path), ALLEGIANCE_PAGER="sed s/^/PAGED:/")
    child.send("member(X, alliance41)\r")
    child.expect(r"\(2 answers\)")
    assert "PAGED:" not in child.before  # fits the screen: printed as it is
    child.expect(PROMPT)
    child.send(":help\r")  # taller than the 40-line screen
    child.expect(r"PAGED::help COMMAND for more")
    child.expect(PROMPT)
    child.send(":pager\r")
    child.expect(re.escape("pager on (sed s/^/PAGED:/)"))
    child.expect(PROMPT)
    child.send(":pager off\r")
    child.expect(PROMPT)
    child.send(":help\r")
    child.expect(r"\r\n:help COMMAND for more")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_a_late_cursor_position_report_typed_ahead_during_a_long_load_is_not_echoed(tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """prompt-toolkit asks the terminal where the cursor is (`ESC[6n`); a terminal that answers
    late, while an entry runs, used to have its answer echoed on the screen as `^[[1;1R` (issue 16,
    item 13). Here the terminal (the test) answers only once the load runs, with keys typed ahead."""
    graph = tmp_path / "graph.dl"
    graph.write_text("".join(f"link({i}, {(i * 7919) % 3000}).\nlink({i}, {i + 1}).\n" for i in range(3000)) +
                     "reach(X, Y) :- link(X, Y).\nreach(X, Z) :- reach(X, Y), link(Y, Z).\n")
    env = environment(tmp_path)
    del env["PROMPT_TOOLKIT_NO_CPR"]  # the cursor position requests this test is about
    child = pexpect.spawn(ALLEGIANCE, ["--timeout", "3", small(tmp_path)], env=env, encoding="utf-8",
                          dimensions=(40, 140), timeout=TIMEOUT, cwd=str(tmp_path))
    try:
        child.expect(re.escape("\x1b[6n"))
        child.send("\x1b[1;1R")  # the first answer in time: the prompt is drawn
        child.expect(PROMPT)
        child.send(f":load {graph}\r")
        child.expect(re.escape("\x1b[?2004l"))  # prompt-toolkit has left the terminal: the load runs
        child.send("\x1b[1;1R")  # the terminal's late answer to the last request
        child.send("member(X, alliance41)\r")  # and a query typed ahead
        child.expect(["took longer than 3 s", r"loaded \S*graph\.dl"])  # stopped by the limit, or loaded
        assert "1;1R" not in child.before and "member(X" not in child.before
        child.expect(PROMPT)
        child.expect(r"\(2 answers\)")  # the next prompt ran what was typed ahead
        assert "1;1R" not in child.before
        child.expect(PROMPT)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)


def test_ctrl_c_in_the_pager_returns_to_the_prompt(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The pager gets the Ctrl-C too, and the REPL with it (repl/presses.py): it ended the session
    with a traceback."""
    chain = tmp_path / "chain.dl"
    chain.write_text("".join(f"edge({i}, {i + 1}).\n" for i in range(1, 100)), encoding="utf-8")
    # a pager that stays until Ctrl-C ends it; the terminal's own size (pytest-xdist sets LINES=24,
    # which would page the first table)
    child = spawn(str(chain), PAGER="sleep 30", LINES="40", COLUMNS="140")
    child.send("edge(X, Y)\r")
    child.expect(r"\(99 answers")
    child.expect(PROMPT)
    child.send(":more\r")  # every answer, through the pager
    time.sleep(1.0)
    child.sendcontrol("c")
    child.expect(PROMPT)
    child.send("edge(1, X)\r")
    child.expect(r"\(1 answer\)")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
