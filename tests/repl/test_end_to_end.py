"""The real program in a pseudo-terminal, typed at as a user would, and fed a script on stdin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect  # a declared test dependency: missing, it is an error, not a skip
import pytest

ALLEGIANCE = str(Path(sys.executable).with_name("allegiance"))
PROMPT = re.escape("?-")  # prompt-toolkit draws the blank after it by moving the cursor
TIMEOUT = 20  # seconds for one screen to appear; generous for a loaded CI machine


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLEGIANCE")}
    env.update(TERM="xterm-256color", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               PROMPT_TOOLKIT_NO_CPR="1", PAGER="cat")
    return env


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[object]:
    children = []

    def start(*args: str) -> object:
        child = pexpect.spawn(ALLEGIANCE, list(args), env=environment(tmp_path), encoding="utf-8",
                              dimensions=(40, 140), timeout=TIMEOUT, cwd=str(tmp_path))
        children.append(child)
        child.expect("Type a query")
        child.expect(PROMPT)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def test_a_session_query_rule_typo_completion_quit(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn()
    child.send("ally(X, nusra)\r")
    child.expect(r"X\s*\| support\r\n[-+]+\r\nahrar_al_sham \| D6 reported\r\n\(1 answer\)")
    child.expect(PROMPT)

    child.send("linked_twice(X, Y) :- ally(X, Z),\r")
    child.expect(re.escape("|"))  # the continuation prompt: the rule is not finished
    child.send("ally(Z, Y).\r")
    child.expect("added 1 rule")
    child.expect(PROMPT)
    child.send("linked_twice(nusra, Y)\r")
    child.expect(r"nusra \| D6 reported\r\n\(1 answer\)")
    child.expect(PROMPT)

    child.send("membr(X, alliance41)\r")
    child.expect(re.escape("unknown predicate membr/2"))
    child.expect(re.escape("did you mean 'member'?"))
    child.expect(PROMPT)

    child.send("linked_tw")
    child.send("\t")  # Tab completes the predicate the rule just defined
    child.expect("linked_twice")
    child.send("(X, Y)\r")
    child.expect(r"\(2 answers\)")
    child.expect(PROMPT)

    child.send(":quit\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = tmp_path / "data" / "allegiance" / "history"
    assert "membr(X, alliance41)" in history.read_text()
    journals = list((tmp_path / "data" / "allegiance" / "journal").glob("*.dl"))
    assert len(journals) == 1 and "linked_twice(X, Y) :- ally(X, Z)," in journals[0].read_text()


def test_ctrl_c_cancels_a_long_query_and_keeps_the_kb(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chain = tmp_path / "chain.dl"
    chain.write_text("".join(f"edge({i}, {i + 1}).\n" for i in range(1, 2000)) +
                     "path(X, Y) :- edge(X, Y).\npath(X, Y) :- edge(X, Z), path(Z, Y).\n")
    child = spawn("--timeout", "0", str(chain))
    child.send("path(X, Y), path(Y, Z)\r")  # millions of rows: only Ctrl-C ends it
    # The key may reach the terminal before the REPL has left raw mode; then it only clears an
    # empty line, so press it until the query reports its interruption.
    for _ in range(10):
        child.sendcontrol("c")
        if child.expect([re.escape("interrupted"), pexpect.TIMEOUT], timeout=2) == 0:
            break
    else:
        pytest.fail("Ctrl-C did not interrupt the query")
    child.expect(PROMPT)
    child.send("edge(1, X)\r")
    child.expect(r"X\s*\r\n-+\r\n2\s*\r\n\(1 answer\)")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def small_kb(tmp_path: Path) -> str:
    path = tmp_path / "small.dl"
    path.write_text("member(fsa, alliance41).\nmember(ahrar_al_sham, alliance41).\n")
    return str(path)


def test_ctrl_c_clears_the_line(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn(small_kb(tmp_path))
    child.send("ally(X, ")
    child.expect(r"ally\x1b\[")  # drawn highlighted: the REPL, not the terminal's own echo, has it
    child.sendcontrol("c")
    child.expect(PROMPT)
    child.send("member(fsa, alliance41)\r")
    child.expect(r"yes\r\n")
    child.expect(PROMPT)  # keys typed before the prompt is drawn reach the terminal, not the REPL
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def run_piped(text: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALLEGIANCE, *args], input=text, capture_output=True, text=True,
                          env=environment(tmp_path), timeout=60, check=False)


def test_piped_stdin_prints_plain_results(tmp_path: Path) -> None:
    done = run_piped("ally(X, Y)\nmember(fsa_groups_in_alliance41, alliance41)\nlinked_twice(X, Y) :-\n  ally(X, Z), ally(Z, Y).\nlinked_twice(nusra, Y)\n",
                     tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("X             | Y             | support\n--------------+---------------+------------\n"
                           "ahrar_al_sham | nusra         | D6 reported\nnusra         | ahrar_al_sham | D6 reported\n"
                           "(2 answers)\nyes (support D6 reported)\nadded 1 rule\n"
                           "Y     | support\n------+------------\nnusra | D6 reported\n(1 answer)\n")
    assert "\x1b" not in done.stdout and done.stderr == ""
    assert not (tmp_path / "data").exists()  # scripts keep no history and no journal


def test_piped_stdin_errors_go_to_stderr_and_exit_2(tmp_path: Path) -> None:
    done = run_piped("membr(X, alliance41)\nmember(X, alliance41)\n", tmp_path, small_kb(tmp_path))
    assert done.returncode == 2
    assert "did you mean 'member'?" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.splitlines()[-1] == "(2 answers)"


def test_import_a_csv_then_why_and_undo(spawn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rows.csv").write_text("backer,backed\nUnited States,FSA\nqatar,ahrar_al_sham\n", encoding="utf-8")
    child = spawn()
    child.send(":import rows.csv --relation backs --source us_state_fto\r")
    child.expect(r"new statements: 2")
    child.expect(PROMPT)
    child.send("backs(qatar, X)\r")
    child.expect(r"ahrar_al_sham \| \w+ reported\r\n\(1 answer\)")
    child.expect(PROMPT)
    child.send(":why backs(qatar, ahrar_al_sham)\r")
    child.expect(re.escape("a row of an import (rows.csv:3)"))
    child.expect(PROMPT)
    child.send(":undo\r")
    child.expect(re.escape("took back the import of rows.csv (2 rows)"))
    child.expect(PROMPT)
    child.send("backs(qatar, X)\r")
    child.expect(re.escape("(0 answers)"))
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
