"""The DuckDB engine's demand-driven queries: a query with constants evaluated through the magic-sets
rewrite of what it reads (analysis/demand.py), never the whole relations it does not need.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: a CheckedQuery. Output: the query to
answer, reading TEMP tables g<K> of the adorned and magic predicates, which live until the read is
answered; what the demand program reads whole is evaluated first (seeding.py's `_refresh`).

How the demand program runs
    Its predicates are evaluated in the order of their dependencies (strongly connected components,
    lowest first), each component semi-naively (a component without recursion in one pass). It
    negates only relations of the program, evaluated before it, so it needs no strata of its own.
    An adorned predicate whose stratum is a linear recursion bound at a position the recursion
    passes on unchanged, or at the one position it changes through a step (seeding.py's
    reachability), is a leaf: one recursive statement from its magic relation, as the seeded views
    of seeding.py from a constant (`indirect_ally(g5, Y)` reaches `allied_chain` from g5 only, and
    never builds the closure of the right recursion that magic rules would build).

Only predicates whose stratum is not evaluated yet take part: a relation already in its r<N> table
is read there. On a small knowledge base (fewer base facts than `demand_min_rows`) a query evaluates
whole what it reads, once, as every later query can read it: a demand program per query would cost
more. With `demand = False` every query is answered from the whole relations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ... import ast
from ...analysis import demand
from ...analysis.checked import CheckedQuery
from ...analysis.stratify import components
from ...ast import PredicateSym
from .compile import Params, body_preds, column_defs, column_names, positive_atoms, round_sources
from .csv import scalar
from .seeding import Seeding


class Magic(Seeding):
    """Queries answered on demand; the layer of DuckDBEngine above the seeding."""

    planned = 0  # how many queries were answered through a demand program (the tests count them)
    demand_min_rows = 20_000  # base facts below which a query evaluates whole what it reads (see _worth_it)

    def _full(self, sym: PredicateSym) -> str:
        table = self._magic_tables.get(sym)
        return table if table is not None else super()._full(sym)

    def _read_for(self, query: CheckedQuery) -> CheckedQuery:
        """Evaluate what `query` reads and return the query to answer over it: the query itself,
        or its rewrite over the demand program's tables."""
        own = {r.head.sym for r in query.rules}
        if "_magic_tables" not in vars(self):  # the class's empty values are only ever read
            self._magic_tables, self._magic_syms, self._magic_made = {}, [], []
        # nothing left to evaluate (every stratum clean): no plan to make, and no catalog query
        # (_worth_it's) on every later query
        plan = self._plan(query) if self.demand and self._dirty and self._worth_it() else None
        if plan is None:
            self._refresh({query.goal} - own, readers=query.rules)
            return query
        leaves = {plan.adorned[s][0] for s in plan.leaves}
        whole = {s for i in {self._stratum_of[p] for p in leaves} for s in self._reads[i]}
        self._refresh(whole, readers=(*plan.rules, *plan.query))
        self._register(plan)
        by_head: dict[PredicateSym, list[ast.Rule]] = {}
        for rule in plan.rules:
            by_head.setdefault(rule.head.sym, []).append(rule)
        for component in components(self._edges(plan, by_head)):
            self._growing = ", ".join(s.name for s in component)
            if len(component) == 1 and component[0] in plan.leaves:
                self._leaf(component[0], plan)
            else:
                self._component(component, by_head)
        self._growing = ""
        self.planned += 1
        return CheckedQuery(plan.query, query.goal, query.variables, query.source)

    def _register(self, plan: demand.Demand) -> None:
        """The demand program's predicates: their representations, and `@base@p` read from p's b<N>."""
        if "_magic_tables" not in vars(self):  # the class's empty values are only ever read
            self._magic_tables, self._magic_syms, self._magic_made = {}, [], []
        self._magic_syms += [*plan.adorned, *plan.magic, *plan.bases]  # a read inside a read adds its own
        for base, sym in plan.bases.items():
            self._magic_tables[base] = f"b{self._ids[sym]}"
            self._reps[base], self._kinds[base] = self._reps[sym], self._kinds[sym]
        for new, (sym, bound) in [*plan.adorned.items(), *plan.magic.items()]:
            if new in plan.magic:
                self._reps[new] = tuple(self._reps[sym][k] for k in bound)
                self._kinds[new] = tuple(self._kinds[sym][k] for k in bound)
            else:
                self._reps[new], self._kinds[new] = self._reps[sym], self._kinds[sym]

    def _worth_it(self, least: int | None = None) -> bool:
        """Whether the base facts are many enough (`demand_min_rows`, or `least`) for demand to pay:
        below, one whole evaluation, which every later query reads, costs less than a demand program
        per query."""
        least = self.demand_min_rows if least is None else least
        if least <= 0:
            return True
        if self._base_count is None:  # a store read from a file, a CSV import: DuckDB's estimate
            # (the catalog's first read on a connection costs about 10 ms: not on every load)
            self._base_count = scalar(self._run(
                "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND regexp_matches(table_name, '^b[0-9]+$')"))
        return self._base_count >= least

    def _plan(self, query: CheckedQuery) -> demand.Demand | None:
        """The demand program of `query` over the strata not evaluated yet, a linear stratum bound
        where a seeded statement can read it a leaf; None when nothing is read with a binding."""
        derived = {p: self._rules_by_head[i][p] for p, i in self._stratum_of.items() if i in self._dirty}
        cyclic: set[tuple[PredicateSym, demand.Bound]] = set()

        def leaf(sym: PredicateSym, bound: demand.Bound) -> bool:
            i = self._stratum_of[sym]
            reach = self._reach[i]
            return (sym, bound) not in cyclic and self._linear[i] and (
                bool(self._stable[i] & set(bound)) or (reach is not None and reach[0] in bound))

        while True:
            plan = demand.rewrite(derived, query.rules, leaf)
            if plan is None:
                return None
            # a leaf inside a recursion of the demand program (its magic relation grows with what
            # it yields) is evaluated by its magic rules instead
            by_head: dict[PredicateSym, list[ast.Rule]] = {}
            for rule in plan.rules:
                by_head.setdefault(rule.head.sym, []).append(rule)
            inside = {s for c in components(self._edges(plan, by_head)) if len(c) > 1 for s in c} & plan.leaves
            if not inside:
                return plan
            cyclic |= {plan.adorned[s] for s in inside}

    def _edges(self, plan: demand.Demand, by_head: dict[PredicateSym, list[ast.Rule]]) -> dict[PredicateSym, set[PredicateSym]]:
        """Each new predicate -> the new predicates it reads."""
        new = set(plan.adorned) | set(plan.magic)
        edges: dict[PredicateSym, set[PredicateSym]] = {s: set() for s in new}
        for head, rules in by_head.items():
            edges[head] |= {s for r in rules for s in body_preds(r)} & new
        for s in plan.leaves:
            edges[s].add(demand.magic_sym(*plan.adorned[s]))
        return edges

    def _new_table(self, sym: PredicateSym) -> str:
        self._magic_count += 1
        name = f"g{self._magic_count}"
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} ({column_defs(self._reps[sym])})")
        self._magic_tables[sym] = name
        self._magic_made.append(name)
        return name

    def _leaf(self, sym: PredicateSym, plan: demand.Demand) -> None:
        """Adorned linear predicate `sym` from its magic relation, in one recursive statement."""
        p, bound = plan.adorned[sym]
        i = self._stratum_of[p]
        magic = self._magic_tables[demand.magic_sym(p, bound)]
        name = self._new_table(sym)
        params = Params()
        stable = sorted(self._stable[i] & set(bound))
        if stable:
            j = stable[0]
            values = f"SELECT c{bound.index(j)} FROM {magic}"
            cte = self._linear_cte(i, params, within=(j, values))
            self._run(f"INSERT INTO {name} {cte} SELECT * FROM w", params.values)
            return
        reach = self._reach[i]
        assert reach is not None
        values = f"SELECT DISTINCT c{bound.index(reach[0])} AS v FROM {magic}"
        self._run(f"INSERT INTO {name} {self._reach_from(i, values, params)}", params.values)

    # Semi-naive evaluation of a component of the demand program, as loop.py's for a stratum:
    # round 1 runs every rule on the full tables, each later round one variant per atom of the
    # component reading the last round's delta; a round's new rows are those no row of the table equals.
    def _component(self, syms: Sequence[PredicateSym], by_head: dict[PredicateSym, list[ast.Rule]]) -> None:
        own = set(syms)
        if not any(a.sym in own for s in syms for r in by_head.get(s, []) for a in positive_atoms(r)):
            for sym in syms:  # no recursion: one statement (a point query runs a handful of these)
                params = Params()
                selects = [self._select(r, [self._full(a.sym) for a in positive_atoms(r)], params) for r in by_head[sym]]
                self._magic_count += 1
                name = f"g{self._magic_count}"
                self._magic_made.append(name)
                self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({' UNION ALL '.join(selects)})",
                          params.values)
                self._magic_tables[sym] = name
            return
        tables = {s: self._new_table(s) for s in syms}
        recursive = True
        delta: dict[PredicateSym, str] = {}
        first, parity = True, 0
        try:
            while first or delta:
                parity ^= 1
                fresh: dict[PredicateSym, str] = {}
                for sym in syms:
                    name = f"{tables[sym]}_{parity}"
                    if self._fresh_rows(sym, by_head.get(sym, []), tables[sym], name, None if first else delta):
                        fresh[sym] = name
                self._drop_quietly(list(delta.values()))
                delta = {}
                for sym, name in fresh.items():
                    if scalar(self._run(f"INSERT INTO {tables[sym]} SELECT * FROM {name}")) and recursive:
                        delta[sym] = name
                    else:
                        self._drop_quietly([name])
                first = False
        finally:
            if delta:
                self._drop_quietly(list(delta.values()))

    @contextmanager
    def _demand(self) -> Iterator[None]:
        """The demand program's tables and names live only until the read is answered."""
        try:
            with super()._demand():
                yield
        finally:
            names = self._magic_made  # every table made, a read inside the read's included
            for sym in self._magic_syms:
                self._reps.pop(sym, None)
                self._kinds.pop(sym, None)
            self._magic_tables, self._magic_syms, self._magic_made = {}, [], []
            if names:
                self._drop_quietly(names)

    # each engine's own from its first _read_for on; emptied when a read is answered
    def _fresh_rows(self, sym: PredicateSym, rules: Sequence[ast.Rule], table: str, name: str,
                    delta: dict[PredicateSym, str] | None) -> bool:
        """TEMP table `name` := what sym's rules derive this round (every variant of a rule reading
        one delta, compile.round_sources; all full relations in the first round, delta None) that
        `table` does not hold yet. False when no rule has a variant to run."""
        # sym(X) :- body.   new rows only: the round's union, less what the table holds
        params = Params()
        selects = [self._select(rule, sources, params) for rule in rules
                   for sources in round_sources(rule, self._full, delta)]
        if not selects:
            return False
        same = " AND ".join(f"old.{c} = new.{c}" for c in column_names(sym.arity))
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({' UNION ALL '.join(selects)}) AS new "
                  f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS old WHERE {same})", params.values)
        return True

    _magic_tables: dict[PredicateSym, str] = {}  # noqa: RUF012
    _magic_syms: list[PredicateSym] = []  # noqa: RUF012
    _magic_made: list[str] = []  # noqa: RUF012
    _magic_count = 0

