"""Max-min strata of the interval-annotated evaluation: a grade per row instead of islands.

Stage: engine (part of annotated.py's evaluation). Input: a stratum's rules, the tables of the
relations they read. Output: the stratum's relations, written into their tables in annotated.py's
form (c0.., lo, hi), coalesced.

Why: support (support.py) annotates a fact with [0, level]: it holds under every threshold up to
its strongest statement's level. A relation whose every row holds on one interval starting at 0
is *prefix-shaped*, and is a grade per row. A positive rule over prefix-shaped relations derives
[0, min of the premises' tops] (the intersection of prefixes is a prefix), and the union of the
derivations is [0, the max of them]: max-min, the annotation Soufflé's and Nemo's lattice
aggregates compute, with no window function, no island and no coalescing. Only negation breaks the
shape (a gap is a suffix), so a stratum is evaluated here when none of its rules negates anything
and everything it reads is prefix-shaped; what it derives is prefix-shaped in turn.

    p(X) :- a(X), b(X).     p(x) on [0, max over derivations of LEAST(a.hi, b.hi)]

How it runs
    A non-recursive stratum: one statement, the candidates grouped by key with MAX(hi).
    A recursion that only reorders the predicate's arguments (a symmetric relation): one statement,
    each row the best grade of its images in the base.
    A linear recursion of one predicate (each rule reads it at most once): one recursive CTE with
    set semantics over (key, hi), as the plain engine's closure, then MAX(hi) per key. Its rows
    are the (key, grade) pairs some derivation reaches: at most a row per key and level. (DuckDB's
    `USING KEY` keeps one row per key, but the test that a candidate improves on the kept row reads
    the whole recurring table each iteration: ten times slower on a 300-edge chain.)
    Any other recursion: semi-naive over grades. A round's candidates are grouped by key with
    MAX(hi), and only those that improve on the relation's row of their key are kept (the rows
    whose grade did not improve are not derived again); they replace those rows and are the delta.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from ... import ast
from ...analysis.checked import CheckedProgram
from ...ast import PredicateSym, Row
from ..base import Annotated, Interval
from .compile import (
    Params,
    column_names,
    permutations_closed,
    positive_atoms,
    round_sources,
    row_decoder,
    rule_select,
)


class MaxMin:
    """The max-min strata of annotated._Evaluation (which provides what is declared here)."""

    # set by annotated._Evaluation
    run: Callable[[str, Sequence[object]], Any]
    table: dict[PredicateSym, str]
    tables: list[str]
    empty: set[PredicateSym]
    reps: dict[PredicateSym, tuple[str, ...]]
    last: int  # the domain is 0..last
    prefix_shaped: set[PredicateSym]  # the prefix-shaped relations (one row per key, lo = 0)

    @abstractmethod
    def scratch_name(self) -> str: ...

    @abstractmethod
    def full(self, sym: PredicateSym) -> str: ...

    @abstractmethod
    def reps_of(self, sym: PredicateSym) -> tuple[str, ...]: ...

    @abstractmethod
    def select(self, rule: ast.Rule, sources: Sequence[str], params: Params) -> str: ...

    def max_min(self, heads: list[PredicateSym], rules: dict[PredicateSym, list[ast.Rule]]) -> bool:
        """Whether the stratum is max-min: no negation, and every relation it reads and writes
        is prefix-shaped (a head with base rows too)."""
        for head in heads:
            if head not in self.prefix_shaped:
                return False
            for rule in rules[head]:
                if any(isinstance(lit, ast.NegLiteral) for lit in rule.body):
                    return False
                if any(a.sym not in self.prefix_shaped for a in positive_atoms(rule)):
                    return False
        return True

    def max_min_stratum(self, heads: list[PredicateSym], rules: dict[PredicateSym, list[ast.Rule]],
                        recursive: bool) -> None:
        if not recursive:
            for p in heads:
                if rules[p]:
                    params = Params()
                    self._replace(p, [self.select(rule, [self.full(a.sym) for a in positive_atoms(rule)], params)
                                      for rule in rules[p]], params)
            return
        if len(heads) == 1 and all(sum(a.sym == heads[0] for a in positive_atoms(r)) <= 1 for r in rules[heads[0]]):
            group = permutations_closed(rules[heads[0]])
            if group is not None:
                self._reordered(heads[0], rules[heads[0]], group)
            else:
                self._linear(heads[0], rules[heads[0]])
            return
        self._seminaive(heads, rules)

    def _replace(self, p: PredicateSym, selects: list[str], params: Params) -> None:
        """p's table := its rows and the candidates of `selects`, MAX(hi) per key."""
        cols = ", ".join(column_names(p.arity))
        union = " UNION ALL ".join(f"SELECT * FROM ({select}) AS {params.alias('u')}" for select in selects)
        rel = self.table[p]
        if p in self.empty:
            count = self._count(f"INSERT INTO {rel} SELECT {cols}, 0, MAX(hi) FROM ({union}) AS x GROUP BY {cols}",
                                params.values)
        else:
            made = self.scratch_name()
            self.tables.append(made)
            self.run(f"CREATE TEMP TABLE {made} AS SELECT {cols}, 0 AS lo, MAX(hi) AS hi FROM "
                     f"(SELECT {cols}, lo, hi FROM {rel} UNION ALL {union}) AS x GROUP BY {cols}", params.values)
            count = self._count(f"DELETE FROM {rel}; INSERT INTO {rel} SELECT * FROM {made}", [])
            self.run(f"DROP TABLE {made}", [])
        if count:
            self.empty.discard(p)

    # A relation whose recursive rules only reorder its arguments (ally(X, Y) :- ally(Y, X)): a
    # row's grade is the best of its images' in the base, in one statement with no recursion (as
    # loop.py's plain evaluation does it), where the sweep below took a row per threshold:
    #     ally(x, y) on [0, max(g(x, y), g(y, x))]      (g: the grade of the base and exit rules)
    def _reordered(self, p: PredicateSym, rules: list[ast.Rule], group: list[tuple[int, ...]]) -> None:
        params = Params()
        cols = column_names(p.arity)
        base = [f"SELECT {', '.join(cols)}, lo, hi FROM {self.full(p)} WHERE lo <= hi"] if p not in self.empty else []
        base += [self.select(rule, [self.full(a.sym) for a in positive_atoms(rule)], params)
                 for rule in rules if p not in {a.sym for a in positive_atoms(rule)}]
        if not base:
            return
        images = [f"SELECT {', '.join(f'c{k}' for k in perm)}, lo, hi FROM a" for perm in group]
        self._replace(p, [f"WITH a({', '.join(cols)}, lo, hi) AS ({' UNION ALL '.join(base)}) "
                          f"{' UNION ALL '.join(images)}"], params)

    # One relation per threshold t, in one statement (the sweep, with t a join column): each
    # relation read, a row per threshold where it holds (t as lo); every atom of a rule at the
    # same t; then the grade of a row is the greatest t where it holds.
    #     path(X, Y, t) :- edge(X, Y, t).
    #     path(X, Y, t) :- path(X, Z, t), edge(Z, Y, t).              then MAX(t) per (X, Y)
    # Carrying the grade instead (path(X, Y, least(g, h))) derives a row again at each weaker grade
    # a longer path gives it: half as fast again on a random graph of 1,500 edges.
    def _linear(self, p: PredicateSym, rules: list[ast.Rule]) -> None:
        params = Params()
        exits: list[str] = []
        steps: list[str] = []
        expanded: dict[PredicateSym, str] = {}  # made once: a step reads them every iteration
        for rule in rules:
            atoms = positive_atoms(rule)
            sources = ["w" if a.sym == p else self._each_threshold(a.sym, expanded) for a in atoms]
            (steps if p in {a.sym for a in atoms} else exits).append(self._at_one_threshold(rule, sources, params))
        cols = ", ".join(column_names(p.arity))
        if p not in self.empty:
            exits.append(f"SELECT {cols}, lo FROM {self._each_threshold(p, expanded)}")
        if exits:
            # w(key, t): the threshold once (lo), the set UNION over the fewest columns
            cte = (f"WITH RECURSIVE w({cols}, lo) AS (SELECT * FROM ({' UNION '.join(exits)}) AS a"
                   + (f" UNION SELECT * FROM ({' UNION ALL '.join(steps)}) AS b" if steps else "") + ") ")
            self._replace(p, [cte + f"SELECT {cols}, lo, lo AS hi FROM w"], params)
        if expanded:
            self.run("; ".join(f"DROP TABLE {name}" for name in expanded.values()), [])

    def _each_threshold(self, sym: PredicateSym, expanded: dict[PredicateSym, str]) -> str:
        """A table of sym's rows, one per threshold t where it holds (0..hi), with t as lo."""
        if sym not in expanded:
            name = expanded[sym] = self.scratch_name()
            self.tables.append(name)
            cols = ", ".join(f"g.{c}" for c in column_names(sym.arity))
            self.run(f"CREATE TEMP TABLE {name} AS SELECT {cols}, r.t AS lo FROM {self.full(sym)} AS g, "
                     f"range(0, {int(self.last) + 1}) AS r(t) WHERE r.t <= g.hi", [])
        return expanded[sym]

    def _at_one_threshold(self, rule: ast.Rule, sources: Sequence[str], params: Params) -> str:
        """rule's rows at each threshold: its atoms (sources with a row per threshold) joined at
        the same t; a rule without atoms holds at every threshold."""
        first = params.aliases  # compile.py names the positive atoms t<first+1>, ... in order
        inner = rule_select(rule, sources, self.full, self.reps_of, params)
        cols = ", ".join(column_names(rule.head.sym.arity))
        if not sources:
            return (f"SELECT {cols}, r.t AS lo FROM ({inner}) AS s, "
                    f"range(0, {int(self.last) + 1}) AS r(t)")
        aliases = [f"t{first + i + 1}" for i in range(len(sources))]
        same = " AND ".join(f"{aliases[0]}.lo = {a}.lo" for a in aliases[1:])
        if same:  # no negation here: the only WHERE is the rule's own, at the end
            inner += (" AND " if " WHERE " in inner else " WHERE ") + same
        assert inner.startswith("SELECT ")
        inner = f"SELECT {aliases[0]}.lo AS lo, " + inner[len("SELECT "):]
        return f"SELECT {cols}, lo FROM ({inner}) AS {params.alias('s')}"

    def _seminaive(self, heads: list[PredicateSym], rules: dict[PredicateSym, list[ast.Rule]]) -> None:
        delta: dict[PredicateSym, str] = {}
        first = True
        while first or delta:
            fresh: dict[PredicateSym, str] = {}
            for p in heads:
                params = Params()
                selects = [self.select(rule, sources, params) for rule in rules[p]
                           for sources in round_sources(rule, self.full, None if first else delta)]
                if not selects:
                    continue
                cols = ", ".join(column_names(p.arity))
                key = " AND ".join(f"x.{c} = y.{c}" for c in column_names(p.arity)) or "TRUE"
                name = self.scratch_name()
                self.tables.append(name)
                # the candidates that improve on their key's row: a key not derived yet, or a
                # grade above the one it has
                made = self._count(
                    f"CREATE TEMP TABLE {name} AS SELECT * FROM (SELECT {cols}, 0 AS lo, MAX(hi) AS hi FROM "
                    f"({' UNION ALL '.join(selects)}) AS c GROUP BY {cols}) AS x WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {self.table[p]} AS y WHERE {key} AND y.hi >= x.hi)", params.values)
                if made:
                    fresh[p] = name
                else:
                    self.run(f"DROP TABLE {name}", [])
            stale = list(delta.values())
            # a round reads the last one: relations change only after every candidate is made
            for p, name in fresh.items():
                rel = self.table[p]
                key = " AND ".join(f"x.{c} = y.{c}" for c in column_names(p.arity)) or "TRUE"
                self.run(f"DELETE FROM {rel} AS y WHERE EXISTS (SELECT 1 FROM {name} AS x WHERE {key}); "
                         f"INSERT INTO {rel} SELECT * FROM {name}", [])
                self.empty.discard(p)
            delta = fresh
            if stale:
                self.run("; ".join(f"DROP TABLE {name}" for name in stale), [])
            first = False

    def read_grades(self, sym: PredicateSym) -> dict[Row, tuple[Interval, ...]]:
        """A prefix-shaped relation's rows, each with its one island [0, hi]: the rows sorted by
        grade and cut at each grade's count, each grade's island one tuple shared by its rows (a
        relation of 200,000 rows reaches Python without a Python step per row). Within a grade
        the rows are sorted by their columns, the order answers come in: looking sorted answers
        up reads the dict's keys nearly in memory order (the support of a closure's 221,359
        answers read this way: 215 ms -> 178 ms). As rows, not arrays: fetchnumpy would import
        numpy (40 ms)."""
        table = self.table[sym]
        counts = self.run(f"SELECT hi, count(*) FROM {table} GROUP BY hi ORDER BY hi", []).fetchall()
        if not sym.arity:
            return {(): ((0, counts[0][0]),)} if counts else {}  # one row at most
        cols = ", ".join(column_names(sym.arity))
        rows = self.run(f"SELECT {cols} FROM {table} ORDER BY hi, {cols}", []).fetchall()
        if "t" in self.reps[sym]:  # tagged text: decoded row by row
            decode = row_decoder(self.reps[sym])
            rows = [decode(raw) for raw in rows]
        found: dict[Row, tuple[Interval, ...]] = {}
        start = 0
        for hi, count in counts:
            found.update(dict.fromkeys(rows[start:start + count], ((0, hi),)))
            start += count
        return found

    def _count(self, sql: str, params: Sequence[object]) -> int:
        """The rows a statement (the last of several) wrote."""
        rows = self.run(sql, params).fetchall()
        return int(rows[0][0]) if rows else 0


def prefix_shaped(program: CheckedProgram, annotated: Annotated) -> bool:
    """Whether the whole evaluation is max-min: no rule negates anything and every annotated fact
    holds on an interval starting at 0 (as support's grading makes them)."""
    if any(isinstance(lit, ast.NegLiteral) for rule in program.rules for lit in rule.body):
        return False
    return all(max(lo, 0) == 0 for entries in annotated.facts.values() for _, lo, _ in entries)
