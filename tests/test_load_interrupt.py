"""Interrupting a load, by the time limit or by Ctrl-C, at any point: the load goes whole and the
message says "load" (issue 16, item 3: the file stayed loaded while the REPL said it was not)."""

from __future__ import annotations

import ast
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from allegiance import KnowledgeBase, changes
from allegiance.changes import load_with_report
from allegiance.errors import QueryTimeout

BASE = "edge(n0, n1).\n"


def graph(path: Path, n: int = 600, seed: int = 0) -> Path:
    """Random edges, twice as many as nodes, and their closure: a second or two to load with its report."""
    rng = random.Random(seed)
    lines = [f"edge(n{rng.randrange(n)}, n{rng.randrange(n)})." for _ in range(2 * n)]
    path.write_text("\n".join(lines) + "\nreach(X, Y) :- edge(X, Y).\nreach(X, Z) :- reach(X, Y), edge(Y, Z).\n",
                    encoding="utf-8")
    return path


def seen(kb: KnowledgeBase) -> tuple[object, ...]:
    """What a user would check after the interrupt: facts, rules, what :undo would take back."""
    return (sorted(kb.query("edge(X, Y)").rows), [str(r) for r in kb.rules], len(kb.history),
            sorted(str(p) for p in kb.predicates()))


def test_a_load_over_the_time_limit_is_not_kept_and_says_load(tmp_path: Path) -> None:
    path = graph(tmp_path / "graph.dl")
    with KnowledgeBase(timeout=None) as kb:
        kb.load_text(BASE, "base.dl")
        before = seen(kb)
        kb.engine.timeout = 0.01
        with pytest.raises(QueryTimeout) as info:
            load_with_report(kb, [path])
        assert info.value.message == "the load took longer than 0.01 s"
        assert "nothing of it was kept" in (info.value.hint or "")
        kb.engine.timeout = None  # before looking: the 0.01 s limit would stop the look on a busy machine
        assert seen(kb) == before
        load_with_report(kb, [path])  # and the same load, unhurried, goes through
        assert len(kb.history) == 2 and kb.query("reach(n0, X)").rows



def test_a_ctrl_c_while_the_load_is_taken_back_does_not_stop_the_undo(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The load is in; its report runs over a tiny time limit, so the load is taken back; as the
    undo starts the user presses Ctrl-C, and the limit still holds: the undo finishes anyway
    (shield.py), and the message is the time limit's."""
    path = graph(tmp_path / "graph.dl")
    with KnowledgeBase(timeout=None) as kb:
        kb.load_text(BASE, "base.dl")
        before = seen(kb)
        diff, undo = changes.diff, KnowledgeBase.undo
        pressed = []

        def slow_report(*args: object, **kwargs: object) -> object:
            kb.engine.timeout = 0.01  # far too little for taking the load back
            raise QueryTimeout("query took longer than 0.01 s")

        def undo_pressed(self: KnowledgeBase) -> object:
            if not pressed:
                pressed.append(True)
                os.kill(os.getpid(), signal.SIGINT)  # lands at the next bytecode: inside the undo
            return undo(self)

        monkeypatch.setattr(changes, "diff", slow_report)
        monkeypatch.setattr(KnowledgeBase, "undo", undo_pressed)
        with pytest.raises(QueryTimeout) as info:
            load_with_report(kb, [path])
        monkeypatch.setattr(changes, "diff", diff)
        monkeypatch.setattr(KnowledgeBase, "undo", undo)
        assert pressed and info.value.message == "the load took longer than 0.01 s"
        kb.engine.timeout = None
        assert seen(kb) == before

ROUNDS = """
import faulthandler, os, random, signal, sys, threading
faulthandler.dump_traceback_later(50, exit=True)  # a hang ends with every thread's stack on stderr
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_load_interrupt import BASE, seen
from allegiance import KnowledgeBase
from allegiance.changes import load_with_report
from allegiance.errors import QueryInterrupted, QueryTimeout

rng = random.Random({seed})
outcomes = {{"interrupted": 0, "timed out": 0, "loaded": 0, "pressed as it ended": 0}}
# Ctrl-C from a timer thread, unless the round is over: raise_signal trips the signal in the timer
# thread itself, holding the lock, so once the main thread has taken the lock no Ctrl-C is on its
# way but one Python raises at its next function call (threading.Timer.cancel gives no such promise:
# a late Ctrl-C landed in the next round's check, or in Timer.start, and failed the test).
lock = threading.Lock()
armed = [False]


def press():
    with lock:
        if armed[0]:
            armed[0] = False
            signal.raise_signal(signal.SIGINT)


def disarm():
    with lock:
        armed[0] = False
    flush()


def flush():
    pass  # a Python call: a Ctrl-C tripped before disarm took the lock is raised here at the latest


with KnowledgeBase(timeout=None) as kb:
    kb.load_text(BASE, "base.dl")
    before = seen(kb)
    depth = len(kb.history)
    load_with_report(kb, [{path!r}])
    after = seen(kb)
    kb.undo()
    for _ in range(6):
        how = rng.choice(["sigint", "limit"])
        delay = rng.uniform(0.0, 0.4)
        timer = None
        returned = False
        try:
            try:
                if how == "sigint":
                    kb.engine.timeout = None
                    armed[0] = True
                    timer = threading.Timer(delay, press)
                    timer.start()
                else:
                    kb.engine.timeout = delay or None
                load_with_report(kb, [{path!r}])
                returned = True
            finally:
                disarm()
        except QueryInterrupted as exc:
            assert exc.message == "load interrupted", exc.message
            outcomes["interrupted"] += 1
        except QueryTimeout as exc:
            assert exc.message.startswith("the load took longer than"), exc.message
            outcomes["timed out"] += 1
        except KeyboardInterrupt:
            # Ctrl-C before the load began, or as it returned: the load out, or in and whole
            returned = len(kb.history) == depth + 1
            outcomes["pressed as it ended"] += 1
        else:
            outcomes["loaded"] += 1
        if timer is not None:
            timer.join()
        kb.engine.timeout = None
        # all or nothing: the whole load in when load_with_report returned, else none of it
        assert len(kb.history) == depth + returned, (returned, outcomes)
        if returned:
            assert seen(kb) == after, outcomes
            kb.undo()
        assert seen(kb) == before, outcomes
print(outcomes)
"""


@pytest.mark.thorough
# One full `make test` in three hung a round here: DuckDB's cancel of a recursive CTE stalls on
# several threads (guard.py, _run_on_one_thread); a hang still ends with every thread's stack.
# Under CPU load one run in seven used to break all or nothing when the stop landed at a
# transaction's edge (issue 16, item 3); the windows are closed (shield.py's deferring sections),
# and the next test visits each point where they were, the same points every run.
@pytest.mark.parametrize("seed", [16, 17])
def test_interrupting_at_random_points_keeps_all_or_nothing(tmp_path: Path, seed: int) -> None:
    path = graph(tmp_path / "graph.dl")
    script = ROUNDS.format(tests=str(Path(__file__).parent), seed=seed, path=str(path))
    # In a child process with a hard limit: a hang is a failure, not the end of the test session.
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    # the rounds really were stopped (the counts say how many were compared)
    assert outcomes["interrupted"] + outcomes["timed out"] >= 1, outcomes


@pytest.mark.thorough
def test_ctrl_c_at_each_point_of_the_glue_keeps_all_or_nothing(tmp_path: Path) -> None:
    """A Ctrl-C at each point of a load where CPython could raise it, in the knowledge base's
    commit of the change and its history, the engine's transaction, guard and rollback, the
    shield, and at every 211th point elsewhere (tests/interrupt_points.py). Each used to leave, at
    some point: the engine's guard suspended for good (every later call unguarded), a transaction
    open, the loaded edges in the engine with the history back."""
    path = graph(tmp_path / "graph.dl", n=30)
    helper = Path(__file__).with_name("interrupt_points.py")
    result = subprocess.run([sys.executable, str(helper), str(path), "ctrl-c", "211"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert outcome["failures"] == [], outcome
    # the points really were visited, and stopped the load (the counts say how many were compared)
    assert outcome["glue"] >= 300 and outcome["points"] >= outcome["glue"], outcome
    assert outcome["stopped"] >= outcome["points"] * 0.9, outcome
