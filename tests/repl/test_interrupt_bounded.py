"""Ctrl-C and the time limit give the prompt back within a bound, even when DuckDB's own cancel
stalls (issue 16, item 10: Ctrl-C during a `:load` hung for 25 minutes, the main thread inside
DuckDB's Executor::CancelTasks waiting on a worker in PhysicalRecursiveCTE).

A stall cannot be made to order, so one REPL runs with DuckDB's cancel turned into nothing
(`Guarded.interrupt` and `Guarded._cancel`, the ways the engine stops a call): the statement then runs on as it did in
the stall. Each test runs with every core kept busy by a spinning process, as on the machine where
it was seen. The bounds are generous (a loaded machine) and far below what the entries would take
without the fix: the query below joins two closures of a 2,000-node chain (billions of rows).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from allegiance.repl.running import GRACE


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLEGIANCE")}
    env.update(TERM="xterm-256color", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               PROMPT_TOOLKIT_NO_CPR="1", PAGER="cat")
    return env

PROMPT = re.escape("?-")
STALLED = ("import sys; from allegiance.engines.duckdb.guard import Guarded; "
           "Guarded._cancel = Guarded.interrupt = lambda self: None; "  # a stalled cancel: the statement runs on
           "from allegiance.cli import main; sys.exit(main(sys.argv[1:]))")
BOUND = GRACE + 40  # seconds from Ctrl-C (or the time limit) to the next prompt, on a busy machine


@pytest.fixture
def busy() -> Iterator[None]:
    """Every core spinning in a process of its own while the test runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    path = tmp_path / "chain.dl"
    path.write_text("".join(f"edge({i}, {i + 1}).\n" for i in range(1, 2000)) +
                    "path(X, Y) :- edge(X, Y).\npath(X, Y) :- edge(X, Z), path(Z, Y).\n")
    return path


def start(tmp_path: Path, *args: str, stalled: bool) -> pexpect.spawn:
    command = [sys.executable, "-c", STALLED] if stalled else [str(Path(sys.executable).with_name("allegiance"))]
    child = pexpect.spawn(command[0], [*command[1:], *args], env=environment(tmp_path), encoding="utf-8",
                          dimensions=(40, 140), timeout=60, cwd=str(tmp_path))
    child.expect("Type a query")
    child.expect(PROMPT)
    return child


def interrupt(child: pexpect.spawn) -> float:
    """Press Ctrl-C once the entry runs; the time it was pressed."""
    child.expect(re.escape("\x1b[?2004l"))  # prompt-toolkit has left the terminal: the entry runs
    time.sleep(0.5)  # well inside the long statement
    child.sendcontrol("c")
    return time.monotonic()


def still_answers(child: pexpect.spawn) -> None:
    child.send("edge(1, X)\r")
    child.expect(r"X\s*\r\n-+\r\n2\s*\r\n\(1 answer\)")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF, timeout=20)  # leaving does not wait for the stuck thread either


def test_ctrl_c_gives_the_prompt_back_when_duckdb_does_not_stop(tmp_path: Path, chain: Path, busy: None) -> None:
    child = start(tmp_path, "--timeout", "0", str(chain), stalled=True)
    child.send("path(X, Y), path(Y, Z)\r")
    pressed = interrupt(child)
    child.expect(re.escape(f"the engine did not stop within {GRACE:g} s of Ctrl-C"), timeout=BOUND)
    child.expect(PROMPT, timeout=BOUND)
    assert time.monotonic() - pressed < BOUND
    still_answers(child)


def test_the_time_limit_gives_the_prompt_back_when_duckdb_does_not_stop(tmp_path: Path, chain: Path,
                                                                        busy: None) -> None:
    child = start(tmp_path, "--timeout", "0", str(chain), stalled=True)
    child.send(":support off\r")
    child.expect(PROMPT)
    child.send(":limit 1\r")
    child.expect(PROMPT)
    child.send("path(X, Y)\r")  # the closure made first, so that the limit passes inside the join
    child.expect(r"answers")
    child.expect(PROMPT)
    child.send(":timeout 2\r")
    child.expect(PROMPT)
    child.send("path(X, Y), path(Y, Z)\r")
    sent = time.monotonic()
    child.expect(re.escape(f"the engine did not stop within {GRACE:g} s of the time limit"), timeout=BOUND + 2)
    child.expect(PROMPT, timeout=BOUND)
    assert time.monotonic() - sent < BOUND + 2
    still_answers(child)


def test_ctrl_c_during_a_recursive_load_is_bounded_and_takes_it_back(tmp_path: Path, busy: None) -> None:
    """DuckDB's own cancel, as it is, inside the recursive CTE of a load's change report."""
    graph = tmp_path / "graph.dl"
    graph.write_text("".join(f"link({i}, {(i * 7919) % 3000}).\nlink({i}, {i + 1}).\n" for i in range(3000)) +
                     "reach(X, Y) :- link(X, Y).\nreach(X, Z) :- reach(X, Y), link(Y, Z).\n")
    base = tmp_path / "base.dl"
    base.write_text("edge(1, 2).\n")
    child = start(tmp_path, "--timeout", "0", str(base), stalled=False)
    child.send(f":load {graph}\r")
    pressed = interrupt(child)
    child.expect(re.escape("interrupted"), timeout=BOUND)
    child.expect(PROMPT, timeout=BOUND)
    assert time.monotonic() - pressed < BOUND
    child.send("link(0, X)\r")
    child.expect(re.escape("unknown predicate link/2"))  # the load went whole
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF, timeout=20)
