"""repl/presses.py: in the REPL a Ctrl-C is recorded, never raised at a random point of the main
thread. Each test presses it (a real SIGINT to this process) at a point where the KeyboardInterrupt
went wrong, and fails on the code of before; Ctrl-C in the pager is in test_terminal.py."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import SimpleNamespace

import pytest
from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

from allegiance.kb import KnowledgeBase
from repl import app, presses
from repl.dispatch import dispatch
from repl.output import Output
from repl.running import INTERRUPTED, run_entry
from repl.session import Session

CHAIN = "".join(f"edge({i}, {i + 1}).\n" for i in range(1, 1500)) + \
    "path(X, Y) :- edge(X, Y).\npath(X, Y) :- edge(X, Z), path(Z, Y).\n"


def press_ctrl_c() -> None:
    """SIGINT to this process, and time for Python to run its handler (in the main thread)."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)


def entry_threads() -> list[threading.Thread]:
    """Entry workers still running a second after (one that has set its `done` may take a moment to end)."""
    running = [t for t in threading.enumerate() if t.name == "allegiance-entry"]
    for thread in running:
        thread.join(1.0)
    return [t for t in running if t.is_alive()]


def test_ctrl_c_inside_the_workers_start_stops_the_entry_and_leaves_no_worker_running(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Raised inside Thread.start(), the KeyboardInterrupt escaped run_entry while the worker ran
    its query on: the next entry found the connection busy."""
    kb = KnowledgeBase(timeout=None)
    kb.load_text(CHAIN)
    session = Session(kb)
    start = threading.Thread.start

    def start_then_press(thread: threading.Thread) -> None:
        start(thread)
        if thread.name == "allegiance-entry":
            press_ctrl_c()  # the handler runs here, inside start()

    monkeypatch.setattr(threading.Thread, "start", start_then_press)
    out = run_entry(lambda: dispatch("path(X, Y), path(Y, Z)", session), session)  # billions of rows
    assert out.error == INTERRUPTED, out
    assert entry_threads() == []  # the query stopped: nothing runs on after the entry
    monkeypatch.undo()
    after = run_entry(lambda: dispatch("edge(1, X)", session), session)  # the connection is free
    assert not after.error and "(1 answer)" in after.text, after


def test_ctrl_c_after_enter_before_the_entry_begins_keeps_it_from_beginning() -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text("edge(1, 2).\n")
    session = Session(kb)
    ran: list[str] = []
    entered = time.monotonic()
    with presses.recording():
        press_ctrl_c()
        out = run_entry(lambda: ran.append("ran") or Output(text="done"), session, since=entered)
        assert out.error == INTERRUPTED and ran == []
        # a press from before the Enter belongs to no entry
        assert run_entry(lambda: Output(text="done"), session, since=time.monotonic()) == Output(text="done")


class FakePrompt:
    """prompt-toolkit's PromptSession as app.run uses it: the line is accepted (Enter), then Ctrl-C
    comes before prompt() has returned: as a signal, once prompt-toolkit has handed the terminal
    back, or as a key it read after the Enter (`typed_ahead`: the terminal still raw), which it
    keeps for the next prompt."""

    def __init__(self, lines: list[str], typed_ahead: list[KeyPress] | None = None) -> None:
        self.lines = iter(lines)
        self.typed_ahead = typed_ahead
        self.default_buffer = SimpleNamespace(accept_handler=None)
        self.app = SimpleNamespace(input=SimpleNamespace(typeahead_hash=lambda: f"fake-{id(self)}"))

    def prompt(self) -> str:
        text = next(self.lines, None)
        if text is None:
            raise EOFError
        self.default_buffer.accept_handler(SimpleNamespace(text=text))  # Enter
        if self.typed_ahead is None:
            press_ctrl_c()
        else:
            store_typeahead(self.app.input, self.typed_ahead)
        return text


def test_ctrl_c_as_the_prompt_hands_the_terminal_back_interrupts_the_entry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It raised inside prompt(), which the loop took for a Ctrl-C at the prompt: the entry was
    dropped without a word."""
    kb = KnowledgeBase(timeout=None)
    kb.load_text("edge(1, 2).\n")
    session = Session(kb)
    ran: list[str] = []
    monkeypatch.setattr(app, "prompt_session", lambda session: FakePrompt(["edge(1, X)"]))
    monkeypatch.setattr(app, "dispatch", lambda text, session: ran.append(text) or Output(text="ran"))
    shown: list[Output] = []
    monkeypatch.setattr(app, "show", lambda output, session=None: shown.append(output))
    assert app.run(session) == 0
    assert [o.error for o in shown] == [INTERRUPTED] and ran == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own again after the loop


def test_ctrl_c_read_as_a_key_after_enter_interrupts_the_entry_and_the_keys_after_it_stay(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It was left for the next prompt, which took it for a Ctrl-C there: the entry ran on."""
    kb = KnowledgeBase(timeout=None)
    kb.load_text("edge(1, 2).\n")
    session = Session(kb)
    ran: list[str] = []
    fake = FakePrompt(["edge(1, X)"], [KeyPress("a"), KeyPress(Keys.ControlC, "\x03"), KeyPress("b")])
    monkeypatch.setattr(app, "prompt_session", lambda session: fake)
    monkeypatch.setattr(app, "dispatch", lambda text, session: ran.append(text) or Output(text="ran"))
    shown: list[Output] = []
    monkeypatch.setattr(app, "show", lambda output, session=None: shown.append(output))
    assert app.run(session) == 0
    assert [o.error for o in shown] == [INTERRUPTED] and ran == []
    assert [k.key for k in get_typeahead(fake.app.input)] == ["b"]  # typed after the Ctrl-C: for the next prompt
