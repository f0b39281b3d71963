"""The house rules that a grep can check: only the engine modules import DuckDB, pyDatalog or pyspark,
nothing of ours calls eval or exec (pyDatalog's load/ask do; our engine never calls them), and CI runs
only what the README tells a user to run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_MODULES = {
    "allegiance/engines/duckdb/engine.py",
    "allegiance/engines/duckdb/guard.py",
    "allegiance/engines/duckdb/tables.py",
    "allegiance/engines/duckdb/csv.py",
    "allegiance/engines/duckdb/memory.py",
    "allegiance/engines/duckdb/connection.py",
    "allegiance/engines/duckdb/loop.py",
    "allegiance/engines/pydatalog.py",
    "allegiance/engines/spark/session.py",
    "allegiance/engines/spark/bulks.py",
}


def _modules() -> list[tuple[str, ast.Module]]:
    files = sorted([*(ROOT / "allegiance").rglob("*.py"), *(ROOT / "repl").rglob("*.py")])
    return [(str(f.relative_to(ROOT)), ast.parse(f.read_text(encoding="utf-8"))) for f in files]


def test_only_the_engine_modules_import_duckdb_pydatalog_or_pyspark() -> None:
    importers = set()
    for name, tree in _modules():
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            if any(n.split(".")[0] in ("duckdb", "pyDatalog", "pyspark") for n in names):
                importers.add(name)
    assert importers == ENGINE_MODULES


def test_nothing_calls_eval_exec_or_pydatalog_text_apis() -> None:
    calls = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in ("eval", "exec", "compile", "__import__"):
                    calls.append(f"{name}:{node.lineno} {func.id}")
                if isinstance(func, ast.Attribute) and func.attr in ("load", "ask") and \
                        isinstance(func.value, ast.Name) and func.value.id == "pyDatalog":
                    calls.append(f"{name}:{node.lineno} pyDatalog.{func.attr}")
    assert calls == []


def test_ci_runs_only_make_targets_the_readme_names() -> None:
    """Each command of .ci/run is `make TARGET`, a target the Makefile declares and the README names; the
    Spark suite is among them (CI installs the extra, as the issue asks)."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]
    phony = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert phony is not None
    targets = []
    for command in commands:
        match = re.fullmatch(r"make ([\w-]+)", command)
        assert match, f".ci/run: {command!r} is not a make target"
        targets.append(match[1])
        assert match[1] in phony[1].split(), f"make {match[1]}: not among the Makefile's .PHONY targets"
        assert f"`make {match[1]}`" in readme, f"make {match[1]}: CI runs it, the README never names it"
    assert targets[:2] == ["test", "lint"] and "test-spark-core" in targets
