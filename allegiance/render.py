"""Rendering answers for people and programs: aligned tables, CSV, JSON.

Input: kb.Answers (or rows and column names). Output: text. Shared by the CLI and the REPL, so a
query prints the same way in both.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator, Mapping, Sequence

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
    return "\n".join(table_lines(columns, rows, limit, supports))


def table_lines(columns: Sequence[str], rows: Sequence[ast.Row], limit: int | None = None,
                supports: Sequence[str] | None = None) -> Iterator[str]:
    """`table`'s lines, one at a time (the command prints a large answer so, never holding the
    whole table): one pass over the rows collects each column's distinct values, each is
    formatted and padded once, then each line is joined from those texts."""
    if not columns:
        yield ("yes" + (f" (support {supports[0]})" if supports else "")) if rows else "no"
        return
    shown = rows if limit is None or len(rows) <= limit else rows[:limit]
    labels = [printable.escape(label) for label in supports[:len(shown)]] if supports is not None and rows else None
    names = [*columns, SUPPORT] if labels is not None else list(columns)
    distinct: list[set[ast.Value]] = [set() for _ in columns]
    kinds: list[set[type]] = [set() for _ in columns]
    for row in shown:
        for values, seen, value in zip(distinct, kinds, row, strict=True):
            values.add(value)
            seen.add(type(value))
    if labels is not None:
        distinct.append(set(labels))
        kinds.append({str})
    # a column where 1 and 1.0 (equal, printed apart) both occur is written value by value
    typed = [seen >= {int, float} for seen in kinds]
    texts = [{v: cell(v) if j < len(columns) else str(v) for v in values} if not typed[j] else {}
             for j, values in enumerate(distinct)]
    widths = [max([len(n), *(len(t) for t in texts[j].values())]) if not typed[j] else
              max([len(n), *(len(cell(r[j])) for r in shown)]) for j, n in enumerate(names)]
    last = len(names) - 1  # its texts unpadded: a line ends without trailing spaces
    pads = [{v: t if j == last else t.ljust(widths[j]) for v, t in texts[j].items()} for j in range(len(names))]
    yield " | ".join(c.ljust(w) for c, w in zip(names, widths, strict=True)).rstrip()
    yield "-+-".join("-" * w for w in widths)
    plain = not any(typed)
    for n, row in enumerate(shown):
        full = (*row, labels[n]) if labels is not None else row
        if plain:
            yield " | ".join(map(dict.__getitem__, pads, full)).rstrip()
        else:
            yield " | ".join(pads[j][v] if not typed[j] else (cell(v) if j == last else cell(v).ljust(widths[j]))
                             for j, v in enumerate(full)).rstrip()
    count = len(rows)
    tail = f"({count} answer{'s' if count != 1 else ''})"
    if limit is not None and count > limit:
        tail = f"... {count - limit} more ({count} answers; :limit N or :more to see them)"
    yield tail


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
    return "\n".join(answer_lines(query, columns, rows, fmt, limit, supports, settings))


def answer_lines(query: str, columns: Sequence[str], rows: Sequence[ast.Row], fmt: str = "table",
                 limit: int | None = None, supports: Sequence[Mapping[str, object]] | None = None,
                 settings: Mapping[str, object] | None = None) -> Iterator[str]:
    """`answers`, a table a line at a time (CSV and JSON in one piece)."""
    # ", undated": at a date, the answer holds only because undated statements count (undated.py)
    labels = [str(s["grade"]) + (", undated" if s.get("undated") else "") for s in supports] \
        if supports is not None else None
    if fmt == "csv":
        yield csv_text(columns, rows, labels)
    elif fmt == "json":
        yield json_text(query, columns, rows, supports, settings)
    else:
        yield from table_lines(columns, rows, limit, labels)
