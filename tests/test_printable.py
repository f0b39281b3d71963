"""Control characters never reach a terminal (issue 16, item 2): values, listings, errors and
whole screens escape them, tables stay aligned, and the escaped text reads back as the value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allegiance import ast, printable, render
from allegiance.cli import main
from allegiance.errors import ParseError
from allegiance.errors import render as render_error
from allegiance.parse import parse_program

RED = "a\u001b[31mRED\u001b[0m"
NASTY = ["\x1b", "\x07", "\x00", "\r", "\x08", "\x7f", "\x9b", "\u2028", "\u202e", "\u2066", "\t", "\n"]


def _controls(text: str) -> list[str]:
    return [c for c in text if c in NASTY or printable.escape(c) != c]


@pytest.mark.parametrize("char", NASTY)
def test_each_control_character_is_escaped(char: str) -> None:
    assert _controls(printable.escape(f"x{char}y")) == []
    assert printable.screen(f"a\n{char}") .startswith("a\n")


@given(st.text(max_size=30))
def test_a_value_prints_without_controls_and_reads_back(value: str) -> None:
    text = ast.format_value(value)
    assert _controls(text) == []
    fact = parse_program(f"p({text}).").clauses[0]
    assert isinstance(fact, ast.Fact) and isinstance(fact.atom.args[0], ast.Constant)
    assert fact.atom.args[0].value == value


def test_a_table_with_an_escape_sequence_stays_aligned() -> None:
    out = render.table(("X", "Y"), [(RED, "x"), ("b", "y")])
    assert "\x1b" not in out
    rows = out.splitlines()[:4]
    assert len({row.index("|") if "|" in row else row.index("+") for row in rows}) == 1
    assert '"a\\u001b[31mRED\\u001b[0m"' in out


def test_json_escapes_c1_and_del_and_stays_json() -> None:
    out = render.json_text("p(X)", ("X",), [("\x9b31m\x7f\x1b",)])
    assert _controls(out) == [] and json.loads(out)["answers"] == [["\x9b31m\x7f\x1b"]]


def test_an_error_line_with_controls_keeps_its_caret() -> None:
    text = 'p("\x1b[2J", x) q'
    error = ParseError("unexpected 'q'", ast.Span("f.dl", 1, 14, 1, 15))
    lines = render_error(error, {"f.dl": text}).splitlines()
    assert lines[1] == '    p("\\u001b[2J", x) q'
    assert lines[2].index("^") == lines[1].index("q")


def test_the_cli_never_prints_a_raw_escape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "red.dl"
    path.write_text(f'p("{RED}").\nq("\x1b]0;owned\x07") :- p(X).\n')  # raw ESC inside strings, too
    assert main(["query", "p(X)", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\u001b[31mRED" in out
    assert main(["why", 'p("a\\u001b[31mRED\\u001b[0m")', str(path)]) == 0
    assert "\x1b" not in capsys.readouterr().out
    bad = tmp_path / "bad.dl"
    bad.write_text('p("\x1b[2J", x) q\n')
    assert main(["query", "p(X, Y)", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\u001b[2J" in err
    assert main(["query", "p(X)", str(path), "--format", "csv"]) == 0
    assert RED in capsys.readouterr().out  # CSV is data: the value as it is
