"""Demand as a program: a query's magic-sets rewrite (analysis/demand.py) made a checked program that
an evaluation runs as it is, the interval-annotated one (annotated.py, support) included.

Stage: engine (the DuckDB engine's annotated queries, engine.py). Input: a CheckedProgram, a
CheckedQuery. Output: `Demanded`: the demand program, checked and stratified, the query over it, and
which `@base@p` predicates take the facts of p; None when the query reads no derived predicate with
a bound argument. No SQL here: the program is handed to the evaluation like any other.

What it adds to demand.rewrite
    - Leaves as rules. A linear recursion bound at the one position its recursive rules change
      through a step (`linked(g0, X)` of `linked(X, Z) :- tie(X, Y), linked(Y, Z).`) would get magic
      rules that collect every party reachable from g0, then the closure from each of them: the N²
      relation again. It is a leaf instead, written as the reachability the plain engine evaluates
      in SQL (seeding.py's `_reach_from`):

          @r@linked@b_(C, C) :- @m@linked@b_(C).
          @r@linked@b_(C, V) :- @r@linked@b_(C, U), tie(U, V).        (each step of a recursive rule)
          linked@b_(C, Z) :- @r@linked@b_(C, U), tie(U, Z).            (each exit rule, U at the position)
          linked@b_(C, Z) :- @r@linked@b_(C, U), @base@linked(U, Z).    (its own facts)

      A recursion bound at a position it passes on unchanged, and not at j, needs no leaf: its magic
      relation does not grow (`@m@p(X) :- @m@p(X).`). Bound at both (`linked(g2, g40)`), it is a
      leaf whose exits keep to the demanded bindings (a magic atom in front): magic rules would
      spread the demand through every relation the steps read, into a recursion of them all.
    - Linear recursive predicates of the demand program (a leaf's reachability among them) are
      `closures`: one recursive statement each instead of a semi-naive round per step.
    - What it reads whole: the program's derived predicates the new rules read unadorned (negated,
      or in a leaf's steps and exits), with what they depend on, evaluated first as their own strata.
    - Strata: those, then the new predicates' strongly connected components, dependencies first.
      A negated atom is never adorned, so new predicates read one another only positively, and
      they negate only relations of the strata before them: the order is a stratification.

Why support stays exact (the grades of the whole-program evaluation, to the level)
    An annotated evaluation over an ordered domain (support: the grade thresholds) answers at each
    point what the plain evaluation answers over the facts holding there (Engine.annotated_query).
    At each point, this program is a plain magic-sets rewrite of a stratified program, so its query
    has the original query's answers there: every adorned row is a row of the original relation
    (its rules are the original rules with a guard added, or the reachability identity above:
    p(c, Z) iff c reaches u by steps and an exit of p holds for (u, Z)), and every original row that
    agrees with a binding demanded at that point is derived (the magic relation collects, at that
    point, every binding a left-to-right evaluation of the rule passes on). Equal answers at every
    point are equal intervals, and a support is read off the interval that starts at threshold 0.
    Put as max-min: a magic row's grade is the strongest threshold up to which its binding is
    demanded; since the evaluation is monotone in the facts (below negation, which reads whole
    relations), a demanded fact's best derivation passes only bindings at least as strong as
    itself, so the guards never cap a grade the whole evaluation would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ... import ast
from ...analysis import demand
from ...analysis.checked import CheckedProgram, CheckedQuery, Stratum
from ...analysis.stratify import components
from ...ast import PredicateSym
from ..base import Annotated, Facts
from .compile import body_preds, positive_atoms, reach_steps, stable_positions

_C, _U, _V = ast.Variable("@c"), ast.Variable("@u"), ast.Variable("@v")  # `@` is in no name a user can write


@dataclass(frozen=True)
class Demanded:
    """The demand program of a query: `program` (checked, stratified), `query` over it,
    `bases`: each `@base@p` -> p, whose facts it holds, and `closures`: its linear recursive
    predicates (a leaf's reachability among them), each one recursive statement (annotated.py's
    `closure`: new predicates have no facts)."""

    program: CheckedProgram
    query: CheckedQuery
    bases: Mapping[PredicateSym, PredicateSym]
    closures: frozenset[PredicateSym] = frozenset()


def reach_sym(sym: PredicateSym, bound: demand.Bound) -> PredicateSym:
    """`@r@p@b_`: (start, value reached) of a leaf's reachability."""
    return PredicateSym(f"@r@{demand.adorned_sym(sym, bound).name}", 2)


def rewrite(program: CheckedProgram, query: CheckedQuery) -> Demanded | None:
    """The demand program of `query` over `program` (see the module docstring)."""
    by_head: dict[PredicateSym, list[ast.Rule]] = {}
    for rule in program.rules:
        by_head.setdefault(rule.head.sym, []).append(rule)
    alone = {s for st in program.strata for s in st.predicates if len(st.predicates) == 1}
    leaves: dict[PredicateSym, tuple[int, list[ast.Rule]]] = {}  # p -> its reach position and steps

    def leaf(sym: PredicateSym, bound: demand.Bound) -> bool:
        reach = _reachable(by_head[sym]) if sym in alone else None
        if reach is None or reach[0] not in bound or any(
                not isinstance(r.head.args[k], (ast.Variable, ast.Constant)) for r in by_head[sym] for k in bound):
            return False
        leaves[sym] = reach
        return True

    plan = demand.rewrite(by_head, query.rules, leaf)
    if plan is None:
        return None
    rules = list(plan.rules)
    bases = dict(plan.bases)
    closures: set[PredicateSym] = set()
    for name in sorted(plan.leaves, key=str):
        sym, bound = plan.adorned[name]
        j, steps = leaves[sym]
        made, base = _leaf_rules(sym, bound, j, steps, by_head[sym])
        rules += made
        bases[base] = sym
    new = {r.head.sym for r in rules}
    # what the new rules and the query read unadorned, with what it depends on: evaluated whole
    whole: set[PredicateSym] = set()
    todo = [s for r in (*rules, *plan.query) for s in body_preds(r) if s in by_head]
    while todo:
        sym = todo.pop()
        if sym not in whole:
            whole.add(sym)
            todo += [s for r in by_head[sym] for s in body_preds(r) if s in by_head]
    strata = [Stratum(st.predicates & whole, tuple(r for r in st.rules if r.head.sym in whole), st.recursive)
              for st in program.strata if st.predicates & whole]
    new_by_head: dict[PredicateSym, list[ast.Rule]] = {}
    for rule in rules:
        new_by_head.setdefault(rule.head.sym, []).append(rule)
    edges = {s: {p for r in new_by_head.get(s, ()) for p in body_preds(r)} & new for s in new}
    for component in components(edges):
        own = set(component)
        mine = tuple(r for s in component for r in new_by_head.get(s, ()))
        counts = [sum(a.sym in own for a in positive_atoms(r)) for r in mine]
        strata.append(Stratum(frozenset(component), mine, any(counts)))
        if len(component) == 1 and 0 < max(counts, default=0) <= 1:
            closures.add(component[0])  # linear: one recursive statement (its rows are the demanded ones)
    types = dict(program.types)
    for sym, (p, b) in [*plan.adorned.items(), *plan.magic.items()]:
        if p in types:
            types[sym] = types[p] if sym in plan.adorned else tuple(types[p][k] for k in b)
    for name in plan.leaves:
        p, b = plan.adorned[name]
        if p in types:
            types[reach_sym(p, b)] = (types[p][b[0]],) * 2
    for base, p in bases.items():
        if p in types:
            types[base] = types[p]
    checked = CheckedProgram(tuple(r for st in strata for r in st.rules), tuple(strata), types, program.warnings)
    return Demanded(checked, CheckedQuery(plan.query, query.goal, query.variables, query.source), bases,
                    frozenset(closures))


def with_facts(demanded: Demanded, plain: Facts, annotated: Annotated) -> tuple[Facts, Annotated]:
    """The facts of an annotated evaluation of the demand program: each `@base@p` holds p's own."""
    if not demanded.bases:
        return plain, annotated
    more_plain = {base: plain[p] for base, p in demanded.bases.items() if p in plain}
    more = {base: annotated.facts[p] for base, p in demanded.bases.items() if p in annotated.facts}
    return {**plain, **more_plain}, Annotated(annotated.size, {**annotated.facts, **more})


def _reachable(rules: list[ast.Rule]) -> tuple[int, list[ast.Rule]] | None:
    """(position, step rules) of a linear recursion of one predicate (a stratum of its own) whose one unstable position
    changes through steps (compile.reach_steps), every exit rule with a variable or a constant there."""
    sym = rules[0].head.sym
    recursive = [sum(a.sym == sym for a in positive_atoms(r)) for r in rules]
    if not any(recursive) or max(recursive) > 1 or \
            any(lit.atom.sym == sym for r in rules for lit in r.body if isinstance(lit, ast.NegLiteral)):
        return None
    reach = reach_steps(rules, stable_positions(rules))
    if reach is None or not reach[1]:
        return None
    j = reach[0]
    exits = [r for r, n in zip(rules, recursive, strict=True) if not n]
    if any(not isinstance(r.head.args[j], (ast.Variable, ast.Constant)) for r in exits):
        return None
    return reach


def _leaf_rules(sym: PredicateSym, bound: demand.Bound, j: int, steps: list[ast.Rule],
                rules: list[ast.Rule]) -> tuple[list[ast.Rule], PredicateSym]:
    """The reachability rules of leaf p@b (see the module docstring), and p's `@base@p`."""
    adorned, magic, r = demand.adorned_sym(sym, bound), demand.magic_sym(sym, bound), reach_sym(sym, bound)

    def atom(s: PredicateSym, *args: ast.Term) -> ast.Atom:
        return ast.Atom(s.name, args)

    # @r(C, C) :- @m(.., C, ..).      (C at p's position j; the other bound positions any value)
    wild = iter(range(2_000_000, 3_000_000))  # wildcard numbers no parser reaches
    out = [ast.Rule(atom(r, _C, _C), (atom(magic, *(_C if k == j else ast.Wildcard(next(wild)) for k in bound)),))]
    # @r(C, V) :- @r(C, U), <step from U to V>.
    for step in steps:
        u, v = step.head.args
        assert isinstance(u, ast.Variable) and isinstance(v, ast.Variable)
        body = _renamed(step.body, {u.name: _U, v.name: _V})
        out.append(ast.Rule(atom(r, _C, _V), (atom(r, _C, _U), *body), step.span))
    # p@b(.., C, ..) :- [@m(..),] @r(C, U), <an exit of p with U at j>.   (the magic atom when p
    # is bound at more positions than j: only the rows of demanded bindings)
    base = demand.base_sym(sym)
    exits = [rule for rule in rules if sym not in {a.sym for a in positive_atoms(rule)}]
    own = ast.Rule(atom(sym, *(ast.Variable(f"X{k}") for k in range(sym.arity))),
                   (atom(base, *(ast.Variable(f"X{k}") for k in range(sym.arity))),))
    for rule in (*exits, own):
        at = rule.head.args[j]
        start: ast.Term
        if isinstance(at, ast.Variable):
            head = _renamed_term(rule.head, {at.name: _U})
            body, start = _renamed(rule.body, {at.name: _U}), _U
        else:
            head, body, start = rule.head, rule.body, at
        args = tuple(_C if k == j else a for k, a in enumerate(head.args))
        guard = (atom(magic, *(args[k] for k in bound)),) if len(bound) > 1 else ()
        out.append(ast.Rule(replace(head, pred=adorned.name, args=args), (*guard, atom(r, _C, start), *body), rule.span))
    return out, base


def _renamed_term(atom: ast.Atom, names: Mapping[str, ast.Variable]) -> ast.Atom:
    return replace(atom, args=tuple(_term(a, names) for a in atom.args))


def _term(term: ast.Term, names: Mapping[str, ast.Variable]) -> ast.Term:
    if isinstance(term, ast.Variable):
        return names.get(term.name, term)
    if isinstance(term, ast.BinOp):
        return replace(term, left=_term(term.left, names), right=_term(term.right, names))
    return term


def _renamed(body: tuple[ast.Literal, ...], names: Mapping[str, ast.Variable]) -> tuple[ast.Literal, ...]:
    out: list[ast.Literal] = []
    for lit in body:
        if isinstance(lit, ast.Atom):
            out.append(_renamed_term(lit, names))
        elif isinstance(lit, ast.NegLiteral):
            out.append(replace(lit, atom=_renamed_term(lit.atom, names)))
        elif isinstance(lit, ast.Assignment):
            variable = names.get(lit.variable.name, lit.variable)
            out.append(replace(lit, variable=variable, expr=_term(lit.expr, names)))
        else:
            out.append(replace(lit, left=_term(lit.left, names), right=_term(lit.right, names)))
    return tuple(out)
