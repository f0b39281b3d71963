"""The DuckDB engine's demand-driven seeding: which dirty strata a read evaluates, and which it reads
through a seeded view instead.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: the predicates a read needs whole and
the rules about to read them (a query's, or the strata above). Output: the needed strata evaluated
(loop.py), or, for a linear recursive one read only with a constant, a TEMP view m<N> of just the rows
of that constant, which `_full` names to its readers until the read is answered.

Demand
    A linear recursive predicate that a query (or every rule about to read it) reads with a constant
    is not evaluated whole: its readers get a seeded view m<N> with just the rows of that constant.
    At a position the recursion passes on unchanged (`path(0, Y)` of left recursion) the recursive
    CTE itself is restricted to it; at the one position it changes (`path(0, Y)` of right
    recursion, `path(X, 5)` of left), the view is the base rows at the values reachable from the
    constant by the rules' steps (compile.reach_steps): a reachability, not the closure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from ... import ast
from ...ast import PredicateSym, Value
from .compile import (
    Expr,
    Params,
    body_preds,
    column_names,
    compare_sql,
    convert,
    positive_atoms,
    rule_select,
    steps_are_base,
)
from .loop import Loop

_NO_READER = object()  # _seed_for: nothing about to be evaluated reads the stratum


class Seeding(Loop):
    """Reads evaluate what they need, seeded where they can; the layer of DuckDBEngine above the loop."""

    demand = True  # False: every read evaluates whole what it reads (the baseline of tests and benchmarks)
    closures = 0  # reachabilities that yielded a closure with no join to its base (the tests count them)

    def _refresh(
        self, preds: Iterable[PredicateSym], readers: Sequence[ast.Rule] = (), rounds: bool = False
    ) -> None:
        """Evaluate the dirty strata that `preds` (read whole) and the rules `readers` depend on,
        lowest first.

        Demand: a dirty linear stratum whose predicate is not read whole, and which every reader
        about to be evaluated reads only with one constant at a position its recursion passes on
        unchanged (or at the one it changes, when that is a reachability), is not evaluated; its
        readers read a seeded view of it instead (see `_demand`).
        With `rounds`, derivation rounds of `preds` are wanted: no demand, and strata that read a
        seeded view are evaluated again after what they read was evaluated whole."""
        preds = set(preds)
        top = {s for r in readers for s in body_preds(r)} | preds
        needed: set[int] = set()
        todo = [self._stratum_of[p] for p in top if p in self._stratum_of]
        while todo:
            i = todo.pop()
            if i not in needed:
                needed.add(i)
                todo.extend(self._depends_on[i])
        if rounds:
            self._mark_strata_dirty(needed & self._seeded)
        targets = {self._stratum_of[p] for p in preds if p in self._stratum_of}
        pending = needed & self._dirty
        for i in sorted(pending):
            self._growing = ", ".join(str(p) for p in self._stratum_preds[i])
            seed = None if rounds or i in targets else self._seed_for(i, pending, readers)
            if seed is not None:
                if isinstance(seed, tuple):  # else _NO_READER: nobody reads it now
                    self._materialise_seeded(i, *seed)
                continue
            if rounds and i in targets and self._linear[i]:
                self._evaluate_seminaive(i)  # its rounds are wanted: no need for the CTE first
            else:
                self._evaluate(i)
            self._dirty.discard(i)
            if any(s in self._override for s in self._reads[i]):
                self._seeded.add(i)
            else:
                self._seeded.discard(i)
        if rounds:
            for i in targets:
                if i in self._lazy_rounds:
                    self._growing = ", ".join(str(p) for p in self._stratum_preds[i])
                    self._store_rounds(i)
        self._growing = ""

    def _seed_for(
        self, i: int, pending: set[int], readers: Sequence[ast.Rule]
    ) -> tuple[int, Value] | object | None:
        """(position, value) when linear stratum i can be read through a seeded view, _NO_READER when
        nothing about to be evaluated reads it, else None."""
        if not self._linear[i] or not self.demand:
            return None
        p = self._stratum_preds[i][0]
        rules = [r for k in pending if k != i and p in self._reads[k] for r in self._program.strata[k].rules]
        rules += list(readers)
        found: set[tuple[int, type, Value]] = set()
        for rule in rules:
            for lit in rule.body:
                atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
                if not isinstance(atom, ast.Atom) or atom.sym != p:
                    continue
                reach = self._reach[i]
                consts = {
                    (j, type(a.value), a.value)
                    for j, a in enumerate(atom.args)
                    if isinstance(a, ast.Constant) and (j in self._stable[i] or (reach is not None and j == reach[0]))
                }
                if not consts:
                    return None
                found = consts if not found else found & consts
                if not found:
                    return None
        if not found:
            return _NO_READER
        j, _, value = min(found, key=lambda f: f[0])
        return j, value

    def _materialise_seeded(self, i: int, j: int, value: Value) -> None:
        """TEMP m<N>: the rows of linear stratum i's predicate with `value` at position j."""
        p = self._stratum_preds[i][0]
        name = f"m{self._ids[p]}"
        params = Params()
        if j in self._stable[i]:
            cte = self._linear_cte(i, params, (j, value))
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {cte} SELECT * FROM w", params.values)
        else:
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {self._reach_select(i, value, params)}", params.values)
        self._override[p] = name

    def _reach_select(self, i: int, value: Value, params: Params) -> str:
        """The rows of linear stratum i's predicate with `value` at its unstable position j:
        base rows whose value at j is reachable from `value` by the steps, with `value` put at j.

            reach(C).  reach(Y) :- reach(X), __step(X, Y).
            p_c(C, Z) :- reach(U), base(U, Z).        (base: p's facts and non-recursive rules)"""
        reach = self._reach[i]
        assert reach is not None
        p = self._stratum_preds[i][0]
        rep = self._reps[p][reach[0]]
        start = convert(params.const(value), rep)
        return self._reach_from(i, f"SELECT {start.sql} AS v", params)

    def _reach_from(self, i: int, starts: str, params: Params) -> str:
        """`_reach_select` from every value of `starts` (a SELECT of one column v, in the
        representation of the unstable position j) at once: each row carries its start.

            reach(C, C) :- start(C).  reach(C, Y) :- reach(C, X), __step(X, Y).
            p_c(C, Z) :- reach(C, U), base(U, Z).

        When p is the closure of its steps (`_closure_of_steps`), the reach itself:

            p_c(C, Y) :- start(C), __step(C, Y).  p_c(C, Y) :- p_c(C, X), __step(X, Y)."""
        reach = self._reach[i]
        assert reach is not None
        j, steps = reach
        p = self._stratum_preds[i][0]
        rep = self._reps[p][j]
        step_sym = PredicateSym("__step", 2)

        def reps_of(sym: PredicateSym) -> tuple[str, ...]:
            return (rep, rep) if sym == step_sym else self._reps[sym]

        def step_sql() -> str:  # one copy per reference, its parameters numbered in order
            return " UNION ALL ".join(
                rule_select(r, [self._full(a.sym) for a in positive_atoms(r)], self._full, reps_of, params) for r in steps)

        same = compare_sql("=", Expr("st.c0", rep), Expr("reach.u", rep))
        if self._closure_of_steps(i):
            # p(C, Z) :- __step+(C, Z): the base is the step and p has no facts, so the rows are
            # the reach in one step or more, with no join to the base (a transitive closure)
            first = compare_sql("=", Expr("st.c0", rep), Expr("starts.v", rep))
            recursive = (f"SELECT starts.v AS s, st.c1 AS u FROM ({starts}) AS starts, ({step_sql()}) AS st WHERE {first}"
                         f" UNION SELECT reach.s, st.c1 FROM reach, ({step_sql()}) AS st WHERE {same}")
            items = ", ".join(f"reach.{'s' if k == j else 'u'} AS c{k}" for k in range(p.arity))
            return f"WITH RECURSIVE reach(s, u) AS ({recursive}) SELECT {items} FROM reach"
        recursive = f"SELECT v AS s, v AS u FROM ({starts})"
        if steps:
            recursive += f" UNION SELECT reach.s, st.c1 FROM reach, ({step_sql()}) AS st WHERE {same}"
        base = [f"SELECT {', '.join(column_names(p.arity))} FROM b{self._ids[p]}"]
        for rule in self._rules_by_head[i][p]:
            if p not in {a.sym for a in positive_atoms(rule)}:
                base.append(self._select(rule, [self._full(a.sym) for a in positive_atoms(rule)], params))
        items = ", ".join(f"reach.s AS c{k}" if k == j else f"b.c{k}" for k in range(p.arity))
        # the outer DISTINCT makes the rows a set: the base's parts need no union of their own
        return (f"WITH RECURSIVE reach(s, u) AS ({recursive}) SELECT DISTINCT {items} "
                f"FROM ({' UNION ALL '.join(base)}) AS b, reach WHERE b.c{j} = reach.u")

    def _closure_of_steps(self, i: int) -> bool:
        """Whether linear stratum i's predicate is the closure of its steps: its non-recursive
        rules are its steps (compile.steps_are_base) and it has no facts of its own."""
        reach = self._reach[i]
        p = self._stratum_preds[i][0]
        if reach is None or len(set(self._reps[p])) != 1:  # the reach's values stand at both positions
            return False
        if not steps_are_base(self._rules_by_head[i][p], reach[0], reach[1]):
            return False
        if self._run(f"SELECT 1 FROM b{self._ids[p]} LIMIT 1").fetchone():
            return False
        self.closures += 1
        return True

    @contextmanager
    def _demand(self) -> Iterator[None]:
        """Seeded views made while reading live only until the read is answered."""
        try:
            yield
        finally:
            names = list(self._override.values())
            self._override = {}
            if names:
                self._drop_quietly(names)
