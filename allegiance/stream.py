"""Large answers written as they arrive: a query's answers as CSV or JSON on a stream, without a
Python list of every answer.

Stage: render (beside render.py, which formats answers already in hand). Input: a KnowledgeBase, a
query's text, a format and a text stream. Output: the same text `render.answers` would make (CSV:
a header line, then one line per answer; JSON: one object with the query, the variables and the
answers), written in pieces, and the number of answers.

CSV comes from the engine's own writer where it has one (DuckDB's COPY, for columns of text,
integers and dates: no answer becomes a Python object); otherwise, and for JSON, the engine hands
over sorted batches of answers and each batch is written before the next is read. The one visible
difference from render.csv_text: DuckDB writes an empty string as `""` (Python's writer, as
nothing), which every CSV reader reads back as the empty string.

With support (the default of `allegiance query`): a knowledge base with nothing to grade (a plain
Datalog program) shows no support column, so its answers stream as above, support never computed;
otherwise CSV's support column is each answer's label, looked up batch by batch in the supports
support.py computes (render.csv_text's text, without the list of every answer, a support object
and a dict per answer, and the whole text in memory). JSON with support names each answer's weakest
statement (explain/), which is not streamed: `write_answers` returns None and writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Mapping
from typing import TextIO

from . import printable
from .analysis import CheckedQuery
from .kb import KnowledgeBase
from .render import SUPPORT, json_value
from .support import grading, supports_of


def write_answers(kb: KnowledgeBase, text: str, fmt: str, out: TextIO, support: bool = False,
                  settings: Mapping[str, object] | None = None) -> int | None:
    """Write the answers of `text` to `out` as `fmt` ("csv" or "json"), with `support` as
    `allegiance query` shows it, JSON with `settings` after the answers (as render.json_text); how
    many there were. None: these answers are not streamed (see
    the module docstring), nothing was written."""
    query = kb.checked_query(text)
    if support:
        if not query.variables:
            return None  # "yes (support ...)": render's, one line
        if grading(kb).scale.size > 1:
            return _write_supported_csv(kb, query, out) if fmt == "csv" else None
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(query.variables)
        buffer = getattr(out, "buffer", None)
        if buffer is not None:
            out.flush()  # the header first: the rows go to the bytes underneath
            count = kb.engine.write_csv(query, buffer)
            if count is not None:
                buffer.flush()
                return count
        count = 0
        for batch in kb.engine.answer_batches(query):
            writer.writerows([[v.isoformat() if isinstance(v, datetime.date) else v for v in row] for row in batch])
            count += len(batch)
        return count
    if fmt != "json":
        raise ValueError(f"not a streaming format: {fmt}")
    head = json.dumps({"query": text, "variables": list(query.variables)}, ensure_ascii=False)
    out.write(printable.escape(head[:-1] + ', "answers": ['))
    count = 0
    for batch in kb.engine.answer_batches(query):
        rows = ", ".join(json.dumps([json_value(v) for v in row], ensure_ascii=False) for row in batch)
        out.write((", " if count and rows else "") + printable.escape(rows))  # as render.json_text
        count += len(batch)
    tail = json.dumps(dict(settings or {}), ensure_ascii=False)[1:]  # `}`, or `"at": ..., ...}`
    out.write("]" + (", " if settings else "") + printable.escape(tail) + "\n")
    return count


def _write_supported_csv(kb: KnowledgeBase, query: CheckedQuery, out: TextIO) -> int:
    """render.csv_text with the support column, written batch by batch."""
    supports = supports_of(kb, query)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*query.variables, SUPPORT])
    count = 0
    for batch in kb.engine.answer_batches(query):
        for row, sup in zip(batch, supports(batch), strict=True):
            writer.writerow([*(v.isoformat() if isinstance(v, datetime.date) else v for v in row), sup.label])
        count += len(batch)
    return count


__all__ = ["write_answers"]
