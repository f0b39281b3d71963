"""repl/running.py: a Ctrl-C pressed while an entry runs stops it, whatever the entry is doing at
the moment of the press (CI once saw a `:load` run to its end after Ctrl-C: the key was pressed
while the file was being parsed, before the engine's first statement, and the engine's call that
followed never heard of it)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from allegiance.engines.duckdb.guard import RECURSIVE, Guarded
from allegiance.history import Operation, SourceFile
from allegiance.importing import import_csv
from allegiance.kb import KnowledgeBase
from repl.dispatch import dispatch
from repl.output import Output
from repl.running import GRACE, run_entry
from repl.session import Session

CHAIN = "".join(f"edge({i}, {i + 1}).\n" for i in range(1, 1500)) + \
    "path(X, Y) :- edge(X, Y).\npath(X, Y) :- edge(X, Z), path(Z, Y).\n"


def press_ctrl_c_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_pressed_before_the_engine_starts_stops_the_engine_call_that_follows() -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(CHAIN)
    session = Session(kb)
    reached: list[str] = []

    def entry() -> Output:
        time.sleep(0.4)  # Python work before the engine (a load parses its file first); Ctrl-C lands here
        reached.append("engine")
        return dispatch("path(X, Y), path(Y, Z)", session)  # billions of rows: far longer than the test waits

    timer = press_ctrl_c_after(0.1)
    started = time.monotonic()
    try:
        out = run_entry(entry, session)
    finally:
        timer.cancel()
    assert reached == ["engine"]  # the press came before the engine's call, not during it
    # stopped by the engine itself, not abandoned after GRACE seconds
    assert out.error.startswith("interrupted") and "abandoned" not in out.error, out
    assert time.monotonic() - started < GRACE
    assert session.kb.query("edge(1, X)").rows == [(2,)]  # the knowledge base still answers


def test_an_entry_nobody_interrupts_returns_its_output() -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text("edge(1, 2).\n")
    out = run_entry(lambda: Output(text=str(kb.query("edge(1, X)").rows)), Session(kb))
    assert out == Output(text="[(2,)]")


@pytest.mark.thorough  # waits out GRACE on a stalled statement
def test_an_abandoned_entry_after_a_csv_import_keeps_the_import(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry DuckDB will not stop is abandoned and the knowledge base rebuilt from its history, a
    CSV import included: the import's rows come from Python, not from the stuck connection."""
    (tmp_path / "schema.facts").write_text(
        '.source s1 { title: "a source" }\n.relation backs(backer, backed) { phrases: "{backer} backs {backed}" }\n',
        encoding="utf-8")
    (tmp_path / "backs.csv").write_text("backer,backed\n" + "".join(f"b{i},c{i}\n" for i in range(500)),
                                        encoding="utf-8")
    kb = KnowledgeBase(timeout=None)
    kb.load_path(str(tmp_path / "schema.facts"))
    kb.load_text(CHAIN)
    import_csv(kb, str(tmp_path / "backs.csv"), "backs", "s1")
    session = Session(kb)
    stop_for_real = kb.engine._con.interrupt
    monkeypatch.setattr(Guarded, "_cancel", lambda self: None)  # DuckDB's cancel stalls: the statement runs on
    timer = press_ctrl_c_after(0.3)
    try:
        out = run_entry(lambda: dispatch("path(X, Y), path(Y, Z)", session), session)
        assert out.error is not None and "was abandoned" in out.error, out
        assert session.kb is not kb
        assert session.kb.query("edge(1, X)").rows == [(2,)]  # the rest of the history, replayed
        rows = len(session.kb.query("backs(X, Y)").rows)
        if rows:  # the import's rows were in Python already: replayed too
            assert rows == 500 and "as it was before it (rebuilt)" in out.error, out
        else:  # on the stuck connection only: left out, and the message says so (it raised before)
            assert f"except the import of {tmp_path / 'backs.csv'}, whose rows only the abandoned engine " \
                   "held: import it again with :import" in out.error, out
    finally:
        timer.cancel()
        stop_for_real()  # the abandoned statement ends: no thread left spinning for the next tests


def test_ctrl_c_during_a_load_says_the_file_was_taken_back(tmp_path: Path) -> None:
    """It said only "interrupted (the knowledge base is as it was)"; now which load, and that it went."""
    path = tmp_path / "graph.dl"
    path.write_text(CHAIN, encoding="utf-8")
    kb = KnowledgeBase(timeout=None)
    kb.load_text("edge(0, 1).\n")
    session = Session(kb)
    timer = press_ctrl_c_after(0.2)
    try:
        out = run_entry(lambda: dispatch(f":load {path}", session), session)
    finally:
        timer.cancel()
    if out.error:  # (a fast machine may finish the load first: then there is nothing to take back)
        assert out.error == f"load of {path} interrupted; it was taken back: the knowledge base is as it was", out
        assert len(session.kb.history) == 1 and session.kb.query("edge(1, X)").rows == []
    else:
        assert len(session.kb.history) == 2


@pytest.mark.thorough  # waits out GRACE on a stalled statement
def test_ctrl_c_during_the_rebuild_after_an_abandoned_entry_ends_it_too(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The rebuild after an abandoned entry replays the history of before; it ran in the main thread
    with no bound: a long one could not be stopped, and a Ctrl-C escaped it with the session still
    on the stuck engine. Now it is an entry of its own: Ctrl-C ends it, and the message says what
    of the history is in and what is not."""
    from repl import running

    first, second = tmp_path / "first.dl", tmp_path / "second.dl"
    first.write_text(CHAIN, encoding="utf-8")
    second.write_text("edge(9000, 9001).\n", encoding="utf-8")
    kb = KnowledgeBase(timeout=None)
    kb.load_path(str(first))
    kb.load_text("edge(0, 1).\n", file="<repl:1>")
    kb.load_path(str(second))
    session = Session(kb)
    monkeypatch.setattr(running, "GRACE", 2.0)  # NUDGE (1 s) comes first, as with the real 5 s
    real_replay = running.replay

    def slow_replay(history: Sequence[Operation], new: KnowledgeBase) -> None:
        late = [i for i, op in enumerate(history) if isinstance(op, SourceFile) and op.path == str(second)]
        real_replay(history[:late[0]] if late else history, new)
        if late:
            for _ in range(3000):  # a long rebuild, in Python: a KeyboardInterrupt reaches it between two sleeps
                time.sleep(0.01)
            real_replay(history[late[0]:], new)

    def stalled(self: Guarded, sql: str, params: Sequence[object] = ()) -> object:
        while RECURSIVE in sql and threading.current_thread().name == "allegiance-entry" and self is kb.engine:
            time.sleep(0.01)  # DuckDB's cancel stalled: the statement never ends (until the thread is let go)
        return run(self, sql, params)

    run = Guarded._run
    monkeypatch.setattr(Guarded, "_run", stalled)
    monkeypatch.setattr(running, "replay", slow_replay)
    timers = [press_ctrl_c_after(0.3), press_ctrl_c_after(3.5)]  # the entry, then its rebuild
    started = time.monotonic()
    try:
        out = run_entry(lambda: dispatch("path(1, X)", session), session)
    finally:
        for timer in timers:
            timer.cancel()
    assert time.monotonic() - started < 20
    assert out.error is not None and "so this entry was abandoned" in out.error, out
    assert "rebuilding the knowledge base as it was before it was stopped too, by Ctrl-C: 2 of the 3 " \
           f"operations of before are in; not rebuilt: {second}. Load it again, or restart allegiance." in out.error, out
    assert session.kb is not kb
    assert session.kb.query("edge(0, X)").rows == [(1,)]  # what was rebuilt answers, on a live engine
    assert session.kb.query("edge(9000, X)").rows == []
