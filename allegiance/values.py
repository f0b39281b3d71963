"""Values as allegiance means them: the one definition of their kinds, their bounds, comparison and
arithmetic, for every stage that computes outside an engine (the parser's constant folding,
explanations re-checking a rule) and for the engines themselves: the pyDatalog engine computes
with `apply`, and the DuckDB engine compiles the same semantics to SQL (engines/duckdb/compile.py,
which takes its int64 bounds from here).

Input: an operator and two values (str, int, float, datetime.date). Output: the value or truth,
or None where arithmetic has none (division by zero, a non-number).
"""

from __future__ import annotations

import datetime
import math

from .ast import Value

# Integers are 64-bit: DuckDB stores BIGINT, and both engines refuse or report what leaves the range.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def kind(v: Value) -> str:
    """The comparison kind: n (any number, int or float), d (date), s (string); b for a bool,
    which is no value of ours and so equals nothing of another kind."""
    if isinstance(v, bool):
        return "b"
    if isinstance(v, (int, float)):
        return "n"
    return "d" if isinstance(v, datetime.date) else "s"


def compare(op: str, a: Value, b: Value) -> bool:
    """`a op b` for = != < <= > >=: values of different kinds are never equal and never ordered
    (`1` never equals `"1"`, `1 < "2"` is false); numbers compare as numbers (`1 = 1.0`), dates as
    dates, strings by code point. The semantics of explain.compare, which is to point here."""
    if kind(a) != kind(b):
        return op == "!="
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    ordered = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}  # type: ignore[operator]
    return ordered[op]


def apply(op: str, a: Value, b: Value) -> Value | None:
    """Integer `/` truncates towards zero and `%` takes the dividend's sign (C, Soufflé), unlike
    Python's `//` and `%`, which floor: -7 / 2 is -3 here, and -7 % 2 is -1."""
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return None
    if op in ("/", "%") and b == 0:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if isinstance(a, int) and isinstance(b, int):
        quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return quotient if op == "/" else a - quotient * b
    if op == "/":
        return a / b
    if op == "%":
        return math.fmod(a, b)
    return None
