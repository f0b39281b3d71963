"""What analysis hands to an engine: a checked, normalized, stratified program.

Stage: the output of analysis (analysis.check), the input of every engine. The guarantees below are the whole contract between analysis and the engines,
so an engine never re-checks anything:

- Every rule is safe. Its body is in evaluation order: positive atoms first (their arguments are
  variables, wildcards or constants; analysis moved expressions out into comparisons), then
  assignments (`ast.Assignment`: the variable is new, the expression's variables are bound) and
  comparisons (all variables bound) in dependency order, then negated atoms whose arguments are all
  bound variables or constants (a negated literal with a wildcard or a local variable was rewritten into
  an auxiliary predicate named `__neg<N>_<pred>`).
- Head arguments are variables, constants or arithmetic over bound variables; never a wildcard.
- `p(...) as S` was rewritten into the statement relation `provenance.statement_relation(p)` with S last.
- Strata are in evaluation order; a stratum's rules only read its own predicates positively and lower
  strata's predicates (positively or negated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import ast
from ..errors import AllegianceError


@dataclass(frozen=True, slots=True)
class Stratum:
    predicates: frozenset[ast.PredicateSym]
    rules: tuple[ast.Rule, ...]
    recursive: bool


@dataclass(frozen=True, slots=True)
class CheckedProgram:
    rules: tuple[ast.Rule, ...]
    strata: tuple[Stratum, ...]
    # Every predicate the program knows, with its declared or inferred argument types
    # ("symbol", "number", "float", "date" or "any" where nothing says).
    types: Mapping[ast.PredicateSym, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def derived(self) -> frozenset[ast.PredicateSym]:
        return frozenset(r.head.sym for r in self.rules)


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    """A query as rules on top of the program: evaluate `rules` in order (none is recursive, each
    reads program predicates and earlier rules of the query), the answers are the rows of `goal`,
    whose arguments are the query's named variables in order of first appearance."""

    rules: tuple[ast.Rule, ...]
    goal: ast.PredicateSym
    variables: tuple[str, ...]
    source: ast.Query
    # comparisons that never hold (kinds.py): errors with a span, drawn as warnings, never raised
    warnings: tuple[AllegianceError, ...] = field(default=(), compare=False)
