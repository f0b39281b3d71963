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
"""

from __future__ import annotations

import csv
import datetime
import json
from typing import TextIO

from .kb import KnowledgeBase
from .render import json_value


def write_answers(kb: KnowledgeBase, text: str, fmt: str, out: TextIO) -> int:
    """Write the answers of `text` to `out` as `fmt` ("csv" or "json"); how many there were."""
    query = kb.checked_query(text)
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
    out.write(head[:-1] + ', "answers": [')
    count = 0
    for batch in kb.engine.answer_batches(query):
        rows = ", ".join(json.dumps([json_value(v) for v in row], ensure_ascii=False) for row in batch)
        out.write((", " if count and rows else "") + rows)
        count += len(batch)
    out.write("]}\n")
    return count


__all__ = ["write_answers"]
