"""Interval-annotated semi-naive evaluation in SQL: Engine.annotated_query for the DuckDB engine.

Stage: engine (the DuckDB engine's annotated evaluation). Input: a CheckedProgram, plain facts
(holding on the whole domain), `base.Annotated` facts (holding on intervals of 0..size-1), a
CheckedQuery, and a function that runs one SQL statement with bound parameters (the engine's, which
honours its time limit and Ctrl-C). Output: for each answer of the query, the maximal disjoint
intervals of the points where it holds, sorted; each point's answers are those of the ordinary
evaluation over the facts holding there.

How it runs
    Every relation is a TEMP table of its columns (c0, c1, ...; z for zero arity, represented as
    compile.py compiles them) plus `lo`, `hi`: the row holds at every point of [lo, hi]. A table is kept
    coalesced: per key (the columns) its intervals are disjoint and not adjacent (gaps-and-islands
    with window functions), so a relation is a set of (key, island).
    - A positive body is a join whose interval is the intersection: GREATEST of the lo's, LEAST of
      the hi's, empty ones dropped. Rules compile with compile.py's compiler, unchanged.
    - `not q(args)` (q complete: a lower stratum) is the difference: the rule is split in two, one
      variant joining q's gaps (its complement per key present in q, a table made once), the other
      keeping `NOT EXISTS` for keys absent from q altogether (those hold everywhere). When q is
      prefix-shaped (each row on [0, g], see maxmin.py) the difference is one lower bound instead,
      one past the greatest g of the matching rows: no split, so m such negations cost one join
      where the split costs 2^m (a rule of the bundled knowledge base negates five relations).
    - Several derivations are the union: candidates are coalesced into the relation.
    - Recursion is semi-naive over islands: a round's delta is the islands that changed when the
      candidates were coalesced in, so a derivation is new only where it adds coverage, and the
      loop ends when coverage stops growing (finite keys times finite points).
    - A stratum that negates nothing over prefix-shaped relations is max-min (maxmin.py): a
      grade per row, no island. Base facts are coalesced in Python as they are loaded.
    The query's rules run last, as non-recursive strata in dependency order.

Tables: `a<N>_r<K>` (relations), `a<N>_g<K>` (gaps), `a<N>_x<M>` (per-round scratch), N unique per
call; every identifier is generated, every constant a bound parameter; all are dropped at the end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Protocol

from ... import ast
from ...analysis.checked import CheckedProgram, CheckedQuery
from ...ast import PredicateSym, Row
from ..base import Annotated, Facts, Interval, clipped, coalesce
from .compile import (
    SQL_TYPE,
    Expr,
    Params,
    body_preds,
    column_defs,
    column_kinds,
    column_names,
    compare_sql,
    copied_relation,
    positive_atoms,
    program_kinds,
    rep_for,
    round_sources,
    row_decoder,
    row_key,
    rule_select,
)
from .maxmin import MaxMin


class Cursor(Protocol):
    def fetchall(self) -> list[Any]: ...


Run = Callable[[str, Sequence[object]], Cursor]

_calls = itertools.count(1)  # one table prefix per evaluation


def evaluate(run: Run, drop: Callable[[list[str]], None], program: CheckedProgram, plain: Facts,
             annotated: Annotated, query: CheckedQuery,
             closures: frozenset[PredicateSym] = frozenset()) -> dict[Row, tuple[Interval, ...]]:
    """Engine.annotated_query (see the module docstring); `drop` removes tables even after an
    interrupt. `closures`: linear recursive predicates without facts, each evaluated in one
    recursive statement (`_Evaluation.closure`)."""
    if annotated.size <= 0:
        return {}
    evaluation = _Evaluation(run, program, plain, annotated, query)
    evaluation.closures = closures
    try:
        evaluation.derive()
        return evaluation.read(query.goal)
    finally:
        drop(evaluation.tables)


def evaluate_relations(run: Run, drop: Callable[[list[str]], None], program: CheckedProgram, plain: Facts,
                       annotated: Annotated, read: Collection[PredicateSym] | None = None, small: int = 0
                       ) -> dict[PredicateSym, dict[Row, tuple[Interval, ...]]]:
    """Engine.annotated_relations: one evaluation, then every relation the program derives (or
    those of `read`, and besides them those of at most `small` rows) read back (a relation with no
    row maps to an empty dict). A relation outside `read` is counted in the engine first: a large
    one (a closure over a real-sized network) never reaches Python unasked."""
    if annotated.size <= 0:
        return {}
    evaluation = _Evaluation(run, program, plain, annotated, None)
    try:
        evaluation.derive()
        return {sym: evaluation.read(sym) for st in program.strata for sym in sorted(st.predicates, key=str)
                if read is None or sym in read or evaluation.count(sym) <= small}
    finally:
        drop(evaluation.tables)


def with_levels(run: Run, drop: Callable[[list[str]], None], program: CheckedProgram, plain: Facts,
                annotated: Annotated, query: CheckedQuery, answers: str, params: Sequence[object],
                reps: Sequence[str], fetch: Callable[[Cursor], Any]) -> Any:
    """Engine.annotated_answers: one evaluation, then the plain answers (`answers`: their SELECT,
    parameters and column representations) left-joined with the goal's island starting at 0, in
    Engine.query's order, handed to `fetch` before the evaluation's tables go: rows of the answer's
    columns (as stored), then its level. None when the goal's columns are represented otherwise
    here (a join would compare different encodings). Answers are distinct, the goal coalesced (one
    island from 0 a key at most): a row an answer. `goal(X, Y) :- p(X, Y).` reads p's own table."""
    if annotated.size <= 0:
        return None
    whole = copied_relation(query.rules[0]) if len(query.rules) == 1 else None
    evaluation = _Evaluation(run, program, plain, annotated, None if whole else query)
    try:
        evaluation.derive()
        goal = whole or query.goal
        if evaluation.reps.get(goal) != tuple(reps):
            return None
        names = column_names(goal.arity)
        cols, on = ", ".join(f"p.{c}" for c in names), " AND ".join(f"p.{c} = a.{c}" for c in names)
        # the order of Engine.query's answers (ORDER BY ALL): by every column, left to right
        return fetch(run(f"SELECT {cols}, COALESCE(a.hi + 1, 0) AS level FROM ({answers}) AS p({', '.join(names)}) "
                         f"LEFT JOIN (SELECT * FROM {evaluation.table[goal]} WHERE lo = 0) AS a ON {on} "
                         f"ORDER BY {cols}", params))
    finally:
        drop(evaluation.tables)


class _Evaluation(MaxMin):
    def __init__(self, run: Run, program: CheckedProgram, plain: Facts, annotated: Annotated,
                 query: CheckedQuery | None) -> None:
        self.run = run
        self.program = program
        self.query = query
        self.last = int(annotated.size) - 1  # a Python int: safe to write into SQL
        self.prefix = f"a{next(_calls)}_"
        self.tables: list[str] = []
        self.scratch = itertools.count(1)
        self.plain = {sym: {tuple(r) for r in rows} for sym, rows in plain.items()}
        self.annotated = clipped(annotated)

        # column kinds: the facts', the declarations', flowing through program and query rules
        fact_kinds: dict[PredicateSym, list[set[str]]] = {}
        for sym, rows in [*self.plain.items(), *self.annotated.items()]:
            cols = fact_kinds.setdefault(sym, [set() for _ in range(sym.arity)])
            for j, column in enumerate(zip(*rows, strict=True)):  # a column at a time
                cols[j] |= column_kinds(column)
        kinds = program_kinds((*program.rules, *(query.rules if query else ())), program.types, fact_kinds)
        self.reps: dict[PredicateSym, tuple[str, ...]] = {s: tuple(rep_for(k) for k in ks) for s, ks in kinds.items()}
        self.ids = {sym: k for k, sym in enumerate(sorted(self.reps, key=str))}
        self.table: dict[PredicateSym, str] = {}
        self.gaps: dict[PredicateSym, PredicateSym] = {}  # q -> the pseudo-predicate reading q's gaps
        self.source: dict[PredicateSym, str] = {}  # pseudo-predicate -> its table
        self.empty: set[PredicateSym] = set()  # relations with no row yet
        self.pending: list[str] = []  # CREATE statements of empty relations, run together
        self.prefix_shaped: set[PredicateSym] = set()  # relations whose rows each hold on [0, hi] (maxmin.py)
        self.closures: frozenset[PredicateSym] = frozenset()

    # --- helpers -----------------------------------------------------------------------------------

    def new_table(self, name: str, sym: PredicateSym) -> str:
        self.run(f"CREATE TEMP TABLE {name} ({column_defs(self.reps[sym])}, lo BIGINT, hi BIGINT)", [])
        self.tables.append(name)
        return name

    def scratch_name(self) -> str:
        return f"{self.prefix}x{next(self.scratch)}"

    def reps_of(self, sym: PredicateSym) -> tuple[str, ...]:
        return self.reps[sym]

    def full(self, sym: PredicateSym) -> str:
        return self.source.get(sym) or self.table[sym]

    # --- the stages --------------------------------------------------------------------------------

    def derive(self) -> None:
        """Every relation: base facts loaded, then the strata, then the query's rules."""
        for sym in self.reps:
            self.load_base(sym)
        if self.pending:  # the empty relations' tables, in one batch (a statement each costs more)
            self.run("; ".join(self.pending), [])
            self.pending = []
        for stratum in self.program.strata:
            heads = sorted({r.head.sym for r in stratum.rules}, key=str)
            self.stratum(heads, stratum.rules, stratum.recursive)
        for sym, rules in self.query_order():
            self.stratum([sym], rules, recursive=False)

    def read(self, sym: PredicateSym) -> dict[Row, tuple[Interval, ...]]:
        """sym's rows, each with its islands (sorted)."""
        if sym in self.empty:
            return {}
        cols = ", ".join(column_names(sym.arity))
        decode = row_decoder(self.reps[sym])
        if sym in self.prefix_shaped:
            return self.read_grades(sym)
        # islands are maximal already: only a row with several needs them sorted
        found: dict[Row, tuple[Interval, ...]] = {}
        several: set[Row] = set()
        for raw in self.run(f"SELECT {cols}, lo, hi FROM {self.table[sym]}", []).fetchall():
            row = decode(tuple(raw[:-2])) if sym.arity else ()
            span = (raw[-2], raw[-1])
            if row in found:
                found[row] += (span,)
                several.add(row)
            else:
                found[row] = (span,)
        for row in several:
            found[row] = coalesce(found[row])
        return found

    def count(self, sym: PredicateSym) -> int:
        """How many (row, island) pairs sym's table holds."""
        if sym in self.empty:
            return 0
        found = self.run(f"SELECT count(*) FROM {self.table[sym]}", []).fetchall()
        return int(found[0][0])

    def query_order(self) -> list[tuple[PredicateSym, list[ast.Rule]]]:
        own: dict[PredicateSym, list[ast.Rule]] = {}
        for rule in self.query.rules if self.query else ():
            own.setdefault(rule.head.sym, []).append(rule)
        order: list[PredicateSym] = []

        def visit(sym: PredicateSym) -> None:
            if sym in own and sym not in order:
                for rule in own[sym]:
                    for dep in body_preds(rule) - {sym}:
                        visit(dep)
                order.append(sym)

        for sym in own:
            visit(sym)
        return [(sym, own[sym]) for sym in order]

    def load_base(self, sym: PredicateSym) -> None:
        """r<K>: sym's plain facts on [0, size-1] and annotated ones on their intervals, coalesced."""
        reps = self.reps[sym]
        # coalesced here, per key as the table holds it (the encoded values): the facts are in
        # Python already, and a window query costs a statement's worth of fixed cost per relation
        spans: dict[tuple[object, ...], list[Interval]] = {}
        everywhere = [(0, self.last)]
        plain, marked = self.plain.get(sym, set()), self.annotated.get(sym, {})
        key_of = row_key(reps, [*plain, *marked])
        for row in plain:
            spans[key_of(row)] = everywhere
        for row, intervals in marked.items():
            key = key_of(row)
            found = spans.get(key)
            spans[key] = list(intervals) if found is None else ([*found, *intervals] if found is not everywhere else found)
        rows = [(key, lo, hi) for key, several in spans.items()
                for lo, hi in (several if len(several) == 1 else coalesce(several))]
        name = f"{self.prefix}r{self.ids[sym]}"
        self.table[sym] = name
        if all(lo == 0 for _, lo, _ in rows):  # every row holds on [0, hi]: one row per key
            self.prefix_shaped.add(sym)
        if not rows:
            self.pending.append(f"CREATE TEMP TABLE {name} ({column_defs(reps)}, lo BIGINT, hi BIGINT)")
            self.tables.append(name)
            self.empty.add(sym)
            return
        columns: list[list[object]] = [[key[j] for key, _, _ in rows] for j in range(sym.arity)]
        types = [SQL_TYPE[rep] for rep in reps]
        if not reps:  # the column z: TRUE, once per interval
            columns, types = [[True] * len(rows)], ["BOOLEAN"]
        n = len(columns)
        items = [f"unnest(CAST(${j + 1} AS {t}[]))" for j, t in enumerate(types)]
        items += [f"unnest(CAST(${n + 1} AS BIGINT[]))", f"unnest(CAST(${n + 2} AS BIGINT[]))"]
        items = [f"{item} AS {col}" for item, col in zip(items, [*column_names(sym.arity), "lo", "hi"], strict=True)]
        params = [*columns, [lo for _, lo, _ in rows], [hi for _, _, hi in rows]]
        # one statement: the table made straight from the coalesced rows (its columns' types are the
        # casts', the ones new_table would declare)
        self.tables.append(name)
        self.run(f"CREATE TEMP TABLE {name} AS SELECT {', '.join(items)}", params)

    def gaps_of(self, sym: PredicateSym) -> PredicateSym:
        """g<K>: per key present in sym (complete by now), the points of 0..size-1 where it does
        not hold, as a pseudo-predicate with sym's columns."""
        if sym in self.gaps:
            return self.gaps[sym]
        pseudo = PredicateSym(f"__gap{self.ids[sym]}", sym.arity)
        self.reps[pseudo] = self.reps[sym]
        name = self.new_table(f"{self.prefix}g{self.ids[sym]}", pseudo)
        cols = ", ".join(column_names(sym.arity))
        # gaps before each island (after the previous one), and after the last island
        self.run(
            f"INSERT INTO {name} SELECT {cols}, lo, hi FROM ("
            f"SELECT {cols}, COALESCE(LAG(hi) OVER (PARTITION BY {cols} ORDER BY lo), -1) + 1 AS lo, lo - 1 AS hi "
            f"FROM {self.table[sym]} UNION ALL "
            f"SELECT {cols}, MAX(hi) + 1 AS lo, {self.last} AS hi FROM {self.table[sym]} GROUP BY {cols}"
            f") AS g WHERE lo <= hi", [])
        self.gaps[sym] = pseudo
        self.source[pseudo] = name
        return pseudo

    def variants(self, rule: ast.Rule) -> list[ast.Rule]:
        """The rule with each negated literal either kept (keys absent from the negated relation) or
        turned into a positive atom over its gaps (keys present): 2^m variants for m negations.
        A negated literal `select` bounds (`bounded`) is kept as it is, in every variant."""
        negated = [lit for lit in rule.body if isinstance(lit, ast.NegLiteral) and not self.bounded(lit, rule)]
        rest = [lit for lit in rule.body if not isinstance(lit, ast.NegLiteral) or self.bounded(lit, rule)]
        out = []
        for choice in itertools.product((False, True), repeat=len(negated)):
            kept: list[ast.Literal] = [lit for lit, present in zip(negated, choice, strict=True) if not present]
            joined: list[ast.Literal] = [
                ast.Atom(self.gaps_of(lit.atom.sym).name, lit.atom.args, lit.atom.span)
                for lit, present in zip(negated, choice, strict=True) if present]
            # positive atoms stay first (compile.py binds variables in their order): the gap atoms
            # only repeat variables already bound, or constants
            out.append(ast.Rule(rule.head, (*rest, *joined, *kept), rule.span))
        return out

    def select(self, rule: ast.Rule, sources: Sequence[str], params: Params) -> str:
        """rule's rows with the intersection of its positive atoms' intervals, empty ones dropped.

        p(X) :- a(X), b(X).   lo = GREATEST(a.lo, b.lo), hi = LEAST(a.hi, b.hi), lo <= hi"""
        first = params.aliases  # compile.py names the positive atoms t<first+1>, t<first+2>, ... in order
        bounded = [lit for lit in rule.body if isinstance(lit, ast.NegLiteral) and self.bounded(lit, rule)]
        plain = ast.Rule(rule.head, tuple(lit for lit in rule.body if lit not in bounded), rule.span) if bounded else rule
        inner = rule_select(plain, sources, self.full, self.reps_of, params)
        aliases = [f"t{first + i + 1}" for i in range(len(sources))]
        starts = [a + ".lo" for a in aliases] + [self.bound(lit, rule, first, params) for lit in bounded]
        lo = _pairwise("GREATEST", starts) if starts else "0"
        hi = _pairwise("LEAST", [a + ".hi" for a in aliases]) if aliases else str(self.last)
        assert inner.startswith("SELECT ")
        inner = f"SELECT {lo} AS lo, {hi} AS hi, " + inner[len("SELECT "):]
        cols = ", ".join(column_names(rule.head.sym.arity))
        return f"SELECT {cols}, lo, hi FROM ({inner}) AS {params.alias('s')} WHERE lo <= hi"

    # not q(X, c) over a prefix-shaped q (each row on [0, g]): it holds where no matching row does,
    # above the greatest g of the matching rows: one lower bound, where the gaps would take two
    # variants per negated literal (present keys, absent ones): 2^m joins for m of them
    def bounded(self, lit: ast.NegLiteral, rule: ast.Rule) -> bool:
        """Whether `select` compiles the negated literal as a lower bound: its relation is
        prefix-shaped and each of its variables is bound by a positive atom."""
        if lit.atom.sym not in self.prefix_shaped:
            return False
        bound = {a.name for atom in positive_atoms(rule) for a in atom.args if isinstance(a, ast.Variable)}
        return all(isinstance(a, ast.Wildcard) or (isinstance(a, ast.Variable) and a.name in bound)
                   or (isinstance(a, ast.Constant)) for a in lit.atom.args)

    def bound(self, lit: ast.NegLiteral, rule: ast.Rule, first: int, params: Params) -> str:
        """The first point where `lit` holds: one past the greatest top of the matching rows."""
        found: dict[str, Expr] = {}  # a variable -> its first positive occurrence, as compile.py binds it
        for i, atom in enumerate(positive_atoms(rule)):
            reps = self.reps_of(atom.sym)
            for j, arg in enumerate(atom.args):
                if isinstance(arg, ast.Variable) and arg.name not in found:
                    found[arg.name] = Expr(f"t{first + i + 1}.c{j}", reps[j])
        alias = params.alias("n")
        reps = self.reps_of(lit.atom.sym)
        conds = [compare_sql("=", Expr(f"{alias}.c{j}", reps[j]),
                             found[arg.name] if isinstance(arg, ast.Variable) else params.const(arg.value))
                 for j, arg in enumerate(lit.atom.args) if isinstance(arg, (ast.Variable, ast.Constant))]
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        return f"COALESCE((SELECT MAX({alias}.hi) FROM {self.full(lit.atom.sym)} AS {alias}{where}), -1) + 1"

    def stratum(self, heads: list[PredicateSym], rules: Iterable[ast.Rule], recursive: bool) -> None:
        own_rules: dict[PredicateSym, list[ast.Rule]] = {h: [] for h in heads}
        for rule in rules:
            own_rules[rule.head.sym].append(rule)
        if self.max_min(heads, own_rules):  # a grade per row (maxmin.py): no island to keep
            self.max_min_stratum(heads, own_rules, recursive)
            return
        self.prefix_shaped -= set(heads)
        by_head = {h: [v for rule in own_rules[h] for v in self.variants(rule)] for h in heads}
        if len(heads) == 1 and heads[0] in self.closures and heads[0] in self.empty:
            self.closure(heads[0], by_head[heads[0]])
            return
        own = set(heads)
        delta: dict[PredicateSym, str] = {}
        first = True
        while first or delta:
            candidates: dict[PredicateSym, tuple[str, int]] = {}  # head -> its candidates' table, their count
            for p in heads:
                params = Params()
                selects = []
                for rule in by_head[p]:  # semi-naive: one variant per atom of this stratum reading the delta
                    selects += [self.select(rule, sources, params)
                                for sources in round_sources(rule, self.full, None if first else delta)]
                if not selects:
                    continue
                cols = column_names(p.arity)
                if not recursive and p in self.empty:
                    # one round, into an empty relation: the candidates coalesced are the relation
                    count = self.run(f"INSERT INTO {self.table[p]} "
                                     f"{coalesced(' UNION ALL '.join(selects), cols)}", params.values).fetchall()[0][0]
                    if count:
                        self.empty.discard(p)
                    continue
                # a candidate adds coverage iff no island of its key contains it (the relation
                # is coalesced): the interval analogue of the plain engine's anti-join
                name = self.scratch_name()
                key = " AND ".join(f"x.{c} = y.{c}" for c in cols)
                made = self.run(f"CREATE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({' UNION ALL '.join(selects)}) AS x "
                                f"WHERE NOT EXISTS (SELECT 1 FROM {self.table[p]} AS y WHERE {key} "
                                f"AND y.lo <= x.lo AND x.hi <= y.hi)", params.values).fetchall()[0][0]
                self.tables.append(name)
                candidates[p] = (name, made)
            stale = list(delta.values())
            delta = {}
            # a round reads the last one: relations change only after every candidate is made
            for p, (name, made) in candidates.items():
                changed = self.merge(p, name) if made else None
                stale.append(name)
                if changed is not None and recursive and own:
                    delta[p] = changed
                elif changed is not None:
                    stale.append(changed)
            if stale:
                self.run("; ".join(f"DROP TABLE {name}" for name in stale), [])
            first = False

    def closure(self, p: PredicateSym, rules: list[ast.Rule]) -> None:
        """Linear recursive p, with no row yet, in one recursive statement: every (row, interval) a
        derivation reaches, an interval the intersection along it, then coalesced. A semi-naive
        round costs a few statements, and a reachability takes as many rounds as its longest path;
        here the rows are few (a demand program's reachability from its constants) and the distinct
        intervals of a row are bounded by the intervals' ends, so the UNION (set semantics) ends.

            reach(C, C, 0, last) :- m(C).     reach(C, V, max(lo, lo'), min(hi, hi')) :- reach(C, U, lo, hi), step(U, V, lo', hi')."""
        params = Params()
        exits, steps = [], []
        for rule in rules:
            atoms = positive_atoms(rule)
            if any(a.sym == p for a in atoms):
                steps.append(self.select(rule, ["w" if a.sym == p else self.full(a.sym) for a in atoms], params))
            else:
                exits.append(self.select(rule, [self.full(a.sym) for a in atoms], params))
        cols = column_names(p.arity)
        scratch = self.scratch_name()
        self.tables.append(scratch)
        self.run(f"CREATE TEMP TABLE {scratch} AS WITH RECURSIVE w({', '.join(cols)}, lo, hi) AS "
                 f"(SELECT * FROM ({' UNION '.join(exits)}) UNION SELECT * FROM ({' UNION '.join(steps)})) "
                 f"SELECT * FROM w", params.values)
        count = self.run(f"INSERT INTO {self.table[p]} {coalesced(f'SELECT * FROM {scratch}', cols)}", []).fetchall()[0][0]
        if count:
            self.empty.discard(p)
        self.run(f"DROP TABLE {scratch}", [])

    def merge(self, p: PredicateSym, fresh: str) -> str:
        """Coalesce `fresh` (candidates, at least one, that each add coverage) into p's relation;
        the table of islands that changed (the delta)."""
        cols = column_names(p.arity)
        key = " AND ".join(f"x.{c} = y.{c}" for c in cols)
        rel = self.table[p]
        touched, changed = self.scratch_name(), self.scratch_name()
        self.tables += [touched, changed]
        self.empty.discard(p)
        # the islands of the keys that gain coverage, recomputed with the candidates; the delta:
        # islands that are not islands of the relation already (new coverage is in them); the
        # relation's islands of those keys replaced
        self.run(
            f"CREATE TEMP TABLE {touched} AS " + coalesced(
                f"SELECT * FROM {fresh} UNION ALL SELECT x.* FROM {rel} AS x "
                f"WHERE EXISTS (SELECT 1 FROM {fresh} AS y WHERE {key})", cols) + "; "
            f"CREATE TEMP TABLE {changed} AS SELECT * FROM {touched} AS x WHERE NOT EXISTS "
            f"(SELECT 1 FROM {rel} AS y WHERE {key} AND y.lo = x.lo AND y.hi = x.hi); "
            f"DELETE FROM {rel} AS x WHERE EXISTS (SELECT 1 FROM {fresh} AS y WHERE {key}); "
            f"INSERT INTO {rel} SELECT * FROM {touched}; "
            f"DROP TABLE {touched}", [])
        return changed


def _pairwise(function: str, items: list[str]) -> str:
    """GREATEST(GREATEST(a, b), c): DuckDB 2.0 fails to read back a plan it serialized (a CTE read
    twice, as `coalesced` reads its source) holding GREATEST of three or more columns of one name
    ("Duplicate named argument"); of two it reads fine."""
    out = items[0]
    for item in items[1:]:
        out = f"{function}({out}, {item})"
    return out


def coalesced(source: str, cols: list[str]) -> str:
    """The rows of `source` (cols, lo, hi) as maximal islands per key: an interval starts a new
    island unless it overlaps or touches one of the earlier intervals of its key (gaps and islands).
    A key with one row is its own island: only keys with several go through the windows."""
    key = ", ".join(cols)
    return (
        f"WITH s AS ({source}), single AS (SELECT {key} FROM s GROUP BY {key} HAVING count(*) = 1), "
        f"one AS (SELECT s.* FROM s SEMI JOIN single USING ({key})), "
        f"many AS (SELECT s.* FROM s ANTI JOIN single USING ({key})) "
        f"SELECT * FROM one UNION ALL "
        f"SELECT {key}, MIN(lo) AS lo, MAX(hi) AS hi FROM ("
        f"SELECT *, SUM(CASE WHEN lo <= reach + 1 THEN 0 ELSE 1 END) "
        f"OVER (PARTITION BY {key} ORDER BY lo, hi ROWS UNBOUNDED PRECEDING) AS island FROM ("
        f"SELECT *, MAX(hi) OVER (PARTITION BY {key} ORDER BY lo, hi ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
        f"FROM many AS i) AS j) AS k GROUP BY {key}, island"
    )
