"""Comparisons that can never hold: a symbol compared with a number or a date.

Stage: analysis (beside safety and stratification). Input: a rule's or a query's body and the
program's argument types (declared ones: `.decl`, `.relation`). Output: warnings, each a CheckError
with the comparison's span and a hint, never raised: values of different kinds are never equal
and never ordered (values.compare), so `member(X, alliance41), X > 3` answers nothing, silently, as
a typo would (issue 16, found in a new-user session). Variables of undeclared relations ("any")
and arithmetic are left alone: only what the declarations say for sure is warned about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import ast, values
from ..errors import CheckError

_KIND_OF_TYPE = {"symbol": "s", "number": "n", "float": "n", "date": "d"}
_NAMES = {"s": "a symbol", "n": "a number", "d": "a date"}


def _variable_kinds(body: Sequence[ast.Literal],
                    types: Mapping[ast.PredicateSym, tuple[str, ...]]) -> dict[str, tuple[str, str]]:
    """Variable name -> (its kind, where it got it: `member/2's 2nd argument`), for the variables
    that every positive atom binding them gives the same declared kind."""
    found: dict[str, set[tuple[str, str]]] = {}
    for literal in body:
        if not isinstance(literal, ast.Atom) or literal.statement is not None:
            continue
        declared = types.get(literal.sym)
        for i, arg in enumerate(literal.args):
            if isinstance(arg, ast.Variable):
                kind = _KIND_OF_TYPE.get(declared[i]) if declared is not None and i < len(declared) else None
                place = f"{literal.sym}'s {_ordinal(i + 1)} argument"
                found.setdefault(arg.name, set()).add((kind or "?", place))
    kinds: dict[str, tuple[str, str]] = {}
    for name, seen in found.items():
        distinct = {k for k, _ in seen}
        if len(distinct) == 1 and "?" not in distinct:
            kinds[name] = min(seen)
    return kinds


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _side(term: ast.Term, kinds: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    if isinstance(term, ast.Constant):
        return values.kind(term.value), str(term)
    if isinstance(term, ast.Variable) and term.name in kinds:
        kind, place = kinds[term.name]
        return kind, f"{term.name} ({place})"
    return None


def never_true(body: Sequence[ast.Literal], types: Mapping[ast.PredicateSym, tuple[str, ...]]) -> list[CheckError]:
    """A warning for each comparison (= < <= > >=) whose two sides are of different kinds."""
    kinds = _variable_kinds(body, types)
    warnings: list[CheckError] = []
    for literal in body:
        if not isinstance(literal, ast.Comparison) or literal.op == "!=":
            continue
        left, right = _side(literal.left, kinds), _side(literal.right, kinds)
        if left is None or right is None or left[0] == right[0] or "b" in (left[0], right[0]):
            continue
        how = "equal" if literal.op == "=" else "ordered"
        warnings.append(CheckError(
            f"warning: {left[1]} is {_NAMES[left[0]]} and {right[1]} {_NAMES[right[0]]}: values of different "
            f"kinds are never {how}, so `{literal}` never holds", literal.span,
            "compare with a value of the kind the relation holds: a name, a number or a date (2015-10-26)"))
    return warnings


__all__ = ["never_true"]
