"""Growth: recursive rules that compute new numbers, which bottom-up evaluation may follow for ever.

Input: the stratified, normalized rules (checked.py's guarantees). Output: warnings, one per rule;
nothing is refused, since such a rule is often bounded by its data or by a comparison, and the time
limit stops the rest. Without this warning `n(0). n(X+1) :- n(X).` just runs until the time limit.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import ast
from .checked import Stratum


def growth_warnings(strata: tuple[Stratum, ...]) -> list[str]:
    """A warning for each rule of a recursive stratum that reads its own stratum and computes a new
    value by arithmetic (in its head, or in a body assignment), with no comparison in its body to bound it.

        n(X + 1) :- n(X).                 warned: n/1 grows for ever
        n(X + 1) :- n(X), X < 100.        not warned: a comparison bounds it
        path(X, Z) :- edge(X, Y), path(Y, Z).   not warned: no arithmetic, the values are the data's
    """
    warnings: list[str] = []
    for stratum in strata:
        if not stratum.recursive:
            continue
        for rule in stratum.rules:
            recursive = any(isinstance(lit, ast.Atom) and lit.sym in stratum.predicates for lit in rule.body)
            bounded = any(isinstance(lit, ast.Comparison) for lit in rule.body)
            expression = next(_arithmetic(rule), None)
            if recursive and not bounded and expression is not None and not rule.head.pred.startswith("__"):
                warnings.append(
                    f"{expression.span}: warning: {rule.head.sym} is recursive and computes `{_bare(expression)}`: "
                    f"it may derive new numbers for ever (the time limit stops it); "
                    f"bound it with a comparison, e.g. X < 100")
    return warnings


def _arithmetic(rule: ast.Rule) -> Iterator[ast.BinOp]:
    for arg in rule.head.args:
        if isinstance(arg, ast.BinOp):
            yield arg
    for lit in rule.body:
        if isinstance(lit, ast.Assignment) and isinstance(lit.expr, ast.BinOp):
            yield lit.expr


def _bare(term: ast.BinOp) -> str:
    text = str(term)
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


__all__ = ["growth_warnings"]
