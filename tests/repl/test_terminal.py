"""What a user sees in a real terminal (issue 16): the program in a pseudo-terminal, typed at."""

from __future__ import annotations

import os
import re
import sys
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
