"""Answers held as columns (engines/columns.py): past `rows_in_python` answers the DuckDB engine
keeps the rest as numpy arrays; the sequence must be the list of the same rows in every way a
caller reads it, and the knowledge base's answers the same as with every row a tuple."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance import frames
from allegiance.engines.columns import Columns
from allegiance.kb import KnowledgeBase

KINDS = {int: "int64", str: "object", datetime.date: "datetime64[D]"}


def _columns(rows: list[tuple[object, ...]], head: int) -> Columns:
    """`rows` as a Columns: the first `head` as tuples, the rest one numpy array per column."""
    kinds = [KINDS[type(v)] for v in rows[0]]
    rest = rows[head:]
    arrays = [np.array([r[j] for r in rest], dtype=kind) for j, kind in enumerate(kinds)]
    return Columns(rows[:head], arrays)


@st.composite
def answer_tables(draw: st.DrawFn) -> tuple[list[tuple[object, ...]], int]:
    kinds = draw(st.lists(st.sampled_from([int, str, datetime.date]), min_size=1, max_size=3))
    strategy = {int: st.integers(-(2**63), 2**63 - 1), str: st.text(max_size=6), datetime.date: st.dates()}
    rows = draw(st.lists(st.tuples(*(strategy[k] for k in kinds)), min_size=1, max_size=40))
    return rows, draw(st.integers(0, len(rows)))


def test_columns_read_as_the_list_of_their_rows() -> None:
    """Length, truth, iteration, ==, every index (negative ones too), slices with steps, the
    IndexError past the end, and the Arrow table: each as the list of the same tuples gives it."""
    compared = {"sequences": 0, "indexes": 0, "slices": 0}

    @settings(max_examples=200, derandomize=True, deadline=None, database=None)
    @given(answer_tables(), st.data())
    def check(table: tuple[list[tuple[object, ...]], int], data: st.DataObject) -> None:
        rows, head = table
        got = _columns(rows, head)
        assert len(got) == len(rows) and bool(got)
        assert list(got) == rows and got == rows and rows == got
        assert [type(v) for r in got for v in r] == [type(v) for r in rows for v in r]  # Python's values, not numpy's
        for i in range(-len(rows), len(rows)):
            assert got[i] == rows[i]
            compared["indexes"] += 1
        for _ in range(5):
            start = data.draw(st.integers(-len(rows) - 2, len(rows) + 2))
            stop = data.draw(st.integers(-len(rows) - 2, len(rows) + 2))
            step = data.draw(st.sampled_from([None, 1, 2, 3, -1]))
            assert got[start:stop:step] == rows[start:stop:step]
            compared["slices"] += 1
        with pytest.raises(IndexError):
            got[len(rows)]
        other = list(rows)
        other[-1] = (*other[-1][:-1], "changed" if other[-1][-1] != "changed" else "again")
        assert got != other and got != rows[:-1]
        names = [f"v{j}" for j in range(len(rows[0]))]
        assert frames.arrow_table(names, got).equals(frames.arrow_table(names, rows))
        compared["sequences"] += 1

    check()
    # derandomized: facts of the 200 examples
    assert compared["sequences"] >= 200 and compared["indexes"] >= 1000 and compared["slices"] >= 1000, compared


def test_a_columns_is_not_hashable_and_not_equal_to_text() -> None:
    got = _columns([("a", 1), ("b", 2)], 1)
    with pytest.raises(TypeError):
        hash(got)
    assert got != "ab" and got != 3
    assert repr(got) == "Columns([('a', 1), ('b', 2)], 2 rows)"


FACTS = "".join(f"held(g{i % 37}, {i}, 20{10 + i % 9}-0{1 + i % 9}-1{i % 10}).\n" for i in range(400)) + \
    "mixed(a). mixed(1).\n" + "".join(f"ratio(r{i}, {i}.5).\n" for i in range(300))
RULES = "pair(X, Y) :- held(X, N, _), held(Y, N, _).\nlater(X, D) :- held(X, _, D).\n"
QUERIES = ["held(X, N, D)", "pair(X, Y)", "pair(X, X)", "pair(g3, Y)", "later(X, D)", "held(X, N, 2011-02-12)",
           "ratio(X, F)", "mixed(X)"]


def _kb(rows_in_python: int) -> KnowledgeBase:
    kb = KnowledgeBase(engine="duckdb")
    kb.load_text(FACTS, file="held.dl")
    kb.load_text(RULES, file="rules.dl")
    kb.engine.rows_in_python = rows_in_python  # type: ignore[attr-defined]
    return kb


@pytest.mark.parametrize("query", QUERIES)
def test_answers_past_the_limit_are_those_of_tuples(query: str) -> None:
    few, many = _kb(7), _kb(10**9)
    got, want = few.query(query), many.query(query)
    assert isinstance(want.rows, list)
    # columns of symbols, integers and dates past 7 answers are kept as columns; floats and a column
    # mixing kinds (sorted in Python, not SQL) stay tuples
    columnar = len(want.rows) > 7 and query not in ("ratio(X, F)", "mixed(X)")
    assert isinstance(got.rows, Columns) == columnar
    assert got.rows == want.rows and list(got) == list(want)
    if len(want.rows) > 9:
        assert _sequence_ops(got.rows) == _sequence_ops(want.rows)
    assert got.to_arrow().equals(want.to_arrow())
    assert got.to_pandas().equals(want.to_pandas())
    supported = few.query(query, support=True)
    assert supported.rows == want.rows and len(supported.supports or ()) == len(want.rows)


def test_the_limit_is_crossed_where_it_is() -> None:
    # exactly as many answers as the limit: the head holds them all and the rest is empty
    kb = _kb(400)
    got = kb.query("held(X, N, D)")
    assert isinstance(got.rows, Columns) and len(got.rows) == 400 and got.rows[-1] == _kb(10**9).query("held(X, N, D)").rows[-1]
    assert isinstance(_kb(401).query("held(X, N, D)").rows, list)


def _sequence_ops(rows: Sequence[tuple[object, ...]]) -> tuple[object, ...]:
    return rows[0], rows[-1], rows[3:9], len(rows), rows.index(rows[5]), rows.count(rows[2]), rows[2] in rows



# edges stated by three sources graded A, C and E (as the bench's support rows)
GRADED = "".join(f'.source s{i} {{ title: "generated" reliability: {g} }}\n' for i, g in enumerate("ACE")) + \
    ".relation edge(a: number, b: number).\n" + \
    "".join(f".source s{i}.\n" + "".join(f"edge({k % 13}, {(k * 7) % 17}).\n" for k in range(i, 60, 3)) for i in range(3))


@pytest.mark.parametrize("query", ["pair(X, Y)", "pair(3, Y)", "edge(X, Y)"])
def test_answers_with_support_past_the_limit_are_those_of_tuples(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers joined with their support in the engine (support.answers_with_supports, here
    from any number of answers) kept as columns past the limit, each support beside its row."""
    from allegiance import support

    monkeypatch.setattr(support, "JOINED_FROM", 0)

    def kb(rows_in_python: int) -> KnowledgeBase:
        made = KnowledgeBase(engine="duckdb")
        made.load_text(GRADED, file="graded.facts")
        made.load_text("pair(X, Y) :- edge(X, Z), edge(Y, Z).\n", file="rules.dl")
        made.engine.rows_in_python = rows_in_python  # type: ignore[attr-defined]
        return made

    got, want = kb(5).query(query, support=True), kb(10**9).query(query, support=True)
    assert len(want.rows) > 5 and isinstance(want.rows, list)
    assert got.rows == want.rows and got.supports == want.supports
    assert len({s.label for s in want.supports or ()}) > 1  # grades that differ, each beside its own row
    assert isinstance(got.rows, Columns)
    # a derived relation's rows and levels come from the joined SELECT (engine.annotated_answers);
    # a base relation's, from the query and then each row's statements
    joined = support.answers_with_supports(kb(5), kb(5).checked_query(query))
    assert (joined is not None) == query.startswith("pair")
    if joined is not None:
        assert isinstance(joined[0], Columns) and joined[0] == want.rows and joined[1] == want.supports
