"""`allegiance query --format csv|json` with support (its default) streams what render.answers made:
a plain Datalog program has nothing to grade, so its answers are written as they arrive and support
is never computed; a graded knowledge base's CSV gets each answer's label batch by batch; JSON with
statements is rendered as before (stream.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from allegiance import render, stream, support
from allegiance.cli import main
from allegiance.explain import support_json
from allegiance.kb import KnowledgeBase

FACTS = """\
p("plain", 1, 2015-10-01).
p("with, comma", 2, 2015-10-02).
p("two\\nlines", 4, 2015-10-04).
m(1). m("1"). m(2015-01-01).
q(X, N) :- p(X, N, _), N > 1.
"""


def _rendered(kb: KnowledgeBase, query: str, fmt: str) -> str:
    """What `allegiance query` printed before it streamed: render.answers with support_json (and,
    in JSON, the dates it was evaluated under: none)."""
    answers = kb.query(query, support=True)
    supports = support_json(kb, answers, statements=fmt == "json")
    return render.answers(query, answers.variables, answers.rows, fmt, supports=supports,
                          settings={"at": None, "known_on": None}) + "\n"


@pytest.mark.parametrize("query", ["p(S, N, D)", "q(X, N)", "m(X)", "p(S, 99, D)", "q(\"plain\", N)"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_plain_program_streams_without_computing_support(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch, query: str,
                                                           fmt: str) -> None:
    path = tmp_path / "kb.dl"
    path.write_text(FACTS)
    kb = KnowledgeBase(timeout=None)
    kb.load_path(path)
    expected = _rendered(kb, query, fmt)

    def never(*_args: object) -> None:
        raise AssertionError("support computed for a program with nothing to grade")

    monkeypatch.setattr(stream, "supports_of", never)
    monkeypatch.setattr(support, "intervals", never)
    monkeypatch.setattr(render, "answers", never)
    status = main(["query", query, str(path), "--format", fmt])
    assert capsys.readouterr().out == expected
    assert status == (0 if kb.query(query) else 1)


@pytest.mark.parametrize("query", ["ally(X, Y)", "side_of(X, S)", "indirect_ally(X, Y)", "ally(nobody_at_all, Y)",
                                   "member(X, alliance41)"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_graded_knowledge_base_prints_what_render_made(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch, query: str, fmt: str) -> None:
    kb = KnowledgeBase.bundled(timeout=None)
    expected = _rendered(kb, query, fmt)
    if fmt == "csv":  # streamed: never the whole text in memory

        def whole(*_args: object, **_kw: object) -> str:
            raise AssertionError("CSV with support rendered whole")

        monkeypatch.setattr(render, "answers", whole)
    status = main(["query", query, "--format", fmt])
    out = capsys.readouterr().out
    assert out == expected
    assert status == (0 if kb.query(query) else 1)
    if fmt == "csv" and kb.query(query):
        assert out.splitlines()[0].endswith(",support")
