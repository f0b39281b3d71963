"""settle.py: the `allegiance` command leaves what its knowledge base holds out of the garbage
collector's scans after a load; a program that only imports allegiance keeps its collector as it was."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from allegiance import KnowledgeBase, settle
from allegiance.cli import main, run


@pytest.fixture
def collector() -> Iterator[None]:
    """The process's collector and settle's switch as they were, after the test."""
    gc.unfreeze()
    yield
    gc.unfreeze()
    settle._enabled = False


def test_a_knowledge_base_used_as_a_library_leaves_the_collector_alone(collector: None,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    kb = KnowledgeBase.bundled(timeout=None)
    kb.query("ally(X, Y)")
    kb.close()
    assert main(["query", "ally(X, Y)"]) == 0  # the command's code, called from a program: not its process
    assert "nusra" in capsys.readouterr().out
    assert gc.get_freeze_count() == 0
    assert not settle.enabled()


def test_the_command_settles_what_its_load_built(collector: None, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """While the command runs, what its load built is out of the collector's passes; as it ends,
    everything is back in sight (Python's last pass frees what only it can)."""
    seen: dict[str, int] = {}
    release = settle.release

    def released() -> None:
        seen["frozen"], seen["tracked"] = gc.get_freeze_count(), len(gc.get_objects())
        release()

    monkeypatch.setattr(settle, "release", released)
    monkeypatch.setattr(sys, "argv", ["allegiance", "query", "ally(X, Y)"])
    tracked = len(gc.get_objects())
    assert run() == 0
    assert "nusra" in capsys.readouterr().out
    assert seen["frozen"] > 0 and settle.enabled()
    # what a full pass of the collector examined then: what came after the load, not what it built
    assert seen["tracked"] < tracked
    assert gc.get_freeze_count() == 0  # released as the command ended
    # and settled objects are still the knowledge base's to use
    kb = KnowledgeBase.bundled(timeout=None)
    settle.settle()
    assert gc.get_freeze_count() > 0
    assert kb.query("ally(X, Y)").rows
    kb.close()
