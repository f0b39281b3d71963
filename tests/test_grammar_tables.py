"""The stored LALR tables (allegiance/grammar_tables.json): current, and the same parser as a built one."""

from __future__ import annotations

from pathlib import Path

import pytest

from allegiance import grammar_tables, parse
from allegiance.errors import ParseError

ROOT = Path(__file__).resolve().parent.parent


def test_the_stored_tables_are_those_of_the_grammar() -> None:
    grammar = grammar_tables.GRAMMAR.read_text(encoding="utf-8")
    assert grammar_tables._read(grammar) is not None, \
        "allegiance/grammar_tables.json does not match grammar.lark (or Lark's version): run `make tables`"


def test_stale_or_damaged_tables_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = grammar_tables.GRAMMAR.read_text(encoding="utf-8")
    monkeypatch.setattr(grammar_tables, "TABLES", tmp_path / "tables.json")
    assert grammar_tables._read(grammar) is None  # no file
    grammar_tables.write(tmp_path / "tables.json")
    assert grammar_tables._read(grammar) is not None
    assert grammar_tables._read(grammar + "\n// changed\n") is None  # another grammar
    (tmp_path / "tables.json").write_text('{"key": ', encoding="utf-8")
    assert grammar_tables._read(grammar) is None  # damaged
    assert grammar_tables.load(grammar, None).parse("p(a).", start="program") is not None


TEXTS = [
    *(p.read_text(encoding="utf-8") for d in ("facts", "rules", "checks") for p in sorted((ROOT / d).iterdir())),
    "p(a.", "p(a b).", "p(a", "?- ", "p(X) :- q(X), X = .", "expect p(a) = .", "X", ".decl p(a:", "p('a').",
    "Nusra is allied with (Jordan).", "Nusra is allied with Jordan, claimed by.", "p(a) claimed by on.",
    ".entity e { name: }", "accept p(a) because.", "p(X) :- q(X) as S, not r(X) as T.", "r(1 % 2, 3 %\n 4).",
]


def outcome(text: str) -> str:
    try:
        return repr(parse.parse_program(text, "t.dl"))
    except ParseError as exc:
        return f"error {exc} {exc.span!r} {exc.hint!r}"


def test_the_stored_tables_parse_as_the_grammar_built_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = [outcome(t) for t in TEXTS]
    built = grammar_tables.build(grammar_tables.GRAMMAR.read_text(encoding="utf-8"), parse._Build())
    monkeypatch.setattr(parse, "_parser", built)
    assert [outcome(t) for t in TEXTS] == stored
    assert sum(s.startswith("error") for s in stored) >= 14, "the texts include the errors"
