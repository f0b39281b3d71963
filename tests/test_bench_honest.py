"""The bench fails loudly when it cannot measure what it claims: an API it uses that was renamed or
removed is an error row and a non-zero exit, never a quiet "not built" and exit 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allegiance.kb import KnowledgeBase
from bench import __main__ as bench_main
from bench import child, subjects
from bench.clock import Clock
from bench.harness import Measurement
from bench.tasks import TASKS


def test_a_renamed_method_or_module_is_missing_not_unbuilt() -> None:
    with pytest.raises(subjects.Missing, match="KnowledgeBase.load_txt missing"):
        subjects._need(KnowledgeBase(), "load_txt")
    with pytest.raises(subjects.Missing, match="allegiance.kbase missing"):
        subjects._import("allegiance.kbase")
    assert subjects._kb() is KnowledgeBase


def test_a_row_whose_api_was_renamed_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delattr(KnowledgeBase, "load_text")  # as if someone renamed it

    def row(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
        kb = subjects._open({"engine": "duckdb"}, clock)
        return {"count": subjects._timed(kb, clock, "p(1).", "p(X)")}

    monkeypatch.setitem(TASKS, "renamed", row)
    result = tmp_path / "result.json"
    assert child.main(["renamed", "{}", "", str(result)]) == 1
    written = json.loads(result.read_text(encoding="utf-8"))
    assert written["status"] == "error" and "KnowledgeBase.load_text missing" in written["reason"]


def test_the_bench_exits_1_when_a_row_errs(capsys: pytest.CaptureFixture[str]) -> None:
    fine = {"a": Measurement(status="ok"), "b": Measurement(status="timeout"),
            "c": Measurement(status="not built", reason="spark not installed")}
    assert bench_main.exit_status(fine) == 0
    assert bench_main.exit_status({**fine, "d": Measurement(status="error", reason="Missing: x")}) == 1
    assert "error: d: Missing: x" in capsys.readouterr().err
