"""Arity: a predicate name is used with one number of arguments everywhere.

Input: clauses and the predicates known from elsewhere (`check_arity`), or the predicates the
knowledge base holds facts of, each with where it was first used (`check_names`). Output: a list of
ArityError (empty when all uses agree), each pointing at the use that disagrees with the first one
seen. Also rejects user predicates named with the reserved `__` prefix.

A name at two arities is a mistake in any position, fact lines included (`p(1, 2).` and `p(1).`),
as in Soufflé and crepe: `ally/1` beside `ally/2` is nearly always a missing argument, and two
predicates that share a name would only confuse every query and explanation of either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .. import ast
from ..errors import AllegianceError, ArityError, CheckError


def _atoms(clause: ast.Clause) -> list[ast.Atom]:
    if isinstance(clause, (ast.Fact, ast.Statement)):
        return [clause.atom]
    if isinstance(clause, ast.Rule):
        return [clause.head, *_body_atoms(clause.body)]
    if isinstance(clause, ast.Query):
        return _body_atoms(clause.body)
    if isinstance(clause, ast.Expect):
        return _body_atoms(clause.query.body)
    if isinstance(clause, ast.Accept):
        return [clause.atom]
    return []


def _body_atoms(body: tuple[ast.Literal, ...]) -> list[ast.Atom]:
    out: list[ast.Atom] = []
    for lit in body:
        if isinstance(lit, ast.Atom):
            out.append(lit)
        elif isinstance(lit, ast.NegLiteral):
            out.append(lit.atom)
    return out


def check_arity(clauses: Iterable[ast.Clause], known: Mapping[ast.PredicateSym, object]) -> list[AllegianceError]:
    first: dict[str, tuple[int, ast.Span | None]] = {}
    for sym in known:
        first.setdefault(sym.name, (sym.arity, None))
    errors: list[AllegianceError] = []
    internal = {sym.name for sym in known if sym.name.startswith("__")}
    for clause in clauses:
        if isinstance(clause, (ast.Declaration, ast.RelationDecl)):
            atoms_with_arity = [(clause.pred, clause.sym.arity, clause.span)]
        else:
            atoms_with_arity = [(a.pred, len(a.args), a.span) for a in _atoms(clause)]
        for name, arity, span in atoms_with_arity:
            if name.startswith("__") and name not in internal:
                errors.append(CheckError(f"names starting with __ are reserved: {name}", span))
                continue
            seen = first.setdefault(name, (arity, span))
            if seen[0] != arity:
                errors.append(_mismatch(name, arity, span, seen))
    return errors


def check_names(uses: Iterable[tuple[ast.PredicateSym, ast.Span | None]]) -> list[AllegianceError]:
    """The predicates of facts, statements and declared relations, in the order they were first
    used: a name at a second arity is an error at that use, naming the first (once per predicate)."""
    first: dict[str, tuple[int, ast.Span | None]] = {}
    reported: set[ast.PredicateSym] = set()
    errors: list[AllegianceError] = []
    for sym, span in uses:
        seen = first.setdefault(sym.name, (sym.arity, span))
        if seen[0] != sym.arity and sym not in reported:
            reported.add(sym)
            errors.append(_mismatch(sym.name, sym.arity, span, seen))
    return errors


def _mismatch(name: str, arity: int, span: ast.Span | None, seen: tuple[int, ast.Span | None]) -> ArityError:
    where = f" at {seen[1]}" if seen[1] else ""
    return ArityError(
        f"{name} is used with {arity} argument{'s' if arity != 1 else ''} here but with {seen[0]}{where} ({name}/{seen[0]})",
        span, f"write {name}/{seen[0]} with {seen[0]} argument{'s' if seen[0] != 1 else ''}")
