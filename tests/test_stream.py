"""Large answers written as they arrive (issue 18): `allegiance query --format csv|json --no-support` writes the
same text as render.answers, CSV from DuckDB's own writer where the columns allow it, JSON (and
the other CSV) batch by batch; neither makes a Python list of every answer. Imports' reports read
the few rows they show, not the whole table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from allegiance import render
from allegiance.cli import main
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.engines.duckdb.csv import CsvTable
from allegiance.importing import import_csv
from allegiance.kb import KnowledgeBase

FACTS = """\
p("plain", 1, 2015-10-01).
p("with, comma", 2, 2015-10-02).
p("with \\"quote\\"", 3, 2015-10-03).
p("two\\nlines", 4, 2015-10-04).
p("ünïcode", 5, 2015-10-05).
f(1.5, a). f(2.25, b).
m(1). m("1"). m(2015-01-01).
"""


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    return status, capsys.readouterr().out


@pytest.mark.parametrize("query", ["p(S, N, D)", "p(S, 3, D)", "f(X, Y)", "m(X)", "p(S, 99, D)"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_streamed_text_is_what_render_makes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            query: str, fmt: str) -> None:
    path = tmp_path / "kb.dl"
    path.write_text(FACTS)
    kb = KnowledgeBase(timeout=None)
    kb.load_path(path)
    answers = kb.query(query)
    # the settings the CLI evaluated under (none: every date, all known), as `query --format json` records them
    expected = render.answers(query, answers.variables, answers.rows, fmt, settings={"at": None, "known_on": None}) + "\n"
    status, out = _cli(capsys, "query", query, str(path), "--format", fmt, "--no-support")
    assert status == (0 if answers else 1)
    assert out == expected
    if fmt == "csv":
        assert list(csv.reader(io.StringIO(out)))[1:] == [[str(v) for v in row] for row in answers.rows]
    else:
        assert json.loads(out)["answers"] == json.loads(expected)["answers"]


def _graph(tmp_path: Path, nodes: int) -> Path:
    path = tmp_path / "graph.dl"
    path.write_text("".join(f"edge({i}, {i + 1}).\n" for i in range(nodes))
                    + "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n")
    return path


def test_csv_comes_from_duckdbs_writer(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = _graph(tmp_path, 300)

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("answers went through Python")

    monkeypatch.setattr(DuckDBEngine, "query", refuse)
    monkeypatch.setattr(DuckDBEngine, "answer_batches", refuse)
    status, out = _cli(capsys, "query", "path(X, Y)", str(path), "--format", "csv", "--no-support")
    lines = out.splitlines()
    assert status == 0 and lines[0] == "X,Y" and len(lines) == 1 + 300 * 301 // 2
    assert lines[1:4] == ["0,1", "0,2", "0,3"] and lines[-1] == "299,300"


def test_json_is_written_batch_by_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _graph(tmp_path, 250)
    seen: list[int] = []
    batches = DuckDBEngine.answer_batches

    def counted(self: DuckDBEngine, query: object, size: int = 10_000) -> object:
        for batch in batches(self, query, 1000):  # type: ignore[arg-type]
            seen.append(len(batch))
            yield batch

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("every answer went to Python at once")

    monkeypatch.setattr(DuckDBEngine, "answer_batches", counted)
    monkeypatch.setattr(DuckDBEngine, "query", refuse)
    status, out = _cli(capsys, "query", "path(X, Y)", str(path), "--format", "json", "--no-support")
    answers = json.loads(out)["answers"]
    assert status == 0 and len(answers) == 250 * 251 // 2 and answers[0] == [0, 1]
    assert answers == sorted(answers) and max(seen) == 1000 and len(seen) == 32


def test_an_import_report_reads_only_the_rows_it_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = KnowledgeBase.bundled(timeout=None)
    source = next(iter(kb.catalog.sources))
    path = tmp_path / "backs.csv"
    path.write_text("backer,group\n" + "".join(f"x{i},y{i}\n" for i in range(500)))

    def refuse(self: CsvTable) -> object:
        raise AssertionError("the whole table went to Python")

    report = import_csv(kb, path, "backs", source, ["backer", "group"], dry_run=True)
    monkeypatch.setattr(CsvTable, "rows", refuse)
    monkeypatch.setattr(CsvTable, "lines", refuse)
    text = report.render_text()
    assert "new statements: 500" in text and "... and 480 more" in text
    assert f"[{source}_" in text
    kb.close(final=True)  # the engine does not read the staged table on closing either


@pytest.mark.parametrize("query", ["p(S, N, D)", "f(X, Y)", "p(S, 3, D)", "m(X)"])
def test_arrow_and_pandas_from_the_engine_match_the_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            query: str) -> None:
    path = tmp_path / "kb.dl"
    path.write_text(FACTS)
    kb = KnowledgeBase(timeout=None)
    kb.load_path(path)
    answers = kb.query(query)
    expected, frame = answers.to_arrow(), answers.to_pandas()
    if query != "m(X)":  # a column of mixed kinds comes from rows; the others never pass through Python
        monkeypatch.setattr(DuckDBEngine, "query", lambda *_a: pytest.fail("answers went through Python"))
    table = kb.to_arrow(query)
    assert table.equals(expected) and table.column_names == list(answers.variables)
    assert kb.to_pandas(query).equals(frame)
