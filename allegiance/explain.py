"""Explanation: why a fact holds, why it does not, and what an inconsistency rests on.

Stage: after the engine. Input: a KnowledgeBase (its rules as written, its engine's relations and
derivation rounds, its statements and catalog) and a fact as text. Output: plain values: `Why` (proof
trees, `Proof`), `WhyNot` (nearest statements, failing rule literals) and, for inconsistencies, the
statements they rest on. Rendering them is explain_render.py's job.

How a proof is found. The engine already knows every fact; explaining only picks, for a derived fact
F, a rule as the user wrote it and a body solution whose positive premises were derived *before* F
(the DuckDB engine's derivation round, `Engine.derivation_rounds`; for pyDatalog we compute the same
levels ourselves). Ranks strictly fall along every root-to-leaf path, so no fact proves itself. Among
those derivations the shallowest one wins (memoised per fact). Base facts are leaves: the statements
behind them, a plain fact's file and line, or the statement, source or entity a metadata fact
describes. The body is matched against the engine's materialised relations in Python: one relation
read per predicate per call instead of one query per literal, which keeps a `why` at milliseconds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from . import ast
from . import values as arithmetic
from .catalog import Entity, Source
from .errors import AllegianceError, QueryError, UnknownPredicateError, did_you_mean
from .parse import parse_query
from .provenance import (
    CONTRADICTED,
    METADATA_OF_ENTITY,
    METADATA_OF_SOURCE,
    METADATA_OF_STATEMENT,
    StatementRecord,
    statement_relation,
)

if TYPE_CHECKING:
    from .kb import Inconsistency, KnowledgeBase

T = TypeVar("T")
Env = dict[str, ast.Value]
Key = tuple[ast.PredicateSym, ast.Row]
DEFAULT_LIMIT = 10


# --- the values explanations are made of ---------------------------------------------------------


@dataclass(frozen=True)
class RuleRef:
    """The rule a node was derived by: as written, with the bindings filled in, and where."""

    label: str  # "rule", "symmetric relation", "built-in inconsistency"
    written: str
    bound: str
    span: ast.Span


@dataclass(frozen=True)
class Evidence:
    """What a leaf rests on: a statement (with its source), or a source or entity declaration."""

    statement: StatementRecord | None = None
    source: Source | None = None
    entity: Entity | None = None


@dataclass(frozen=True)
class Proof:
    """One node. kind: derived | stated | plain | metadata | absent | test | unexplained.

    `derived` nodes have a rule and children; `stated` leaves carry every statement behind the
    fact (several when sources corroborate each other); `plain` leaves a Datalog fact's span;
    `metadata` leaves the statement, source or entity the fact describes; `absent` is a negated body
    literal ("no statement says ..."), `test` a comparison that held."""

    fact: str
    kind: str
    sym: ast.PredicateSym | None = None
    row: ast.Row | None = None
    rule: RuleRef | None = None
    children: tuple[Proof, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    span: ast.Span | None = None
    depth: int = 0

    def nodes(self) -> Iterator[Proof]:
        yield self
        for child in self.children:
            yield from child.nodes()

    def leaves(self) -> Iterator[Proof]:
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()


@dataclass(frozen=True)
class Why:
    """The answer to `why FACT`: its proofs, shallowest first, or a message saying it does not hold."""

    fact: str
    holds: bool
    proofs: tuple[Proof, ...] = ()
    message: str = ""
    more: bool = False  # more derivations exist than were listed


@dataclass(frozen=True)
class Failure:
    """For one rule that could derive the fact: the first body literal no solution gets past."""

    rule: RuleRef
    literal: str  # the literal with the bindings reached so far
    reason: str
    remedy: str


@dataclass(frozen=True)
class WhyNot:
    fact: str
    holds: bool
    message: str
    nearest: tuple[tuple[str, Evidence], ...] = ()  # (how it is near, the statement)
    failures: tuple[Failure, ...] = ()
    proof: Why | None = None  # when the fact holds after all


# --- values: comparison and arithmetic as the engines do them ------------------------------------


def _kind(v: ast.Value) -> str:
    if isinstance(v, bool):
        return "b"
    if isinstance(v, (int, float)):
        return "n"
    return "d" if isinstance(v, datetime.date) else "s"


def compare(op: str, a: ast.Value, b: ast.Value) -> bool:
    """Values of different kinds are never equal and never ordered (docs: DuckDB engine, Types)."""
    if _kind(a) != _kind(b):
        return op == "!="
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    ordered = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}  # type: ignore[operator]
    return ordered[op]


def arith(op: str, a: ast.Value, b: ast.Value) -> ast.Value | None:
    """The one definition of arithmetic (allegiance.arith), as the engines compute it."""
    return arithmetic.apply(op, a, b)


def evaluate(term: ast.Term, env: Mapping[str, ast.Value]) -> ast.Value | None:
    """A term's value under env, or None (unbound, or arithmetic without a value)."""
    if isinstance(term, ast.Constant):
        return term.value
    if isinstance(term, ast.Variable):
        return env.get(term.name)
    if isinstance(term, ast.BinOp):
        left, right = evaluate(term.left, env), evaluate(term.right, env)
        return None if left is None or right is None else arith(term.op, left, right)
    return None


def _subst(term: ast.Term, env: Mapping[str, ast.Value]) -> ast.Term:
    if isinstance(term, ast.Variable) and term.name in env:
        return ast.Constant(env[term.name])
    if isinstance(term, ast.BinOp):
        return ast.BinOp(term.op, _subst(term.left, env), _subst(term.right, env))
    return term


def bound_text(literal: ast.Literal, env: Mapping[str, ast.Value]) -> str:
    """A literal as Datalog text with the variables env binds replaced by their values."""
    if isinstance(literal, ast.Atom):
        text = str(ast.Atom(literal.pred, tuple(_subst(a, env) for a in literal.args)))
        if literal.statement is not None:
            sid = env.get(literal.statement.name)
            text += f" as {ast.format_value(sid) if sid is not None else literal.statement}"
        return text
    if isinstance(literal, ast.NegLiteral):
        return f"not {bound_text(literal.atom, env)}"
    if isinstance(literal, ast.Comparison):
        return str(ast.Comparison(literal.op, _subst(literal.left, env), _subst(literal.right, env)))
    return str(literal)


def fact_text(sym: ast.PredicateSym, row: ast.Row) -> str:
    return f"{sym.name}({', '.join(ast.format_value(v) for v in row)})"


# --- matching rule bodies against the engine's relations ------------------------------------------


@dataclass
class _Step:
    """What one body literal matched: kind atom | stmt | neg | test."""

    kind: str
    literal: ast.Literal
    sym: ast.PredicateSym | None = None
    row: ast.Row | None = None
    text: str = ""  # for neg and test: the literal with its bindings


@dataclass
class _Derivation:
    rule: RuleRef
    steps: list[_Step]
    depth: int = 0


@dataclass
class _Progress:
    """How far the deepest partial solution of a body got (for why-not)."""

    index: int = -1
    order: list[int] = field(default_factory=list)
    env: Env = field(default_factory=dict)


class Explainer:
    """Explanations against one knowledge base state. Caches relations, indexes and best
    derivations, so build one per call (or per unchanged state) and ask it many times."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.types = kb.program.types
        self.derived = kb.program.derived
        self.rules: dict[ast.PredicateSym, list[ast.Rule]] = {}
        for rule in kb.rules:
            self.rules.setdefault(rule.head.sym, []).append(rule)
        self.statements: Mapping[str, StatementRecord] = kb.statements_by_id()
        self.by_fact: Mapping[Key, list[StatementRecord]] = kb.statements_by_fact()
        self._rows: dict[ast.PredicateSym, dict[ast.Row, int]] = {}
        self._all: dict[ast.PredicateSym, frozenset[ast.Row]] = {}  # every row the engine holds
        self._index: dict[tuple[ast.PredicateSym, tuple[int, ...]], dict[ast.Row, list[ast.Row]]] = {}
        self._best: dict[Key, _Derivation | None] = {}
        self._plain: dict[Key, ast.Span] | None = None
        self._has_rounds = kb.engine.derivation_rounds(ast.PredicateSym("__probe", 0)) is not None

    # --- relations and ranks ---

    def relation(self, sym: ast.PredicateSym) -> dict[ast.Row, int]:
        """Every row of sym with its rank: the engine's derivation round (0 for a base fact)."""
        rows = self._rows.get(sym)
        if rows is None:
            if sym not in self.types:
                rows = {}
            elif self._has_rounds:
                from .kb import sort_rows

                ranked = self.kb.engine.derivation_rounds(sym) or {}
                # in sorted order, so that of equally shallow proofs the same one comes first
                # whatever order the engine's tables return rows in (hash seed, a reopened --db file)
                rows = {r: ranked[r] for r in sort_rows(ranked)}
            else:
                self._levels(sym)
                return self._rows[sym]
            self._rows[sym] = rows
            self._all[sym] = frozenset(rows)
        return rows

    def rank(self, sym: ast.PredicateSym, row: ast.Row) -> int | None:
        return self.relation(sym).get(row)

    def holds(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        self.relation(sym)
        return row in self._all.get(sym, frozenset())

    def _levels(self, sym: ast.PredicateSym) -> None:
        """pyDatalog keeps no rounds: compute the least proof depth of every row of sym's stratum
        (all its predicates together, as they may read each other), Bellman-Ford style: a row's
        level is 1 + the largest level of its premises, lowered until nothing changes."""
        stratum = next((s.predicates for s in self.kb.program.strata if sym in s.predicates), frozenset({sym}))
        preds = [p for p in stratum if p == sym or p not in self._rows]
        rows = {p: frozenset(self.kb.engine.relation(p)) for p in preds}
        for p in preds:
            self._all[p] = rows[p]
            self._rows[p] = {r: 0 for r in rows[p] if p not in self.derived or self._is_base(p, r)}
        changed = True
        while changed:
            changed = False
            self._forget_indexes(preds)  # the indexes saw the levels of the last pass
            for p in preds:
                levels = self._rows[p]
                for r in rows[p]:
                    if levels.get(r) == 0:
                        continue
                    for derivation in self._derivations(p, r, 1 << 62):
                        level = 1 + max((self._rows[st.sym].get(st.row, 1 << 62) for st in derivation.steps
                                         if st.kind == "atom" and st.sym is not None and st.row is not None), default=0)
                        if level < levels.get(r, 1 << 62):
                            levels[r] = level
                            changed = True
        self._forget_indexes(preds)

    def _forget_indexes(self, preds: Sequence[ast.PredicateSym]) -> None:
        for key in [k for k in self._index if k[0] in preds]:
            del self._index[key]

    def _is_base(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        return (sym, row) in self.by_fact or (sym, row) in self.plain_facts()

    def plain_facts(self) -> dict[Key, ast.Span]:
        """Datalog facts of rule files (not statements): where each was written."""
        if self._plain is None:
            # the knowledge base keeps them with their spans: no file of the history is parsed again
            # (one restored from --db has not parsed its files at all)
            self._plain = {(sym, row): span for sym, rows in self.kb.plain_facts.items() for row, span in rows.items()}
        return self._plain

    def matching(self, sym: ast.PredicateSym, pattern: Sequence[ast.Value | None]) -> list[ast.Row]:
        """Rows of sym agreeing with pattern where it is not None (an index per bound-column set)."""
        positions = tuple(i for i, v in enumerate(pattern) if v is not None)
        rows = self.relation(sym)
        if not positions:
            return list(rows)
        index = self._index.get((sym, positions))
        if index is None:
            index = {}
            for row in rows:
                index.setdefault(tuple(row[i] for i in positions), []).append(row)
            self._index[(sym, positions)] = index
        key: ast.Row = tuple(v for v in (pattern[i] for i in positions) if v is not None)
        return index.get(key, [])

    # --- solving a body left to right ---

    def _ready(self, literal: ast.Literal, env: Env, rest: Sequence[ast.Literal]) -> bool:
        if isinstance(literal, ast.Atom):
            return all(evaluate(a, env) is not None for a in literal.args if isinstance(a, ast.BinOp))
        if isinstance(literal, ast.Comparison):
            unbound = [v for v in ast.literal_variables(literal) if v.name not in env]
            if not unbound:
                return True
            # `N = M + 1` binds N once M is bound
            return literal.op == "=" and isinstance(literal.left, ast.Variable) and unbound == [literal.left]
        # a negation waits for every variable a later positive literal could bind
        later = {v.name for lit in rest if not isinstance(lit, ast.NegLiteral) for v in ast.literal_variables(lit)}
        return not any(v.name not in env and v.name in later for v in ast.literal_variables(literal))

    def solve(self, body: Sequence[ast.Literal], env: Env, below: int | None,
              progress: _Progress | None = None) -> Iterator[tuple[Env, list[_Step]]]:
        """Every solution of body extending env, in written order (a literal not yet evaluable waits
        for the literals that bind its variables). Positive premises must rank below `below`."""
        yield from self._solve(list(range(len(body))), body, env, [], below, progress, [])

    def _solve(self, todo: list[int], body: Sequence[ast.Literal], env: Env, steps: list[_Step],
               below: int | None, progress: _Progress | None, done: list[int]) -> Iterator[tuple[Env, list[_Step]]]:
        if not todo:
            yield env, steps
            return
        pick = next((i for i in todo if self._ready(body[i], env, [body[j] for j in todo if j != i])), todo[0])
        rest = [i for i in todo if i != pick]
        literal = body[pick]
        if progress is not None and len(done) > progress.index:
            progress.index, progress.order, progress.env = len(done), [*done, pick], dict(env)
        for new_env, step in self._match(literal, env, below):
            yield from self._solve(rest, body, new_env, [*steps, step], below, progress, [*done, pick])

    def _match(self, literal: ast.Literal, env: Env, below: int | None) -> Iterator[tuple[Env, _Step]]:
        if isinstance(literal, ast.Comparison):
            left, right = evaluate(literal.left, env), evaluate(literal.right, env)
            if literal.op == "=" and left is None and isinstance(literal.left, ast.Variable) and right is not None:
                new_env = {**env, literal.left.name: right}
                yield new_env, _Step("test", literal, text=bound_text(literal, new_env))
            elif left is not None and right is not None and compare(literal.op, left, right):
                yield env, _Step("test", literal, text=bound_text(literal, env))
            return
        if isinstance(literal, ast.NegLiteral):
            if not any(True for _ in self._atom_rows(literal.atom, env, None)):
                yield env, _Step("neg", literal, text=self.absence(literal.atom, env))
            return
        if isinstance(literal, ast.Atom):
            for new_env, sym, row in self._atom_rows(literal, env, below):
                yield new_env, _Step("stmt" if literal.statement else "atom", literal, sym, row)

    def _atom_rows(self, atom: ast.Atom, env: Env, below: int | None) -> Iterator[tuple[Env, ast.PredicateSym, ast.Row]]:
        args: list[ast.Term] = list(atom.args)
        sym = atom.sym
        if atom.statement is not None:
            # `p(args) as S` reads the statement relation, S last
            args.append(atom.statement)
            sym = ast.PredicateSym(statement_relation(atom.pred), atom.sym.arity + 1)
            below = None  # statement relations lie below every rule that reads them
        pattern: list[ast.Value | None] = []
        for arg in args:
            pattern.append(evaluate(arg, env) if isinstance(arg, (ast.Constant, ast.Variable, ast.BinOp)) else None)
        ranks = self.relation(sym)
        for row in self.matching(sym, pattern):
            if below is not None and ranks[row] >= below:
                continue
            new_env = dict(env)
            ok = True
            for arg, value in zip(args, row, strict=True):
                if isinstance(arg, ast.Variable):
                    if new_env.setdefault(arg.name, value) != value or _kind(new_env[arg.name]) != _kind(value):
                        ok = False
                        break
                elif isinstance(arg, (ast.Constant, ast.BinOp)):
                    expected = evaluate(arg, new_env)
                    if expected is None or not compare("=", expected, value):
                        ok = False
                        break
            if ok:
                yield new_env, sym, row

    # --- derivations of one fact ---

    def unify_head(self, head: ast.Atom, row: ast.Row) -> Env | None:
        env: Env = {}
        for arg, value in zip(head.args, row, strict=True):
            if isinstance(arg, ast.Variable):
                if env.setdefault(arg.name, value) != value:
                    return None
            elif isinstance(arg, ast.Constant) and not compare("=", arg.value, value):
                return None
        return env

    def _head_matches(self, head: ast.Atom, env: Env, row: ast.Row) -> bool:
        for arg, value in zip(head.args, row, strict=True):
            if isinstance(arg, ast.BinOp):
                got = evaluate(arg, env)
                if got is None or not compare("=", got, value):
                    return False
        return True

    def rule_ref(self, rule: ast.Rule, env: Env) -> RuleRef:
        body = ", ".join(bound_text(lit, env) for lit in rule.body)
        return RuleRef("rule", str(rule), f"{bound_text(rule.head, env)} :- {body}.", rule.span)

    def _derivations(self, sym: ast.PredicateSym, row: ast.Row, below: int) -> Iterator[_Derivation]:
        """Every derivation of sym(row) whose positive premises rank below `below`."""
        for rule in self.rules.get(sym, ()):
            start = self.unify_head(rule.head, row)
            if start is None:
                continue
            for env, steps in self.solve(rule.body, start, below):
                if self._head_matches(rule.head, env, row):
                    order = {id(lit): i for i, lit in enumerate(rule.body)}
                    steps = sorted(steps, key=lambda s: order[id(s.literal)])  # shown as written
                    yield _Derivation(self.rule_ref(rule, env), steps)
        rel = self.kb.catalog.relations.get(sym.name.removeprefix("no_"))
        if rel is not None and rel.symmetric and len(row) == 2 and sym.name in (rel.sym.name, f"no_{rel.sym.name}"):
            # ally(X, Y) :- ally(Y, X).  (generated from the declaration)
            flipped = (row[1], row[0])
            rank = self.rank(sym, flipped)
            if flipped != row and rank is not None and rank < below:
                text = f"{sym.name}(X, Y) :- {sym.name}(Y, X)."
                ref = RuleRef("symmetric relation", text, f"{fact_text(sym, row)} :- {fact_text(sym, flipped)}.", rel.span)
                yield _Derivation(ref, [_Step("atom", ast.Atom(sym.name, ()), sym, flipped)])
        if sym == CONTRADICTED:
            yield from self._contradiction(row)

    def _contradiction(self, row: ast.Row) -> Iterator[_Derivation]:
        # contradicted(S1, S2) :- __stmt_p(X1..Xn, S1), __stmt_no_p(X1..Xn, S2).
        first, second = (self.statements.get(str(v)) for v in row)
        if first is None or second is None:
            return
        rel = self.kb.catalog.relations.get(first.sym.name)
        span = rel.span if rel is not None else first.span
        ref = RuleRef("built-in inconsistency", "contradicted(S1, S2) :- p(...) as S1, no_p(...) as S2.",
                      f"contradicted({row[0]}, {row[1]}) :- {fact_text(first.fact_sym, first.row)} as {row[0]}, "
                      f"{fact_text(second.fact_sym, second.row)} as {row[1]}.", span)
        yield _Derivation(ref, [_Step("stmt", ast.Atom(first.fact_sym.name, ()), first.fact_sym, (*first.row, first.id)),
                                _Step("stmt", ast.Atom(second.fact_sym.name, ()), second.fact_sym, (*second.row, second.id))])

    def is_leaf(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        rank = self.rank(sym, row)
        return rank == 0 or (rank is not None and sym not in self.derived)

    def best(self, sym: ast.PredicateSym, row: ast.Row) -> _Derivation | None:
        """The shallowest derivation of a derived fact (None for a leaf or a fact that fails)."""
        key = (sym, row)
        if key in self._best:
            return self._best[key]
        rank = self.rank(sym, row)
        found: _Derivation | None = None
        if rank is not None and not self.is_leaf(sym, row):
            for derivation in self._derivations(sym, row, rank):
                depth = 1 + max((self.depth(s.sym, s.row) for s in derivation.steps
                                 if s.kind == "atom" and s.sym is not None and s.row is not None), default=0)
                if depth < 1_000_000 and (found is None or depth < found.depth):
                    derivation.depth = depth
                    found = derivation
        self._best[key] = found
        return found

    def depth(self, sym: ast.PredicateSym, row: ast.Row) -> int:
        if self.is_leaf(sym, row):
            return 0
        found = self.best(sym, row)
        return found.depth if found is not None else 1_000_000

    # --- building proof trees ---

    def proof(self, sym: ast.PredicateSym, row: ast.Row) -> Proof:
        text = fact_text(sym, row)
        if self.is_leaf(sym, row):
            return self.leaf(sym, row)
        found = self.best(sym, row)
        if found is None:
            return Proof(text, "unexplained", sym, row)
        return self.node(sym, row, found)

    def node(self, sym: ast.PredicateSym, row: ast.Row, derivation: _Derivation) -> Proof:
        children = tuple(self.step_proof(step) for step in derivation.steps)
        depth = 1 + max((c.depth for c in children), default=0)
        return Proof(fact_text(sym, row), "derived", sym, row, derivation.rule, children, depth=depth)

    def step_proof(self, step: _Step) -> Proof:
        if step.kind == "atom" and step.sym is not None and step.row is not None:
            return self.proof(step.sym, step.row)
        if step.kind == "stmt" and step.row is not None:
            record = self.statements.get(str(step.row[-1]))
            base = ast.PredicateSym(step.literal.pred, len(step.row) - 1) if isinstance(step.literal, ast.Atom) else None
            evidence = (self.evidence(record),) if record is not None else ()
            return Proof(fact_text(base, step.row[:-1]) if base else str(step.row), "stated", base, step.row[:-1],
                         evidence=evidence)
        return Proof(step.text, "absent" if step.kind == "neg" else "test")

    def absence(self, atom: ast.Atom, env: Env) -> str:
        """`not p(...)` as a leaf: unbound (local) variables read "for no value", shown as `_`."""
        args = tuple(a if isinstance(a, ast.Constant) else ast.Wildcard(0) for a in (_subst(t, env) for t in atom.args))
        text = str(ast.Atom(atom.pred, args))
        if atom.sym in self.rules:
            return f"no statement says {text}, and no rule derives it"
        return f"no statement says {text}"

    def evidence(self, record: StatementRecord) -> Evidence:
        return Evidence(record, self.kb.catalog.sources.get(record.source))

    def leaf(self, sym: ast.PredicateSym, row: ast.Row) -> Proof:
        text = fact_text(sym, row)
        records = self.by_fact.get((sym, row), [])
        if not records:
            records = self.kb.statements_for(sym, row) if sym.name in self.kb.catalog.relations or \
                sym.name.removeprefix("no_") in self.kb.catalog.relations else []
        if records:
            return Proof(text, "stated", sym, row, evidence=tuple(self.evidence(r) for r in records))
        span = self.plain_facts().get((sym, row))
        if span is not None:
            return Proof(text, "plain", sym, row, span=span)
        if row and sym.name in METADATA_OF_STATEMENT and str(row[0]) in self.statements:
            return Proof(text, "metadata", sym, row, evidence=(self.evidence(self.statements[str(row[0])]),))
        catalog = self.kb.catalog
        if row and sym.name in METADATA_OF_SOURCE and str(row[0]) in catalog.sources:
            src = catalog.sources[str(row[0])]
            return Proof(text, "metadata", sym, row, evidence=(Evidence(source=src),), span=src.span)
        if row and sym.name in METADATA_OF_ENTITY and str(row[0]) in catalog.entities:
            ent = catalog.entities[str(row[0])]
            return Proof(text, "metadata", sym, row, evidence=(Evidence(entity=ent),), span=ent.span)
        return Proof(text, "unexplained", sym, row)

    def all_proofs(self, sym: ast.PredicateSym, row: ast.Row, limit: int) -> tuple[list[Proof], bool]:
        """Distinct top-level derivations (each premise with its own shallowest proof), shallowest first."""
        rank = self.rank(sym, row)
        if rank is None:
            return [], False
        if self.is_leaf(sym, row):
            return [self.leaf(sym, row)], False
        found: list[Proof] = []
        more = False
        # Premises derived after the fact are fine here, as long as their own (well-founded) proofs
        # do not go through the fact: that finds the alternatives a rank bound alone would hide.
        for derivation in self._derivations(sym, row, 1 << 62):
            node = self.node(sym, row, derivation)
            if any(n.sym == sym and n.row == row for c in node.children for n in c.nodes()):
                continue
            if len(found) >= max(limit, 1) * 4:  # enough to sort; the rest is only counted as "more"
                more = True
                break
            found.append(node)
        found.sort(key=lambda p: p.depth)
        return found[:limit], more or len(found) > limit


# --- the public API ------------------------------------------------------------------------------

_CACHE: weakref.WeakKeyDictionary[KnowledgeBase, tuple[tuple[object, ...], object, Explainer]] = \
    weakref.WeakKeyDictionary()


def explainer_for(kb: KnowledgeBase) -> Explainer:
    """The explainer of the knowledge base's current state: reused while its history (every load,
    retraction, undo) and checked program are the very same objects, built anew otherwise."""
    history, program = kb.history, kb.program
    cached = _CACHE.get(kb)
    if cached is not None and cached[1] is program and len(cached[0]) == len(history) and \
            all(a is b for a, b in zip(cached[0], history, strict=True)):
        return cached[2]
    explainer = Explainer(kb)
    _CACHE[kb] = (history, program, explainer)  # holding the history keeps its ids from being reused
    return explainer



def parse_fact(kb: KnowledgeBase, text: str) -> tuple[ast.PredicateSym, ast.Row]:
    """`ally(fsa, nusra)` or `ally(fsa, nusra).` -> (ally/2, ("fsa", "nusra")); QueryError otherwise."""
    query = parse_query(text)  # unstripped, so error columns point into the text as typed
    if len(query.body) != 1 or not isinstance(query.body[0], ast.Atom) or query.body[0].statement is not None:
        raise QueryError(f"`{text.strip()}` is not one fact", query.span, "write one ground atom: ally(fsa, nusra)")
    atom = query.body[0]
    values: list[ast.Value] = []
    for arg in atom.args:
        if not isinstance(arg, ast.Constant):
            raise QueryError(f"{atom} is not ground: why explains facts, not queries",
                             getattr(arg, "span", atom.span),
                             f"find the answers first (query '{atom}'), then ask why about one of them")
        values.append(arg.value)
    if atom.sym not in kb.program.types:
        names = {p.name for p in kb.predicates()}
        arities = sorted(p.arity for p in kb.predicates() if p.name == atom.pred)
        hint = f"{atom.pred} takes {', '.join(map(str, arities))} arguments" if arities else \
            did_you_mean(atom.pred, names) or "no fact, rule or declaration defines it"
        raise UnknownPredicateError(f"unknown predicate {atom.sym}", atom.span, hint)
    return atom.sym, tuple(values)


def why(kb: KnowledgeBase, text: str, all: bool = False, limit: int = DEFAULT_LIMIT,
        explainer: Explainer | None = None) -> Why:
    """Why a fact holds: its shallowest proof, or with all=True up to `limit` derivations."""
    sym, row = parse_fact(kb, text)
    ex = explainer or explainer_for(kb)
    fact = fact_text(sym, row)
    if not ex.holds(sym, row):
        return Why(fact, False, message=_not_holding(ex, sym, row))
    if all:
        proofs, more = ex.all_proofs(sym, row, limit)
        return Why(fact, True, tuple(proofs), more=more)
    return Why(fact, True, (ex.proof(sym, row),))


def _not_holding(ex: Explainer, sym: ast.PredicateSym, row: ast.Row) -> str:
    fact = fact_text(sym, row)
    how = "no statement says it and no rule derives it" if sym in ex.rules else "no statement says it"
    message = f"{fact} does not hold: {how}"
    resolved = _resolve_aliases(ex, row)
    if resolved != row and ex.holds(sym, resolved):
        message += f"; did you mean {fact_text(sym, resolved)}? (it holds)"
    return message + f". Ask `whynot {fact}` for what comes closest."


def _resolve_aliases(ex: Explainer, row: ast.Row) -> ast.Row:
    catalog = ex.kb.catalog
    return tuple((catalog.resolve(v) or v) if isinstance(v, str) and v not in catalog.entities else v for v in row)


def why_not(kb: KnowledgeBase, text: str, explainer: Explainer | None = None) -> WhyNot:
    """Why a fact does not hold: the nearest statements, and for each rule the literal that fails."""
    sym, row = parse_fact(kb, text)
    ex = explainer or explainer_for(kb)
    fact = fact_text(sym, row)
    if ex.holds(sym, row):
        return WhyNot(fact, True, f"{fact} holds", proof=Why(fact, True, (ex.proof(sym, row),)))
    nearest = tuple(_nearest(ex, sym, row))
    failures = tuple(_failures(ex, sym, row))
    if sym in ex.rules:
        message = f"{fact} does not hold: no statement says it and no rule derives it"
    else:
        message = f"{fact} does not hold: no statement says it"
        if not any(s.fact_sym == sym for s in ex.statements.values()):
            message += f" (no statement says anything of {sym})"
    return WhyNot(fact, False, message, nearest, failures)


MAX_NEAREST = 12


def _nearest(ex: Explainer, sym: ast.PredicateSym, row: ast.Row) -> Iterator[tuple[str, Evidence]]:
    """Statements close to a missing fact: a denial, an alias, the reverse, one argument different."""
    shown: set[str] = set()

    def emit(how: str, records: Sequence[StatementRecord]) -> Iterator[tuple[str, Evidence]]:
        for record in records:
            if record.id not in shown and len(shown) < MAX_NEAREST:
                shown.add(record.id)
                yield how, ex.evidence(record)

    name = sym.name
    opposite = ast.PredicateSym(name.removeprefix("no_") if name.startswith("no_") else f"no_{name}", sym.arity)
    yield from emit("a statement says the opposite" if name.startswith("no_") else "a statement denies it",
                    ex.by_fact.get((opposite, row), []))
    resolved = _resolve_aliases(ex, row)
    if resolved != row:
        yield from emit(f"an alias: {fact_text(sym, resolved)}", ex.by_fact.get((sym, resolved), []))
    if sym.arity == 2 and row[0] != row[1]:
        flipped = (row[1], row[0])
        yield from emit(f"the reverse: {fact_text(sym, flipped)}", ex.by_fact.get((sym, flipped), []))
    rel = ex.kb.catalog.relations.get(name.removeprefix("no_"))
    symmetric = rel is not None and rel.symmetric and sym.arity == 2
    for (fsym, frow), records in ex.by_fact.items():
        if fsym != sym:
            continue
        # a symmetric relation's statement reads both ways round
        for form in ((frow, (frow[1], frow[0])) if symmetric else (frow,)):
            if sum(a != b for a, b in zip(form, row, strict=True)) == 1:
                at = next(i for i, (a, b) in enumerate(zip(form, row, strict=True)) if a != b)
                yield from emit(f"argument {at + 1} differs: {fact_text(fsym, form)}", records)
                break


def _failures(ex: Explainer, sym: ast.PredicateSym, row: ast.Row) -> Iterator[Failure]:
    """For each rule with head sym: the first body literal (in written order, as far as the
    bindings allow) that no partial solution gets past, and what would make it hold."""
    for rule in ex.rules.get(sym, ()):
        start = ex.unify_head(rule.head, row)
        if start is None:
            yield Failure(ex.rule_ref(rule, {}), str(rule.head), f"the head {rule.head} does not match {fact_text(sym, row)}", "")
            continue
        progress = _Progress()
        solved = any(ex._head_matches(rule.head, env, row) for env, _ in ex.solve(rule.body, start, None, progress))
        ref = ex.rule_ref(rule, progress.env or start)
        if solved or not progress.order:
            yield Failure(ref, str(rule.head), "the head's expression gives another value", "")
            continue
        literal = rule.body[progress.order[-1]]
        yield _failure(ex, ref, literal, progress.env)


def _failure(ex: Explainer, ref: RuleRef, literal: ast.Literal, env: Env) -> Failure:
    text = bound_text(literal, env)
    if isinstance(literal, ast.Comparison):
        return Failure(ref, text, f"{text} is false", "")
    if isinstance(literal, ast.NegLiteral):
        hit = next(ex._atom_rows(literal.atom, env, None), None)
        if hit is None:
            return Failure(ref, text, f"{text} cannot be checked", "")
        _, bsym, brow = hit
        ids = sorted({e.statement.id for leaf in ex.proof(bsym, brow).leaves() for e in leaf.evidence if e.statement})
        remedy = f"it would hold if {fact_text(bsym, brow)} did not"
        if ids:
            remedy += f" (it rests on {', '.join(ids)})"
        return Failure(ref, text, f"{fact_text(bsym, brow)} holds", remedy)
    assert isinstance(literal, ast.Atom)
    free = sorted({v.name for v in ast.literal_variables(literal) if v.name not in env})
    some = f" for any {', '.join(free)}" if free else ""
    if literal.sym in ex.rules:
        remedy = f"{text} holding (whynot {text})" if not free else f"a fact of {literal.sym} matching {text}"
        return Failure(ref, text, f"nothing derives {text}{some}", f"it would hold with {remedy}")
    return Failure(ref, text, f"no statement says {text}{some}", f"it would hold with a statement saying {text}")


# --- what an inconsistency rests on --------------------------------------------------------------

_RELIABILITY = {g: i for i, g in enumerate("ABCDEF")}
_STATUS = {"confirmed": 0, "assessed": 1, "reported": 2, "claimed": 3, "denied": 4}
MAX_ALTERNATIVES = 64  # derivations weighed per fact when looking for the smallest support


def weakness(ex: Explainer, record: StatementRecord) -> tuple[int, int, int, str]:
    """Larger is weaker: the source's grade (A..F, none worst), the credibility (1..6), the status."""
    src = ex.kb.catalog.sources.get(record.source)
    grade = _RELIABILITY.get((src.reliability if src else "").upper(), 6)
    return (grade, record.credibility or 6, _STATUS.get(record.status, 2), record.id)


def support(ex: Explainer, sym: ast.PredicateSym, row: ast.Row,
            memo: dict[Key, frozenset[str] | None]) -> frozenset[str] | None:
    """A small set of statement ids a fact rests on (None: none found). A corroborated fact needs
    only its strongest statement; a derived one the derivation whose premises need fewest (greedy
    per fact: the exact minimum is a set-cover problem)."""
    key = (sym, row)
    if key in memo:
        return memo[key]
    memo[key] = None  # a cycle back to this fact is no support
    result: frozenset[str] | None = None
    if ex.is_leaf(sym, row):
        records = [e.statement for e in ex.leaf(sym, row).evidence if e.statement is not None]
        result = frozenset({min(records, key=lambda r: weakness(ex, r)).id}) if records else frozenset()
    elif (rank := ex.rank(sym, row)) is not None:
        best_key: tuple[int, tuple[int, int, int]] | None = None
        for n, derivation in enumerate(ex._derivations(sym, row, rank)):
            if n >= MAX_ALTERNATIVES:
                break
            ids: set[str] = set()
            for step in derivation.steps:
                part: frozenset[str] | None = frozenset()
                if step.kind == "atom" and step.sym is not None and step.row is not None:
                    part = support(ex, step.sym, step.row, memo)
                elif step.kind == "stmt" and step.row is not None:
                    part = frozenset({str(step.row[-1])})
                if part is None:
                    break
                ids |= part
            else:
                # fewest statements first; among those, the strongest weakest link
                weakest = max((weakness(ex, ex.statements[i])[:3] for i in ids), default=(0, 0, 0))
                candidate = (len(ids), weakest)
                if best_key is None or candidate < best_key:
                    best_key, result = candidate, frozenset(ids)
    memo[key] = result
    return result


def statement_dict(ex: Explainer, record: StatementRecord) -> dict[str, object]:
    src = ex.kb.catalog.sources.get(record.source)
    return {
        "fact": fact_text(record.fact_sym, record.row), "id": record.id, "text": record.text,
        "quote": record.quote, "status": record.status, "asserter": record.asserter,
        "credibility": record.credibility, "source": record.source,
        "title": src.title if src else "", "publisher": src.publisher if src else "",
        "date": src.date.isoformat() if src and src.date else None,
        "reliability": src.reliability if src else "",
        "file": record.span.file, "line": record.span.line,
    }


def support_rows(ex: Explainer, sym: ast.PredicateSym, row: ast.Row) -> list[dict[str, object]]:
    ids = support(ex, sym, row, {}) or frozenset()
    records = sorted((ex.statements[i] for i in ids), key=lambda r: weakness(ex, r), reverse=True)
    return [statement_dict(ex, r) for r in records]


def explain_inconsistencies(kb: KnowledgeBase, found: Sequence[Inconsistency]) -> list[list[dict[str, object]]]:
    """Per inconsistency, the smallest set of statements found to support it, weakest link first:
    dicts with fact, id, text, quote, status, asserter, credibility, source, title, publisher,
    date, reliability, file, line (JSON-ready)."""
    ex = explainer_for(kb)
    return [support_rows(ex, ast.PredicateSym(inc.kind, len(inc.args)), inc.args) for inc in found]


def render_tree(answer: Why | WhyNot | Proof) -> str:
    """An indented tree for the terminal (explain_render.py)."""
    from .explain_render import render_tree as render

    return render(answer)


def proof_json(answer: Why | WhyNot | Proof) -> dict[str, object]:
    """JSON for other tools: nodes with fact, rule, children; leaves with statement and source."""
    from .explain_render import proof_json as to_json

    return to_json(answer)


# --- CLI -----------------------------------------------------------------------------------------


def _with_text(ask: Callable[[], T], text: str) -> T | None:
    """Run ask; an error in the fact as typed is drawn with that text (and its caret) on stderr."""
    try:
        return ask()
    except AllegianceError as exc:
        if exc.span is None or exc.span.file != "<query>":
            raise
        from .errors import render

        print(render(exc, {"<query>": text}), file=sys.stderr)
        return None


def _register() -> None:
    from . import cli

    def why_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("fact", help="a fact, e.g. 'indirect_ally(fsa, ahrar_al_sham)'")
        p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
        p.add_argument("--all", action="store_true", help="list further derivations, not only the shallowest")
        p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help="at most N derivations with --all")
        p.add_argument("--format", choices=("tree", "json"), default="tree")

    @cli.command("why", "explain a fact down to its statements and sources (0: holds, 1: does not)", why_args)
    def _why(args: argparse.Namespace, kb: KnowledgeBase) -> int:
        answer = _with_text(lambda: why(kb, args.fact, all=args.all, limit=args.limit), args.fact)
        if answer is None:
            return 2
        print(json.dumps(proof_json(answer), ensure_ascii=False, indent=2) if args.format == "json" else render_tree(answer))
        return 0 if answer.holds else 1

    def whynot_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("fact", help="a fact, e.g. 'ally(fsa, ahrar_al_sham)'")
        p.add_argument("files", nargs="*", help="fact and rule files making up the whole knowledge base")
        p.add_argument("--format", choices=("tree", "json"), default="tree")

    @cli.command("whynot", "explain why a fact does not hold: nearest statements, failing rule literals", whynot_args)
    def _whynot(args: argparse.Namespace, kb: KnowledgeBase) -> int:
        answer = _with_text(lambda: why_not(kb, args.fact), args.fact)
        if answer is None:
            return 2
        print(json.dumps(proof_json(answer), ensure_ascii=False, indent=2) if args.format == "json" else render_tree(answer))
        return 0

    del _why, _whynot


_register()

__all__ = ["DEFAULT_LIMIT", "Evidence", "Explainer", "Failure", "Proof", "RuleRef", "Why", "WhyNot",
           "explain_inconsistencies", "explainer_for", "parse_fact", "proof_json", "render_tree", "why", "why_not"]
