"""What a one-shot command bounds: the size of a file it reads, the time a query or a load takes, and
the values it accepts for its options (issue 16: items 11, 12, 16, as a new user met them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from allegiance import KnowledgeBase, LoadError
from allegiance.files import MAX_FILE_BYTES, megabytes, read_source

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allegiance", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_load_dev_zero_is_refused_after_the_limit_not_read_without_end() -> None:
    # /dev/zero claims a size of 0: only reading in bounded pieces stops it (it read 5 GB in 14 s)
    result = run("load", "/dev/zero", timeout=120)
    assert result.returncode == 2, result.stderr
    assert "/dev/zero is over the 32 MB limit for fact files (33,554,432 bytes)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pipe_over_the_limit_is_refused_after_limit_plus_one_byte(tmp_path: Path) -> None:
    fifo = tmp_path / "endless.dl"
    os.mkfifo(fifo)
    # the writer opens the pipe itself (opening a FIFO blocks until both ends are open) and writes forever
    writer = subprocess.Popen([sys.executable, "-c",
                               "import sys\nf = open(sys.argv[1], 'wb')\ntry:\n    while True: f.write(b'p(1).\\n' * 1000)\n"
                               "except BrokenPipeError: pass", str(fifo)], stderr=subprocess.DEVNULL)
    try:
        with pytest.raises(LoadError, match=r"is over the 0 MB limit for fact files \(4,096 bytes\)"):
            read_source(fifo, max_bytes=4096)
    finally:
        writer.kill()
        writer.wait()


def test_the_message_and_the_readme_name_the_same_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.dl"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse
    with KnowledgeBase() as kb, pytest.raises(LoadError) as info:
        kb.load_path(big)
    assert megabytes(MAX_FILE_BYTES) == "32 MB"
    assert "is 32 MB, over the 32 MB limit for fact files (33,554,432 bytes)" in str(info.value)  # not "34 MB"
    assert "over 32 MB (33,554,432 bytes)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_file_exactly_at_the_limit_is_read(tmp_path: Path) -> None:
    f = tmp_path / "exact.dl"
    line = b"p(1).\n"
    f.write_bytes(line * 10)
    assert read_source(f, max_bytes=len(line) * 10).clauses
    with pytest.raises(LoadError, match="over"):
        read_source(f, max_bytes=len(line) * 10 - 1)


COUNTING = "n(0).\nn(X + 1) :- n(X).\n"


def test_a_one_shot_query_has_the_repls_time_limit(tmp_path: Path) -> None:
    # it ran until killed, memory growing: now the REPL's default limit (5 s) stops it
    f = tmp_path / "count.dl"
    f.write_text(COUNTING)
    result = run("query", "n(5)", str(f), timeout=120)
    assert result.returncode == 2, result.stdout
    assert "took longer than 5 s" in result.stderr and "--timeout" in result.stderr
    # and the analysis warned first, with the rule's place
    assert f"{f}:2:5: warning: n/1 is recursive and computes `X + 1`" in result.stderr


def test_the_limit_can_be_set_or_lifted(tmp_path: Path) -> None:
    f = tmp_path / "bounded.dl"
    f.write_text("n(0).\nn(X + 1) :- n(X), X < 3.\n")
    assert run("query", "n(X)", str(f), "--timeout", "0").returncode == 0
    result = run("query", "n(X)", str(f), "--timeout", "0.5")
    assert result.returncode == 0 and "(4 answers)" in result.stdout
    assert "warning" not in result.stderr  # a comparison bounds it


@pytest.mark.parametrize("value", ["-1", "-0.5", "nan", "inf", "soon"])
def test_a_time_limit_that_is_no_time_limit_is_refused(value: str) -> None:
    result = run("query", "ally(X, Y)", "--timeout", value)
    assert result.returncode == 2
    assert "--timeout" in result.stderr and "Traceback" not in result.stderr
    assert "give seconds above 0, or 0 for none" in result.stderr or "is not a number of seconds" in result.stderr


def test_numbers_that_do_not_fit_are_each_refused_where_they_are_written(tmp_path: Path) -> None:
    f = tmp_path / "big.dl"
    f.write_text("p(99999999999999999999).\nq(1).\np(-88888888888888888888).\n"
                 "r(123456789012345678901234567890123456789.5).\nr(0.1).\np(-9223372036854775808).\n")
    result = run("query", "q(X)", str(f))
    assert result.returncode == 2
    err = result.stderr
    # every one, each with its place (the engine said only the first, with no place)
    assert f"{f}:1:3: integer 99999999999999999999 does not fit in 64 bits" in err
    assert f"{f}:3:4: integer 88888888888888888888 does not fit in 64 bits" in err  # the digits after '-'
    # a 39-digit decimal is not silently 1e+38
    assert f"{f}:4:3: decimal 123456789012345678901234567890123456789.5 has 40 significant digits" in err
    assert "r(0.1)" not in err and "9223372036854775808)" not in err  # ordinary decimals and INT64_MIN pass
    assert err.count("does not fit") == 2


def test_an_error_about_a_huge_string_prints_neither_it_nor_its_line_whole() -> None:
    from allegiance.ast import Span
    from allegiance.errors import StatementError, render

    huge = "x" * 1_000_000
    line = f'p(a). q("{huge}", zz).'
    column = line.index("zz") + 1
    error = StatementError(f'unknown entity "{huge}"', Span("f.dl", 1, column, 1, column + 2))
    out = render(error, {"f.dl": line})
    assert len(out) < 2_000  # it printed the string twice, whole
    assert out.startswith(f"f.dl:1:{column}: unknown entity") and "characters left out" in out
    source, caret = out.splitlines()[1:3]
    assert source[caret.index("^"):].startswith("zz")  # the caret still points at the place


def test_an_overflow_at_run_time_names_the_rule(tmp_path: Path) -> None:
    f = tmp_path / "ov.dl"
    f.write_text("n(9223372036854775807).\nm(X + 1) :- n(X).\n")
    result = run("query", "m(X)", str(f))
    assert result.returncode == 2
    # it was DuckDB's raw "evaluation failed: Out of Range Error: ..." with no place
    assert result.stderr.startswith(f"{f}:2:1: integer overflow in the rule for m/1: "
                                    "Overflow in addition of INT64 (9223372036854775807 + 1)")
    assert "Out of Range Error" not in result.stderr and "    m(X + 1) :- n(X)." in result.stderr
