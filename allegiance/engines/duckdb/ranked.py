"""The DuckDB engine's derivation ranks on demand: what `why` needs to explain one fact, from the
demand program of that fact (analysis/demand.py), never the whole relations it is a row of.

Stage: engine (a part of DuckDBEngine, see engine.py). Input: a derived predicate and a row. Output:
`Engine.derivation_rounds_on_demand`: for each derived relation a proof of the fact can read from
its constants, rows with ranks: a derived row the round that first derived it (a base row 0); None
where demand does not pay (a small knowledge base: `why` reads the whole relations' rounds,
`derivation_rounds`). The relations it reads whole are not given: their rows stay in the engine,
evaluated with their rounds, all below the ranks given (`derivation_rounds` reads them).

Why the ranks serve a proof search (explain/search.py: a derived fact's proof uses premises of
strictly lower rank)
    The fact's demand program (every argument bound, no leaves: magic rules throughout) runs
    semi-naively, component after component (see below for what is cut short), each round numbered after every round before it,
    the relations it reads whole first (their own rounds from `derivation_rounds`, all lower).
    A row first derived in round r has a derivation whose premises are rows of earlier rounds or
    of relations read whole, so every row has a derivation of strictly lower premises; and every
    premise of such a derivation is itself a row handed out: an adorned relation holds every row
    of its predicate that a rule of the program reads with the bindings the magic relations pass
    (analysis/demand.py), and a negated relation is read whole. A row in several adorned relations
    of one predicate takes the lowest of its rounds. What reads only p's own facts (`@base@p`) is
    p's base rows: rank 0.

What keeps it bounded
    Only recursive relations are adorned (a non-recursive one is read whole, with its whole
    ranks); a component of magic predicates alone (bindings, never premises) is one recursive
    statement; the evaluation stops once a round derives the fact itself (what comes after ranks
    above it, so no proof of it reads it); and past `why_max_rounds` rounds it stops with a clear
    error: a proof that deep is more than the proof search shows (explain/why.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from ... import ast, errors
from ...analysis import demand
from ...analysis.stratify import components
from ...ast import PredicateSym, Row
from .compile import Params, body_preds, column_defs, column_names, positive_atoms, row_decoder
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
    # Rounds of a fact's demand program past which `why` stops: each costs a few statements, and a
    # proof that needs more is deeper than the proof search shows (explain/why.py) anyway.
    why_max_rounds = 300

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
            # demand through recursive relations only: a non-recursive one (tie/2 of the bundled
            # rules) is read whole with its own ranks, so that bindings travel along a recursion in
            # one recursive statement of magic predicates, not one round a step through its premises
            derived = {p: self._rules_by_head[i][p] for p, i in self._stratum_of.items() if self._recursive[i] or p == pred}
            plan = demand.rewrite(derived, (fact,))
            if plan is None:
                return None
            new = set(plan.adorned) | set(plan.magic)
            whole = {s for r in plan.rules for s in body_preds(r) if s in self._stratum_of and s not in new}
            # read whole: evaluated with their rounds here, their rows left in the engine (the
            # explainer reads them from `derivation_rounds`, once for every `why` of one state)
            after = [1 + max((self._last_round(s) for s in sorted(whole, key=str)), default=0)]
            self._rounds_left = self.why_max_rounds
            by_head: dict[PredicateSym, list[ast.Rule]] = {}
            for rule in plan.rules:
                by_head.setdefault(rule.head.sym, []).append(rule)
            with self._demand():
                self._register(plan)
                root = plan.query[0]  # __why() :- p@bb..(the fact's constants).
                for component in components(self._edges(plan, by_head)):
                    self._growing = ", ".join(s.name for s in component)
                    if set(component) <= set(plan.magic):  # bindings, never premises: no ranks
                        self._magic_closure(component, by_head)
                    elif self._ranked_component(component, by_head, after, root):
                        break  # the fact is derived: what comes later ranks above it, no premise of its proof
                self._growing = ""
                found: dict[PredicateSym, dict[Row, int]] = {}
                for name, (p, _) in plan.adorned.items():
                    ranked = self._lowest_rounds(self._magic_tables[name], p)
                    rows = found.get(p)
                    if rows is None:
                        found[p] = ranked
                        continue
                    for key, rnd in ranked.items():  # another adornment of p: the lowest of its rounds
                        if rnd < rows.get(key, rnd + 1):
                            rows[key] = rnd
                for p, rows in found.items():
                    for base in set(self._base_rows(p)) & set(rows) if p in self._ids else ():
                        rows[base] = 0
            # a relation read whole keeps its whole ranks (a negation reads it): not given here
            return {p: rows for p, rows in found.items() if p not in whole}

    _rounds_left = 0

    def _lowest_rounds(self, table: str, p: PredicateSym) -> dict[Row, int]:
        """A demand table's rows of p, each with the lowest of its rounds."""
        cols = ", ".join(column_names(p.arity))
        return self._by_round(f"SELECT {cols}, min(rnd) AS rnd FROM {table} GROUP BY ALL", p)

    def _by_round(self, ranked: str, p: PredicateSym) -> dict[Row, int]:
        """The rows of p a SELECT gives (its columns, then rnd; a row once), each with its round:
        sorted by round and cut at each round's count in SQL, as maxmin.read_grades does, with no
        Python step per row (`why` on a network of 100,000 statements reads tie/2's 123,767 rows
        with their rounds: 198 -> 149 ms)."""
        counts = self._run(f"SELECT rnd, count(*) FROM ({ranked}) GROUP BY rnd ORDER BY rnd").fetchall()
        if not p.arity:
            return {(): counts[0][0]} if counts else {}
        cols = ", ".join(column_names(p.arity))
        rows: list[Row] = self._run(f"SELECT {cols} FROM ({ranked}) ORDER BY rnd").fetchall()
        if "t" in self._reps[p]:  # tagged text: decoded row by row
            decode = row_decoder(self._reps[p])
            rows = [decode(r) for r in rows]
        found: dict[Row, int] = {}
        start = 0
        for rnd, count in counts:
            found.update(dict.fromkeys(rows[start:start + count], rnd))
            start += count
        return found

    def _last_round(self, pred: PredicateSym) -> int:
        """The highest round of a derived relation's rows, evaluated with its rounds first (as
        `derivation_rounds` reads them); 0 when it has none."""
        self._refresh({pred}, rounds=True)
        row = self._run(f"SELECT max(rnd) FROM r{self._ids[pred]}").fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    # Semi-naive evaluation of a component of the demand program, as magic.py's `_component`, each row
    # with the round that first derived it (rounds numbered on from `after[0]`).
    def _magic_closure(self, syms: Sequence[PredicateSym], by_head: dict[PredicateSym, list[ast.Rule]]) -> None:
        """A component of magic predicates: a linear one in one recursive statement (a chain of
        5,000 ties is one statement, not 5,000 rounds), any other semi-naively (magic.py)."""
        (sym, *more) = syms
        rules = by_head.get(sym, [])
        counts = [sum(a.sym == sym for a in positive_atoms(r)) for r in rules]
        if more or max(counts, default=0) > 1:
            self._component(syms, by_head)
            return
        params = Params()
        exits = [self._select(r, [self._full(a.sym) for a in positive_atoms(r)], params)
                 for r, n in zip(rules, counts, strict=True) if not n]
        steps = [self._select(r, ["w" if a.sym == sym else self._full(a.sym) for a in positive_atoms(r)], params)
                 for r, n in zip(rules, counts, strict=True) if n]
        self._magic_count += 1
        name = f"g{self._magic_count}"
        self._magic_made.append(name)
        cols = ", ".join(column_names(sym.arity))
        body = f"SELECT * FROM ({' UNION '.join(exits)})" if exits else f"SELECT * FROM {self._full(sym)} WHERE FALSE"
        if steps:
            body = f"WITH RECURSIVE w({cols}) AS ({body} UNION SELECT * FROM ({' UNION '.join(steps)})) SELECT * FROM w"
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {body}", params.values)
        self._magic_tables[sym] = name

    def _ranked_component(self, syms: Sequence[PredicateSym], by_head: dict[PredicateSym, list[ast.Rule]],
                          after: list[int], root: ast.Rule) -> bool:
        """True when `root` (the fact, over its adorned predicate) holds once a round is done: the
        evaluation stops there."""
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
                self._rounds_left -= 1
                if self._rounds_left < 0:
                    raise errors.QueryError(
                        f"explaining this fact takes more than {self.why_max_rounds} rounds of derivation: "
                        "its proof is too deep to show", None,
                        "ask about a nearer fact, or query the relation with one constant instead")
                fresh: dict[PredicateSym, str] = {}
                for sym in syms:
                    name = f"{tables[sym]}_{rnd}"
                    if self._fresh_rows(sym, by_head.get(sym, []), tables[sym], name, None if first else delta):
                        fresh[sym] = name
                self._drop_quietly(list(delta.values()))
                delta = {}
                for sym, name in fresh.items():
                    if scalar(self._run(f"INSERT INTO {tables[sym]} SELECT *, {int(rnd)} FROM {name}")):
                        delta[sym] = name
                    else:
                        self._drop_quietly([name])
                first = False
                fact = root.body[0]
                if isinstance(fact, ast.Atom) and fact.sym in delta:
                    params = Params()
                    holds = self._select(ast.Rule(fact, (fact,)), [tables[fact.sym]], params)  # its row, if derived
                    if scalar(self._run(f"SELECT count(*) FROM ({holds})", params.values)):
                        return True
            return False
        finally:
            if delta:
                self._drop_quietly(list(delta.values()))
