"""Ctrl-C at chosen points of a load, each where CPython itself could raise it (a helper of
tests/test_load_interrupt.py, run in a child process: a KeyboardInterrupt that escapes ends it,
not the test session).

CPython runs a pending signal handler only at some instructions: a function's start (RESUME),
right after a call returns, a backward jump. `Points` counts those in the code a load runs
(allegiance's, and contextlib's and threading's, whose context managers and events it uses), with
sys.settrace's opcode events, and at the chosen one does what a Ctrl-C does there: it runs the
SIGINT handler installed at that moment (the default one raises KeyboardInterrupt; a deferring
section's records it: allegiance/shield.py), or, with `cancel`, interrupts the engine's connection
as the time limit does. A random timer found the windows now and then (one run of ten rounds in
seven under CPU load); this visits each point of the glue (the knowledge base's commit of a
change and its history, the engine's transaction, guard and rollback, the shield) and a stride
of the rest, the same points every run.
"""

from __future__ import annotations

import dis
import os
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

import allegiance
from allegiance import KnowledgeBase
from allegiance.changes import load_with_report
from allegiance.errors import QueryInterrupted, QueryTimeout

ROOT = str(Path(allegiance.__file__).parent) + os.sep
LIBRARY = (os.sep + "contextlib.py", os.sep + "threading.py")
# after these, CPython checks for pending signals (3.11 to 3.13 name them so)
CHECKED = {dis.opmap[name] for name in ("CALL", "CALL_KW", "CALL_FUNCTION_EX", "JUMP_BACKWARD") if name in dis.opmap}
# The glue of a change: every point in these is visited (module file name, function; None: all)
GLUE = {("kb.py", "_apply"), ("kb.py", "_sync"), ("kb.py", "run"), ("kb.py", "_rebuild"), ("kb.py", "_deferring"),
        ("kb.py", "load_files"), ("kb.py", "load_path"), ("tables.py", "transaction"), ("tables.py", "_recover"),
        ("tables.py", "_failsafe"), ("guard.py", "_guarded_call"), ("guard.py", "_guard"), ("guard.py", "rollback"),
        ("shield.py", None), ("changes.py", "take_back"), ("changes.py", "load_with_report"), ("engine.py", "load_bulks")}


def _traced(frame: FrameType) -> bool:
    name = frame.f_code.co_filename
    return name.startswith(ROOT) or name.endswith(LIBRARY)


def _glue(frame: FrameType) -> bool:
    """Whether the point is in the glue: the innermost allegiance frame is one of GLUE (through
    contextlib's context managers and threading's events)."""
    found: FrameType | None = frame
    while found is not None and not found.f_code.co_filename.startswith(ROOT):
        found = found.f_back
    if found is None:
        return False
    module = found.f_code.co_filename.rsplit(os.sep, 1)[-1]
    return (module, found.f_code.co_name) in GLUE or (module, None) in GLUE


class Points:
    """Count the points of the traced code; at point `at`, stop as `mode` says ("ctrl-c" or "cancel")."""

    def __init__(self, at: int, mode: str, kb: KnowledgeBase) -> None:
        self.at, self.mode, self.kb = at, mode, kb
        self.count = 0
        self.glue: list[int] = []  # with at=0 (counting only): the glue's points
        self._last: dict[int, int] = {}

    def __enter__(self) -> Points:
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)

    def _call(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not _traced(frame):
            return None
        frame.f_trace_opcodes = True
        self._hit(frame)  # the function's start
        return self._opcode

    def _opcode(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            previous = self._last.get(id(frame))
            self._last[id(frame)] = frame.f_code.co_code[frame.f_lasti]
            if previous in CHECKED:
                self._hit(frame)
        return self._opcode

    def _hit(self, frame: FrameType) -> None:
        self.count += 1
        if self.at == 0:
            if _glue(frame):
                self.glue.append(self.count)
            return
        if self.count != self.at:
            return
        sys.settrace(None)
        if self.mode == "cancel":  # the time limit: the engine's statement stops, no KeyboardInterrupt
            self.kb.engine._cancel()  # type: ignore[attr-defined]
            return
        handler = signal.getsignal(signal.SIGINT)
        if handler is signal.default_int_handler:
            raise KeyboardInterrupt
        if callable(handler):
            handler(signal.SIGINT, frame)


def seen(kb: KnowledgeBase) -> tuple[object, ...]:
    """What a user would check: facts, rules, what :undo would take back, the relations."""
    return (sorted(kb.query("edge(X, Y)").rows), [str(r) for r in kb.rules], len(kb.history),
            sorted(str(p) for p in kb.predicates()))


def _flush() -> None:
    pass  # a call: a KeyboardInterrupt handled late is raised here at the latest


def visit(path: str, mode: str, stride: int) -> dict[str, object]:
    """Load `path` over a small knowledge base once per chosen point, stopped there; after each, the
    knowledge base holds the whole load (when load_with_report returned) or none of it."""
    kb = KnowledgeBase(timeout=None)
    kb.load_text("edge(n0, n1).\n", "base.dl")
    before, depth = seen(kb), len(kb.history)
    load_with_report(kb, [path])  # once whole: what the engine holds with the load in
    after = seen(kb)
    kb.undo()
    with Points(0, mode, kb) as counting:
        load_with_report(kb, [path])
    kb.undo()
    chosen = sorted(set(counting.glue) | set(range(1, counting.count + 1, stride)))
    failures: list[str] = []
    outcomes = {"stopped": 0, "loaded": 0, "pressed as it ended": 0}
    for at in chosen:
        returned = False
        raised: Exception | None = None
        points = Points(at, mode, kb)
        try:
            try:
                with points:
                    load_with_report(kb, [path])
                returned = True
            finally:
                _flush()
        except (QueryInterrupted, QueryTimeout) as exc:
            raised = exc
            outcomes["stopped"] += 1
        except KeyboardInterrupt:
            outcomes["pressed as it ended"] += 1
        except Exception as exc:  # anything else is a failure (a watcher left behind by the last point, say)
            raised = exc
        else:
            outcomes["loaded"] += 1
        problem = _check(kb, depth, returned, raised, before, after)
        if problem:
            failures.append(f"point {at}: {problem}")
            kb.close()  # the rest on a fresh knowledge base
            kb = KnowledgeBase(timeout=None)
            kb.load_text("edge(n0, n1).\n", "base.dl")
    kb.close()
    return {"points": len(chosen), "of": counting.count, "glue": len(counting.glue), **outcomes, "failures": failures}


def _check(kb: KnowledgeBase, depth: int, returned: bool, raised: Exception | None,
           before: tuple[object, ...], after: tuple[object, ...]) -> str:
    engine: Any = kb.engine
    try:
        if getattr(engine, "_guarding", False) or getattr(engine, "_in_transaction", False):
            return "the engine was left inside a guarded call or a transaction"
        held = len(kb.history)
        if raised is not None and not isinstance(raised, (QueryInterrupted, QueryTimeout)):
            return "raised " + "".join(traceback.format_exception_only(raised)).strip()
        if raised is not None and held != depth:
            return f"{raised.message} with the load kept in the history"  # type: ignore[attr-defined]
        if returned and held != depth + 1:
            return "returned without the load in the history"
        if held == depth + 1:  # a bare KeyboardInterrupt after the whole load: in, and whole
            if seen(kb) != after:
                return "the load is in the history but not whole in the engine"
            kb.undo()
        if held not in (depth, depth + 1):
            return f"history of {held} operations"
        if seen(kb) != before:
            return "the engine and the history disagree once the load is out"
    except Exception as exc:  # a connection left in an aborted transaction, say
        return "".join(traceback.format_exception_only(exc)).strip()
    return ""


if __name__ == "__main__":
    print(visit(sys.argv[1], sys.argv[2], int(sys.argv[3])))
