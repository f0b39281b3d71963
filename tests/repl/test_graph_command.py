"""`:graph` in the REPL: it writes the chart, names it, opens it only where there is a display."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from allegiance.repl import browser
from allegiance.repl.dispatch import dispatch
from allegiance.repl.session import Session

from allegiance.kb import KnowledgeBase


def test_graph_writes_and_names_the_page(shared_small_kb: KnowledgeBase, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    session = Session(shared_small_kb)
    out = dispatch(":graph --focus al-Nusra", session)
    assert out.ok and out.text.startswith("wrote graph.html (") and "opened" not in out.text
    assert "Nusra Front" in (tmp_path / "graph.html").read_text()
    out = dispatch(":graph ally(X, Y), member(Y, C) --format graphml -o q.graphml", session)
    assert out.ok and out.text.startswith("wrote q.graphml (")
    back = nx.read_graphml(tmp_path / "q.graphml")
    assert set(back.nodes) == {"ahrar", "nusra", "alliance41"}


def test_graph_mistakes_are_errors_not_exits(shared_small_kb: KnowledgeBase, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    session = Session(shared_small_kb)
    out = dispatch(":graph --focus nusr", session)
    assert "did you mean 'nusra'?" in out.error
    out = dispatch(":graph --format pdf", session)
    assert "invalid choice: 'pdf'" in out.error
    out = dispatch(":graph member(X, nobody)", session)
    assert "no answers" in out.error and not (tmp_path / "graph.html").exists()


def test_opens_only_with_a_display(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    opened: list[str] = []
    monkeypatch.setattr(browser.webbrowser, "open", lambda url: opened.append(url) or True)
    assert not browser.open_file("g.html", environ={}, platform="linux") and opened == []
    assert browser.open_file(str(tmp_path / "g.html"), environ={"DISPLAY": ":0"}, platform="linux")
    assert opened == [(tmp_path / "g.html").as_uri()]
    assert browser.has_display({}, "darwin") and browser.has_display({}, "win32")
    assert browser.has_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
