"""A command suggested in a message reads right where it is shown (issue 16, item 16): the core
writes `whynot FACT`; the command line shows `allegiance whynot 'FACT'` (one shell word), the REPL
`:whynot FACT`, in a message, a hint and an indented proof tree alike."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from allegiance.repl.dispatch import dispatch, open_session

from allegiance import suggested
from allegiance.kb import KnowledgeBase

ALLEGIANCE = str(Path(sys.executable).with_name("allegiance"))
PROGRAM = "edge(a, b).\npath(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n" \
          "good(X, Y) :- edge(X, Y), path(Y, X).\n"


def test_each_front_end_spells_the_commands_its_own_way() -> None:
    text = "p(a) does not hold. Ask `whynot p(a, \"it's\")` for more.\n  it would hold with q(b) (`why q(b)`)"
    assert suggested.for_cli(text) == ("p(a) does not hold. Ask `allegiance whynot 'p(a, \"it'\"'\"'s\")'` for more.\n"
                                       "  it would hold with q(b) (`allegiance why 'q(b)'`)")
    assert suggested.for_repl(text) == ("p(a) does not hold. Ask `:whynot p(a, \"it's\")` for more.\n"
                                        "  it would hold with q(b) (`:why q(b)`)")
    hint = "list them with `query kind(X, K)`; bulk data: `import FILE.csv --relation R --source ID`"
    assert suggested.for_cli(hint) == ("list them with `allegiance query 'kind(X, K)'`; "
                                       "bulk data: `allegiance import FILE.csv --relation R --source ID`")
    assert suggested.for_repl(hint) == ("list them with `kind(X, K)`; "
                                        "bulk data: `:import FILE.csv --relation R --source ID`")
    assert suggested.for_cli("use `why` and `whynot` (no argument)") == "use `why` and `whynot` (no argument)"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "s.dl"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


def cli(*args: str) -> str:
    return subprocess.run([ALLEGIANCE, *args], capture_output=True, text=True, timeout=120, check=False).stdout


def test_the_command_line_suggests_commands_a_shell_runs(program: Path) -> None:
    said = cli("why", "good(a, b)", str(program))
    assert "Ask `allegiance whynot 'good(a, b)'` for what comes closest." in said
    tree = cli("whynot", "good(a, b)", str(program))
    assert "\n  it would hold with path(b, a) holding (`allegiance whynot 'path(b, a)'`)" in tree  # nested
    for line in (said + tree).splitlines():  # each suggestion runs as written
        if "`allegiance " in line:
            command = shlex.split(line.split("`")[1])
            assert command[:2] in (["allegiance", "whynot"], ["allegiance", "why"]) and len(command) == 3
    assert "`whynot" not in said + tree and "`:" not in said + tree


def test_the_repl_suggests_its_meta_commands(program: Path) -> None:
    with KnowledgeBase(timeout=None) as kb:
        kb.load_files([program])
        session = open_session(kb, None, False)
        said = dispatch(":why good(a, b)", session).text
        assert "Ask `:whynot good(a, b)` for what comes closest." in said
        tree = dispatch(":whynot good(a, b)", session).text
        assert "\n  it would hold with path(b, a) holding (`:whynot path(b, a)`)" in tree
        assert "allegiance " not in said + tree and "`whynot" not in said + tree
