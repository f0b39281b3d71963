"""What a fact rests on: the smallest set of statements found to support it, how weak each of
them is, and the weakest statement behind an answer's support.

Stage: after the proof search. Input: a KnowledgeBase and its inconsistencies (or an Explainer and
one fact; or answers with their supports, allegiance/support.py). Output: per inconsistency,
JSON-ready dicts of the statements it rests on, weakest link first (in the grade order,
allegiance/grades.py); per answer, the weakest statement of a derivation as strong as its support.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from .. import ast
from ..grades import AXIOM
from ..provenance import StatementRecord
from ..support import Support, fact_support, facts_support, grading, relations_supports, supported_on_demand
from .premise import premise_text
from .proof import LeftOut, Proof, Why, WhyNot
from .search import Derivation, Explainer, Key, explainer_for
from .text import fact_text

if TYPE_CHECKING:
    from ..kb import Answers, Inconsistency, KnowledgeBase

MAX_ALTERNATIVES = 64  # derivations weighed per fact when looking for the smallest support
MAX_REDRAWN = 16  # nodes of one explanation drawn again by a derivation as strong as their support


def weakness(ex: Explainer, record: StatementRecord) -> tuple[int, str]:
    """Larger is weaker: the statement's level on the knowledge base's grade scale (grades.py),
    reversed, then its id."""
    return (-grading(ex.kb).statement_level(record), record.id)


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
        best_key: tuple[int, tuple[int, str]] | None = None
        for n, derivation in enumerate(ex.derivations(sym, row, rank)):
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
                weakest = max((weakness(ex, ex.statements[i]) for i in ids), default=(0, ""))
                candidate = (len(ids), weakest)
                if best_key is None or candidate < best_key:
                    best_key, result = candidate, frozenset(ids)
    memo[key] = result
    return result


# --- the weakest statement behind a support ---------------------------------------------------------

Found = tuple[int, StatementRecord | None]  # a derivation's weakest level and statement (None: no statement)


def weakest(ex: Explainer, sym: ast.PredicateSym, row: ast.Row, floor: int,
            memo: dict[Key, Found | None], found_before: dict[Key, Found] | None = None) -> Found | None:
    """A derivation of sym(row) whose statements are all graded at level `floor` or stronger:
    its weakest statement and that statement's level ((axiom, None) when it needs no statement).
    None when none is found (a cycle, or more than MAX_ALTERNATIVES derivations tried).
    `found_before`: what earlier searches at the same floor found (only what they found: a None
    may come from their cycle guard), read here and not written (see remember_found)."""
    key = (sym, row)
    if key in memo:
        return memo[key]
    if found_before is not None and key in found_before:
        return found_before[key]
    memo[key] = None  # a cycle back to this fact is no support
    g = grading(ex.kb)
    axiom = g.scale.axiom
    result: Found | None = None
    if ex.plain_span(sym, row) is not None:
        result = (axiom, None)
    else:
        records = list(ex.by_fact.get(key, []))
        strong = [(g.statement_level(r), r) for r in records if g.statement_level(r) >= floor]
        if strong:
            result = max(strong, key=lambda x: (x[0], x[1].id))  # a base fact: its strongest statement
        elif not records and ex.is_leaf(sym, row) and sym not in ex.derived:
            result = (axiom, None)  # metadata, a declaration's fact: no statement
    if result is None:  # a derived fact (or a stated one too weak here): its derivations
        for n, derivation in enumerate(ex.derivations(sym, row, 1 << 62)):
            if result is not None or n >= MAX_ALTERNATIVES:
                break
            found: Found = (axiom, None)
            for step in derivation.steps:
                part: Found | None = (axiom, None)
                if step.kind == "atom" and step.sym is not None and step.row is not None:
                    part = weakest(ex, step.sym, step.row, floor, memo, found_before)
                elif step.kind == "stmt" and step.row is not None:
                    record = ex.statements.get(str(step.row[-1]))
                    level = g.statement_level(record) if record is not None else -1
                    part = (level, record) if level >= floor else None
                if part is None:
                    break
                found = min(found, part, key=lambda x: x[0])
            else:
                result = found
    memo[key] = result
    return result


def remember_found(found_before: dict[Key, Found], memo: dict[Key, Found | None]) -> None:
    """Keep what one search found (not its Nones) for the next searches at the same floor: many
    findings share their premises (the same `tied` pair under thousands of inconsistencies)."""
    found_before.update((key, found) for key, found in memo.items() if found is not None)


def answer_statements(kb: KnowledgeBase, answers: Answers) -> list[StatementRecord | None]:
    """For each answer with its support, the weakest statement of a derivation as strong as the
    support (None: it rests on no statement, or none was found). For each positive atom of the
    query, the first matching fact with such a derivation; the weakest over the atoms."""
    if answers.supports is None:
        return [None] * len(answers.rows)
    ex = explainer_for(kb)
    atoms = [lit for lit in answers.query.body if isinstance(lit, ast.Atom)]
    out: list[StatementRecord | None] = []
    for row, sup in zip(answers.rows, answers.supports, strict=True):
        if sup.axiom:
            out.append(None)
            continue
        env = dict(zip(answers.variables, row, strict=True))
        memo: dict[Key, Found | None] = {}
        parts: list[Found] = []
        for atom in atoms:
            pattern = [a.value if isinstance(a, ast.Constant) else env.get(a.name) if isinstance(a, ast.Variable) else None
                       for a in atom.args]
            for candidate in ex.matching(atom.sym, pattern):
                found = weakest(ex, atom.sym, candidate, sup.level, memo)
                if found is not None:
                    parts.append(found)
                    break
        weakest_part = min(parts, key=lambda x: x[0], default=(0, None))
        out.append(weakest_part[1])
    return out


def support_json(kb: KnowledgeBase, answers: Answers, statements: bool = True) -> list[dict[str, object]] | None:
    """Per answer, {"grade", "statement", "source", "status"}: its support's grade ("B2 confirmed",
    "axiom") and the weakest statement behind it (with `statements`; else, and for an axiom, None).
    None when the answers carry no supports, or the knowledge base has no statement to grade (a
    plain Datalog program: every answer would read "axiom")."""
    if answers.supports is None or grading(kb).scale.size == 1:
        return None
    records = answer_statements(kb, answers) if statements else [None] * len(answers.rows)
    return [{"grade": sup.label, "statement": r.id if r else None, "source": r.source if r else None,
             "status": r.status if r else None} for sup, r in zip(answers.supports, records, strict=True)]


def fact_support_json(kb: KnowledgeBase, sym: ast.PredicateSym, row: ast.Row,
                      ex: Explainer | None = None,
                      found_before: dict[int, dict[Key, Found]] | None = None) -> dict[str, object] | None:
    """{"grade", "statement", "source", "status"} for one fact that holds (None: it does not):
    its support and the weakest statement of a derivation as strong. `found_before`: per floor,
    what the searches for earlier facts found (filled in here)."""
    sup = fact_support(kb, sym, tuple(row))
    if sup is None:
        return None
    record = None
    if not sup.axiom:
        memo: dict[Key, Found | None] = {}
        before = found_before.setdefault(sup.level, {}) if found_before is not None else None
        found = weakest(ex or explainer_for(kb), sym, tuple(row), sup.level, memo, before)
        if before is not None:
            remember_found(before, memo)
        record = found[1] if found is not None else None
    return {"grade": sup.label, "statement": record.id if record else None,
            "source": record.source if record else None, "status": record.status if record else None}


def inconsistency_supports(kb: KnowledgeBase, found: Sequence[Inconsistency],
                           searched: int | None = None) -> list[dict[str, object] | None]:
    """Per inconsistency, fact_support_json (None when the knowledge base has no statement to grade);
    the weakest statement searched for the first `searched` of them only (None: every one), the
    others' "statement", "source" and "status" None: a proof search each, in Python."""
    if grading(kb).scale.size == 1:
        return [None] * len(found)
    ex = explainer_for(kb)
    supports = relations_supports(kb, {ast.PredicateSym(inc.kind, len(inc.args)) for inc in found})  # one evaluation
    found_before: dict[int, dict[Key, Found]] = {}
    out: list[dict[str, object] | None] = []
    for n, inc in enumerate(found):
        sym = ast.PredicateSym(inc.kind, len(inc.args))
        if searched is None or n < searched:
            out.append(fact_support_json(kb, sym, inc.args, ex, found_before))
            continue
        sup = supports[sym].get(tuple(inc.args))
        out.append(None if sup is None else {"grade": sup.label, "statement": None, "source": None, "status": None})
    return out


def graded_why(kb: KnowledgeBase, answer: Why) -> Why:
    """The explanation with each node's support and each statement's grade filled in: a stated
    fact's support is its strongest statement's grade, a derived one's is computed (support.py);
    a negated literal or a comparison adds nothing and gets none.

    Each derived node is drawn by a derivation as strong as its support: the shortest derivation
    (the one `why` draws) may rest on a weaker premise than another does (`allied(a, b)` at B by
    a coalition both are in, drawn through a D report of their alliance). Such a node is drawn
    again by its shortest derivation whose premises all have its support or more (none of them
    a fact it is drawn under), for up to MAX_REDRAWN nodes an explanation, where the supports
    are graded whole (not on a knowledge base answered on demand: see `redraw` below)."""
    g = grading(kb)
    derived = kb.program.derived
    supports: dict[Key, Support | None] = {}

    def computed(proof: Proof) -> bool:  # a support the engine computes, not a statement's grade
        return proof.sym is not None and proof.row is not None and (
            proof.kind in ("derived", "unexplained") or (proof.kind == "stated" and proof.sym in derived))

    def know(facts: Iterable[Key]) -> None:  # on a large knowledge base one evaluation on demand for them all
        wanted = [k for k in dict.fromkeys(facts) if k not in supports]
        if wanted:
            supports.update(zip(wanted, facts_support(kb, wanted), strict=True))

    def level(proof: Proof) -> int | None:
        """The node's support as a level on the scale (None: it has none, e.g. a negated literal)."""
        if proof.kind in ("plain", "metadata"):
            return g.scale.axiom
        if computed(proof) and proof.sym is not None and proof.row is not None:
            found = supports[(proof.sym, tuple(proof.row))]
            return found.level if found is not None else None
        if proof.sym is not None and proof.row is not None and proof.kind == "stated":
            levels = [g.statement_level(e.statement) for e in proof.evidence if e.statement is not None]
            return max(levels) if levels else None
        return None

    def above_drawn(proof: Proof) -> bool:
        """A derived node whose support is stronger than its weakest drawn positive premise."""
        own = level(proof)
        premises = [level(c) for c in proof.children if c.kind not in ("absent", "test")]
        return proof.kind == "derived" and own is not None and \
            min((-1 if p is None else p for p in premises), default=own) < own

    def nodes_of(proofs: Iterable[Proof]) -> Iterator[Key]:
        return ((n.sym, tuple(n.row)) for p in proofs for n in p.nodes()
                if computed(n) and n.sym is not None and n.row is not None)

    first = list(dict.fromkeys(nodes_of(answer.proofs)))
    # drawn again only where the supports it weighs are graded whole and kept (a knowledge base of
    # fewer than about 4,000 base facts): on demand, each node drawn again would cost an
    # evaluation with support for its alternatives' premises (seconds each at 100,000 statements)
    redraw = not supported_on_demand(kb, first)
    know(first)  # every node's fact at once
    ex = explainer_for(kb)
    tries = 0  # derivations drawn again so far (at most MAX_REDRAWN)

    def strongest(proof: Proof, path: frozenset[Key]) -> tuple[Proof, bool]:
        """The node drawn by a derivation as strong as its support, and its children likewise;
        False when the drawing holds a fact it is drawn under (a cycle: the caller draws another)."""
        nonlocal tries
        if proof.kind != "derived" or proof.sym is None or proof.row is None:
            return proof, True
        key = (proof.sym, tuple(proof.row))
        if key in path:
            return proof, False
        inside = path | {key}
        own = level(proof)
        circular = any(c.sym is not None and c.row is not None and (c.sym, tuple(c.row)) in inside for c in proof.children)
        if redraw and (above_drawn(proof) or circular) and own is not None and tries < MAX_REDRAWN:
            for better in _derivations_at(ex, key, own, inside, supports, know)[:3]:
                if tries >= MAX_REDRAWN:
                    break
                tries += 1
                again = ex.node(proof.sym, tuple(proof.row), better)
                know(nodes_of([again]))
                drawn = [strongest(c, inside) for c in again.children]
                if all(ok for _, ok in drawn):
                    return dataclasses.replace(again, children=tuple(c for c, _ in drawn)), True
        drawn = [strongest(c, inside) for c in proof.children]
        return dataclasses.replace(proof, children=tuple(c for c, _ in drawn)), all(ok for _, ok in drawn)

    def node(proof: Proof) -> Proof:
        evidence = tuple(dataclasses.replace(e, grade=g.support(g.statement_level(e.statement)).label)
                         if e.statement is not None else e for e in proof.evidence)
        found = level(proof)
        support = AXIOM if proof.kind in ("plain", "metadata") else g.support(found).label if found is not None else ""
        return dataclasses.replace(proof, evidence=evidence, support=support, elsewhere=above_drawn(proof),
                                   children=tuple(node(c) for c in proof.children))

    return dataclasses.replace(answer, proofs=tuple(node(strongest(p, frozenset())[0]) for p in answer.proofs))


def _derivations_at(ex: Explainer, key: Key, floor: int, path: frozenset[Key], supports: dict[Key, Support | None],
                    know: Callable[[Iterable[Key]], None]) -> list[Derivation]:
    """The derivations of the fact `key` whose premises (positive atoms and statements) all have
    level `floor` or more and none of which is in `path`, shortest first (by their premises'
    shortest derivations), among the first MAX_ALTERNATIVES."""
    g = grading(ex.kb)
    candidates: list[tuple[Derivation, list[Key]]] = []
    for n, derivation in enumerate(ex.derivations(key[0], key[1], 1 << 62)):
        if n >= MAX_ALTERNATIVES:
            break
        atoms = [(s.sym, tuple(s.row)) for s in derivation.steps if s.kind == "atom" and s.sym is not None and s.row is not None]
        records = [ex.statements.get(str(s.row[-1])) for s in derivation.steps if s.kind == "stmt" and s.row is not None]
        if not any(a in path for a in atoms) and all(r is not None and g.statement_level(r) >= floor for r in records):
            candidates.append((derivation, atoms))
    know(a for _, atoms in candidates for a in atoms)  # their premises' supports, in one batch
    strong = [(1 + max((ex.depth(*a) for a in atoms), default=0), n, derivation)
              for n, (derivation, atoms) in enumerate(candidates)
              if all((found := supports[a]) is not None and found.level >= floor for a in atoms)]
    return [derivation for _, _, derivation in sorted(strong, key=lambda x: x[:2])]


def graded_why_not(kb: KnowledgeBase, answer: WhyNot) -> WhyNot:
    """The why-not with its support shown where there is one: each nearest statement's grade,
    and, for a fact that holds after all, its proof graded as graded_why does."""
    g = grading(kb)
    nearest = tuple((how, dataclasses.replace(e, grade=g.statement_label(e.statement, kb.catalog)))
                    if e.statement is not None else (how, e) for how, e in answer.nearest)
    proof = graded_why(kb, answer.proof) if answer.proof is not None and answer.proof.holds else answer.proof

    def graded(left: tuple[LeftOut, ...]) -> tuple[LeftOut, ...]:
        return tuple(dataclasses.replace(lo, evidence=dataclasses.replace(
            lo.evidence, grade=g.statement_label(lo.evidence.statement, kb.catalog)))
            if lo.evidence.statement is not None else lo for lo in left)

    failures = tuple(dataclasses.replace(f, left_out=graded(f.left_out)) for f in answer.failures)
    return dataclasses.replace(answer, nearest=nearest, proof=proof, failures=failures,
                               left_out=graded(answer.left_out))


def statement_dict(ex: Explainer, record: StatementRecord) -> dict[str, object]:
    src = ex.kb.catalog.sources.get(record.source)
    return {
        "fact": fact_text(record.fact_sym, record.row), "id": record.id, "text": record.text,
        "quote": record.quote, "status": record.status, "asserter": record.asserter,
        "credibility": record.credibility, "source": record.source,
        "title": src.title if src else "", "publisher": src.publisher if src else "",
        "date": src.date.isoformat() if src and src.date else None,
        "reliability": src.reliability if src else "",
        "grade": grading(ex.kb).support(grading(ex.kb).statement_level(record)).label,
        "premise": premise_text(record, ex.kb.catalog),
        "file": record.span.file, "line": record.span.line,
    }


def support_rows(ex: Explainer, sym: ast.PredicateSym, row: ast.Row) -> list[dict[str, object]]:
    ids = support(ex, sym, row, {}) or frozenset()
    records = sorted((ex.statements[i] for i in ids), key=lambda r: weakness(ex, r), reverse=True)
    return [statement_dict(ex, r) for r in records]


def explain_inconsistencies(kb: KnowledgeBase, found: Sequence[Inconsistency]) -> list[list[dict[str, object]]]:
    """Per inconsistency, the smallest set of statements found to support it, weakest link first:
    dicts with fact, id, text, quote, status, asserter, credibility, source, title, publisher,
    date, reliability, grade (on the knowledge base's scale), premise (premise.py: who asserts and
    reports it, its Admiralty code), file, line (JSON-ready)."""
    ex = explainer_for(kb)
    return [support_rows(ex, ast.PredicateSym(inc.kind, len(inc.args)), inc.args) for inc in found]



__all__ = ["answer_statements", "fact_support_json", "graded_why", "graded_why_not", "inconsistency_supports", "support_json", "explain_inconsistencies", "statement_dict", "support", "support_rows", "weakest",
           "weakness"]
