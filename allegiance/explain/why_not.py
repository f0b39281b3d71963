"""Why a fact does not hold: the statements that come closest, and for each rule that could derive
it the first body literal no solution gets past.

Stage: the `whynot` front of the proof search. Input: a KnowledgeBase and a fact as text. Output: a
`WhyNot` (proof.py): nearest statements (a denial, an alias, the reverse, one argument different)
and one `Failure` per rule, with what would make it hold; for a fact that holds after all, its proof.
Under a selection, a missing fact and each failing atom say which of their statements the
selection leaves out, and why (left_out.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from .. import ast
from ..provenance import StatementRecord
from ..support import relation_supports
from ..timeline import timeline
from .left_out import left_out_evidence, pattern_sentences, sentence
from .proof import Evidence, Failure, LeftOut, RuleRef, Why, WhyNot
from .search import Env, Explainer, Progress, explainer_for
from .text import bound_text, fact_text, substitute
from .why import parse_fact, resolve_aliases

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..selection import Selection

# what a selection leaves out of a failing atom's facts: (relation, values or None) -> sentences,
# and the statements themselves
Note = Callable[[ast.PredicateSym, list[ast.Value | None]], tuple[list[str], tuple[LeftOut, ...]]]


def why_not(kb: KnowledgeBase, text: str, explainer: Explainer | None = None,
            selection: Selection | None = None) -> WhyNot:
    """Why a fact does not hold: the nearest statements, and for each rule the literal that fails;
    under `selection`, among the statements that count only."""
    whole, kb = kb, kb.under(selection)
    sym, row = parse_fact(kb, text)
    ex = explainer or explainer_for(kb)
    fact = fact_text(sym, row)
    if ex.holds(sym, row):
        return WhyNot(fact, True, f"{fact} holds", proof=Why(fact, True, (ex.proof(sym, row),)))
    nearest = tuple(_nearest(ex, sym, row))
    failures = tuple(_failures(ex, sym, row, _notes(whole, selection) if selection is not None and
                               not selection.everything else None))
    selected = selection is not None and not selection.everything
    left = _left_out(whole, selection, sym, row) if selection is not None and selected else None
    statements = left_out_evidence(whole, selection, sym, list(row)) if selection is not None and selected else ()
    if left is not None:
        assert selection is not None
        message = f"{fact} does not hold under {selection.describe()}: {left}"
    elif sym in ex.rules:
        message = f"{fact} does not hold: no statement{' that counts' if selected else ''} says it and no rule derives it"
    else:
        message = f"{fact} does not hold: no statement{' that counts' if selected else ''} says it"
        if not any(s.fact_sym == sym for s in ex.statements.values()):
            message += f" (no statement says anything of {sym})"
    if selection is not None and selection.at is not None:
        message += _other_dates(whole, fact, selection)
    return WhyNot(fact, False, message, nearest, failures, left_out=statements)


def _left_out(whole: KnowledgeBase, selection: Selection, sym: ast.PredicateSym, row: ast.Row,
              subject: str = "it") -> str | None:
    """Under a selection: the statements of the fact it leaves out ("it is stated only by ...,
    which policy `reliable` leaves out"), or, for a fact derived when every statement counts,
    that it is, with its support there. None: the selection is not why it is missing."""
    said = sentence(whole, selection, sym, row, subject)
    if said is not None:
        return said
    if sym in whole.program.derived and explainer_for(whole).holds(sym, row):
        found = relation_supports(whole, sym).get(tuple(row))
        grade = f" (support {found.label})" if found is not None and found.grade is not None else ""
        return f"{subject} holds when every statement counts{grade}, but a premise does not count"
    return None


def _notes(whole: KnowledgeBase, selection: Selection) -> Note:
    """For a failing literal: the statements of its facts the selection leaves out, in words."""
    def note(sym: ast.PredicateSym, pattern: list[ast.Value | None]) -> tuple[list[str], tuple[LeftOut, ...]]:
        if all(v is not None for v in pattern):
            said = _left_out(whole, selection, sym, tuple(v for v in pattern if v is not None))
            sentences = [said] if said is not None else []
        else:
            sentences = pattern_sentences(whole, selection, sym, pattern)
        return sentences, (left_out_evidence(whole, selection, sym, pattern) if sentences else ())
    return note


def _other_dates(kb: KnowledgeBase, fact: str, selection: Selection) -> str:
    """Under a date of validity D: the periods the fact holds in on other dates, each said to lie
    before or after D (`; on other dates it holds since 2016-01-01 (after 2015-10-01)`)."""
    assert selection.at is not None
    day = selection.at
    line = timeline(kb, fact, selection.replace(at=None))
    periods = line.answers[0].periods if line.answers else ()
    if not periods:
        return ""
    texts = [f"{p.text()} ({'after' if p.start is not None and p.start > day else 'before'} {day})" for p in periods]
    return "; on other dates it holds " + ", ".join(texts)


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
    resolved = resolve_aliases(ex, row)
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


def _failures(ex: Explainer, sym: ast.PredicateSym, row: ast.Row, note: Note | None = None) -> Iterator[Failure]:
    """For each rule with head sym: the first body literal (in written order, as far as the
    bindings allow) that no partial solution gets past, and what would make it hold; `note` says
    what a selection leaves out of a failing atom."""
    for rule in ex.rules.get(sym, ()):
        start = ex.unify_head(rule.head, row)
        if start is None:
            yield Failure(ex.rule_ref(rule, {}), str(rule.head), f"the head {rule.head} does not match {fact_text(sym, row)}", "")
            continue
        progress = Progress()
        solved = any(ex.head_matches(rule.head, env, row) for env, _ in ex.solve(rule.body, start, None, progress))
        ref = ex.rule_ref(rule, progress.env or start)
        if solved or not progress.order:
            yield Failure(ref, str(rule.head), "the head's expression gives another value", "")
            continue
        literal = rule.body[progress.order[-1]]
        yield _failure(ex, ref, literal, progress.env, note)


def _failure(ex: Explainer, ref: RuleRef, literal: ast.Literal, env: Env, note: Note | None = None) -> Failure:
    text = bound_text(literal, env)
    if isinstance(literal, ast.Comparison):
        return Failure(ref, text, f"{text} is false", "")
    if isinstance(literal, ast.NegLiteral):
        hit = next(ex.atom_rows(literal.atom, env, None), None)
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
    pattern = [b.value if isinstance(b, ast.Constant) else None for b in (substitute(a, env) for a in literal.args)]
    notes, statements = note(literal.sym, pattern) if note is not None else ([], ())
    left = "".join(f": {n}" if n.startswith("it ") else f"; {n}" for n in notes)
    if literal.sym in ex.rules:
        remedy = f"{text} holding (`whynot {text}`)" if not free else f"a fact of {literal.sym} matching {text}"
        counted = " from the statements that count" if notes else ""
        return Failure(ref, text, f"nothing derives {text}{some}{counted}{left}", f"it would hold with {remedy}",
                       statements)
    counting = " that counts" if notes else ""
    return Failure(ref, text, f"no statement{counting} says {text}{some}{left}",
                   f"it would hold with a statement saying {text}" + (" that counts" if notes else ""), statements)



__all__ = ["MAX_NEAREST", "why_not"]
