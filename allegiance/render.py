"""Rendering answers for people and programs: aligned tables, CSV, JSON.

Input: kb.Answers (or rows and column names). Output: text. Shared by the CLI and the REPL, so a
query prints the same way in both.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Sequence

from . import ast, printable

FORMATS = ("table", "csv", "json")


def cell(value: ast.Value) -> str:
    """A value as a table shows it: Datalog syntax, so it can be pasted back into a query."""
    return ast.format_value(value)


def json_value(value: ast.Value) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def table(columns: Sequence[str], rows: Sequence[ast.Row], limit: int | None = None) -> str:
    """An aligned table with a header rule and a count line; `limit` cuts it with "N more"."""
    shown = list(rows if limit is None else rows[:limit])
    if not columns:
        return "yes" if rows else "no"
    texts = [[cell(v) for v in row] for row in shown]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(t.ljust(w) for t, w in zip(r, widths, strict=True)).rstrip() for r in texts]
    count = len(rows)
    tail = f"({count} answer{'s' if count != 1 else ''})"
    if limit is not None and count > limit:
        tail = f"... {count - limit} more ({count} answers; :limit N or :more to see them)"
    lines.append(tail)
    return "\n".join(lines)


def csv_text(columns: Sequence[str], rows: Sequence[ast.Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v for v in row])
    return out.getvalue().rstrip("\n")


def json_text(query: str, columns: Sequence[str], rows: Sequence[ast.Row]) -> str:
    text = json.dumps({"query": query, "variables": list(columns),
                       "answers": [[json_value(v) for v in row] for row in rows]}, ensure_ascii=False)
    # json escapes C0 controls itself; DEL, C1 and the rest only appear inside strings, where
    # printable's \uXXXX escapes are JSON's own
    return printable.escape(text)


def answers(query: str, columns: Sequence[str], rows: Sequence[ast.Row], fmt: str = "table",
            limit: int | None = None) -> str:
    if fmt == "csv":
        return csv_text(columns, rows)
    if fmt == "json":
        return json_text(query, columns, rows)
    return table(columns, rows, limit)
