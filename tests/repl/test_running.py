"""repl/running.py: a Ctrl-C pressed while an entry runs stops it, whatever the entry is doing at
the moment of the press (CI once saw a `:load` run to its end after Ctrl-C: the key was pressed
while the file was being parsed, before the engine's first statement, and the engine's call that
followed never heard of it)."""

from __future__ import annotations

import os
import signal
import threading
import time

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
