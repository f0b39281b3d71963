"""The command line as a user runs it: exit codes, formats, errors on stderr with a caret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from allegiance.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allegiance", *args], capture_output=True, text=True,
                          timeout=180)


def test_query_exit_codes_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "member(X, alliance41)"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["X", "|", "support"] and "(2 answers)" in out
    assert out.splitlines()[2].split() == ["ahrar_al_sham", "|", "D6", "reported"]
    assert main(["query", "member(X, alliance41)", "--no-support"]) == 0
    assert capsys.readouterr().out.splitlines()[0].strip() == "X"
    assert main(["query", "member(nusra, alliance41)"]) == 1
    assert capsys.readouterr().out.strip() == "no"
    assert main(["query", "member(X, alliance41"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("<query>:1:") and "^" in err


def test_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "member(X, alliance41)", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # "answers" as it always was; "supports" beside it, one per answer in the same order
    assert {k: v for k, v in data.items() if k != "supports"} == {
        "query": "member(X, alliance41)", "variables": ["X"], "answers": [["ahrar_al_sham"], ["fsa_groups_in_alliance41"]],
        "at": None, "known_on": None}  # what the answers were evaluated under: every date, all known
    assert [s["grade"] for s in data["supports"]] == ["D6 reported", "D6 reported"]
    assert all(s["source"] == "in_foreign_2015_10" and s["status"] == "reported" and s["statement"].startswith("in_foreign")
               for s in data["supports"])
    assert main(["query", "member(X, C), C = alliance41", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["X,C,support", "ahrar_al_sham,alliance41,D6 reported",
                                                    "fsa_groups_in_alliance41,alliance41,D6 reported"]


def test_named_files_make_the_whole_knowledge_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mine.dl"
    f.write_text("edge(1, 2). edge(2, 3).\npath(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n")
    assert main(["query", "path(1, X)", str(f)]) == 0
    assert "(2 answers)" in capsys.readouterr().out
    assert main(["query", "member(X, Y)", str(f)]) == 2  # the bundled KB is not there
    assert "unknown predicate member/2" in capsys.readouterr().err


def test_kb_folder_and_options_before_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "a.dl").write_text("ally(a, b).\n")
    assert main(["--kb", str(tmp_path), "--engine", "pydatalog", "query", "ally(a, X)"]) == 0
    assert "b" in capsys.readouterr().out
    assert main(["--kb", str(tmp_path / "nope"), "query", "ally(a, X)"]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_souffle_dialect_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.dl"
    f.write_text('flight("QA", syd, lax).\n'.replace("syd", '"SYD"').replace("lax", '"LAX"') +
                 "from(x) :- flight(\"QA\", x, _).\n")
    assert main(["query", "--dialect", "souffle", "from(x)", str(f)]) == 0
    assert "SYD" in capsys.readouterr().out


def test_inconsistencies_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inconsistencies", "--format", "json"]) == 1  # the bundled KB has some
    items = json.loads(capsys.readouterr().out)
    assert items and all(set(i) >= {"kind", "args", "message"} for i in items)
    assert any(i["kind"] == "count_mismatch" and i["args"][2:] == [3, 2] for i in items)


def test_a_user_mistake_is_never_a_traceback() -> None:
    for args in (["query", "ally(X, 'nusra')"], ["query", "nosuch(X)"], ["why", "ally(X, nusra)"],
                 ["load", "/nonexistent.facts"], ["--kb", "/nonexistent", "query", "p(X)"]):
        result = run(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr and result.stderr.strip(), args


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in ("query", "why", "whynot", "inconsistencies", "check", "load", "import"):
        assert f"  {name} " in result.stdout


INCONSISTENT_FACTS = """\
.entity a { kind: group }
.entity b { kind: group }
.source wire { publisher: "Wire"  reliability: B }
.relation ally(a, b) { phrases: "{a} is allied with {b}" }
.relation opposes(a, b) { phrases: "{a} opposes {b}" }
ally(a, b), from source wire.
opposes(a, b), from source wire.
"""
INCONSISTENT_RULES = """\
.inconsistency ally_and_enemy(a, b) {
  message: "{a} and {b} are both allied and opposed"
}
ally_and_enemy(X, Y) :- ally(X, Y), opposes(X, Y).
"""


def test_files_may_follow_the_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`allegiance query Q --at D FILE` as well as `allegiance query Q FILE --at D` (argparse read
    the file after an option as an unrecognized argument), and `sources --inconsistencies FILE...`
    reads the files named, wherever the flag stands (it read the bundled knowledge base, less the
    first file)."""
    facts, rules = tmp_path / "t.facts", tmp_path / "t.dl"
    facts.write_text(INCONSISTENT_FACTS)
    rules.write_text(INCONSISTENT_RULES)
    for argv in (["query", "ally(a, X)", "--no-support", "--format", "csv", str(facts)],
                 ["query", "ally(a, X)", str(facts), "--no-support", "--format", "csv"],
                 ["query", "--format", "csv", "ally(a, X)", "--no-support", str(facts)]):
        assert main(argv) == 0, argv
        assert capsys.readouterr().out.splitlines() == ["X", "b"], argv
    for argv in (["sources", "--inconsistencies", str(facts), str(rules)],
                 ["sources", str(facts), str(rules), "--inconsistencies"],
                 ["sources", str(facts), "--inconsistencies", str(rules)]):
        main(argv)
        out = capsys.readouterr().out
        assert out.startswith("ally_and_enemy: a and b are both allied and opposed\n    single source: wire"), (argv, out)
        assert "(1 inconsistency, 1 single-source)" in out


def test_query_warns_of_a_comparison_that_never_holds(capsys: pytest.CaptureFixture[str]) -> None:
    """A symbol compared with a number: the answer is empty, and stderr says why (analysis/kinds.py)."""
    assert main(["query", "member(X, alliance41), X > 3"]) == 1
    captured = capsys.readouterr()
    assert "(0 answers)" in captured.out and "warning" not in captured.out
    assert captured.err.splitlines()[:3] == [
        "<query>:1:26: warning: X (member/2's 1st argument) is a symbol and 3 a number: values of different "
        "kinds are never ordered, so `X > 3` never holds",
        "    member(X, alliance41), X > 3",
        "                             ^"]


def test_the_files_named_over_the_time_limit_say_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The files a command names load as any load does: over the limit, "the load took longer", not
    "query" (and a tiny limit no longer stopped the knowledge base's own start, before any file)."""
    path = tmp_path / "edges.dl"
    path.write_text("".join(f"edge(n{i}, n{i + 1}).\n" for i in range(3000)), encoding="utf-8")
    assert main(["query", "edge(n1, X)", str(path), "--timeout", "0.001"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the load took longer than 0.001 s"), err
    assert "nothing of it was kept" in err
