"""The answer table (render.table_lines): written a line at a time from each column's distinct
values, it must be the table the plain way of writing it gives (an oracle here: every cell
formatted, widths over every cell), and the command must print it whole."""

from __future__ import annotations

import contextlib
import datetime
import io
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance import ast, printable, render
from allegiance.cli import main


def oracle(columns: Sequence[str], rows: Sequence[ast.Row], limit: int | None, supports: Sequence[str] | None) -> str:
    shown = list(rows if limit is None else rows[:limit])
    if not columns:
        return ("yes" + (f" (support {supports[0]})" if supports else "")) if rows else "no"
    texts = [[ast.format_value(v) for v in row] for row in shown]
    names = list(columns)
    if supports is not None and rows:
        names.append("support")
        texts = [[*t, printable.escape(label)] for t, label in zip(texts, supports, strict=False)]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(names)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(names, widths, strict=True)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(t.ljust(w) for t, w in zip(r, widths, strict=True)).rstrip() for r in texts]
    tail = f"({len(rows)} answer{'s' if len(rows) != 1 else ''})"
    if limit is not None and len(rows) > limit:
        tail = f"... {len(rows) - limit} more ({len(rows)} answers; :limit N or :more to see them)"
    return "\n".join([*lines, tail])


VALUES = st.one_of(st.integers(-3, 3), st.sampled_from([1.0, -2.0, 2.5]), st.sampled_from(["a", "b c", "Élan", "x'y", ""]),
                   st.dates(datetime.date(2015, 1, 1), datetime.date(2015, 1, 3)))


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[ast.Row], int | None, list[str] | None]:
    arity = draw(st.integers(0, 3))
    columns = [f"V{j}" for j in range(arity)]
    rows = draw(st.lists(st.tuples(*([VALUES] * arity)), max_size=8, unique=True))
    limit = draw(st.one_of(st.none(), st.integers(0, 6)))
    supports = draw(st.one_of(st.none(), st.lists(st.sampled_from(["B6 reported", "axiom", "C2 claimed, undated", "\x1b[31m"]),
                                                   min_size=len(rows), max_size=len(rows))))
    return columns, rows, limit, supports


def test_the_table_written_a_line_at_a_time_is_the_table() -> None:
    """Mixed kinds in a column (1 and 1.0, equal but printed apart), text needing quotes, dates,
    support labels, limits, no column at all: the lines joined are the oracle's table."""
    compared = {"tables": 0, "mixed": 0}

    @settings(max_examples=300, derandomize=True, deadline=None, database=None)
    @given(tables())
    def check(table: tuple[list[str], list[ast.Row], int | None, list[str] | None]) -> None:
        columns, rows, limit, supports = table
        assert "\n".join(render.table_lines(columns, rows, limit, supports)) == oracle(columns, rows, limit, supports)
        assert render.table(columns, rows, limit, supports) == oracle(columns, rows, limit, supports)
        compared["tables"] += 1
        compared["mixed"] += any({type(r[j]) for r in rows} >= {int, float} for j in range(len(columns)))

    check()
    # derandomized: facts of the 300 examples
    assert compared["tables"] >= 300 and compared["mixed"] >= 30, compared


def test_the_command_prints_a_large_table_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`allegiance query` writes the table in chunks of lines: every answer, once, in order."""
    f = tmp_path / "e.dl"
    f.write_text("".join(f"edge({i}, n{i % 7}).\n" for i in range(12_345)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["query", "edge(X, Y)", str(f)]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["X", "|", "Y"] and lines[-1] == "(12345 answers)"
    body = [tuple(part.strip() for part in line.split("|")) for line in lines[2:-1]]
    assert body == sorted(((str(i), f"n{i % 7}") for i in range(12_345)), key=lambda r: int(r[0]))
