"""The proof search: for a fact the engine holds, the rules as written and the body solutions
that derive it, shallowest first.

Stage: after the engine. Input: a KnowledgeBase (its rules as written, its engine's relations and
derivation rounds, its statements and catalog) and a fact as a predicate and a row. Output: `Proof`
trees (proof.py): derived nodes with the rule and its bindings, leaves with the statements, the
plain fact's file and line, or the statement, source or entity a metadata fact describes.

How a proof is found. The engine already knows every fact; explaining only picks, for a derived fact
F, a rule as the user wrote it and a body solution whose positive premises were derived *before* F
(the DuckDB engine's derivation round, `Engine.derivation_rounds`; for pyDatalog we compute the same
levels ourselves). Ranks strictly fall along every root-to-leaf path, so no fact proves itself. Among
those derivations the shallowest one wins (memoised per fact). The body is matched against the
engine's materialised relations in Python: one relation read per predicate per call instead of one
query per literal, which keeps a `why` at milliseconds. On a large knowledge base the ranks of what
explains one fact are given instead (`Explainer.given`, Engine.derivation_rounds_on_demand).

Why one module: it is the one concept "find a proof against the engine's ranked relations": the
relations and ranks, solving a body, and choosing the shallowest derivation call one another
throughout, and a split would put the memo tables they share in two places.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

from .. import ast
from ..kb import sort_rows
from ..provenance import (
    CONTRADICTED,
    METADATA_OF_ENTITY,
    METADATA_OF_SOURCE,
    METADATA_OF_STATEMENT,
    RELAYED,
    StatementRecord,
    statement_relation,
)
from ..values import apply as arith
from ..values import compare, kind
from .proof import Evidence, Proof, RuleRef
from .text import bound_text, fact_text, substitute

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

Env = dict[str, ast.Value]
Key = tuple[ast.PredicateSym, ast.Row]


# --- values: comparison and arithmetic are values.compare and values.apply, as the engines do them


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



# --- matching rule bodies against the engine's relations ------------------------------------------


@dataclass
class Step:
    """What one body literal matched: kind atom | stmt | neg | test."""

    kind: str
    literal: ast.Literal
    sym: ast.PredicateSym | None = None
    row: ast.Row | None = None
    text: str = ""  # for neg and test: the literal with its bindings


@dataclass
class Derivation:
    """One way a fact is derived: the rule with its bindings and what each body literal matched."""

    rule: RuleRef
    steps: list[Step]
    depth: int = 0


@dataclass
class Progress:
    """How far the deepest partial solution of a body got (for why-not)."""

    index: int = -1
    order: list[int] = field(default_factory=list)
    env: Env = field(default_factory=dict)


class Explainer:
    """Explanations against one knowledge base state. Caches relations, indexes and best
    derivations, so build one per call (or per unchanged state) and ask it many times."""

    def __init__(self, kb: KnowledgeBase, shared: Explainer | None = None) -> None:
        self.kb = kb
        # an explainer of one fact (`given`) reads the relations not given from `shared`, the
        # explainer of the same state (explainer_for), and so do the later ones: the relations a
        # `why` reads whole, and their indexes, are read once a state (a network's tie/2, 123,767
        # rows: about 250 ms of each `why` before)
        self._shared = shared
        self.types = kb.program.types
        self.derived = kb.program.derived
        self.rules: dict[ast.PredicateSym, list[ast.Rule]] = {}
        for rule in kb.rules:
            self.rules.setdefault(rule.head.sym, []).append(rule)
        self.statements: Mapping[str, StatementRecord] = kb.statements_by_id()
        self.by_fact: Mapping[Key, list[StatementRecord]] = kb.statements_by_fact()
        self._rows: dict[ast.PredicateSym, dict[ast.Row, int]] = {}
        self._all: dict[ast.PredicateSym, Collection[ast.Row]] = {}  # every row the engine holds
        # per relation and bound columns: the rows by their values there (one value, or a tuple of
        # several); a bucket is a list until first read, then a tuple in sorted order (below)
        self._index: dict[tuple[ast.PredicateSym, tuple[int, ...]], dict[object, list[ast.Row] | tuple[ast.Row, ...]]] = {}
        self._best: dict[Key, Derivation | None] = {}
        self._relayed: dict[str, list[StatementRecord]] | None = None  # relayed/3 statements by document
        self._has_rounds: bool = shared._has_rounds if shared is not None else \
            kb.engine.derivation_rounds(ast.PredicateSym("__probe", 0)) is not None
        self.partial = False  # True: it knows what explains one fact only (given)

    # --- relations and ranks ---

    def relation(self, sym: ast.PredicateSym) -> dict[ast.Row, int]:
        """Every row of sym with its rank: the engine's derivation round (0 for a base fact)."""
        rows = self._rows.get(sym)
        if rows is None and self._shared is not None:
            return self._shared.relation(sym)
        if rows is None:
            if sym not in self.types:
                rows = {}
            elif self._has_rounds:
                # in the engine's order: `matching` hands rows out sorted (a relation of a
                # real-sized network is read whole here, and sorting it all cost more than the
                # searches that read a few of its rows)
                rows = self.kb.engine.derivation_rounds(sym) or {}
            else:
                self._levels(sym)
                return self._rows[sym]
            self._rows[sym] = rows
            self._all[sym] = rows.keys()
        return rows

    def given(self, ranks: Mapping[ast.PredicateSym, Mapping[ast.Row, int]]) -> None:
        """Relations known with their ranks already (Engine.derivation_rounds_on_demand: the part of
        each that explains one fact): read instead of the engine's whole relations."""
        self.partial = True
        for sym, ranked in ranks.items():
            rows = dict(ranked)
            self._rows[sym] = rows
            self._all[sym] = rows.keys()

    def rank(self, sym: ast.PredicateSym, row: ast.Row) -> int | None:
        return self.relation(sym).get(row)

    def holds(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        if self._shared is not None and sym not in self._rows:
            return self._shared.holds(sym, row)
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
                    for derivation in self.derivations(p, r, 1 << 62):
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
        return (sym, row) in self.by_fact or self.plain_span(sym, row) is not None

    def plain_span(self, sym: ast.PredicateSym, row: ast.Row) -> ast.Span | None:
        """Where a Datalog fact of a rule file (not a statement) was written; None: it is none.
        The knowledge base keeps them with their spans, by relation: no file of the history is
        parsed again (one restored from --db has not parsed its files at all), and no flat copy
        of them all is made (a network's 100,000 facts: 58 ms of each `why`)."""
        rows = self.kb.plain_facts.get(sym)
        return None if rows is None else rows.get(row)

    def matching(self, sym: ast.PredicateSym, pattern: Sequence[ast.Value | None]) -> Sequence[ast.Row]:
        """Rows of sym agreeing with pattern where it is not None (an index per bound-column set),
        in sorted order: of equally shallow proofs the same one comes first, whatever order the
        engine's tables return rows in (hash seed, a reopened --db file)."""
        if self._shared is not None and sym not in self._rows:
            return self._shared.matching(sym, pattern)
        positions = tuple(i for i, v in enumerate(pattern) if v is not None)
        rows = self.relation(sym)
        if not positions:
            return sort_rows(rows)
        if len(positions) == len(pattern) and not any(isinstance(v, (bool, float)) for v in pattern):
            # every column bound: a lookup, no index (one over a closure of millions of rows cost
            # more memory than the rest of a search); a float or bool compares equal to an int
            # (1.0 == 1 == True), so those rows are taken from the index as stored
            row: ast.Row = tuple(v for v in pattern if v is not None)  # every one is
            return (row,) if row in rows else ()
        index = self._index.get((sym, positions))
        if index is None:
            index = {}
            # the key of each row extracted in C (one value, or a tuple of several)
            for key, row in zip(map(itemgetter(*positions), rows), rows, strict=True):
                bucket = index.get(key)
                if bucket is None:
                    index[key] = [row]
                else:
                    bucket.append(row)  # type: ignore[union-attr]  # a list until read
            self._index[(sym, positions)] = index
        key = pattern[positions[0]] if len(positions) == 1 else tuple(pattern[i] for i in positions)
        bucket = index.get(key)
        if bucket is None:
            return ()
        if isinstance(bucket, list):  # sorted when first read: most buckets never are
            bucket = index[key] = tuple(sort_rows(bucket))
        return bucket

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
              progress: Progress | None = None) -> Iterator[tuple[Env, list[Step]]]:
        """Every solution of body extending env, in written order (a literal not yet evaluable waits
        for the literals that bind its variables). Positive premises must rank below `below`."""
        yield from self._solve(list(range(len(body))), body, env, [], below, progress, [])

    def _solve(self, todo: list[int], body: Sequence[ast.Literal], env: Env, steps: list[Step],
               below: int | None, progress: Progress | None, done: list[int]) -> Iterator[tuple[Env, list[Step]]]:
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

    def _match(self, literal: ast.Literal, env: Env, below: int | None) -> Iterator[tuple[Env, Step]]:
        if isinstance(literal, ast.Comparison):
            left, right = evaluate(literal.left, env), evaluate(literal.right, env)
            if literal.op == "=" and left is None and isinstance(literal.left, ast.Variable) and right is not None:
                new_env = {**env, literal.left.name: right}
                yield new_env, Step("test", literal, text=bound_text(literal, new_env))
            elif left is not None and right is not None and compare(literal.op, left, right):
                yield env, Step("test", literal, text=bound_text(literal, env))
            return
        if isinstance(literal, ast.NegLiteral):
            if not any(True for _ in self.atom_rows(literal.atom, env, None)):
                yield env, Step("neg", literal, text=self.absence(literal.atom, env))
            return
        if isinstance(literal, ast.Atom):
            for new_env, sym, row in self.atom_rows(literal, env, below):
                yield new_env, Step("stmt" if literal.statement else "atom", literal, sym, row)

    def atom_rows(self, atom: ast.Atom, env: Env, below: int | None) -> Iterator[tuple[Env, ast.PredicateSym, ast.Row]]:
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
                    if new_env.setdefault(arg.name, value) != value or kind(new_env[arg.name]) != kind(value):
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

    def head_matches(self, head: ast.Atom, env: Env, row: ast.Row) -> bool:
        for arg, value in zip(head.args, row, strict=True):
            if isinstance(arg, ast.BinOp):
                got = evaluate(arg, env)
                if got is None or not compare("=", got, value):
                    return False
        return True

    def rule_ref(self, rule: ast.Rule, env: Env) -> RuleRef:
        body = ", ".join(bound_text(lit, env) for lit in rule.body)
        return RuleRef("rule", str(rule), f"{bound_text(rule.head, env)} :- {body}.", rule.span)

    def derivations(self, sym: ast.PredicateSym, row: ast.Row, below: int) -> Iterator[Derivation]:
        """Every derivation of sym(row) whose positive premises rank below `below`."""
        for rule in self.rules.get(sym, ()):
            start = self.unify_head(rule.head, row)
            if start is None:
                continue
            for env, steps in self.solve(rule.body, start, below):
                if self.head_matches(rule.head, env, row):
                    order = {id(lit): i for i, lit in enumerate(rule.body)}
                    steps = sorted(steps, key=lambda s: order[id(s.literal)])  # shown as written
                    yield Derivation(self.rule_ref(rule, env), steps)
        rel = self.kb.catalog.relations.get(sym.name.removeprefix("no_"))
        if rel is not None and rel.symmetric and len(row) == 2 and sym.name in (rel.sym.name, f"no_{rel.sym.name}"):
            # ally(X, Y) :- ally(Y, X).  (generated from the declaration)
            flipped = (row[1], row[0])
            rank = self.rank(sym, flipped)
            if flipped != row and rank is not None and rank < below:
                text = f"{sym.name}(X, Y) :- {sym.name}(Y, X)."
                ref = RuleRef("symmetric relation", text, f"{fact_text(sym, row)} :- {fact_text(sym, flipped)}.", rel.span)
                yield Derivation(ref, [Step("atom", ast.Atom(sym.name, ()), sym, flipped)])
        if sym == CONTRADICTED:
            yield from self._contradiction(row)

    def _contradiction(self, row: ast.Row) -> Iterator[Derivation]:
        # contradicted(S1, S2) :- __stmt_p(X1..Xn, S1), __stmt_no_p(X1..Xn, S2).
        first, second = (self.statements.get(str(v)) for v in row)
        if first is None or second is None:
            return
        rel = self.kb.catalog.relations.get(first.sym.name)
        span = rel.span if rel is not None else first.span
        ref = RuleRef("built-in inconsistency", "contradicted(S1, S2) :- p(...) as S1, no_p(...) as S2.",
                      f"contradicted({row[0]}, {row[1]}) :- {fact_text(first.fact_sym, first.row)} as {row[0]}, "
                      f"{fact_text(second.fact_sym, second.row)} as {row[1]}.", span)
        yield Derivation(ref, [Step("stmt", ast.Atom(first.fact_sym.name, ()), first.fact_sym, (*first.row, first.id)),
                                Step("stmt", ast.Atom(second.fact_sym.name, ()), second.fact_sym, (*second.row, second.id))])

    def is_leaf(self, sym: ast.PredicateSym, row: ast.Row) -> bool:
        rank = self.rank(sym, row)
        return rank == 0 or (rank is not None and sym not in self.derived)

    def best(self, sym: ast.PredicateSym, row: ast.Row) -> Derivation | None:
        """The shallowest derivation of a derived fact (None for a leaf or a fact that fails)."""
        key = (sym, row)
        if key in self._best:
            return self._best[key]
        rank = self.rank(sym, row)
        found: Derivation | None = None
        if rank is not None and not self.is_leaf(sym, row):
            for derivation in self.derivations(sym, row, rank):
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

    def node(self, sym: ast.PredicateSym, row: ast.Row, derivation: Derivation) -> Proof:
        children = tuple(self.step_proof(step) for step in derivation.steps)
        depth = 1 + max((c.depth for c in children), default=0)
        return Proof(fact_text(sym, row), "derived", sym, row, derivation.rule, children, depth=depth)

    def step_proof(self, step: Step) -> Proof:
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
        args = tuple(a if isinstance(a, ast.Constant) else ast.Wildcard(0) for a in (substitute(t, env) for t in atom.args))
        text = str(ast.Atom(atom.pred, args))
        if atom.sym in self.rules:
            return f"no statement says {text}, and no rule derives it"
        return f"no statement says {text}"

    def evidence(self, record: StatementRecord) -> Evidence:
        catalog = self.kb.catalog
        return Evidence(record, catalog.sources.get(record.source), relays=catalog.relay_chains(record.source),
                        carried=self.carried(record.source))

    def carried(self, source: str) -> tuple[StatementRecord, ...]:
        """The relayed/3 statements about the documents (`document:`) this source, and each source it
        reached us through, is: one relay chain, told by the statements that say who carried what."""
        catalog = self.kb.catalog
        chain = [source, *(s.id for relays in catalog.relay_chains(source) for s in relays)]
        documents = [d for d in (catalog.sources[s].document for s in dict.fromkeys(chain) if s in catalog.sources) if d]
        if not documents:
            return ()
        if self._relayed is None:
            self._relayed = {}
            for r in self.statements.values():
                if r.fact_sym == RELAYED and isinstance(r.row[1], str):
                    self._relayed.setdefault(r.row[1], []).append(r)
        return tuple(dict.fromkeys(r for d in documents for r in self._relayed.get(d, ())))

    def leaf(self, sym: ast.PredicateSym, row: ast.Row) -> Proof:
        text = fact_text(sym, row)
        records = self.by_fact.get((sym, row), [])
        if not records:
            records = self.kb.statements_for(sym, row) if sym.name in self.kb.catalog.relations or \
                sym.name.removeprefix("no_") in self.kb.catalog.relations else []
        if records:
            return Proof(text, "stated", sym, row, evidence=tuple(self.evidence(r) for r in records))
        span = self.plain_span(sym, row)
        if span is not None:
            return Proof(text, "plain", sym, row, span=span)
        if row and sym.name in METADATA_OF_STATEMENT and str(row[0]) in self.statements:
            return Proof(text, "metadata", sym, row, evidence=(self.evidence(self.statements[str(row[0])]),))
        catalog = self.kb.catalog
        if row and sym.name in METADATA_OF_SOURCE and str(row[0]) in catalog.sources:
            src = catalog.sources[str(row[0])]
            return Proof(text, "metadata", sym, row, evidence=(Evidence(source=src, relays=catalog.relay_chains(src.id),
                                                                         carried=self.carried(src.id)),),
                         span=src.span)
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
        for derivation in self.derivations(sym, row, 1 << 62):
            node = self.node(sym, row, derivation)
            if any(n.sym == sym and n.row == row for c in node.children for n in c.nodes()):
                continue
            if len(found) >= max(limit, 1) * 4:  # enough to sort; the rest is only counted as "more"
                more = True
                break
            found.append(node)
        found.sort(key=lambda p: p.depth)
        return found[:limit], more or len(found) > limit


# --- one explainer per knowledge base state ------------------------------------------------------

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


def forget(kb: KnowledgeBase) -> None:
    """Let the knowledge base's explainer go (its relations and indexes): a one-shot command that
    has read what it needed, before an evaluation that needs the memory."""
    _CACHE.pop(kb, None)




__all__ = ["CONTRADICTED", "Derivation", "Env", "Explainer", "Key", "Progress", "Step", "arith", "compare",
           "evaluate", "explainer_for", "forget"]
