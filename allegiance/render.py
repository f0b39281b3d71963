"""Rendering answers for people and programs: aligned tables, CSV, JSON.

Input: kb.Answers (or rows and column names). Output: text. Shared by the CLI and the REPL, so a
query prints the same way in both.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Mapping, Sequence

from . import ast, printable

FORMATS = ("table", "csv", "json")
SUPPORT = "support"  # the column of each answer's support


def cell(value: ast.Value) -> str:
    """A value as a table shows it: Datalog syntax, so it can be pasted back into a query."""
    return ast.format_value(value)


def json_value(value: ast.Value) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def table(columns: Sequence[str], rows: Sequence[ast.Row], limit: int | None = None,
          supports: Sequence[str] | None = None) -> str:
    """An aligned table with a header rule and a count line; `limit` cuts it with "N more";
    `supports`, each row's support label, a last column "support"."""
    shown = list(rows if limit is None else rows[:limit])
    if not columns:
        return ("yes" + (f" (support {supports[0]})" if supports else "")) if rows else "no"
    texts = [[cell(v) for v in row] for row in shown]
    if supports is not None and rows:  # no answer: no support to show
        columns = [*columns, SUPPORT]
        texts = [[*t, printable.escape(label)] for t, label in zip(texts, supports, strict=False)]
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


def csv_text(columns: Sequence[str], rows: Sequence[ast.Row], supports: Sequence[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, SUPPORT] if supports is not None else columns)
    for n, row in enumerate(rows):
        values: list[object] = [v.isoformat() if isinstance(v, datetime.date) else v for v in row]
        writer.writerow([*values, supports[n]] if supports is not None else values)
    return out.getvalue().rstrip("\n")


def json_text(query: str, columns: Sequence[str], rows: Sequence[ast.Row],
              supports: Sequence[Mapping[str, object]] | None = None,
              settings: Mapping[str, object] | None = None) -> str:
    """{"query", "variables", "answers"} and, with `supports`, "supports": for each answer in the
    same order, {"grade", "statement", "source", "status"} (support.py); then `settings`, what the
    answers were evaluated under (selection.time_json: "at", "known_on")."""
    doc: dict[str, object] = {"query": query, "variables": list(columns),
                              "answers": [[json_value(v) for v in row] for row in rows]}
    if supports is not None:
        doc["supports"] = [dict(s) for s in supports]
    doc.update(settings or {})
    text = json.dumps(doc, ensure_ascii=False)
    # json escapes C0 controls itself; DEL, C1 and the rest only appear inside strings, where
    # printable's \uXXXX escapes are JSON's own
    return printable.escape(text)


def answers(query: str, columns: Sequence[str], rows: Sequence[ast.Row], fmt: str = "table",
            limit: int | None = None, supports: Sequence[Mapping[str, object]] | None = None,
            settings: Mapping[str, object] | None = None) -> str:
    """Answers in a format; `supports` (one {"grade", "statement", "source", "status"} per row)
    adds the support column (table, CSV) or the "supports" list (JSON); `settings` go into JSON
    (json_text)."""
    labels = [str(s["grade"]) for s in supports] if supports is not None else None
    if fmt == "csv":
        return csv_text(columns, rows, labels)
    if fmt == "json":
        return json_text(query, columns, rows, supports, settings)
    return table(columns, rows, limit, labels)
