"""Golden files: each tests/cases/neg_*.{dl,facts} must fail to load with exactly the text in its
.expected file (file:line:col, message, the source line, the caret and the hint).

`UPDATE_GOLDEN=1 pytest tests/test_golden_errors.py` rewrites the .expected files; read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allegiance import AllegianceError, KnowledgeBase
from allegiance.errors import render

CASES = Path(__file__).parent / "cases"
FILES = sorted(p for p in CASES.iterdir() if p.name.startswith("neg_") and p.suffix in (".dl", ".facts"))


def test_there_are_golden_cases() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_error_text(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("% must fail:"), "a golden case begins by saying why it must fail"
    monkeypatch.chdir(CASES)
    kb = KnowledgeBase()
    try:
        with pytest.raises(AllegianceError) as caught:
            kb.load_file(path.name)
        text = render(caught.value, kb.sources_text) + "\n"
        assert kb.statements == () and kb.rules == (), "a failed load changes nothing"
    finally:
        kb.close()
    expected = path.with_suffix(".expected")
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
