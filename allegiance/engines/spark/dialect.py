"""The DuckDB compiler's SQL in Spark SQL's dialect.

Stage: engine (the Spark engine's compiler). Input: SQL text from engines/duckdb/compile.py, built
only from our own templates and generated names, every constant a `$N` parameter. Output: the same
statement for Spark SQL, with named parameter markers (`:pN`) and the constants as an `args` map.
No user text is in the input, so none is in the output: constants stay bound parameters.

    DuckDB                      Spark SQL
    $1, $2, ...                 :p1, :p2, ...          (spark.sql(text, args={"p1": ...}))
    CAST(x AS VARCHAR)          CAST(x AS STRING)      (Spark allows VARCHAR only in table schemas)
    a // b  (integer division)  a div b                (both truncate towards zero)

Everything else compile.py writes (CASE, TRY_CAST, left, substr, ||, NOT EXISTS, <>) means the same
in both. What differs in meaning is documented on the engine (engine.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_PARAM = re.compile(r"\$(\d+)\b")
_VARCHAR = re.compile(r"\bAS VARCHAR\)")
_INT_DIV = re.compile(r" // ")


def to_spark(sql: str, values: Sequence[object]) -> tuple[str, dict[str, object]]:
    """(Spark SQL text, its named arguments) for a DuckDB statement and its positional values."""
    text = _PARAM.sub(lambda m: f":p{m.group(1)}", sql)
    text = _VARCHAR.sub("AS STRING)", text)
    text = _INT_DIV.sub(" div ", text)
    return text, {f"p{i}": value for i, value in enumerate(values, start=1)}
