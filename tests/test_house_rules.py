"""The house rules that a grep can check: only the engine modules import DuckDB, pyDatalog or pyspark, and
nothing of ours calls eval or exec (pyDatalog's load/ask do; our engine never calls them)."""

from __future__ import annotations

import ast
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
