"""Answers as data frames: Answers.to_arrow() and to_pandas() hold exactly the answers' rows, one
column per variable named after it, each with the type its values have."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pyarrow as pa
import pytest

from allegiance import KnowledgeBase
from allegiance.frames import arrow_table


@pytest.fixture(scope="module")
def kb() -> Iterator[KnowledgeBase]:
    base = KnowledgeBase(timeout=None)
    base.load_text("""\
count(a, 3). count(b, 4). count(c, 2.5).
when(a, 2015-10-01). when(b, 2015-10-05).
mixed(a, x). mixed(b, 7).
""", "frames.dl")
    yield base
    base.close()


def test_columns_are_the_variables_and_rows_are_the_answers(kb: KnowledgeBase) -> None:
    answers = kb.query("when(X, D), count(X, N)")
    table = answers.to_arrow()
    assert table.column_names == ["X", "D", "N"] == list(answers.variables)
    assert [tuple(r.values()) for r in table.to_pylist()] == answers.rows
    frame = answers.to_pandas()
    assert list(frame.columns) == ["X", "D", "N"]
    assert [tuple(r) for r in frame.itertuples(index=False)] == answers.rows


def test_types_follow_the_values(kb: KnowledgeBase) -> None:
    table = kb.query("when(X, D)").to_arrow()
    assert table.schema.field("X").type == pa.string() and table.schema.field("D").type == pa.date32()
    assert kb.query("when(X, D)").to_pandas()["D"].tolist() == [datetime.date(2015, 10, 1), datetime.date(2015, 10, 5)]
    counts = kb.query("count(X, N)").to_arrow()
    assert counts.schema.field("N").type == pa.float64()  # 3, 4 and 2.5: numbers, as floats
    assert counts.column("N").to_pylist() == [3.0, 4.0, 2.5]
    ints = kb.query("count(X, N), N > 2.9").to_pandas()
    assert str(ints["N"].dtype) == "int64" and ints["N"].tolist() == [3, 4]
    mixed = kb.query("mixed(X, V)").to_arrow()
    assert mixed.schema.field("V").type == pa.string() and mixed.column("V").to_pylist() == ["x", "7"]


def test_no_answers_keeps_the_columns(kb: KnowledgeBase) -> None:
    answers = kb.query("count(X, N), N > 100")
    assert answers.to_arrow().column_names == ["X", "N"] and answers.to_arrow().num_rows == 0
    assert list(answers.to_pandas().columns) == ["X", "N"] and answers.to_pandas().empty


def test_extra_columns_join_one_value_per_answer(kb: KnowledgeBase) -> None:
    answers = kb.query("count(X, N)")
    table = arrow_table(answers.variables, answers.rows, {"support": [0.9, 0.5, 0.1]})
    assert table.column_names == ["X", "N", "support"] and table.column("support").to_pylist() == [0.9, 0.5, 0.1]
    with pytest.raises(ValueError, match="2 values for 3 answers"):
        arrow_table(answers.variables, answers.rows, {"support": [1, 2]})


def test_answers_show_as_an_html_table_in_jupyter(kb: KnowledgeBase) -> None:
    html = kb.query("when(X, D)")._repr_html_()
    assert html.startswith("<p>2 answers</p><table") and "<th>D</th>" in html and "2015-10-05" in html


def test_many_answers_show_their_first_rows_in_jupyter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past HTML_ROWS answers the table holds the first of them and says how many there are."""
    from allegiance import kb as kb_module

    many = KnowledgeBase(engine="duckdb")
    many.load_text("".join(f"n({i}).\n" for i in range(250)), file="n.dl")
    monkeypatch.setattr(kb_module, "HTML_ROWS", 40)
    html = many.query("n(X)")._repr_html_()
    assert html.startswith("<p>250 answers, the first 40 shown (.to_pandas() has them all)</p><table")
    assert html.count("<td>") == 40 and "<td>39</td>" in html and "<td>40</td>" not in html
    few = many.query("n(X), X < 40")._repr_html_()
    assert few.startswith("<p>40 answers</p><table") and few.count("<td>") == 40


def test_answers_with_supports_get_support_columns(kb: KnowledgeBase) -> None:
    # The trust issue gives answers `supports` (one per row, with label and level); the frame carries them.
    from dataclasses import dataclass

    from allegiance.frames import answer_columns

    @dataclass
    class Grade:
        label: str
        level: int

    answers = kb.query("count(X, N)")
    assert answer_columns(answers) == {}

    class WithSupports:
        variables, rows = answers.variables, answers.rows
        supports = [Grade("B2 confirmed", 9), Grade("axiom", 20), Grade("F6 claimed", 1)]

    columns = answer_columns(WithSupports())
    table = arrow_table(answers.variables, answers.rows, columns)
    assert table.column_names == ["X", "N", "support", "support_level"]
    assert table.column("support").to_pylist() == ["B2 confirmed", "axiom", "F6 claimed"]


def test_supported_answers_frame_has_the_support_columns() -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text('.source s { title: "t" reliability: B }\n.relation ally(a, b) { phrases: "{a} is allied with {b}" }\n'
                 ".entity a { name: \"A\" kind: group }\n.entity b { name: \"B\" kind: group }\n"
                 ".source s.\nally(a, b) confirmed by s.\n", "s.facts")
    answers = kb.query("ally(X, Y)", support=True)
    frame = answers.to_pandas()
    assert list(frame.columns) == ["X", "Y", "support", "support_level"]
    assert frame["support"].tolist() == [s.label for s in answers.supports or []] and len(frame) == 1
    assert list(kb.query("ally(X, Y)").to_pandas().columns) == ["X", "Y"]
    kb.close()
