"""`allegiance check`: passing and failing check files, exit codes 0/1/2, what a failure shows.

Each test builds a small knowledge base in tmp_path (rules/ with plain facts), writes check files
beside it and runs the real command line in-process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from allegiance import ast
from allegiance.checks import accepts, clause_text, parse_checks
from allegiance.cli import main
from allegiance.errors import CheckError, ErrorGroup, ParseError
from allegiance.kb import Inconsistency

KB = """\
ally(a, b).
ally(b, c).
enemy(a, c).
member(a, club).
member(b, club).
linked(X, Y) :- ally(X, Y).
linked(X, Z) :- ally(X, Y), linked(Y, Z).

.inconsistency ally_and_enemy(x, y) {
  message: "{x} and {y} are linked and enemies"
}
ally_and_enemy(X, Y) :- linked(X, Y), enemy(X, Y).
"""

GOOD = """\
% Every kind of check, each of which holds.
expect linked(a, c).
% name: nobody_allies_c
expect no ally(c, _).
expect linked(a, X) = {b, c}.
expect linked(X, Y), enemy(X, Y) = {(a, c)}.
expect count member(_, club) >= 2.
expect count member(_, club) = 2.
accept ally_and_enemy(a, c) because "a known feud".
"""

BAD = """\
expect linked(c, a).
expect no linked(_, _).
expect linked(a, X) = {b, d}.
expect count member(_, club) > 2.
accept ally_and_enemy(b, c) because "stale".
"""


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "base.dl").write_text(KB, encoding="utf-8")
    (root / "checks").mkdir()
    return root


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    rc = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def summary_line(out: str) -> str:
    found = [line for line in out.splitlines() if re.fullmatch(r"\d+ passed, \d+ failed", line)]
    assert len(found) == 1, out
    return found[0]


# --- passing --------------------------------------------------------------------------------------


def test_passing_file_exits_0_with_a_line_per_check(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(kb / "checks" / "good.check", GOOD)
    rc, out, err = run(capsys, "--kb", kb, good)
    assert rc == 0, out + err
    lines = out.splitlines()
    assert "PASS  good.check:2  expect linked(a, c)" in lines
    assert "PASS  good.check:4  nobody_allies_c" in lines
    assert "PASS  good.check:6  expect linked(X, Y), enemy(X, Y) = {(a, c)}" in lines
    assert "PASS  good.check:9  accept ally_and_enemy(a, c)" in lines
    assert summary_line(out) == "7 passed, 0 failed"
    assert lines[-1] == "7 passed, 0 failed"


def test_default_files_are_the_kbs_checks_folder(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(kb / "checks" / "good.check", GOOD)
    rc, out, _ = run(capsys, "--kb", kb)
    assert rc == 0
    assert summary_line(out) == "7 passed, 0 failed"


def test_a_check_file_runs_against_the_kb_it_sits_in(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # No --kb: kb/checks/good.check belongs to kb/ (checks/ beside rules/), not to the bundled one.
    good = write(kb / "checks" / "good.check", GOOD)
    rc, out, err = run(capsys, good)
    assert rc == 0, out + err


def test_folders_are_searched_for_check_files(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(kb / "checks" / "good.check", GOOD)
    write(kb / "checks" / "more.check", "expect ally(a, b).\n")
    rc, out, _ = run(capsys, "--kb", kb, kb / "checks")
    assert rc == 0
    assert summary_line(out) == "8 passed, 0 failed"


def test_pydatalog_engine_agrees(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(kb / "checks" / "good.check", GOOD)
    bad = write(kb / "checks" / "bad.check", BAD)
    rc, out, err = run(capsys, "--kb", kb, "--engine", "pydatalog", good, bad)
    assert rc == 1, out + err
    assert summary_line(out) == "7 passed, 5 failed"


# --- failing --------------------------------------------------------------------------------------


def test_failing_file_exits_1_and_shows_why(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(kb / "checks" / "bad.check", BAD)
    rc, out, _ = run(capsys, "--kb", kb, bad)
    assert rc == 1
    assert summary_line(out) == "0 passed, 5 failed"
    blocks = _blocks(out)

    holds = blocks["FAIL  bad.check:1  expect linked(c, a)"]
    assert holds[0] == "    no answer"
    # The why-not explanation names the literal that fails in each rule for linked/2.
    assert "    why not:" in holds
    assert any("ally(c, a)" in line for line in holds)

    assert blocks["FAIL  bad.check:2  expect no linked(_, _)"] == [
        "    3 counterexamples:",
        "        linked(a, b)",
        "        linked(a, c)",
        "        linked(b, c)",
    ]
    assert blocks["FAIL  bad.check:3  expect linked(a, X) = {b, d}"] == [
        "    missing:    d",
        "    unexpected: c",
        "    actual:     {b, c}",
    ]
    assert blocks["FAIL  bad.check:4  expect count member(_, club) > 2"] == ["    count is 2, expected > 2"]
    stale = blocks["FAIL  bad.check:5  accept ally_and_enemy(b, c)"]
    assert stale[0] == "    accepted but not found: the knowledge base no longer has this inconsistency"
    assert "        ally_and_enemy(a, c)" in stale


def test_mixed_files_count_both(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(kb / "checks" / "good.check", GOOD)
    bad = write(kb / "checks" / "bad.check", BAD)
    rc, out, _ = run(capsys, "--kb", kb, good, bad)
    assert rc == 1
    assert summary_line(out) == "7 passed, 5 failed"


def test_counterexamples_of_an_inconsistency_carry_its_message(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check = write(kb / "checks" / "c.check", "expect no ally_and_enemy(_, _).\n")
    rc, out, _ = run(capsys, "--kb", kb, check)
    assert rc == 1
    assert "        ally_and_enemy(a, c): a and c are linked and enemies" in out.splitlines()


def test_counterexamples_stop_at_ten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "big"
    (root / "rules").mkdir(parents=True)
    write(root / "rules" / "n.dl", "".join(f"n({i}).\n" for i in range(25)))
    check = write(tmp_path / "n.check", "expect no n(X).\n")
    rc, out, _ = run(capsys, "--kb", root, check)
    assert rc == 1
    lines = out.splitlines()
    assert "    25 counterexamples:" in lines
    shown = [line for line in lines if line.startswith("        n(")]
    assert len(shown) == 10
    assert "        ... and 15 more" in lines


def test_a_named_check_shows_its_text_when_it_fails(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check = write(kb / "checks" / "n.check", "% name: a_allies_c\nexpect ally(a, c).\n")
    rc, out, _ = run(capsys, "--kb", kb, check)
    assert rc == 1
    assert _blocks(out)["FAIL  n.check:2  a_allies_c"][:2] == ["    expect ally(a, c)", "    no answer"]


# --- strict ----------------------------------------------------------------------------------------


def test_strict_fails_on_an_inconsistency_no_file_accepts(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check = write(kb / "checks" / "c.check", "expect ally(a, b).\n")
    rc, out, _ = run(capsys, "--kb", kb, check)
    assert rc == 0  # without --strict, inconsistencies are not checked
    rc, out, _ = run(capsys, "--kb", kb, "--strict", check)
    assert rc == 1
    block = _blocks(out)["FAIL  --strict  every inconsistency is accepted"]
    assert "        ally_and_enemy(a, c): a and c are linked and enemies" in block
    assert '        accept ally_and_enemy(a, c) because "...".' in block
    assert summary_line(out) == "1 passed, 1 failed"


def test_strict_counts_accepts_from_every_file_of_the_run(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write(kb / "checks" / "a.check", "expect ally(a, b).\n")
    second = write(kb / "checks" / "b.check", 'accept ally_and_enemy(_, c) because "feud".\n')
    rc, out, _ = run(capsys, "--kb", kb, "--strict", first, second)
    assert rc == 0, out
    assert "PASS  --strict  every inconsistency is accepted" in out.splitlines()


# --- errors ------------------------------------------------------------------------------------------


def test_a_check_that_does_not_parse_is_an_error_with_a_caret(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write(kb / "checks" / "broken.check", "expect linked(a, c).\nexpect linked(a c).\n")
    rc, out, err = run(capsys, "--kb", kb, broken)
    assert rc == 2
    lines = err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{broken}:2:17: unexpected 'c'"))
    assert lines[at + 1] == "    expect linked(a c)."
    assert lines[at + 2] == "    " + " " * 16 + "^"
    assert "Traceback" not in err
    assert summary_line(out) == "0 passed, 0 failed"


def test_a_fact_in_a_check_file_is_an_error(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check = write(kb / "checks" / "f.check", "expect ally(a, b).\nally(x, y).\n")
    rc, _, err = run(capsys, "--kb", kb, check)
    assert rc == 2
    assert f"{check}:2:1: a check file holds only expect and accept clauses, not a fact" in err
    assert "    ^^^^" in err.splitlines()


def test_an_unknown_predicate_is_an_error_and_the_rest_still_run(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check = write(kb / "checks" / "u.check", "expect linkd(a, c).\nexpect ally(a, b).\n")
    rc, out, err = run(capsys, "--kb", kb, check)
    assert rc == 2
    assert "ERROR u.check:1  expect linkd(a, c)" in out.splitlines()
    assert "PASS  u.check:2  expect ally(a, b)" in out.splitlines()
    assert f"{check}:1:8: unknown predicate linkd/2" in err
    assert "did you mean 'linked'?" in err
    assert summary_line(out) == "1 passed, 0 failed"
    assert out.splitlines()[-1] == "1 error"


@pytest.mark.parametrize(("text", "message"), [
    ("accept linked(a, c) because \"x\".\n", "linked/2 is not an inconsistency relation"),
    ("accept ally_and_enemi(a, c) because \"x\".\n", "did you mean 'ally_and_enemy'?"),
    ("expect linked(X, Y) = {a}.\n", "the answer set has a row of 1 value, but the query has 2 named variables (X, Y)"),
])
def test_a_wrong_check_is_an_error(kb: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    check = write(kb / "checks" / "w.check", text)
    rc, _, err = run(capsys, "--kb", kb, check)
    assert rc == 2
    assert message in err


def test_a_missing_check_file_is_an_error(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "--kb", kb, kb / "checks" / "nope.check")
    assert rc == 2
    assert "nope.check: no such check file" in err


def test_no_check_files_is_an_error(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "--kb", kb)
    assert rc == 2
    assert "no check files" in err


# --- the bundled knowledge base ----------------------------------------------------------------------


def test_the_bundled_checks_pass(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys)
    failures = "\n".join(line for line in out.splitlines() if not line.startswith("PASS"))
    assert rc == 0, failures + err
    passed, failed = map(int, re.findall(r"\d+", summary_line(out)))
    assert failed == 0 and passed > 0


# --- the pieces ----------------------------------------------------------------------------------------


def test_clause_text_is_one_line_and_reads_back() -> None:
    text = 'expect count member(_, c) >= 2.\nexpect p(X, Y) = {(a, 1), (b, "two words")}.\nexpect no q(X),\n   not r(X).\n'
    checks = parse_checks(text, "t.check").checks
    assert [c.text for c in checks] == [
        "expect count member(_, c) >= 2",
        'expect p(X, Y) = {(a, 1), (b, "two words")}',
        "expect no q(X), not r(X)",
    ]
    again = parse_checks("".join(f"{c.text}.\n" for c in checks), "again.check").checks
    assert [clause_text(c.clause) for c in again if c.clause is not None] == [c.text for c in checks]


def test_name_comment_names_only_the_next_check() -> None:
    checks = parse_checks("% name: first\nexpect p(a).\nexpect p(b).\n// name: third one\nexpect p(c).\n").checks
    assert [c.label for c in checks] == ["first", "expect p(b)", "third one"]
    first = checks[0].clause
    assert isinstance(first, ast.Expect) and first.name == "first"


def test_parse_checks_reports_every_non_check_clause() -> None:
    with pytest.raises(ErrorGroup) as group:
        parse_checks("p(a).\nq(X) :- p(X).\nexpect p(a).\n", "x.check")
    assert [type(e) for e in group.value.errors] == [CheckError, CheckError]
    assert "not a rule" in group.value.errors[1].message
    with pytest.raises(ParseError):
        parse_checks("expect p(a)\n", "x.check")


@pytest.mark.parametrize(("pattern", "covered"), [
    ("ally_and_enemy(a, c)", True),
    ("ally_and_enemy(_, c)", True),
    ("ally_and_enemy(X, Y)", True),
    ("ally_and_enemy(X, X)", False),
    ("ally_and_enemy(c, a)", False),
    ("other(a, c)", False),
])
def test_accept_patterns(pattern: str, covered: bool) -> None:
    (check,) = parse_checks(f'accept {pattern} because "r".\n').checks
    assert isinstance(check.clause, ast.Accept)
    assert accepts(check.clause, Inconsistency("ally_and_enemy", ("a", "c"), "")) is covered


def _blocks(out: str) -> dict[str, list[str]]:
    """Each PASS/FAIL/ERROR line and the indented lines under it."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in out.splitlines():
        if line.startswith("    "):
            current.append(line)
        else:
            current = blocks.setdefault(line, [])
    return blocks


def test_quiet_prints_only_failures_and_the_summary(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(kb / "checks" / "good.check", GOOD)
    bad = write(kb / "checks" / "bad.check", BAD)
    rc, out, _ = run(capsys, "--kb", kb, "-q", good, bad)
    assert rc == 1
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    assert heads == [
        "FAIL  bad.check:1  expect linked(c, a)",
        "FAIL  bad.check:2  expect no linked(_, _)",
        "FAIL  bad.check:3  expect linked(a, X) = {b, d}",
        "FAIL  bad.check:4  expect count member(_, club) > 2",
        "FAIL  bad.check:5  accept ally_and_enemy(b, c)",
        "7 passed, 5 failed",
    ]
