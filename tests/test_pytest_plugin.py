"""The pytest plugin: *.check files collected as items, pass/fail reporting, `-k`, JUnit XML, and
the bundled knowledge base's own checks run through `pytest checks/`.

Runs pytest inside pytest (pytester), against small knowledge bases written to the test's folder.
Every inner run passes `-W error`: the plugin must not warn under the project's strict settings.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# pytester drops the modules an in-process run imported when the run ends; importing DuckDB's C
# extension a second time aborts the interpreter. Loading the engines (and, for speed, the rest of
# what a check run needs, the grammar included) here keeps them loaded across runs.
import allegiance.checks  # noqa: F401
import allegiance.engines.duckdb  # noqa: F401
import allegiance.engines.pydatalog  # noqa: F401
import allegiance.explain  # noqa: F401
from allegiance.files import PROJECT_ROOT
from allegiance.parse import parse_program

parse_program("expect p(a).")  # builds the parser once

pytest_plugins = ["pytester"]

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
expect linked(a, c).
% name: nobody_allies_c
expect no ally(c, _).
expect linked(a, X) = {b, c}.
expect count member(_, club) >= 2.
accept ally_and_enemy(a, c) because "a known feud".
"""

BAD = """\
expect linked(c, a).
expect no linked(_, _).
expect linked(a, X) = {b, d}.
expect count member(_, club) > 2.
"""


@pytest.fixture
def kb(pytester: pytest.Pytester) -> Path:
    """kb/rules/base.dl and kb/checks/{good,bad}.check in the inner run's folder."""
    root = pytester.path / "kb"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "base.dl").write_text(KB, encoding="utf-8")
    (root / "checks").mkdir()
    (root / "checks" / "good.check").write_text(GOOD, encoding="utf-8")
    (root / "checks" / "bad.check").write_text(BAD, encoding="utf-8")
    return root


def run(pytester: pytest.Pytester, *args: str | Path) -> pytest.RunResult:
    return pytester.runpytest("-W", "error", "-p", "no:cacheprovider", *map(str, args))


def test_check_files_are_collected_as_items_named_by_their_checks(pytester: pytest.Pytester, kb: Path) -> None:
    result = run(pytester, "--collect-only", "-q", "kb/checks/good.check")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([
        "kb/checks/good.check::expect linked(a, c)",
        "kb/checks/good.check::nobody_allies_c",
        "kb/checks/good.check::expect linked(a, X) = {b, c}",
        "kb/checks/good.check::expect count member(_, club) >= 2",
        "kb/checks/good.check::accept ally_and_enemy(a, c)",
    ])


def test_passes_and_failures_are_reported_with_the_check_detail(pytester: pytest.Pytester, kb: Path) -> None:
    result = run(pytester, "kb/checks")
    result.assert_outcomes(passed=5, failed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*_ bad.check:2: expect no linked(_, _) _*",
        "3 counterexamples:",
        "    linked(a, b)",
        "    linked(a, c)",
        "    linked(b, c)",
        "at bad.check:2: expect no linked(_, _)",
    ])
    result.stdout.fnmatch_lines([
        "missing:    d",
        "unexpected: c",
    ])
    result.stdout.fnmatch_lines(["count is 2, expected > 2"])
    result.stdout.fnmatch_lines(["FAILED kb/checks/bad.check::expect linked(c, a) - no answer"])
    # The failure is the check's detail, not a traceback through the plugin.
    result.stdout.no_fnmatch_line("*def runtest*")
    result.stdout.no_fnmatch_line("*CheckFailed*")


def test_k_selects_checks_by_name(pytester: pytest.Pytester, kb: Path) -> None:
    result = run(pytester, "kb/checks", "-k", "nobody_allies_c")
    result.assert_outcomes(passed=1, deselected=8)
    result = run(pytester, "kb/checks", "-k", "count and not accept")
    result.assert_outcomes(passed=1, failed=1, deselected=7)


def test_junit_xml_has_a_testcase_per_check(pytester: pytest.Pytester, kb: Path) -> None:
    result = run(pytester, "kb/checks", "--junitxml=report.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    suite = ET.parse(pytester.path / "report.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("9", "4")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert "nobody_allies_c" in cases
    failure = cases["expect no linked(_, _)"].find("failure")
    assert failure is not None
    assert "linked(a, b)" in (failure.text or "")
    assert cases["expect linked(a, c)"].find("failure") is None


def test_a_check_file_that_does_not_parse_is_a_collection_error_with_a_caret(
        pytester: pytest.Pytester, kb: Path) -> None:
    (kb / "checks" / "broken.check").write_text("expect linked(a, c).\nexpect linked(a c).\n", encoding="utf-8")
    result = run(pytester, "kb/checks/broken.check")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*broken.check:2:17: unexpected 'c'*",
        "    expect linked(a c).",
        "    " + " " * 16 + "^",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_an_unknown_predicate_fails_its_item_with_a_caret(pytester: pytest.Pytester, kb: Path) -> None:
    (kb / "checks" / "u.check").write_text("expect linkd(a, c).\n", encoding="utf-8")
    result = run(pytester, "kb/checks/u.check")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*u.check:1:8: unknown predicate linkd/2",
        "    expect linkd(a, c).",
        "           ^^^^^",
        "    did you mean 'linked'?",
    ])


def test_allegiance_kb_names_the_knowledge_base(pytester: pytest.Pytester, kb: Path) -> None:
    # A check file outside any knowledge base runs against --allegiance-kb.
    pytester.makefile(".check", loose="expect linked(a, c).\nexpect ally(a, b).\n")
    result = run(pytester, "loose.check", "--allegiance-kb", kb)
    result.assert_outcomes(passed=2)


def test_allegiance_engine_pydatalog(pytester: pytest.Pytester, kb: Path) -> None:
    result = run(pytester, "kb/checks", "--allegiance-engine", "pydatalog")
    result.assert_outcomes(passed=5, failed=4)


def test_allegiance_strict_adds_an_item_per_knowledge_base(pytester: pytest.Pytester, kb: Path) -> None:
    result = run(pytester, "kb/checks/good.check", "--allegiance-strict")
    result.assert_outcomes(passed=6)
    (kb / "checks" / "good.check").write_text("expect linked(a, c).\n", encoding="utf-8")
    result = run(pytester, "kb/checks/good.check", "--allegiance-strict", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "1 inconsistency not accepted:",
        "    ally_and_enemy(a, c): a and c are linked and enemies",
    ])


def test_a_knowledge_base_that_does_not_load_fails_every_item(pytester: pytest.Pytester, kb: Path) -> None:
    (kb / "rules" / "bad.dl").write_text("p(X) :- q(Y).\nq(a).\n", encoding="utf-8")
    result = run(pytester, "kb/checks/good.check")
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines(["*bad.dl:1:*"])
    result.stdout.no_fnmatch_line("*Traceback*")


@pytest.mark.thorough
def test_the_bundled_checks_pass_under_pytest(pytester: pytest.Pytester) -> None:
    """`pytest checks/` on the bundled knowledge base, with the project's own pytest settings."""
    result = pytester.runpytest("-W", "error", "-p", "no:cacheprovider", "-q", "-rf", str(PROJECT_ROOT / "checks"))
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 0
    assert "failed" not in outcomes
