"""The DuckDB engine's derivation ranks on demand: what `why` needs to explain one fact, from the
demand program of that fact (analysis/demand.py), never the whole relations it is a row of.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: a derived predicate and a row. Output:
`Engine.derivation_rounds_on_demand`: for each derived relation a proof of the fact can read, rows
with ranks: a base row 0, a derived row the round that first derived it; None where demand does not
pay (a small knowledge base: `why` reads the whole relations' rounds, `derivation_rounds`).

Why the ranks serve a proof search (explain/search.py: a derived fact's proof uses premises of
strictly lower rank)
    The fact's demand program (every argument bound, no leaves: magic rules throughout) runs
    semi-naively, component after component, each round numbered after every round before it,
    the relations it reads whole first (their own rounds from `derivation_rounds`, all lower).
    A row first derived in round r has a derivation whose premises are rows of earlier rounds or
    of relations read whole, so every row has a derivation of strictly lower premises; and every
    premise of such a derivation is itself a row handed out: an adorned relation holds every row
    of its predicate that a rule of the program reads with the bindings the magic relations pass
    (analysis/demand.py), and a negated relation is read whole. A row in several adorned relations
    of one predicate takes the lowest of its rounds. What reads only p's own facts (`@base@p`) is
    p's base rows: rank 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from ... import ast
from ...analysis import demand
from ...analysis.stratify import components
from ...ast import PredicateSym, Row
from .compile import Params, body_preds, column_defs, column_names, round_sources, row_decoder
from .csv import scalar
from .magic import Magic


class Ranked(Magic):
    """Derivation ranks on demand; the layer of DuckDBEngine above the magic sets."""

    # An annotated evaluation (support) costs a few statements per relation and round where a plain
    # one costs one (a closure of N² pairs: minutes at N = 5,000 where the plain CTE takes seconds),
    # and `why` reads ranks into Python: demand pays for both from fewer base facts than for plain
    # queries (the bundled knowledge base has about 900, whose whole evaluation, kept for every
    # later question, takes milliseconds).
    support_demand_min_rows = 4_000

    def _support_on_demand(self) -> bool:
        return self.demand and self._worth_it(min(self.demand_min_rows, self.support_demand_min_rows))

    def derivation_rounds_on_demand(self, pred: PredicateSym, row: Row) -> dict[PredicateSym, dict[Row, int]] | None:
        if pred not in self._stratum_of or not pred.arity:
            return None
        with self._guard():
            if not self._support_on_demand():
                return None
            goal = ast.Atom("__why", ())
            fact = ast.Rule(goal, (ast.Atom(pred.name, tuple(ast.Constant(v) for v in row)),))
            derived = {p: self._rules_by_head[i][p] for p, i in self._stratum_of.items()}
            plan = demand.rewrite(derived, (fact,))
            if plan is None:
                return None
            new = set(plan.adorned) | set(plan.magic)
            whole = {s for r in plan.rules for s in body_preds(r) if s in self._stratum_of and s not in new}
            ranks: dict[PredicateSym, dict[Row, int]] = {s: self._rows_with_rounds(s) for s in sorted(whole, key=str)}
            after = [1 + max((max(r.values(), default=0) for r in ranks.values()), default=0)]
            by_head: dict[PredicateSym, list[ast.Rule]] = {}
            for rule in plan.rules:
                by_head.setdefault(rule.head.sym, []).append(rule)
            with self._demand():
                self._register(plan)
                for component in components(self._edges(plan, by_head)):
                    self._growing = ", ".join(s.name for s in component)
                    self._ranked_component(component, by_head, after)
                self._growing = ""
                found: dict[PredicateSym, dict[Row, int]] = {}
                for name, (p, _) in plan.adorned.items():
                    decode = row_decoder(self._reps[p])
                    cols = ", ".join(column_names(p.arity))
                    rows = found.setdefault(p, {})
                    for raw in self._run(f"SELECT {cols}, min(rnd) FROM {self._magic_tables[name]} GROUP BY ALL").fetchall():
                        key = decode(tuple(raw[:-1]))
                        rows[key] = min(raw[-1], rows.get(key, raw[-1]))
                for p, rows in found.items():
                    for base in set(self._base_rows(p)) & set(rows) if p in self._ids else ():
                        rows[base] = 0
            for p, rows in found.items():
                if p not in ranks:  # a relation read whole keeps its whole ranks (a negation reads it)
                    ranks[p] = rows
            return ranks

    def _rows_with_rounds(self, pred: PredicateSym) -> dict[Row, int]:
        raise NotImplementedError  # DuckDBEngine's (engine.py): a whole relation with its rounds

    # Semi-naive evaluation of a component of the demand program, as magic.py's `_component`, each row
    # with the round that first derived it (rounds numbered on from `after[0]`).
    def _ranked_component(self, syms: Sequence[PredicateSym], by_head: dict[PredicateSym, list[ast.Rule]],
                          after: list[int]) -> None:
        tables = {}
        for sym in syms:
            name = f"g{self._magic_count + 1}"
            self._magic_count += 1
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} ({column_defs(self._reps[sym])}, rnd BIGINT)")
            self._magic_tables[sym] = name
            self._magic_made.append(name)
            tables[sym] = name
        delta: dict[PredicateSym, str] = {}
        first = True
        try:
            while first or delta:
                rnd = after[0]
                after[0] += 1
                fresh: dict[PredicateSym, str] = {}
                for sym in syms:
                    params = Params()
                    selects = [self._select(rule, sources, params) for rule in by_head.get(sym, [])
                               for sources in round_sources(rule, self._full, None if first else delta)]
                    if not selects:
                        continue
                    name = f"{tables[sym]}_{rnd}"
                    same = " AND ".join(f"old.{c} = new.{c}" for c in column_names(sym.arity))
                    self._run(
                        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({' UNION ALL '.join(selects)}) AS new "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {tables[sym]} AS old WHERE {same})", params.values)
                    fresh[sym] = name
                self._drop_quietly(list(delta.values()))
                delta = {}
                for sym, name in fresh.items():
                    if scalar(self._run(f"INSERT INTO {tables[sym]} SELECT *, {int(rnd)} FROM {name}")):
                        delta[sym] = name
                    else:
                        self._drop_quietly([name])
                first = False
        finally:
            if delta:
                self._drop_quietly(list(delta.values()))
