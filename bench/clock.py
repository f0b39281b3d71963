"""The stopwatch a measurement runs under, inside its child process.

Input: the time limit of the measurement. Output: the wall time of every timed section. Setup (making
data, importing libraries, loading facts that are not what is measured) happens outside `with clock:`,
so only the section that is the workload is timed. The limit counts timed sections only. Two guards
enforce it: a watchdog thread here records "timeout" and ends the process group, and, because a
compiled loop that never lets go of the GIL (pyDatalog's) starves that thread, the clock also tells
the parent (a `.clock` file beside the result: "start SECONDS_LEFT" / "stop") so the parent can kill
the process from outside at the same deadline.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Any

TIMEOUT_EXIT = 124  # what timeout(1) uses


class Timeout(Exception):
    """A task noticed, by itself, that it ran out of time (e.g. an engine's own QueryTimeout)."""


class TooLarge(Exception):
    """What the task evaluates outgrew the memory ceiling it runs under (MemoryLimitError): reported
    as such, like a timeout, never as an error of the bench."""


class Clock:
    def __init__(self, limit: float | None, result_path: str) -> None:
        self.limit = limit
        self.result_path = result_path
        self.samples: list[float] = []
        self._used = 0.0
        self._start = 0.0
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Clock:
        if self.limit is not None:
            left = max(self.limit - self._used, 0.0)
            self._tell_parent(f"start {left}")
            self._timer = threading.Timer(left, self._expire)
            self._timer.daemon = True
            self._timer.start()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self._start
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._tell_parent("stop")
        self._used += elapsed
        self.samples.append(elapsed)

    def _tell_parent(self, line: str) -> None:
        with open(self.result_path + ".clock", "w", encoding="utf-8") as f:
            f.write(line)

    @property
    def total(self) -> float:
        return sum(self.samples)

    def _expire(self) -> None:
        write_result(self.result_path, {"status": "timeout", "seconds": self.limit})
        # Not sys.exit: the main thread may be deep inside an engine and must not get a chance to
        # catch anything or run finalizers that take minutes on a huge heap. The harness makes this
        # process a group leader, so killing the group also ends an engine's worker process.
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
        os._exit(TIMEOUT_EXIT)


def write_result(path: str, result: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, path)
