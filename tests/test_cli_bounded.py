"""A one-shot command ends GRACE seconds after Ctrl-C or its time limit even when the engine does
not stop (DuckDB's cancel of a statement has been seen to stall for good: cli/bound.py), with a
clear message, a nonzero status and a --db file that holds exactly what the message says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The engine's recursive statement stalls as DuckDB's cancel did: a C call that Ctrl-C cannot end
# (SIGINT blocked in the main thread, so the signal reaches the Ctrl-C watcher's thread only).
STALL = """
import os, signal, sys, threading, time
from allegiance.cli import bound, main
from allegiance.engines.duckdb import guard
bound.GRACE = 1.0
real = guard.Guarded._run
def stalled(self, sql, params=()):
    if os.environ.get("STALL", guard.RECURSIVE) in sql and os.environ.get("STALL") != "no":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        if os.environ.get("PRESS") == "yes":
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        time.sleep(60)
    return real(self, sql, params)
guard.Guarded._run = stalled
sys.exit(main(sys.argv[1:]))
"""

GRAPH = "\n".join(f"edge(n{i}, n{i + 1})." for i in range(50)) + \
    "\nreach(X, Y) :- edge(X, Y).\nreach(X, Z) :- reach(X, Y), edge(Y, Z).\n"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-c", STALL, *args], capture_output=True, text=True, timeout=50,
                          cwd=ROOT, env={**os.environ, **env})


def test_ctrl_c_on_a_stalled_query_ends_the_command(tmp_path: Path) -> None:
    (tmp_path / "graph.dl").write_text(GRAPH, encoding="utf-8")
    result = run("query", "reach(n0, X)", str(tmp_path / "graph.dl"), PRESS="yes")
    assert result.returncode == 130, result.stderr
    assert "the engine did not stop within 1 s of Ctrl-C (DuckDB's cancel stalled), so the command ends " \
           "without it; nothing was kept (no --db)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_stalled_load_over_its_time_limit_ends_and_the_db_says_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "graph.dl").write_text(GRAPH, encoding="utf-8")
    db = str(tmp_path / "kb.duckdb")
    base = tmp_path / "base.dl"
    base.write_text("edge(a, b).\n", encoding="utf-8")
    assert run("load", "--db", db, str(base), STALL="no").returncode == 0
    result = run("load", "--db", db, "--timeout", "3", str(tmp_path / "graph.dl"))
    assert result.returncode == 2, result.stderr
    assert "the engine did not stop within 1 s of the time limit" in result.stderr, result.stderr
    # the file opens again and holds what the message said
    after = run("query", "--db", db, "edge(n0, X)", STALL="no")
    assert "Traceback" not in after.stderr and "cannot be read" not in after.stderr, after.stderr
    if f"{db} holds what it held before this command" in result.stderr:
        assert after.returncode == 1 and "(0 answers)" in after.stdout  # status 1: no answer
    else:
        assert f"{db} holds this command's change (committed before the engine was stopped)" in result.stderr
        assert after.returncode == 0 and "n1" in after.stdout


def test_ctrl_c_on_a_stalled_load_of_the_files_named_ends_the_command(tmp_path: Path) -> None:
    """The files on the command line are loaded before the command runs (cli/common.py open_kb):
    a stall there ends the command as a stalled query does (it ran until killed)."""
    (tmp_path / "graph.dl").write_text(GRAPH, encoding="utf-8")
    result = run("query", "edge(n0, X)", str(tmp_path / "graph.dl"), PRESS="yes", STALL="INSERT INTO b")
    assert result.returncode == 130, result.stderr
    assert "the engine did not stop within 1 s of Ctrl-C (DuckDB's cancel stalled), so the command ends " \
           "without it; nothing was kept (no --db)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_ctrl_c_while_the_files_named_load_says_load_interrupted(tmp_path: Path) -> None:
    """Ctrl-C while the files load (not stalled): the command ends as an interrupted load does
    elsewhere, status 130, "load interrupted", nothing kept."""
    (tmp_path / "graph.dl").write_text(GRAPH, encoding="utf-8")
    script = STALL.replace("time.sleep(60)", "time.sleep(0.6); signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})")
    result = subprocess.run([sys.executable, "-c", script, "query", "edge(n0, X)", str(tmp_path / "graph.dl")],
                            capture_output=True, text=True, timeout=50, cwd=ROOT,
                            env={**__import__("os").environ, "PRESS": "yes", "STALL": "INSERT INTO b"})
    assert result.returncode == 130, result.stderr
    assert "load interrupted" in result.stderr and "nothing of it was kept" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
