"""What the numbers were measured on: cores, memory, Python, library versions, commit and date.

Stage: the report's header. Input: the operating system, the installed packages, git. Output:
`describe()`'s (label, text) pairs (a value that cannot be read shows as "unknown" instead of failing the bench)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    return "unknown"


def load() -> str:
    # Other work on the machine slows every row; the bench cannot prevent it, only say so.
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "allegiance", "repl"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def describe() -> list[tuple[str, str]]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("Date", datetime.datetime.now().astimezone().isoformat(timespec="seconds")),
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores ({usable} usable)"),
        ("Memory", _memory_gb()),
        ("OS", platform.platform()),
        ("Load average", load() + ", when the report was written"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("duckdb", _version("duckdb")),
        ("pyDatalog", _version("pyDatalog")),
        ("lark", _version("lark")),
        ("allegiance commit", _commit()),
    ]
