"""Rendering timelines: an aligned table, CSV, JSON.

Stage: after timeline.py. Input: a Timeline. Output: text, one row per maximal period of an answer
(open ends shown as `(open)` in a table, empty in CSV, null in JSON), and a note where the answer
holds only because undated statements count. Shared by the CLI and the REPL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

from .render import cell, json_value
from .timeline import Held, Timeline
from .validity import Period

OPEN = "(open)"
FOOTNOTE = "undated: holds there only because statements without a date count at every date"


def undated_note(held: Held, period: Period) -> str:
    """'' when the period rests on dated statements alone, else `undated` (throughout) or
    `undated until D` (on that part)."""
    parts = held.undated_within(period)
    if not parts:
        return ""
    if parts == (period,):
        return "undated"
    return "undated " + ", ".join(p.text() for p in parts)


def _rows(timeline: Timeline) -> list[tuple[Held, Period]]:
    return [(held, period) for held in timeline.answers for period in held.periods]


def table(timeline: Timeline, limit: int | None = None) -> str:
    """One row per period; the note column only when some answer rests on undated statements."""
    noted = any(held.undated for held in timeline.answers)
    columns = [*timeline.variables, "from", "until", *(["note"] if noted else [])]
    rows = _rows(timeline)
    shown = rows if limit is None else rows[:limit]
    texts = [[*(cell(v) for v in held.row), period.start.isoformat() if period.start else OPEN,
              period.end.isoformat() if period.end else OPEN, *([undated_note(held, period)] if noted else [])]
             for held, period in shown]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(t.ljust(w) for t, w in zip(r, widths, strict=True)).rstrip() for r in texts]
    n = len(timeline.answers)
    tail = f"({n} answer{'s' if n != 1 else ''}, {len(rows)} period{'s' if len(rows) != 1 else ''})"
    if limit is not None and len(rows) > limit:
        tail = f"... {len(rows) - limit} more {tail}"
    lines.append(tail)
    if noted:
        lines.append(FOOTNOTE)
    return "\n".join(lines)


def csv_text(timeline: Timeline) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*timeline.variables, "from", "until", "undated"])
    for held, period in _rows(timeline):
        writer.writerow([*(json_value(v) for v in held.row), period.start.isoformat() if period.start else "",
                         period.end.isoformat() if period.end else "", undated_note(held, period)])
    return out.getvalue().rstrip("\n")


def _json(timeline: Timeline) -> dict[str, object]:
    answers = [{"values": [json_value(v) for v in held.row],
                "periods": [{**period.json(), "undated": [p.json() for p in held.undated_within(period)]}
                            for period in held.periods]}
               for held in timeline.answers]
    return {"query": timeline.query, "variables": list(timeline.variables), "answers": answers}


def json_text(timeline: Timeline, settings: Mapping[str, object] | None = None) -> str:
    """{"query", "variables", "answers"}, then `settings` (selection.time_json: "at", "known_on")."""
    return json.dumps({**_json(timeline), **(settings or {})}, ensure_ascii=False)


def render(timeline: Timeline, fmt: str = "table", limit: int | None = None,
           settings: Mapping[str, object] | None = None) -> str:
    """`settings` go into JSON only."""
    if fmt == "csv":
        return csv_text(timeline)
    if fmt == "json":
        return json_text(timeline, settings)
    return table(timeline, limit)


def render_many(timelines: Sequence[Timeline], fmt: str = "table", limit: int | None = None,
                settings: Mapping[str, object] | None = None) -> str:
    """Several timelines (`allegiance timeline --inconsistencies`): tables one after another, each
    under its query (at most `limit` periods each, as `table`); JSON `{"timelines": [...]}`, each
    as `--format json` gives one, then `settings`; CSV one row per period with the query first and
    the values in columns value1..valueN (as many as the widest query has, the others' left empty)."""
    if fmt == "json":
        return json.dumps({"timelines": [_json(t) for t in timelines], **(settings or {})}, ensure_ascii=False)
    if fmt == "csv":
        width = max((len(t.variables) for t in timelines), default=0)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["query", *(f"value{i + 1}" for i in range(width)), "from", "until", "undated"])
        for t in timelines:
            for held, period in _rows(t):
                values = [json_value(v) for v in held.row]
                writer.writerow([t.query, *values, *([""] * (width - len(values))),
                                 period.start.isoformat() if period.start else "",
                                 period.end.isoformat() if period.end else "", undated_note(held, period)])
        return out.getvalue().rstrip("\n")
    return "\n\n".join(f"{t.query}:\n{table(t, limit)}" for t in timelines)


__all__ = ["FOOTNOTE", "OPEN", "csv_text", "json_text", "render", "render_many", "table", "undated_note"]
