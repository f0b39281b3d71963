"""Running measurements: each run in a fresh child process, its peak memory read from the kernel.

Input: a task name (see tasks.py) or a command line, parameters, a time limit and a run count.
Output: a Measurement: the median wall time of the timed section over the runs, every sample, the
peak resident set size (the largest over the runs) and the task's counts, or why there is none.

Why a child per run: a Python process never gives memory back to the OS, so a second measurement in
the same process would inherit the first one's heap, and peak RSS is a per-process high-water mark.
`os.wait4` returns the rusage of exactly that child (RUSAGE_CHILDREN would fold all of them together).
"""

from __future__ import annotations

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
    status: str  # ok, timeout, not built, error
    samples: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    limit: float | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _wait(proc: subprocess.Popen[bytes], deadline: float | None) -> tuple[int | None, float]:
    """Wait for proc, killing its process group at deadline. Returns (exit status, peak RSS in MB)."""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            status = None
            break
        time.sleep(0.02)
    proc.returncode = -1 if status is None else os.waitstatus_to_exitcode(status)
    return status, usage.ru_maxrss / 1024  # Linux reports kilobytes


def run_once(task: str, params: dict[str, Any], limit: float | None, workdir: Path) -> tuple[dict[str, Any], float]:
    result_path = workdir / "result.json"
    result_path.unlink(missing_ok=True)
    log = workdir / "child.log"
    argv = [sys.executable, "-m", "bench.child", task, json.dumps(params), "" if limit is None else str(limit), str(result_path)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        deadline = None if limit is None else time.monotonic() + limit + SETUP_ALLOWANCE
        status, peak = _wait(proc, deadline)
    if status is None:
        return {"status": "timeout", "seconds": limit, "reason": "killed"}, peak
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
    task: str | list[str], params: dict[str, Any], limit: float | None, runs: int, stdin: bytes = b""
) -> Measurement:
    """`runs` fresh processes; stops early when one times out or fails, since the rest would too."""
    m = Measurement(status="ok", limit=limit)
    with tempfile.TemporaryDirectory(prefix="allegiance-bench-") as tmp:
        for _ in range(runs):
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
    return m
