"""growth.py: a recursive rule computing new numbers is warned about, with its place; a bounded or
non-arithmetic one is not."""

from __future__ import annotations

import pytest

from allegiance.analysis import check
from allegiance.parse import parse_program


def warnings(text: str) -> list[str]:
    return [w for w in check(parse_program(text, "g.dl")).warnings if "recursive and computes" in w]


@pytest.mark.parametrize("text", [
    "n(0).\nn(X + 1) :- n(X).\n",
    "m(0).\nm(Y) :- m(X), Y = X * 2.\n",
    "e(1, 2).\na(X, 0) :- e(X, _).\na(X, D + 1) :- b(X, D).\nb(X, D) :- a(X, D).\n",  # through a cycle
])
def test_unbounded_growth_is_warned(text: str) -> None:
    found = warnings(text)
    assert len(found) == 1 and found[0].startswith("g.dl:") and "bound it with a comparison" in found[0]


@pytest.mark.parametrize("text", [
    "n(0).\nn(X + 1) :- n(X), X < 10.\n",                       # bounded
    "e(1, 2).\np(X, Y) :- e(X, Y).\np(X, Z) :- e(X, Y), p(Y, Z).\n",  # no arithmetic
    "e(1, 2).\nd(X, Y + 1) :- e(X, Y).\n",                     # arithmetic, not recursive
])
def test_bounded_or_plain_rules_are_not_warned(text: str) -> None:
    assert warnings(text) == []
