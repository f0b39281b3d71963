"""The DuckDB engine's evaluation loop: one stratum at a time, semi-naive, each rule one SELECT.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: the installed program's strata and
their tables (tables.py). Output: the r<N> tables of a stratum's predicates, each row with the
round that first derived it; which strata are dirty.

How a program runs
    Strata are evaluated in `CheckedProgram.strata` order. A stratum whose rules read none of its own
    predicates is one pass; otherwise semi-naive: round 1 runs every rule on the full relations, each
    later round runs, for a rule with k body atoms of the stratum, k variants each reading one of those
    atoms from the previous round's delta. A round's new rows are `(union of the variants) EXCEPT
    (the relation so far)`; evaluation stops when no predicate gains a row. A linear stratum (one
    predicate, each rule with at most one atom of it) is one recursive CTE instead, its derivation
    rounds computed semi-naively only when someone asks for them; one whose recursive rules only
    reorder its arguments (a symmetric relation) is its base under each order, with no recursion.

Laziness
    `add_facts`/`retract_facts` mark the strata that read (or define) the changed predicates dirty,
    and everything above that depends on them; the next read re-evaluates only dirty strata it needs
    (seeding.py decides which, and which it reads through a seeded view instead).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from ... import ast, errors
from ...ast import PredicateSym, Value
from .compile import (
    Expr,
    Params,
    column_defs,
    column_names,
    compare_sql,
    permutations_closed,
    positive_atoms,
    round_sources,
    rule_select,
)
from .csv import scalar
from .tables import Tables


def _overflow(rules: Sequence[ast.Rule], exc: Exception) -> errors.QueryError:
    """DuckDB's "Overflow in addition of INT64 (...)" as an error at the rule that computes."""
    return overflow_error(rules, str(exc).strip().split("\n")[0].removeprefix("Out of Range Error: ").rstrip("!"))


def overflow_error(rules: Sequence[ast.Rule], detail: str) -> errors.QueryError:
    """An integer overflow while evaluating `rules` (a stratum, or a query's rules), as an error at
    the rule that computes: the first with arithmetic (the SQL of a stratum joins its rules). The
    Spark engine raises the same error."""
    computing = [r for r in rules if any(isinstance(a, ast.BinOp) for a in r.head.args)
                 or any(isinstance(lit, ast.Assignment) for lit in r.body)]
    candidates = computing or list(rules)
    rule = candidates[0] if candidates else None
    where = f" in the rule for {rule.head.sym}" if rule is not None else ""
    return errors.QueryError(f"integer overflow{where}: {detail}", rule.span if rule is not None else None,
                             "values are 64-bit integers; bound the rule with a comparison, or use decimals")


class Loop(Tables):
    """Evaluating strata; the layer of DuckDBEngine above the tables."""

    def _mark_dirty(self, changed: set[PredicateSym]) -> None:
        """Strata reading or defining a changed predicate, and every stratum depending on them."""
        start = {self._stratum_of[s] for s in changed if s in self._stratum_of}
        for sym in changed:
            start |= self._readers.get(sym, set())
        self._mark_strata_dirty(start)

    def _mark_strata_dirty(self, start: set[int]) -> None:
        if not start:
            return
        dirty = set(start)
        for i in range(min(start), len(self._stratum_preds)):
            if self._depends_on[i] & dirty:
                dirty.add(i)
        self._dirty |= dirty

    def _full(self, sym: PredicateSym) -> str:
        if sym in self._override:
            return self._override[sym]
        n = self._ids[sym]
        return f"r{n}" if sym in self._stratum_of else f"b{n}"

    def _reps_of(self, sym: PredicateSym) -> tuple[str, ...]:
        return self._reps[sym]

    def _evaluate(self, i: int) -> None:
        try:
            if self._linear[i]:
                self._evaluate_linear(i)
            else:
                self._evaluate_seminaive(i)
        except duckdb.OutOfRangeException as exc:
            raise _overflow(self._program.strata[i].rules, exc) from None

    # A linear stratum as one recursive CTE, e.g. for path(X, Z) :- path(X, Y), edge(Y, Z):
    #     w(X, Y) :- path's base facts ; its non-recursive rules.      (the anchor)
    #     w(X, Z) :- w(X, Y), edge(Y, Z).                              (each step, UNION: a set)
    def _linear_cte(self, i: int, params: Params, seed: tuple[int, Value] | None = None,
                    within: tuple[int, str] | None = None) -> str:
        """`WITH RECURSIVE w(...) AS (...)`: linear stratum i as one recursive CTE with set
        semantics (UNION), the base facts and non-recursive rules as its anchor, each recursive rule
        reading the CTE's last iteration. With a seed (j, value), every rule's rows are restricted
        to those with value at position j: recursion passes position j on unchanged, so that is the
        restriction of the whole fixpoint. `within` (j, a SELECT of one column) restricts position
        j to a set of values the same way."""
        p = self._stratum_preds[i][0]
        n = self._ids[p]
        cols = ", ".join(column_names(p.arity))
        reps = self._reps[p]

        def seeded(sql: str) -> str:
            if within is not None:
                return f"SELECT * FROM ({sql}) AS s WHERE s.c{within[0]} IN ({within[1]})"
            if seed is None:
                return sql
            j, value = seed
            cond = compare_sql("=", Expr(f"s.c{j}", reps[j]), params.const(value))
            return f"SELECT * FROM ({sql}) AS s WHERE {cond}"

        anchor = [seeded(f"SELECT {cols} FROM b{n}")]
        group = permutations_closed(self._rules_by_head[i][p]) if seed is None and within is None else None
        if group is not None:
            # p(X, Y) :- p(Y, X).  (each recursive rule reorders p):  the base under every order
            # of the group those orders generate, one pass, no recursion
            base = [*anchor, *(self._select(r, [self._full(a.sym) for a in positive_atoms(r)], params)
                               for r in self._rules_by_head[i][p] if p not in {a.sym for a in positive_atoms(r)})]
            images = [f"SELECT {', '.join(f'c{k}' for k in perm)} FROM a" for perm in group]
            return f"WITH a({cols}) AS ({' UNION ALL '.join(base)}), w({cols}) AS ({' UNION '.join(images)})"
        steps: list[str] = []
        for rule in self._rules_by_head[i][p]:
            positive = positive_atoms(rule)
            sources = ["w" if a.sym == p else self._full(a.sym) for a in positive]
            sql = seeded(self._select(rule, sources, params))
            (steps if p in {a.sym for a in positive} else anchor).append(sql)
        return (
            f"WITH RECURSIVE w({cols}) AS ({' UNION '.join(anchor)} UNION "
            f"SELECT * FROM ({' UNION ALL '.join(steps)}))"
        )

    def _evaluate_linear(self, i: int) -> None:
        """One statement; derivation rounds are left for `_store_rounds`, with a range of round
        numbers reserved that no semi-naive evaluation of these rows can exceed."""
        p = self._stratum_preds[i][0]
        n = self._ids[p]
        params = Params()
        cte = self._linear_cte(i, params)
        self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({column_defs(self._reps[p])}, rnd BIGINT)")
        self._r_tables.add(n)
        cols = ", ".join(column_names(p.arity))
        count = scalar(self._run(f"INSERT INTO r{n} {cte} SELECT {cols}, NULL FROM w", params.values))
        # semi-naive evaluation gains a row each round but the last: count + 1 rounds at most
        self._lazy_rounds[i] = self._counter
        self._counter += count + 1

    def _store_rounds(self, i: int) -> None:
        """Derivation rounds of a stratum `_evaluate_linear` computed: semi-naive evaluation again,
        numbered from the round the stratum started at (its rows are the same)."""
        start = self._lazy_rounds.pop(i)
        saved, self._counter = self._counter, start
        try:
            self._evaluate_seminaive(i)
        except BaseException:
            self._dirty.add(i)  # r<N> may be half written
            raise
        finally:
            self._counter = max(saved, self._counter)  # never above saved: count + 1 was reserved

    # Semi-naive evaluation of a recursive stratum, for each rule of it, e.g.
    #     path(X, Z) :- edge(X, Y), path(Y, Z).
    # round 1:        new_path(X, Z) :- edge(X, Y), path(Y, Z).           (the full relations)
    # round k > 1:    new_path(X, Z) :- edge(X, Y), delta_path(Y, Z).     (one variant per atom of
    #                                                                      the stratum, that atom
    #                                                                      reading the last delta)
    # then            delta_path := new_path minus path;  path := path union delta_path
    # until every delta is empty. A stratum that reads none of its own predicates is round 1 alone.
    def _evaluate_seminaive(self, i: int) -> None:
        self._lazy_rounds.pop(i, None)
        preds = self._stratum_preds[i]
        rules = self._rules_by_head[i]
        if not self._recursive[i]:
            # one pass: base rows, then the rules' rows that are not base rows
            self._counter += 1
            for p in preds:
                n = self._ids[p]
                self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({column_defs(self._reps[p])}, rnd BIGINT)")
                self._r_tables.add(n)
                params = Params()
                selects = [self._select(rule, [self._full(a.sym) for a in positive_atoms(rule)], params) for rule in rules[p]]
                same = " AND ".join(f"old.{c} = new.{c}" for c in column_names(p.arity))
                self._run(
                    f"INSERT INTO r{n} SELECT *, 0 FROM b{n} UNION ALL "
                    f"SELECT DISTINCT *, {self._counter} FROM ({' UNION ALL '.join(selects)}) AS new "
                    f"WHERE NOT EXISTS (SELECT 1 FROM b{n} AS old WHERE {same})",
                    params.values,
                )
            return
        for p in preds:
            n = self._ids[p]
            self._run(f"CREATE OR REPLACE TEMP TABLE r{n} ({column_defs(self._reps[p])}, rnd BIGINT)")
            self._r_tables.add(n)
            self._run(f"INSERT INTO r{n} SELECT *, 0 FROM b{n}")
        own = set(preds)
        rules = self._rules_by_head[i]
        delta: dict[PredicateSym, str] = {}
        first = True
        try:
            while first or delta:
                self._counter += 1
                fresh: dict[PredicateSym, str] = {}
                for p in preds:
                    params = Params()
                    selects = []
                    for rule in rules[p]:  # one variant per recursive atom reading the last round's delta
                        selects += [self._select(rule, sources, params)
                                    for sources in round_sources(rule, self._full, None if first else delta)]
                    if not selects:
                        continue
                    n = self._ids[p]
                    name = f"d{n}_{self._counter % 2}"
                    union = " UNION ALL ".join(selects)
                    # new rows: the candidates no row of r<N> equals (an anti join, so DuckDB may
                    # build its hash table on the candidates, usually far fewer than r<N>)
                    same = " AND ".join(f"old.{c} = new.{c}" for c in column_names(p.arity))
                    self._run(
                        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({union}) AS new "
                        f"WHERE NOT EXISTS (SELECT 1 FROM r{n} AS old WHERE {same})",
                        params.values,
                    )
                    fresh[p] = name
                for name in delta.values():
                    self._run(f"DROP TABLE IF EXISTS {name}")
                delta = {}
                # rows are added only after every predicate's round ran: a round reads the last one
                for p, name in fresh.items():
                    n = self._ids[p]
                    added = scalar(self._run(f"INSERT INTO r{n} SELECT *, {self._counter} FROM {name}"))
                    if added and self._recursive[i] and own:
                        delta[p] = name
                    else:
                        self._run(f"DROP TABLE IF EXISTS {name}")
                first = False
        finally:
            if delta:
                self._drop_quietly(list(delta.values()))

    def _select(self, rule: ast.Rule, sources: Sequence[str], params: Params) -> str:
        return rule_select(rule, sources, self._full, self._reps_of, params)
