"""Hostile input: code-injection payloads, huge or malformed files, deep nesting, bad encodings.
Each ends in a clear error (or is plain data), and nothing is lost or executed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from allegiance import AllegianceError, KnowledgeBase, LoadError, ParseError
from allegiance.errors import render

PAYLOADS = [
    "__import__('os').system('touch {marker}')",
    "{{0.__class__.__mro__[1].__subclasses__()}}",
    "lambda: __import__('os').system('touch {marker}')",
    "'; DROP TABLE facts; --",
    "\"); import os; os.system('touch {marker}'); (\"",
    "exec(\"open('{marker}', 'w')\")",
    "True",
    "??",
    "${{7*7}} %s %n",
]


def snapshot(kb: KnowledgeBase) -> tuple[object, ...]:
    return (kb.statements, kb.rules, tuple((p, tuple(kb.facts(p))) for p in kb.predicates()))


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
def test_payloads_in_strings_are_data_on_both_engines(engine: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with KnowledgeBase(engine=engine, timeout=20) as kb:
        for i, payload in enumerate(PAYLOADS):
            text = payload.format(marker=marker)
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            kb.load_text(f'say(p{i}, "{escaped}").', file=f"<payload {i}>")
            answers = kb.query(f"say(p{i}, X)")
            assert answers.rows == [(text,)]
            # and as a constant in a query
            assert kb.query(f'say(W, "{escaped}")').rows == [(f"p{i}",)]
    assert not marker.exists()


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch MARKER')",
    "p(X) :- q(X), X = __import__('os').system('touch MARKER').",
    "p(lambda x: x).",
    "p(X).__class__",
    "p(a); import os",
    "p(f'{a}').",
])
def test_python_outside_strings_is_a_parse_error(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with KnowledgeBase() as kb:
        before = snapshot(kb)
        with pytest.raises(AllegianceError):
            kb.load_text(text, file="evil.dl")
        with pytest.raises(AllegianceError):
            kb.query(text)
        assert snapshot(kb) == before
    assert not (tmp_path / "MARKER").exists()


def test_the_cli_never_executes_a_query(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    query = f"say(X, __import__('os').system('touch {marker}'))"
    result = subprocess.run([sys.executable, "-m", "allegiance.cli", "query", query],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "<query>:1:" in result.stderr and "^" in result.stderr
    assert not marker.exists()


def bundled_with_extra(tmp_path: Path, name: str, data: bytes) -> tuple[KnowledgeBase, Path]:
    kb = KnowledgeBase.bundled()
    path = tmp_path / name
    path.write_bytes(data)
    return kb, path


def test_invalid_utf8_names_the_place_and_loads_nothing(tmp_path: Path) -> None:
    kb, path = bundled_with_extra(tmp_path, "bad.dl", b"ally(fsa, x).\nname(x, \"caf" + b"\xe9\").\n")
    with kb:
        before = snapshot(kb)
        with pytest.raises(LoadError) as caught:
            kb.load_file(path)
        assert caught.value.span is not None and (caught.value.span.line, caught.value.span.column) == (2, 13)
        assert "invalid UTF-8" in render(caught.value)
        assert snapshot(kb) == before


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "windows.dl"
    path.write_bytes(b"\xef\xbb\xbfally(a, b).\r\nally(b, c).\r\n")
    with KnowledgeBase() as kb:
        kb.load_file(path)
        assert kb.facts("ally/2") == [("a", "b"), ("b", "c")]


@pytest.mark.parametrize("name, data, message", [
    ("binary.dl", b"ally(a, b).\n\x00\x01\x02", "NUL"),
    ("latin1.dl", "ally(a, \"Hürriyet\").".encode("latin-1"), "invalid UTF-8"),
])
def test_binary_and_foreign_encodings(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    kb, path = bundled_with_extra(tmp_path, name, data)
    with kb:
        before = snapshot(kb)
        with pytest.raises(LoadError, match=message):
            kb.load_file(path)
        assert snapshot(kb) == before


def test_a_huge_file_is_refused_with_its_size_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "huge.facts"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # 50 MB, sparse: the size check must come before reading
    with KnowledgeBase() as kb, pytest.raises(LoadError, match="MB"):
        kb.load_file(path)


def test_directories_and_missing_files(tmp_path: Path) -> None:
    with KnowledgeBase() as kb:
        with pytest.raises(LoadError, match="directory"):
            kb.load_file(tmp_path)
        with pytest.raises(LoadError, match="no such file"):
            kb.load_file(tmp_path / "nope.dl")


@pytest.mark.parametrize("depth", [200, 20000])
def test_deep_nesting_ends_in_an_answer_or_a_clear_error(depth: int) -> None:
    expr = "(Y + " * depth + "0" + ")" * depth
    with KnowledgeBase() as kb:
        kb.load_text("v(1).", file="v.dl")
        try:
            kb.load_text(f"w(X) :- v(Y), X = {expr} + 1.", file="deep.dl")
        except ParseError as exc:
            assert "deep" in exc.message
        else:
            assert kb.facts("w/1") == [(depth + 1,)]


def test_a_long_rule_body_and_many_clauses_load() -> None:
    body = ", ".join(f"v(X{i})" for i in range(40))
    with KnowledgeBase() as kb:
        kb.load_text("v(1).\n" + f"w(X0) :- {body}.", file="long.dl")
        assert kb.facts("w/1") == [(1,)]


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
def test_payloads_in_a_csv_import_are_data(engine: str, tmp_path: Path) -> None:
    """Cells, column names and entity names go through DuckDB's reader and SQL of ours as bound
    values: a payload anywhere in the file arrives as the text it is."""
    import csv

    from allegiance.importing import import_csv

    marker = tmp_path / "pwned"
    cells = [p.format(marker=marker) for p in PAYLOADS]
    evil_column = "x\"); DROP TABLE b1; --"
    with (tmp_path / "rows.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([evil_column, "n"])
        writer.writerows([cell, i] for i, cell in enumerate(cells))
        writer.writerow(["O'Brien \"the\" ; --", len(cells)])
    with KnowledgeBase(engine=engine, timeout=20) as kb:
        kb.load_text('.source s { title: "t" }\n.entity obrien { name: "O\'Brien \\"the\\" ; --" }\n'
                     '.relation said(who, n: number).\n', file="schema.facts")
        report = import_csv(kb, tmp_path / "rows.csv", "said", "s", [evil_column, "n"])
        assert len(report.new_statements) == len(cells) + 1
        assert sorted(kb.facts("said")) == sorted([*((c, i) for i, c in enumerate(cells)), ("obrien", len(cells))])
        assert kb.query("said(W, 3)").rows == [(cells[3],)]
    assert not marker.exists()
