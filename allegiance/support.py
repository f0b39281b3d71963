"""Support: how strong the best evidence for an answer is (docs/language.md, "Support").

Stage: after evaluation, beside the engine. Input: a KnowledgeBase (its statements, their grades,
its plain facts) and a checked query or a fact. Output: a `Support` per answer: its level on the
knowledge base's grade scale (grades.py), its label ("B2 confirmed", "axiom") and, when asked, the
weakest statement it rests on.

Definition. Under the threshold t (a level of the scale), a statement counts iff its level is t or
more; plain facts and metadata (no statement behind them) count under every threshold. The support
of an answer is the strongest threshold up to which it still holds: the largest g such that the
answer holds under every threshold 0..g. Threshold 0 counts every statement, so every answer has
one. Without negation this is max-min exactly: a base fact's support is its strongest statement's
grade, a derived fact's the best over its derivations of its weakest positive premise. A negated
premise adds nothing to a derivation's strength; it can only make an answer go away as weaker
statements are withdrawn from what it negates, and then the threshold where that happens bounds
the support.

How it is computed: one interval-annotated evaluation (Engine.annotated_query): a fact whose
strongest statement has level g holds on [0, g], a statement-relation row `__stmt_p(.., S)` on
[0, level(S)], the rest everywhere; an answer's support is the top of its interval starting at 0.
Threshold 0 counts every statement: what holds there is what the plain evaluation holds, which the
engine has made (and kept) for the answers themselves. So the annotated evaluation covers only the
thresholds 1..top, shifted down by one (its point p is threshold p + 1; a fact of level 0 is not
in it): an answer of the plain evaluation has support 1 + the top of its interval starting at
point 0, or 0 when it does not hold under threshold 1. The largest layer of a closure (everything
counts) is computed once, not twice.

What is kept: the intervals of every derived relation an evaluation computed, until the knowledge
base's state changes (`Grading.derived`). A later query evaluates only the relations of its cone
not known yet (the known ones enter as annotated facts, their rules left out), then its own rules
over them; a query of one atom (constants, variables) is read off the kept intervals in Python. On a
small knowledge base (WHOLE_BELOW) the first evaluation computes every derived relation at once.
A query of many answers (JOINED_FROM) keeps nothing: the engine joins its answers with the
annotated evaluation and returns each with its level, in one read (answers_with_supports).

Why one module: the definition, the grading of statements it reads and the kept intervals it
answers from are one invariant (a point of the annotated evaluation is threshold point + 1, level 0
is the plain evaluation); split, each half would have to restate the other's shift.
"""

from __future__ import annotations

import dataclasses
import itertools
import weakref
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from . import ast
from .analysis import CheckedProgram, CheckedQuery
from .analysis.checked import Stratum
from .bulk import StatementBlock
from .engines.base import Annotated, Interval, coalesce
from .grades import Grade, Order, Scale, block_grade, grade_of
from .provenance import StatementRecord, statement_sym

if TYPE_CHECKING:
    from .catalog import Catalog
    from .engines.base import Engine


class KnowledgeBase(Protocol):
    """What support reads of a knowledge base (kb.KnowledgeBase, which builds on this module: the
    knowledge base hands itself in, support never imports it)."""

    @property
    def catalog(self) -> Catalog: ...
    @property
    def program(self) -> CheckedProgram: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def file_statements(self) -> tuple[StatementRecord, ...]: ...
    @property
    def plain_facts(self) -> dict[ast.PredicateSym, dict[ast.Row, ast.Span]]: ...
    @property
    def blocks(self) -> tuple[StatementBlock, ...]: ...
    def base_facts(self) -> dict[ast.PredicateSym, set[ast.Row]]: ...
    @property
    def support_ahead(self) -> bool: ...


@dataclass(frozen=True)
class Support:
    """An answer's support: its level on the scale (the axiom level: it rests on no statement),
    the label of that level, and its grade (None for the axiom)."""

    level: int
    label: str
    grade: Grade | None

    @property
    def axiom(self) -> bool:
        return self.grade is None

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Grading:
    """One state of a knowledge base, graded: the scale, each statement's level, and the base
    facts split into those holding everywhere and those holding up to a level."""

    scale: Scale
    plain: dict[ast.PredicateSym, set[ast.Row]]  # facts with no statement: under every threshold
    annotated: Annotated  # graded facts over the thresholds 1..top, shifted down by one (see above)
    weakest: dict[ast.PredicateSym, list[ast.Row]]  # graded facts of level 0: under threshold 0 only
    levels: dict[str, int]  # statement id -> level (fact files' statements)
    block_levels: tuple[tuple[StatementBlock, int], ...]
    relations: dict[ast.PredicateSym, dict[ast.Row, Support]] = dataclasses.field(default_factory=dict)  # computed
    # each derived relation's rows with the intervals where they hold (computed, exact)
    derived: dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]] = dataclasses.field(default_factory=dict)
    # each base relation's rows the same way (made when first read)
    base: dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]] = dataclasses.field(default_factory=dict)
    _supports: dict[int, Support] = dataclasses.field(default_factory=dict)

    def statement_level(self, record: StatementRecord) -> int:
        level = self._level(record)
        return 0 if level is None else level

    def _level(self, record: StatementRecord) -> int | None:
        level = self.levels.get(record.id)
        if level is not None:
            return level
        for block, lvl in self.block_levels:
            if block.source == record.source and block.number(record.id) is not None:
                return lvl
        return None

    def statement_label(self, record: StatementRecord, catalog: Catalog) -> str:
        """A statement's grade as shown beside it: its level's label; for a statement this grading
        does not hold (one a selection leaves out, which whynot names), its own grade in the same
        order (level 0 of a selection's scale is only the weakest grade that counts)."""
        level = self._level(record)
        if level is not None:
            return self.support(level).label
        return self.scale.order.label(grade_of(record, catalog))

    def support(self, level: int) -> Support:
        made = self._supports.get(level)
        if made is None:  # one per level: an answer's support is shared, never rebuilt per answer
            scale = self.scale
            made = self._supports[level] = Support(level, scale.label(level),
                                                   None if level >= scale.axiom else scale.grades[level])
        return made


T = TypeVar("T")
PerState = weakref.WeakKeyDictionary["KnowledgeBase", tuple[object, object, tuple[StatementBlock, ...], T]]


def per_state(kept: PerState[T], kb: KnowledgeBase, make: Callable[[], T]) -> T:
    """What `make` computes from the knowledge base's current state, kept in `kept` until the state
    changes (its base facts, program or imports are other objects); grading and timing use it."""
    base, blocks, program = kb.base_facts(), kb.blocks, kb.program
    found = kept.get(kb)
    if found is not None and found[0] is base and found[1] is program and len(found[2]) == len(blocks) and \
            all(a is b for a, b in zip(found[2], blocks, strict=True)):
        return found[3]
    made = make()
    kept[kb] = (base, program, blocks, made)
    return made


_graded: PerState[Grading] = weakref.WeakKeyDictionary()


def grading(kb: KnowledgeBase) -> Grading:
    """The knowledge base's current state, graded (kept until the state changes)."""
    return per_state(_graded, kb, lambda: _grade(kb, kb.base_facts(), kb.blocks))


def forget(kb: KnowledgeBase) -> None:
    """Let the knowledge base's grading go, with every interval kept for it (see explain.search.forget)."""
    _graded.pop(kb, None)


def _grade(kb: KnowledgeBase, base: dict[ast.PredicateSym, set[ast.Row]],
           blocks: Sequence[StatementBlock]) -> Grading:
    catalog = kb.catalog
    order = Order.from_facts(kb.plain_facts)
    records = kb.file_statements
    distinct: dict[tuple[str, int | None, str], Grade] = {}  # few distinct grades among many statements
    grades: dict[str, Grade] = {}
    for r in records:
        graded_as = (r.source, r.credibility, r.status)
        grade = distinct.get(graded_as)
        if grade is None:
            grade = distinct[graded_as] = grade_of(r, catalog)
        grades[r.id] = grade
    block_grades = [block_grade(b, catalog) for b in blocks]
    scale = Scale.of(order, [*distinct.values(), *block_grades])
    level_of = {g: scale.level(g) for g in {*distinct.values(), *block_grades}}
    levels = {sid: level_of[g] for sid, g in grades.items()}
    block_levels = tuple((b, scale.level(g)) for b, g in zip(blocks, block_grades, strict=True))

    # p(row): its strongest statement's level; __stmt_p(row, S): S's level. Keyed per relation,
    # then per row: a PredicateSym hashes in Python, once per relation here, not once per row
    stated: dict[ast.PredicateSym, dict[ast.Row, int]] = {}
    for r in records:
        by_row = stated.setdefault(r.fact_sym, {})
        by_row[r.row] = max(by_row.get(r.row, -1), levels[r.id])
    stmt_syms = {statement_sym(sym) for sym in stated}
    plain_rows = kb.plain_facts
    plain: dict[ast.PredicateSym, set[ast.Row]] = {}
    annotated: dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]] = {}
    weakest: dict[ast.PredicateSym, list[ast.Row]] = {}
    for sym, rows in base.items():
        written = plain_rows.get(sym, {})
        of_statements = sym in stmt_syms
        stated_rows = stated.get(sym, {})
        axioms: set[ast.Row] = set()
        graded_rows: list[tuple[ast.Row, int, int]] = []
        weakest_rows: list[ast.Row] = []
        for row in rows:
            level: int | None = None
            if row not in written:  # a plain fact of a rules file is an axiom, stated or not
                if of_statements and row and isinstance(row[-1], str) and row[-1] in levels:
                    level = levels[row[-1]]
                else:
                    level = stated_rows.get(row)
            if level is None:
                axioms.add(row)
            elif level:  # on [0, level]: over thresholds 1.., on points 0..level - 1
                graded_rows.append((row, 0, level - 1))
            else:
                weakest_rows.append(row)
        if axioms:
            plain[sym] = axioms
        if graded_rows:
            annotated[sym] = graded_rows
        if weakest_rows:
            weakest[sym] = weakest_rows
    for block, block_level in block_levels:
        graded = {block.sym, block.stmt_sym}
        for sym, made in block.bulk().facts().items():
            if sym not in graded:
                plain.setdefault(sym, set()).update(tuple(row) for row in made)
            elif block_level:
                annotated.setdefault(sym, []).extend((tuple(row), 0, block_level - 1) for row in made)
            else:
                weakest.setdefault(sym, []).extend(tuple(row) for row in made)
    return Grading(scale, plain, Annotated(scale.size - 1, annotated), weakest, levels, block_levels)


def body_preds(rule: ast.Rule) -> set[ast.PredicateSym]:
    return {lit.sym if isinstance(lit, ast.Atom) else lit.atom.sym
            for lit in rule.body if isinstance(lit, (ast.Atom, ast.NegLiteral))}


def cone(program: CheckedProgram, roots: Iterable[ast.PredicateSym],
         known: Iterable[ast.PredicateSym] = ()) -> CheckedProgram:
    """The part of the program the roots read: the rules of the predicates they depend on, and
    only those predicates' types (an annotated evaluation makes a table for each). A `known`
    relation keeps its type but not its rules, and what only it reads is left out: its rows come
    in as facts."""
    by_head: dict[ast.PredicateSym, list[ast.Rule]] = {}
    for rule in program.rules:
        by_head.setdefault(rule.head.sym, []).append(rule)
    stop = set(known)
    todo = list(roots)
    needed: set[ast.PredicateSym] = set()
    while todo:
        sym = todo.pop()
        if sym not in needed:
            needed.add(sym)
            if sym not in stop:
                todo.extend(p for rule in by_head.get(sym, ()) for p in body_preds(rule))
    evaluated = needed - stop
    strata = tuple(Stratum(st.predicates & evaluated, tuple(r for r in st.rules if r.head.sym in evaluated), st.recursive)
                   for st in program.strata if st.predicates & evaluated)
    return CheckedProgram(tuple(r for r in program.rules if r.head.sym in evaluated), strata,
                          {s: t for s, t in program.types.items() if s in needed}, program.warnings)


class Kept(Protocol):
    """Facts over an ordered domain 0..size-1 (plain ones everywhere, annotated ones on intervals)
    with what has been computed of them: each derived relation's intervals and each base
    relation's. Grading is one (the domain: grade thresholds); explain.critical has another (the
    domain: one source left out at each point)."""

    @property
    def plain(self) -> dict[ast.PredicateSym, set[ast.Row]]: ...
    @property
    def annotated(self) -> Annotated: ...
    @property
    def derived(self) -> dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]]: ...
    @property
    def base(self) -> dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]]: ...


def derived_intervals(kb: KnowledgeBase, syms: Iterable[ast.PredicateSym]) -> dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]]:
    """The rows of each derived relation of `syms` with the thresholds 1.. where they hold (points
    shifted down by one, see the module docstring), from one evaluation of what is not known yet
    (kept until the state changes). Base relations are left out."""
    g = grading(kb)
    if g.annotated.size <= 0:  # one level: no threshold above the weakest
        return {s: {} for s in syms if s in kb.program.derived}
    return kept_relations(kb.program, kb.engine, g, syms, whole=kb.support_ahead and _few(g))


def kept_relations(program: CheckedProgram, engine: Engine, k: Kept, syms: Iterable[ast.PredicateSym],
                   whole: bool = False) -> dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]]:
    """derived_intervals over any Kept: the derived relations of `syms` not in k.derived yet, from
    one Engine.annotated_relations of their cone (the known ones given as annotated facts); with
    `whole`, of every derived relation not known yet."""
    syms = list(syms)
    if all(s in k.derived for s in syms):
        return {s: k.derived[s] for s in syms}
    derived = program.derived
    wanted = [s for s in syms if s in derived]
    missing = [s for s in wanted if s not in k.derived]
    if missing:
        evaluated = missing
        if whole:  # every relation at once: the later queries read it, none pays an evaluation
            evaluated = [s for st in program.strata for s in sorted(st.predicates, key=str) if s not in k.derived]
        part = cone(program, evaluated, known=k.derived)
        plain, facts = _given(part, k)
        # the relations asked for, and the others the engine returns (small ones): a large one
        # (a closure over a real-sized network) stays in the engine, evaluated again if asked
        found = engine.annotated_relations(part, plain, Annotated(k.annotated.size, facts), read=set(missing))
        for sym in missing:
            k.derived[sym] = found.get(sym, {})
        for sym, rows in found.items():
            k.derived.setdefault(sym, rows)
    return {s: k.derived[s] for s in wanted}


# Base facts below which support's first evaluation computes every derived relation, not only
# those a query reads. An evaluation's cost is mostly per statement and per relation (tables made,
# loaded, read back, dropped), so on a knowledge base this small (the bundled one: 54 derived
# relations) one evaluation of everything costs less than a few evaluations of a cone each, and
# every later query reads what it kept. Above, a query evaluates its cone. Support's grades only
# (max-min, maxmin.py): over explain.critical's points (intervals with holes) each relation costs
# a few hundred milliseconds, and all of the bundled knowledge base's at once ran past the 5 s limit.
# Only for a knowledge base whose `support_ahead` is on: a one-shot command (cli.common.open_kb) asks
# one question, and evaluating every relation for it doubled its first query (0.7 s for 0.3 s).
WHOLE_BELOW = 20_000


def _few(k: Kept) -> bool:
    count = 0
    for rows in k.plain.values():
        count += len(rows)
    for entries in k.annotated.facts.values():
        if not isinstance(entries, Sized):  # an iterator, not to be consumed here: assume many
            return False
        count += len(entries)
    return count < WHOLE_BELOW


def _given(part: CheckedProgram, k: Kept) -> tuple[dict[ast.PredicateSym, set[ast.Row]],
                                                  dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]]]:
    """The facts an evaluation of `part` (a cone) reads: base facts, and the derived relations
    known already with their intervals."""
    needed = set(part.types)
    plain = {s: rows for s, rows in k.plain.items() if s in needed and s not in k.derived}
    facts: dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]] = {
        s: list(rows) for s, rows in k.annotated.facts.items() if s in needed and s not in k.derived}
    for sym in needed & set(k.derived):
        facts[sym] = [(row, lo, hi) for row, spans in k.derived[sym].items() for lo, hi in spans]
    return plain, facts


def _base_intervals(k: Kept, sym: ast.PredicateSym) -> dict[ast.Row, tuple[Interval, ...]]:
    """A base relation's rows with the intervals where they hold (made once per state)."""
    kept = k.base.get(sym)
    if kept is not None:
        return kept
    last = k.annotated.size - 1
    everywhere = ((0, last),)
    made: dict[ast.Row, tuple[Interval, ...]] = dict.fromkeys(k.plain.get(sym, ()), everywhere)
    several: dict[ast.Row, list[Interval]] = {}
    for row, lo, hi in k.annotated.facts.get(sym, ()):
        row = tuple(row)
        if made.get(row) == everywhere:
            continue
        several.setdefault(row, []).append((max(lo, 0), min(hi, last)))
    for row, spans in several.items():
        made[row] = coalesce(s for s in spans if s[0] <= s[1])
    k.base[sym] = {row: spans for row, spans in made.items() if spans}
    return k.base[sym]


def _one_atom(query: CheckedQuery) -> ast.Atom | None:
    """The query's one atom when the query is a single positive atom of distinct variables,
    wildcards and text constants (what Python can read off the kept intervals exactly, with no
    question of how numbers of two kinds compare); else None."""
    if len(query.rules) != 1:
        return None
    rule = query.rules[0]
    if len(rule.body) != 1 or not isinstance(rule.body[0], ast.Atom):
        return None
    atom = rule.body[0]
    if not all(isinstance(a, (ast.Variable, ast.Wildcard)) or (isinstance(a, ast.Constant) and isinstance(a.value, str))
               for a in atom.args):
        return None
    names = [a.name for a in atom.args if isinstance(a, ast.Variable)]
    if len(set(names)) != len(names) or not all(isinstance(a, ast.Variable) for a in rule.head.args):
        return None
    return atom


def _read_off(atom: ast.Atom, head: ast.Atom, rows: dict[ast.Row, tuple[Interval, ...]]) -> dict[ast.Row, tuple[Interval, ...]]:
    """head :- atom, over rows with their intervals: the rows that match its constants, projected;
    an answer from several rows holds on the union of their intervals."""
    position = {arg.name: j for j, arg in enumerate(atom.args) if isinstance(arg, ast.Variable)}
    out = [position[a.name] for a in head.args if isinstance(a, ast.Variable)]
    constants = [(j, arg.value) for j, arg in enumerate(atom.args) if isinstance(arg, ast.Constant)]
    if not constants and out == list(range(len(atom.args))):
        return rows  # the relation itself: every row an answer, as it is
    found: dict[ast.Row, tuple[Interval, ...]] = {}
    several: dict[ast.Row, list[Interval]] = {}
    for row, spans in rows.items():
        if any(type(row[j]) is not str or row[j] != value for j, value in constants):
            continue
        answer = tuple(row[j] for j in out)
        if answer in found:
            several.setdefault(answer, list(found[answer])).extend(spans)
        else:
            found[answer] = spans
    for answer, joined in several.items():
        found[answer] = coalesce(joined)
    return found


def intervals(kb: KnowledgeBase, query: CheckedQuery) -> dict[ast.Row, tuple[Interval, ...]]:
    """Each answer of the query under some threshold from 1 up, with the thresholds where it holds
    (points shifted down by one, see the module docstring)."""
    g = grading(kb)
    if g.annotated.size <= 0:
        return {}
    return kept_query(kb.program, kb.engine, g, query, whole=kb.support_ahead and _few(g))


def kept_query(program: CheckedProgram, engine: Engine, k: Kept, query: CheckedQuery,
               whole: bool = False) -> dict[ast.Row, tuple[Interval, ...]]:
    """intervals over any Kept: the relations the query reads (kept_relations), then its own rules."""
    own = {r.head.sym for r in query.rules}
    reads = {p for rule in query.rules for p in body_preds(rule)} - own
    if not all(s in k.derived for s in reads & program.derived):
        # a query with constants on a large knowledge base: answered from them (a demand program
        # in the engine), what it reads neither evaluated whole nor kept
        part = cone(program, reads, known=k.derived)
        if engine.annotated_on_demand(part, query):
            given, given_facts = _given(part, k)
            return engine.annotated_query(part, given, Annotated(k.annotated.size, given_facts), query)
    known = kept_relations(program, engine, k, reads, whole)
    atom = _one_atom(query)
    if atom is not None:
        rows = known[atom.sym] if atom.sym in known else _base_intervals(k, atom.sym)
        return _read_off(atom, query.rules[0].head, rows)
    # the query's own rules over the relations it reads, each given with its intervals
    plain = {s: rows for s, rows in k.plain.items() if s in reads and s not in known}
    facts: dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]] = {
        s: list(rows) for s, rows in k.annotated.facts.items() if s in reads and s not in known}
    for sym, by_row in known.items():
        facts[sym] = [(row, lo, hi) for row, spans in by_row.items() for lo, hi in spans]
    bare = CheckedProgram((), (), {s: t for s, t in program.types.items() if s in reads}, program.warnings)
    return engine.annotated_query(bare, plain, Annotated(k.annotated.size, facts), query)


def _level(spans: tuple[Interval, ...] | None) -> int:
    """The support level of a fact that holds under threshold 0, from its intervals over the
    thresholds 1.. (shifted down by one): 1 + the top of the one starting at threshold 1."""
    return spans[0][1] + 1 if spans and spans[0][0] == 0 else 0


def supports_of(kb: KnowledgeBase, query: CheckedQuery) -> Callable[[Sequence[ast.Row]], list[Support]]:
    """A function giving the support of each of a list of the query's answers (rows the plain
    evaluation answers: they hold under threshold 0), from one evaluation of its thresholds 1..;
    a front end writing answers batch by batch calls it once per batch."""
    g = grading(kb)
    found = intervals(kb, query)
    # answers share their intervals' tuples (one per grade, as the engine reads them), so each
    # distinct one is turned into a Support once, and each answer is mapped by the identity of its
    # intervals (hashing a tuple of tuples per answer cost more than the rest together on 200,000
    # answers); `found` keeps them alive, and an answer not found maps to None's identity
    spans = found.values()
    of = {i: g.support(_level(s)) for i, s in dict(zip(map(id, spans), spans, strict=True)).items()}
    of[id(None)] = g.support(0)
    get = found.get

    def supports(rows: Sequence[ast.Row]) -> list[Support]:
        rows = rows if isinstance(rows, list) and set(map(type, rows)) <= {tuple} else [tuple(row) for row in rows]
        return list(map(of.__getitem__, map(id, map(get, rows))))

    return supports


# Answers from which a query's answers come joined with their support in the engine
# (Engine.annotated_answers), not mapped in Python to intervals read into Python: a hash look-up per
# answer, and a tuple per row read, cost more than the annotated evaluation itself (a closure of
# 221,359 answers: about 100 ms of Python for 60 ms of evaluation). Below, intervals are read and
# kept for the later questions of a session; a relation this large stays in the engine, as a large
# one outside a query's reads does (kept_relations), evaluated again if asked again.
JOINED_FROM = 20_000


def answers_with_supports(kb: KnowledgeBase, query: CheckedQuery) -> tuple[Sequence[ast.Row], list[Support]] | None:
    """The query's answers in the order the engine answers them (Engine.query) with each one's
    support, from one annotated evaluation of what the query reads joined with the answers in the
    engine; None when there are fewer than JOINED_FROM, when what it reads is known already or
    answered from the query's constants (kept_query reads them), or when the engine does not
    join (then the caller asks the engine, then supports_of)."""
    g = grading(kb)
    if g.annotated.size <= 0:
        return None
    program, engine = kb.program, kb.engine
    own = {r.head.sym for r in query.rules}
    reads = {p for rule in query.rules for p in body_preds(rule)} - own
    if all(s in g.derived for s in reads & program.derived):
        return None
    part = cone(program, reads, known=g.derived)
    if engine.annotated_on_demand(part, query):
        return None
    plain, facts = _given(part, g)
    found = engine.annotated_answers(part, plain, Annotated(g.annotated.size, facts), query, at_least=JOINED_FROM)
    if found is None:
        return None
    rows, levels = found
    # a level is 1 + a point of the thresholds 1.. (see the module docstring), at most the axiom's
    of = [g.support(level) for level in range(g.annotated.size + 1)]
    return rows, list(map(of.__getitem__, levels))


def answer_supports(kb: KnowledgeBase, query: CheckedQuery, rows: Sequence[ast.Row]) -> list[Support]:
    """The support of each answer row (rows the query answers over the whole knowledge base)."""
    return supports_of(kb, query)(rows)


def relation_supports(kb: KnowledgeBase, sym: ast.PredicateSym) -> dict[ast.Row, Support]:
    """The support of every row of a relation (kept until the knowledge base changes)."""
    return relations_supports(kb, [sym])[sym]


def _rows_query(sym: ast.PredicateSym) -> CheckedQuery:
    """The query `sym(V0, .., Vn)`: every row of the relation."""
    args = tuple(ast.Variable(f"V{j}") for j in range(sym.arity))
    atom = ast.Atom(sym.name, args)
    goal = ast.Atom("__rows", args)
    return CheckedQuery((ast.Rule(goal, (atom,)),), goal.sym, tuple(a.name for a in args), ast.Query((atom,)))


def relations_supports(kb: KnowledgeBase, syms: Iterable[ast.PredicateSym]) -> dict[ast.PredicateSym, dict[ast.Row, Support]]:
    """relation_supports of several relations, the derived ones not known yet from one evaluation.
    Their rows are the plain evaluation's (threshold 0), each graded by its intervals above it."""
    g = grading(kb)
    syms = list(syms)
    todo = [s for s in syms if s not in g.relations]
    known = derived_intervals(kb, todo)
    for sym in todo:
        if sym in known:
            spans = known[sym]
            rows: Iterable[ast.Row] = kb.engine.query(_rows_query(sym))
        else:
            spans = _base_intervals(g, sym)
            rows = itertools.chain(g.plain.get(sym, ()), spans, g.weakest.get(sym, ()))
        g.relations[sym] = {row: g.support(_level(spans.get(row))) for row in rows}
    return {s: g.relations[s] for s in syms}


def fact_support(kb: KnowledgeBase, sym: ast.PredicateSym, row: ast.Row) -> Support | None:
    """The support of one fact; None when it does not hold. On a large knowledge base (the engine
    answers on demand), from the fact's own constants, not from its whole relation."""
    g = grading(kb)
    row = tuple(row)
    if sym in kb.program.derived and sym not in g.relations and sym not in g.derived:
        atom = ast.Atom(sym.name, tuple(ast.Constant(v) for v in row))
        goal = ast.Atom("__fact", ())
        query = CheckedQuery((ast.Rule(goal, (atom,)),), goal.sym, (), ast.Query((atom,)))
        if kb.engine.annotated_on_demand(cone(kb.program, {sym}, known=g.derived), query):
            if not kb.engine.query(query):  # it does not hold under threshold 0: not at all
                return None
            return g.support(_level(intervals(kb, query).get(())))
    return relation_supports(kb, sym).get(row)


def _facts_query(kb: KnowledgeBase, facts: Sequence[tuple[ast.PredicateSym, ast.Row]],
                 kept_too: bool = False) -> tuple[list[int], CheckedQuery | None]:
    """The derived facts whose support is not kept (with `kept_too`, every derived fact: their
    positions), and the query `__facts(k) :- p_k(c..)` asking for them, a rule per fact (None
    when there is none)."""
    g = grading(kb)
    asked: list[int] = []
    rules: list[ast.Rule] = []
    goal = ast.PredicateSym("__facts", 1)
    for k, (sym, row) in enumerate(facts):
        if sym in kb.program.derived and (kept_too or (sym not in g.relations and sym not in g.derived)):
            asked.append(k)
            atom = ast.Atom(sym.name, tuple(ast.Constant(v) for v in row))
            rules.append(ast.Rule(ast.Atom(goal.name, (ast.Constant(k),)), (atom,)))
    return asked, CheckedQuery(tuple(rules), goal, ("K",), ast.Query(tuple(r.body[0] for r in rules))) if rules else None


def supported_on_demand(kb: KnowledgeBase, facts: Sequence[tuple[ast.PredicateSym, ast.Row]]) -> bool:
    """Whether facts_support answers facts such as these (of their relations, with constants) on
    demand, an evaluation with support for each call (a large knowledge base), rather than from
    relations graded whole and kept, whether or not these very ones are kept already."""
    asked, query = _facts_query(kb, facts, kept_too=True)
    return query is not None and kb.engine.annotated_on_demand(cone(kb.program, {facts[k][0] for k in asked}), query)


def facts_support(kb: KnowledgeBase, facts: Sequence[tuple[ast.PredicateSym, ast.Row]]) -> list[Support | None]:
    """fact_support of several facts, those answered on demand from one evaluation together: the
    query `__facts(k) :- p_k(c..)`, a rule per fact, whose demand program carries every fact's
    constants at once (a proof's nine derived nodes on a network of 100,000 statements: one
    evaluation with support, about a second, instead of nine)."""
    g = grading(kb)
    asked, query = _facts_query(kb, facts)
    if query is not None:
        syms = {facts[k][0] for k in asked}
        if kb.engine.annotated_on_demand(cone(kb.program, syms, known=g.derived), query):
            holding = {row[0] for row in kb.engine.query(query)}  # under threshold 0; the others do not hold
            spans = intervals(kb, query) if holding else {}
            together = {k: g.support(_level(spans.get((k,)))) if k in holding else None for k in asked}
            return [together[k] if k in together else fact_support(kb, *facts[k]) for k in range(len(facts))]
    return [fact_support(kb, sym, row) for sym, row in facts]


__all__ = ["Grading", "Kept", "Support", "answer_supports", "block_grade", "body_preds", "answers_with_supports", "cone", "derived_intervals", "PerState", "per_state",
           "fact_support", "facts_support", "forget", "supported_on_demand", "grade_of", "grading", "intervals", "supports_of", "kept_query", "kept_relations", "relation_supports",
           "relations_supports"]
