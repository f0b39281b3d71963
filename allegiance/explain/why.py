"""Why a fact holds: the fact as typed, checked, and its shallowest proof (or several).

Stage: the `why` front of the proof search. Input: a KnowledgeBase and a fact as text, such as
`ally(fsa, nusra)`. Output: a `Why` (proof.py); a fact that does not hold gets a message that names
an alias that does and points at `whynot`. Raises QueryError or UnknownPredicateError for text that
is not one ground fact of a known predicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ast
from ..errors import QueryError, UnknownPredicateError, did_you_mean
from ..parse import parse_query
from .proof import Why
from .search import Explainer, explainer_for
from .text import fact_text

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..selection import Selection

DEFAULT_LIMIT = 10


def parse_fact(kb: KnowledgeBase, text: str) -> tuple[ast.PredicateSym, ast.Row]:
    """`ally(fsa, nusra)` or `ally(fsa, nusra).` -> (ally/2, ("fsa", "nusra")); QueryError otherwise."""
    query = parse_query(text)  # unstripped, so error columns point into the text as typed
    if len(query.body) != 1 or not isinstance(query.body[0], ast.Atom) or query.body[0].statement is not None:
        raise QueryError(f"`{text.strip()}` is not one fact", query.span, "write one ground atom: ally(fsa, nusra)")
    atom = query.body[0]
    values: list[ast.Value] = []
    for arg in atom.args:
        if not isinstance(arg, ast.Constant):
            raise QueryError(f"{atom} is not ground: why explains facts, not queries",
                             getattr(arg, "span", atom.span),
                             f"find the answers first (query '{atom}'), then ask why about one of them")
        values.append(arg.value)
    if atom.sym not in kb.program.types:
        names = {p.name for p in kb.predicates()}
        arities = sorted(p.arity for p in kb.predicates() if p.name == atom.pred)
        hint = f"{atom.pred} takes {', '.join(map(str, arities))} arguments" if arities else \
            did_you_mean(atom.pred, names) or "no fact, rule or declaration defines it"
        raise UnknownPredicateError(f"unknown predicate {atom.sym}", atom.span, hint)
    return atom.sym, tuple(values)


def why(kb: KnowledgeBase, text: str, all: bool = False, limit: int = DEFAULT_LIMIT,
        explainer: Explainer | None = None, selection: Selection | None = None) -> Why:
    """Why a fact holds: its shallowest proof, or with all=True up to `limit` derivations;
    under `selection`, from the statements that count only."""
    kb = kb.under(selection)
    sym, row = parse_fact(kb, text)
    ex = explainer or _explainer(kb, sym, row)
    fact = fact_text(sym, row)
    if not ex.holds(sym, row):
        return Why(fact, False, message=_not_holding(ex, kb, sym, row))
    try:
        if all:
            proofs, more = ex.all_proofs(sym, row, limit)
            return Why(fact, True, tuple(proofs), more=more)
        return Why(fact, True, (ex.proof(sym, row),))
    except RecursionError:
        # the proof search follows a proof down one Python call per step (a chain of 5,000 ties is
        # a proof 5,000 steps deep): past a few hundred, a clear refusal instead of a traceback
        raise QueryError(f"{fact} holds, but its shortest proof is too deep to show (more than a few hundred steps)",
                         None, f"ask about a nearer fact, or query the chain itself, e.g. `{sym.name}({', '.join(map(_text, row[:1]))}, X)`"
                         ) from None


def _text(value: ast.Value) -> str:
    return fact_text(ast.PredicateSym("x", 1), (value,))[2:-1]


def _explainer(kb: KnowledgeBase, sym: ast.PredicateSym, row: ast.Row) -> Explainer:
    """The knowledge base's explainer, or on a large one an explainer of this fact alone: the ranks
    of what explains it, from its constants (never whole relations of N² rows)."""
    ranks = kb.engine.derivation_rounds_on_demand(sym, row) if sym in kb.program.derived else None
    if ranks is None:
        return explainer_for(kb)
    ex = Explainer(kb, shared=explainer_for(kb))
    ex.given(ranks)
    return ex


def _not_holding(ex: Explainer, kb: KnowledgeBase, sym: ast.PredicateSym, row: ast.Row) -> str:
    fact = fact_text(sym, row)
    how = "no statement says it and no rule derives it" if sym in ex.rules else "no statement says it"
    message = f"{fact} does not hold: {how}"
    resolved = resolve_aliases(ex, row)
    # an explainer on demand knows only what explains `row`: the resolved row asks its own
    if resolved != row and (_explainer(kb, sym, resolved) if ex.partial else ex).holds(sym, resolved):
        message += f"; did you mean {fact_text(sym, resolved)}? (it holds)"
    return message + f". Ask `whynot {fact}` for what comes closest."


def resolve_aliases(ex: Explainer, row: ast.Row) -> ast.Row:
    """The row with each value that is an entity's name or alias (not its id) replaced by the id."""
    catalog = ex.kb.catalog
    return tuple((catalog.resolve(v) or v) if isinstance(v, str) and v not in catalog.entities else v for v in row)



__all__ = ["DEFAULT_LIMIT", "parse_fact", "resolve_aliases", "why"]
