"""`allegiance graph` as a user runs it: where the file goes, what it says, exit codes, errors with a caret."""

from __future__ import annotations

import io
import os
from pathlib import Path

import networkx as nx
import pytest

from allegiance.cli import main


def test_default_page_is_graph_html_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--focus", "nusra"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote graph.html (") and "entities" in out
    page = (tmp_path / "graph.html").read_text()
    assert "Nusra Front" in page and "cytoscape" in page


def test_text_formats_go_to_stdout_and_o_names_a_file(tmp_path: Path, small_dir: Path,
                                                      capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["--kb", str(small_dir), "graph", "--format", "graphml"]) == 0
    back = nx.read_graphml(io.BytesIO(capsysbinary.readouterr().out))
    assert "ahrar" in back and back.nodes["ahrar"]["kind"] == "group"
    target = tmp_path / "chart.gexf"
    assert main(["--kb", str(small_dir), "graph", "--format", "gexf", "-o", str(target)]) == 0
    assert capsysbinary.readouterr().out.decode().startswith(f"wrote {target} (")
    assert "ahrar" in nx.read_gexf(target)
    assert main(["--kb", str(small_dir), "graph", "--format", "png", "-o", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")


def test_a_query_then_files(tmp_path: Path, small_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(small_dir / "facts" / "small.facts"), str(small_dir / "rules" / "small.dl")]
    assert main(["graph", "ally(X, Y), member(Y, C)", *files, "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert "ahrar" in dot and "alliance41" in dot and "cia" not in dot
    assert main(["graph", *files, "--format", "dot"]) == 0  # no query: the whole knowledge base
    assert "cia" in capsys.readouterr().out


def test_nothing_to_draw_and_mistakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--why", "ally(fsa, isis)"]) == 1
    assert "does not hold" in capsys.readouterr().err and not os.path.exists("graph.html")
    assert main(["graph", "member(X, nobody)"]) == 1
    assert "no answers" in capsys.readouterr().err
    assert main(["graph", "--why", "ally(fsa, isis"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("<query>:1:") and "ally(fsa, isis\n" in err and "^" in err
    assert main(["graph", "--focus", "nusar"]) == 2
    assert "did you mean 'nusra'?" in capsys.readouterr().err
    assert main(["graph", "--relations", "belongs"]) == 2
    assert "did you mean 'belonging'?" in capsys.readouterr().err
    assert main(["graph", "-o", str(tmp_path / "no" / "such" / "dir.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_help_lists_graph(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "graph" in capsys.readouterr().out


def test_what_counts_trust_sources_and_dates(small_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # backs(cia, nusra) held 2013-2014; backs(usa, hostile) only the blog says.
    assert main(["--kb", str(small_dir), "graph", "--format", "dot"]) == 0
    whole = capsys.readouterr().out
    assert "cia -> nusra" in whole and "usa -> hostile" in whole
    assert main(["--kb", str(small_dir), "graph", "--format", "dot", "--at", "2015-06-01", "--without", "blog"]) == 0
    some = capsys.readouterr().out
    assert "cia -> nusra" not in some and "usa -> hostile" not in some and "ahrar -> alliance41" in some
    assert main(["--kb", str(small_dir), "graph", "--at", "2015-13-01"]) == 2
    assert "--at" in capsys.readouterr().err
