"""Running measurements: each run in a fresh child process, its peak memory read from the kernel.

Input: a task name (see tasks.py) or a command line, parameters, a time limit and a run count.
Output: a Measurement: the median wall time of the timed section over the runs, every sample, the
peak resident set size (the largest over the runs, an engine's worker processes included) and the task's counts, or why there is none.

Why a child per run: a Python process never gives memory back to the OS, so a second measurement in
the same process would inherit the first one's heap, and peak RSS is a per-process high-water mark.
`os.wait4` returns the rusage of exactly that child (RUSAGE_CHILDREN would fold all of them together).
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Beyond the measured section a child makes its data and loads its facts; a child still alive this
# long after its limit has a watchdog that could not fire (a C call holding the GIL) and is killed.
SETUP_ALLOWANCE = 300.0


@dataclass
class Measurement:
    status: str  # ok, timeout, too large, not built, not installed, error
    samples: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    limit: float | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    runs: int = 0

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def compile_bytecode() -> None:
    """Compile allegiance's own modules once, before any row runs, as pip does when it installs a
    package and Python does on a first start. A start-up row then measures what a user's start costs,
    not a hundred modules compiled again in every child: with PYTHONDONTWRITEBYTECODE set (this
    project's development machines set it) nothing compiled is kept, and an editable install has no
    bytecode of its own; that is about 0.2 s of every `allegiance` command. The files land in
    __pycache__ beside the sources (gitignored), where the children look (_env drops PYTHONPYCACHEPREFIX:
    under a prefix holding none of Python's own modules, a child would compile those instead)."""
    prefix, sys.pycache_prefix = sys.pycache_prefix, None
    try:
        for folder in ("allegiance", "repl", "bench"):
            compileall.compile_dir(ROOT / folder, quiet=1)
    finally:
        sys.pycache_prefix = prefix


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPYCACHEPREFIX", None)  # see compile_bytecode
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _tree_rss_mb(pid: int) -> float:
    """The resident memory of pid and all its descendants now, from /proc (0 where unreadable)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total / 1024


# How long past the deadline of a timed section the parent waits for the child's own watchdog.
GRACE = 2.0


class _SectionDeadline:
    """Follows the child's `.clock` file: while a timed section runs, its deadline, else None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.seen = ""
        self.deadline: float | None = None

    def poll(self) -> float | None:
        if self.path is None:
            return None
        try:
            line = self.path.read_text(encoding="utf-8")
        except OSError:
            return self.deadline
        if line != self.seen:
            self.seen = line
            word, _, left = line.partition(" ")
            self.deadline = time.monotonic() + float(left) + GRACE if word == "start" else None
        return self.deadline


def _wait(proc: subprocess.Popen[bytes], deadline: float | None, clock_file: Path | None = None
          ) -> tuple[int | None, float]:
    """Wait for proc, killing its process group at deadline. Returns (exit status, peak RSS in MB).

    The peak is the larger of the kernel's high-water mark for the child (exact, one process) and
    the largest sum over the child and its descendants sampled from /proc every 50 ms, which counts
    an engine that works in a process of its own (pyDatalog's worker) together with its parent."""
    sampled = 0.0
    section = _SectionDeadline(clock_file)
    status: int | None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now, inner = time.monotonic(), section.poll()
        if (deadline is not None and now > deadline) or (inner is not None and now > inner):
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            status = None
            break
        sampled = max(sampled, _tree_rss_mb(proc.pid))
        time.sleep(0.05)
    # Whatever the child left behind in its group (an orphaned worker) must not outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.returncode = -1 if status is None else os.waitstatus_to_exitcode(status)
    return status, max(usage.ru_maxrss / 1024, sampled)  # Linux reports kilobytes


def run_once(task: str, params: dict[str, Any], limit: float | None, workdir: Path) -> tuple[dict[str, Any], float]:
    result_path = workdir / "result.json"
    clock_file = workdir / "result.json.clock"
    result_path.unlink(missing_ok=True)
    clock_file.unlink(missing_ok=True)
    log = workdir / "child.log"
    argv = [sys.executable, "-m", "bench.child", task, json.dumps(params), "" if limit is None else str(limit), str(result_path)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        deadline = None if limit is None else time.monotonic() + limit + SETUP_ALLOWANCE
        status, peak = _wait(proc, deadline, clock_file)
    if status is None:
        return {"status": "timeout", "seconds": limit}, peak
    if result_path.exists():
        return json.loads(result_path.read_text(encoding="utf-8")), peak
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
    return {"status": "error", "reason": f"child exited {proc.returncode}: {tail[0]}"}, peak


def run_command(argv: list[str], stdin: bytes, limit: float | None, workdir: Path) -> tuple[dict[str, Any], float]:
    """Time a whole program from spawn to exit (e.g. the REPL fed `:quit`)."""
    log = workdir / "command.log"
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=_env(), stdin=subprocess.PIPE, stdout=out, stderr=out, start_new_session=True)
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        status, peak = _wait(proc, None if limit is None else time.monotonic() + limit)
        elapsed = time.perf_counter() - start
    if status is None:
        return {"status": "timeout", "seconds": limit}, peak
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        return {"status": "error", "reason": f"exit {proc.returncode}: {tail[0]}"}, peak
    return {"status": "ok", "samples": [elapsed]}, peak


def measure(
    task: str | list[str], params: dict[str, Any], limit: float | None, runs: int, stdin: bytes = b"",
    repeat_under: float | None = None,
) -> Measurement:
    """`runs` fresh processes; stops early when one times out or fails, since the rest would too,
    and after a first run longer than `repeat_under` seconds (its spread matters less than the
    minutes a repetition costs; the report says how many runs a row had)."""
    m = Measurement(status="ok", limit=limit)
    with tempfile.TemporaryDirectory(prefix="allegiance-bench-") as tmp:
        first_started = time.monotonic()
        for i in range(runs):
            if i == 1 and repeat_under is not None and time.monotonic() - first_started > repeat_under:
                break
            if isinstance(task, list):
                result, peak = run_command(task, stdin, limit, Path(tmp))
            else:
                result, peak = run_once(task, params, limit, Path(tmp))
            m.peak_rss_mb = max(peak, m.peak_rss_mb or 0.0)
            if result["status"] != "ok":
                m.status = result["status"]
                m.reason = result.get("reason", "")
                m.samples = []
                break
            samples = result.pop("samples")
            result.pop("status")
            m.extra = result
            # A latency task returns many samples per run; a throughput task one per run.
            m.samples.extend(samples if result.get("latency") else [sum(samples)])
            m.runs = i + 1
    return m
