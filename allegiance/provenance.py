"""Provenance: the one definition of what a statement adds to the facts, and of the relations for it.

Stage: between curation and analysis. Input: `StatementRecord`s (curate.py, or a bulk block's rows,
bulk.py) and the catalog. Output: base facts (a statement's fact, its statement relation and its
metadata; the catalog's metadata), the metadata relations every knowledge base knows with their
types, and the rules the declarations imply (symmetry, the built-in inconsistency `contradicted/2`).

For a statement S from source Src that states p(X1..Xn) (docs/language.md, "Provenance"):

    p(X1..Xn).  __stmt_p(X1..Xn, S).  source(S, Src).  status(S, St).
    asserted_by(S, A).  valid_from(S, D1).  valid_until(S, D2).  credibility(S, C).   (those it has)

A negative statement or a denial states no_p instead of p. Ordinary statements and an import's
block of statements both make their facts with `stated_facts`: the former with values, the latter
with the columns the engine fills from the block's table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from . import ast
from .catalog import Catalog, Relation, negative_name

T = TypeVar("T")

# Metadata relations every knowledge base knows, stated or not, with their argument types.
METADATA: dict[ast.PredicateSym, tuple[str, ...]] = {
    ast.PredicateSym("source", 2): ("symbol", "symbol"),
    ast.PredicateSym("asserted_by", 2): ("symbol", "symbol"),
    ast.PredicateSym("status", 2): ("symbol", "symbol"),
    ast.PredicateSym("valid_from", 2): ("symbol", "date"),
    ast.PredicateSym("valid_until", 2): ("symbol", "date"),
    ast.PredicateSym("credibility", 2): ("symbol", "number"),
    ast.PredicateSym("reported_on", 2): ("symbol", "date"),
    ast.PredicateSym("reliability", 2): ("symbol", "symbol"),
    ast.PredicateSym("published", 2): ("symbol", "date"),
    ast.PredicateSym("publisher", 2): ("symbol", "symbol"),
    ast.PredicateSym("via", 2): ("symbol", "symbol"),
    ast.PredicateSym("date_assumed", 1): ("symbol",),
    ast.PredicateSym("document", 2): ("symbol", "symbol"),
    ast.PredicateSym("kind", 2): ("symbol", "symbol"),
    ast.PredicateSym("display_name", 2): ("symbol", "symbol"),
    ast.PredicateSym("some_of", 2): ("symbol", "symbol"),
}
# What the first argument of each names: a statement, a source or an entity.
METADATA_OF_STATEMENT = frozenset({"source", "asserted_by", "status", "valid_from", "valid_until", "credibility",
                                   "reported_on", "strength"})
METADATA_OF_SOURCE = frozenset({"reliability", "published", "publisher", "via", "date_assumed", "document"})
METADATA_OF_ENTITY = frozenset({"kind", "display_name", "some_of"})

# strength(S, N): statement S's grade as a whole number, larger is stronger, in the knowledge base's
# grade order (grades.Order.strength; made with the base facts, state.py). Not a policy's to read:
# what a policy trusts must not hang on the grade order's facts.
STRENGTH = ast.PredicateSym("strength", 2)

# relayed(Messenger, Document, Recipient): who carried a document to whom. Not built in: where a
# knowledge base declares it, `why` shows its statements beside every statement from a source that is
# that document (`document:`) or reached us through one.
RELAYED = ast.PredicateSym("relayed", 3)

CONTRADICTED = ast.PredicateSym("contradicted", 2)
# The built-in inconsistency, as if declared: a statement says what another denies.
CONTRADICTED_RELATION = Relation(CONTRADICTED, (ast.Param("positive"), ast.Param("negative")), inconsistency=True,
                                 message="statement {positive} says what statement {negative} denies")

# Every relation a knowledge base holds without a statement stating it: the metadata, the grades as
# whole numbers, the built-in inconsistency. What `:schema` calls "built in".
BUILT_IN_NAMES = frozenset(sym.name for sym in [*METADATA, STRENGTH, CONTRADICTED])

IMPORTED_STATUS = "reported"  # an imported row is reported by its source's publisher


def statement_relation(pred: str) -> str:
    """The relation holding `p(args..., statement_id)` for each statement behind a fact of p."""
    return f"__stmt_{pred}"


def statement_sym(sym: ast.PredicateSym) -> ast.PredicateSym:
    """p/n -> __stmt_p/n+1."""
    return ast.PredicateSym(statement_relation(sym.name), sym.arity + 1)


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """One statement: the fact it states (or denies), who says it and how, from which source."""

    id: str
    sym: ast.PredicateSym
    row: ast.Row
    negated: bool
    source: str
    status: str
    asserter: str | None
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    credibility: int | None
    quote: str
    text: str
    span: ast.Span
    english: bool
    # a bound written as a month (`since 2015-10`, `in 2015-10`): its day is the month's first (a
    # start) or last (an end); shown back as the month
    month_from: bool = False
    month_until: bool = False
    # when this statement was reported, where that is not its source's date (`reported on D`): what
    # `--known-on` goes by
    reported_on: datetime.date | None = None
    # `reported on` written as a month: reported_on is its last day; shown back as the month
    reported_month: bool = False

    @property
    def fact_sym(self) -> ast.PredicateSym:
        """The relation whose fact this statement adds: p, or no_p for a negative or a denial."""
        if self.negated or self.status == "denied":
            return ast.PredicateSym(negative_name(self.sym.name), self.sym.arity)
        return self.sym

    def identity(self) -> tuple[object, ...]:
        """What makes two statements the same (loading a file twice adds nothing)."""
        return (self.sym, self.row, self.negated, self.source, self.status, self.asserter,
                self.valid_from, self.valid_until, self.credibility, self.month_from, self.month_until,
                self.reported_on, self.reported_month)


# --- statements -> facts ----------------------------------------------------------------------------


def statement_metadata(source: str, status: str, asserter: str | None, valid_from: datetime.date | None = None,
                       valid_until: datetime.date | None = None,
                       credibility: int | None = None,
                       reported_on: datetime.date | None = None) -> list[tuple[str, ast.Value]]:
    """The metadata facts about a statement, as (relation, value): source and status always, the
    others when the statement has them."""
    found: list[tuple[str, ast.Value]] = [("source", source), ("status", status)]
    for name, value in (("asserted_by", asserter), ("valid_from", valid_from), ("valid_until", valid_until),
                        ("reported_on", reported_on)):
        if value:
            found.append((name, value))
    if credibility is not None:
        found.append(("credibility", credibility))
    return found


def stated_facts(fact_sym: ast.PredicateSym, row: Sequence[T], statement_id: T,
                 metadata: Iterable[tuple[str, T]]) -> list[tuple[ast.PredicateSym, tuple[T, ...]]]:
    """The facts one statement adds, over values (a record) or over columns (a bulk block).

    p(X1..Xn).  __stmt_p(X1..Xn, S).  m(S, V) for each metadata (m, V)."""
    return [(fact_sym, tuple(row)), (statement_sym(fact_sym), (*row, statement_id)),
            *((ast.PredicateSym(name, 2), (statement_id, value)) for name, value in metadata)]


def record_facts(record: StatementRecord) -> list[tuple[ast.PredicateSym, ast.Row]]:
    """The facts a curated statement adds."""
    r = record
    return stated_facts(r.fact_sym, r.row, r.id,
                        statement_metadata(r.source, r.status, r.asserter, r.valid_from, r.valid_until, r.credibility,
                                           r.reported_on))


def catalog_facts(catalog: Catalog) -> Iterator[tuple[ast.PredicateSym, ast.Row]]:
    """The metadata facts of declarations: a source's reliability, date and publisher; an entity's
    kind and display name."""
    P = ast.PredicateSym
    for src in catalog.sources.values():
        if src.reliability:
            yield P("reliability", 2), (src.id, src.reliability)
        if src.date:
            yield P("published", 2), (src.id, src.date)
        if src.publisher:
            yield P("publisher", 2), (src.id, catalog.resolve(src.publisher) or src.publisher)
        # via(S, T): S's words reach us through source T (as PROV-O's wasQuotedFrom(T, S))
        for relay in src.via:
            yield P("via", 2), (src.id, relay)
        if src.date_assumed:
            yield P("date_assumed", 1), (src.id,)
        if src.document:  # document(S, D): source S is the document entity D (what relayed/3 names)
            yield P("document", 2), (src.id, src.document)
    for ent in catalog.entities.values():
        yield P("kind", 2), (ent.id, ent.kind)
        yield P("display_name", 2), (ent.id, ent.name)
        if ent.some_of:  # some_of(E, X): E stands for some unnamed members or parts of X
            yield P("some_of", 2), (ent.id, ent.some_of)


# --- the relations and rules the declarations imply -------------------------------------------------


def relation_types(relations: Iterable[Relation], stated: Iterable[ast.PredicateSym],
                   plain: Iterable[ast.PredicateSym]) -> dict[ast.PredicateSym, tuple[str, ...]]:
    """Every relation the knowledge base knows, with its argument types: the metadata relations,
    `contradicted/2`, each declared relation with its negative and their statement relations, then
    whatever statements (`stated`: their fact relations) and plain facts use ("any" for each type)."""
    known = dict(METADATA)
    known[CONTRADICTED] = ("symbol", "symbol")
    known[STRENGTH] = ("symbol", "number")
    for rel in relations:
        types = tuple("symbol" if p.type == "string" else p.type for p in rel.params)
        known[rel.sym] = types
        if not rel.inconsistency:
            negative = ast.PredicateSym(negative_name(rel.sym.name), rel.sym.arity)
            known[negative] = types
            for sym in (rel.sym, negative):
                known[statement_sym(sym)] = (*types, "symbol")
    for sym in stated:
        known.setdefault(sym, ("any",) * sym.arity)
        known.setdefault(statement_sym(sym), ("any",) * (sym.arity + 1))
    for sym in plain:
        known.setdefault(sym, ("any",) * sym.arity)
    return known


def generated_rules(relations: Iterable[Relation]) -> list[ast.Rule]:
    """Rules the declarations imply: symmetry, and the built-in inconsistency contradicted/2."""
    rules: list[ast.Rule] = []
    x, y, s1, s2 = (ast.Variable(n) for n in ("X", "Y", "S1", "S2"))
    for rel in relations:
        if rel.inconsistency:
            continue
        names = (rel.sym.name, negative_name(rel.sym.name))
        if rel.symmetric:
            for name in names:
                # ally(X, Y) :- ally(Y, X).   and the statements behind it likewise
                rules.append(ast.Rule(ast.Atom(name, (x, y), rel.span), (ast.Atom(name, (y, x), rel.span),), rel.span))
                st = statement_relation(name)
                rules.append(ast.Rule(ast.Atom(st, (x, y, s1), rel.span), (ast.Atom(st, (y, x, s1), rel.span),), rel.span))
        # contradicted(S1, S2) :- __stmt_p(X1..Xn, S1), __stmt_no_p(X1..Xn, S2).
        args = tuple(ast.Variable(f"X{i}") for i in range(rel.sym.arity))
        rules.append(ast.Rule(
            ast.Atom(CONTRADICTED.name, (s1, s2), rel.span),
            (ast.Atom(statement_relation(names[0]), (*args, s1), rel.span),
             ast.Atom(statement_relation(names[1]), (*args, s2), rel.span)),
            rel.span))
    return rules


__all__ = [
    "BUILT_IN_NAMES", "CONTRADICTED", "CONTRADICTED_RELATION", "IMPORTED_STATUS", "METADATA", "METADATA_OF_ENTITY",
    "METADATA_OF_SOURCE", "METADATA_OF_STATEMENT", "RELAYED", "STRENGTH", "StatementRecord", "catalog_facts", "generated_rules",
    "record_facts", "relation_types", "stated_facts", "statement_metadata", "statement_relation", "statement_sym",
]
