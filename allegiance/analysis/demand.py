"""Demand: a query's constants carried through the rules into everything they read (magic sets).

Stage: analysis (used by the engines when answering a query). Input: the rules of the derived
predicates still to be evaluated, by head, and a query's rules. Output: `Demand`, a program of
adorned and magic rules and the query's rules reading the adorned predicates; None when the query
reads no derived predicate with a bound argument.

The rewrite (generalised magic sets, left-to-right sideways information passing; as in Soufflé's
MagicSet transformer and the textbook of Abiteboul, Hull and Vianu, ch. 13)
    A derived atom read with bound positions b (a constant there, or a variable bound by the
    head's bound positions or by a positive atom to its left) becomes the adorned predicate p@b,
    whose rows are p's rows for the bindings its magic predicate @m@p@b collects:

        indirect_ally(X, Y) :- allied_chain(X, Y), X != Y, not ally(X, Y).       query: indirect_ally(g5, Y)
    becomes
        @m@indirect_ally@b_(g5).
        indirect_ally@b_(X, Y) :- @m@indirect_ally@b_(X), allied_chain@b_(X, Y), X != Y, not ally(X, Y).
        @m@allied_chain@b_(X) :- @m@indirect_ally@b_(X).
        allied_chain@b_(X, Z) :- @m@allied_chain@b_(X), allied(X, Y), allied_chain@b_(Y, Z).   (and so on)
        p@b(X..) :- @m@p@b(..), @base@p(X..).          (a derived predicate's own facts)

    Every row of p@b is a row of p, and p@b holds every row of p that agrees with a tuple of its
    magic predicate: the answers are those of the whole evaluation. Mutual and non-linear recursion
    need nothing more.

Where demand stops (sound, and terminating: the magic predicates only collect constants of the
rules and values of the relations the program derives anyway)
    - a negated atom reads the whole relation (Soufflé's negative labelling): the rewritten program
      negates only relations the engine evaluates first, so it is stratified;
    - a variable bound only by arithmetic (`Y = X - 1`) does not bind: demand never invents a value
      (bottom-up evaluation of `p(X) :- p(Y), Y = X - 1` ends; its magic set would not);
    - a query predicate's atom binds nothing (the engine evaluates the query's rules last);
    - a predicate the caller calls a leaf (`leaf(sym, bound)`) gets no rules: the engine evaluates
      p@b from its magic relation itself (a linear recursion as one seeded recursive statement).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from .. import ast
from ..ast import PredicateSym

Bound = tuple[int, ...]  # the bound positions of an adornment, ascending


def _pattern(arity: int, bound: Bound) -> str:
    return "".join("b" if k in bound else "_" for k in range(arity))


def adorned_sym(sym: PredicateSym, bound: Bound) -> PredicateSym:
    """`p@b_`: p with its first position bound. `@` is in no name a user can write."""
    return PredicateSym(f"{sym.name}@{_pattern(sym.arity, bound)}", sym.arity)


def magic_sym(sym: PredicateSym, bound: Bound) -> PredicateSym:
    return PredicateSym(f"@m@{sym.name}@{_pattern(sym.arity, bound)}", len(bound))


def base_sym(sym: PredicateSym) -> PredicateSym:
    """The stored facts of derived predicate p alone."""
    return PredicateSym(f"@base@{sym.name}", sym.arity)


@dataclass(frozen=True)
class Demand:
    """The rewritten program: `rules` (adorned and magic) and `query` (the query's rules, reading
    adorned predicates). `adorned` and `magic` map each new predicate to (original, bound);
    `bases` maps each `@base@p` to p; `leaves` are the adorned predicates left to the engine."""

    rules: tuple[ast.Rule, ...]
    query: tuple[ast.Rule, ...]
    adorned: Mapping[PredicateSym, tuple[PredicateSym, Bound]]
    magic: Mapping[PredicateSym, tuple[PredicateSym, Bound]]
    bases: Mapping[PredicateSym, PredicateSym]
    leaves: frozenset[PredicateSym]


def rewrite(
    derived: Mapping[PredicateSym, Sequence[ast.Rule]],
    query: Sequence[ast.Rule],
    leaf: Callable[[PredicateSym, Bound], bool] = lambda _s, _b: False,
) -> Demand | None:
    """The demand program of `query` over the predicates of `derived` (see the module docstring);
    None when no derived atom of the query has a bound position."""
    own = {r.head.sym for r in query}
    fresh = itertools.count(1_000_000)  # wildcard numbers no parser reaches
    rules: list[ast.Rule] = []
    adorned: dict[PredicateSym, tuple[PredicateSym, Bound]] = {}
    magic: dict[PredicateSym, tuple[PredicateSym, Bound]] = {}
    bases: dict[PredicateSym, PredicateSym] = {}
    leaves: set[PredicateSym] = set()
    todo: list[tuple[PredicateSym, Bound]] = []

    def demand_of(atom: ast.Atom, bound: set[str]) -> Bound:
        if atom.sym not in derived or atom.sym in own:
            return ()
        return tuple(k for k, a in enumerate(atom.args)
                     if isinstance(a, ast.Constant) or (isinstance(a, ast.Variable) and a.name in bound))

    def body(literals: Iterable[ast.Literal], guard: ast.Atom | None, bound: set[str]) -> tuple[ast.Literal, ...]:
        # `usable`: the rewritten literals so far that a magic rule may read (no query predicate)
        usable: list[ast.Literal] = [guard] if guard is not None else []
        known = set(bound)  # variables the usable literals bind, arithmetic included
        out: list[ast.Literal] = list(usable)
        for lit in literals:
            if isinstance(lit, ast.Atom):
                b = demand_of(lit, bound)
                if b:
                    sym = adorned_sym(lit.sym, b)
                    m = magic_sym(lit.sym, b)
                    if sym not in adorned:
                        adorned[sym], magic[m] = (lit.sym, b), (lit.sym, b)
                        todo.append((lit.sym, b))
                    rules.append(ast.Rule(ast.Atom(m.name, tuple(lit.args[k] for k in b), lit.span), tuple(usable), lit.span))
                    lit = replace(lit, pred=sym.name)
                out.append(lit)
                if lit.pred.startswith("@") or lit.sym not in own:
                    usable.append(lit)
                    names = {v.name for v in ast.literal_variables(lit)}
                    bound |= names
                    known |= names
                continue
            out.append(lit)
            if isinstance(lit, ast.Assignment):
                if {v.name for v in ast.term_variables(lit.expr)} <= known:
                    usable.append(lit)
                    known.add(lit.variable.name)
            elif {v.name for v in ast.literal_variables(lit)} <= known:
                usable.append(lit)  # a test on bound values only narrows the demand
        return tuple(out)

    query_rules = tuple(ast.Rule(r.head, body(r.body, None, set()), r.span) for r in query)
    if not todo:
        return None
    while todo:
        sym, b = todo.pop()
        name = adorned_sym(sym, b)
        if leaf(sym, b):
            leaves.add(name)
            continue
        m = magic_sym(sym, b)
        for rule in (*derived[sym], None):
            head = rule.head if rule is not None else ast.Atom(sym.name, tuple(ast.Variable(f"X{k}") for k in range(sym.arity)))
            args = tuple(head.args[k] if isinstance(head.args[k], (ast.Variable, ast.Constant)) else ast.Wildcard(next(fresh))
                         for k in b)
            guard = ast.Atom(m.name, args, head.span)
            bound = {a.name for a in args if isinstance(a, ast.Variable)}
            if rule is None:  # p's own facts
                bases[base_sym(sym)] = sym
                literals: tuple[ast.Literal, ...] = (ast.Atom(base_sym(sym).name, head.args),)
            else:
                literals = rule.body
            rules.append(ast.Rule(replace(head, pred=name.name), body(literals, guard, bound),
                                  rule.span if rule is not None else head.span))
    return Demand(tuple(rules), query_rules, adorned, magic, bases, frozenset(leaves))
