"""Interrupting a load, by the time limit or by Ctrl-C, at any point: the load goes whole and the
message says "load" (issue 16, item 3: the file stayed loaded while the REPL said it was not)."""

from __future__ import annotations

import os
import random
import signal
import threading
from pathlib import Path

import pytest

from allegiance import KnowledgeBase
from allegiance.changes import load_with_report
from allegiance.errors import QueryInterrupted, QueryTimeout

BASE = "edge(n0, n1).\n"


def graph(path: Path, n: int = 300, seed: int = 0) -> Path:
    """Random edges, twice as many as nodes, and their closure: a few seconds to load with its report."""
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
    with KnowledgeBase(timeout=0.2) as kb:
        kb.load_text(BASE, "base.dl")
        before = seen(kb)
        with pytest.raises(QueryTimeout) as info:
            load_with_report(kb, [path])
        assert info.value.message == "the load took longer than 0.2 s"
        assert "nothing of it was kept" in (info.value.hint or "")
        assert seen(kb) == before
        kb.engine.timeout = None
        load_with_report(kb, [path])  # and the same load, unhurried, goes through
        assert len(kb.history) == 2 and kb.query("reach(n0, X)").rows


def test_interrupting_at_random_points_keeps_all_or_nothing(tmp_path: Path) -> None:
    path = graph(tmp_path / "graph.dl")
    rng = random.Random(16)
    outcomes = {"interrupted": 0, "timed out": 0, "loaded": 0}
    with KnowledgeBase(timeout=None) as kb:
        kb.load_text(BASE, "base.dl")
        before = seen(kb)
        for _ in range(8):
            how = rng.choice(["sigint", "limit"])
            delay = rng.uniform(0.0, 1.5)
            timer = None
            if how == "sigint":
                kb.engine.timeout = None
                timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
                timer.start()
            else:
                kb.engine.timeout = delay or None
            try:
                load_with_report(kb, [path])
            except QueryInterrupted as exc:
                assert exc.message == "load interrupted"
                outcomes["interrupted"] += 1
            except QueryTimeout as exc:
                assert exc.message.startswith("the load took longer than")
                outcomes["timed out"] += 1
            else:
                outcomes["loaded"] += 1
                if timer is not None:
                    timer.join()  # the signal may still come: it must not land in the next round
                kb.undo()
            finally:
                if timer is not None:
                    timer.cancel()
            assert seen(kb) == before, outcomes
    # the rounds really were interrupted, both ways (the counts say how many were compared)
    assert outcomes["interrupted"] >= 1 and outcomes["timed out"] >= 1, outcomes
