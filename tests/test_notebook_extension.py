"""allegiance/notebook.py without a kernel: the proof as HTML escapes what it shows, the chart sits
in an iframe, the session reads a folder, and a magic's mistake is no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from allegiance.errors import AllegianceError
from allegiance.explain import why
from allegiance.kb import KnowledgeBase
from allegiance.notebook import Session, chart_html, why_html


def test_why_html_nests_and_escapes(tmp_path: Path) -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text('.source s { title: "<b>Wire</b>" reliability: B }\n.source s.\n'
                 'edge(a, b) quoting "a <script>alert(1)</script> b".\n', "t.dl")
    kb.load_text("path(X, Y) :- edge(X, Y).\n", "r.dl")
    html = why_html(why(kb, "path(a, b)"))
    assert html.startswith("<details open><summary>path(a, b)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert why_html(why(kb, "path(b, a)")).startswith("<p>path(b, a) does not hold")
    kb.close()


def test_chart_html_is_an_iframe_holding_the_page() -> None:
    frame = chart_html('<html><script>x = "a" & 1</script></html>')
    assert frame.startswith('<iframe srcdoc="&lt;html&gt;') and "&quot;a&quot; &amp; 1" in frame


def test_session_opens_a_folder_and_answers(tmp_path: Path) -> None:
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "a.dl").write_text("ally(a, b).\n")
    session = Session()
    assert session.open(str(tmp_path)).startswith("knowledge base: 0 statements, 0 rules")
    assert session.line("ally(a, X)").rows == [("b",)]  # type: ignore[attr-defined]
    assert session.cell("ally(b, c).\n") == "added 0 statements, 1 plain facts, 0 rules"
    assert session.line("ally(b, X)").rows == [("c",)]  # type: ignore[attr-defined]
    with pytest.raises(AllegianceError, match="--format"):
        session.graph("--format pdf")
