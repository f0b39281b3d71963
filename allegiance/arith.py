"""Arithmetic as allegiance means it, for every stage that computes outside an engine (the parser's
constant folding, explanations re-checking a rule): Soufflé's integer semantics, which the DuckDB
engine compiles to SQL and the pyDatalog engine implements on its tagged values.

Input: an operator (+ - * / %) and two values. Output: the value, or None where there is none
(division by zero, a non-number).
"""

from __future__ import annotations

from .ast import Value


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
        import math

        return math.fmod(a, b)
    return None
