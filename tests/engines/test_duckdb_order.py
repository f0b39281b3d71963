"""The DuckDB engine's answers in Python's order (engines/base.py InOrder): where every column is
text, an integer or a date, `ORDER BY ALL` is Python's order of the tuples, so kb.sort_rows takes
them as they come; a float or a column of mixed kinds is sorted in Python as before."""

from __future__ import annotations

import datetime

from engine_helpers import checked_query_text, checked_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance import ast
from allegiance.engines.base import InOrder
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.kb import sort_rows

P = ast.PredicateSym("p", 2)
EXAMPLES = 150

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=6)  # any code point UTF-8 can carry
integers = st.integers(-(2**63), 2**63 - 1)
dates = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31))


def _answers(rows: list[ast.Row]) -> list[ast.Row]:
    checked, _ = checked_text("q(X, Y) :- p(X, Y).", P)
    engine = DuckDBEngine(timeout=None)
    try:
        engine.load(checked, {P: rows})
        return engine.query(checked_query_text("q(X, Y)", checked))
    finally:
        engine.close()


def test_answers_of_one_kind_a_column_come_in_python_order() -> None:
    compared: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from([texts, integers, dates]).flatmap(
        lambda first: st.sampled_from([texts, integers, dates]).flatmap(
            lambda second: st.lists(st.tuples(first, second), min_size=2, max_size=25))))
    def agrees(rows: list[ast.Row]) -> None:
        got = _answers(rows)
        assert isinstance(got, InOrder)
        assert got == sorted(set(rows)), rows
        assert sort_rows(got) is got  # taken as it comes
        compared.append(len(got))

    agrees()
    assert len(compared) == EXAMPLES and sum(n > 1 for n in compared) >= EXAMPLES // 2, compared


def test_floats_and_mixed_columns_are_sorted_in_python() -> None:
    floats = _answers([(1.5, "a"), (-0.0, "b"), (0.25, "c")])
    assert not isinstance(floats, InOrder) and sort_rows(floats) == [(-0.0, "b"), (0.25, "c"), (1.5, "a")]
    mixed = _answers([("b", "x"), (2, "y"), ("a", "z"), (1, "w")])
    assert not isinstance(mixed, InOrder)
    assert sort_rows(mixed) == sorted(mixed, key=ast.row_sort_key)
