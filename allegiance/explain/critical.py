"""What rests on one source: for each answer of a query, the sources it cannot do without.

Stage: after the engine, beside the proof search. Input: a KnowledgeBase, a query (a fact is a
query without variables) and a selection. Output: one `Reliance` per answer: the sources that
are critical to it. Source X is critical to an answer when the answer holds under the selection
and no longer holds with X left out as well (`--without X`): leave-one-out, the definition itself,
not an estimate from one proof (negation makes any shortcut through proofs unsound: leaving a
source out can make a negated premise true elsewhere). An answer with exactly one critical source
is single-source.

How: one interval-annotated evaluation (Engine.annotated_query) over the points 0..n-1, point i
being "the selection with candidate source i left out as well", for the n sources that could
matter (their statements add facts to a relation the query depends on, through rules and
negation). A base fact holds at every point except those whose source's leaving out takes it away,
and a fact that leaving a source out brings in (a trust policy reading other statements) holds
at that source's point only. Which facts those are comes from selection.select with the source
added to `without`, so a policy is honoured exactly. An answer's critical sources are the points
where it does not hold: leave-one-out for every source at once, over the query's cone only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import ast
from ..analysis import check_query
from ..analysis.checked import CheckedProgram, CheckedQuery
from ..bulk import StatementBlock
from ..engines import make_engine
from ..engines.base import Annotated
from ..parse import parse_query
from ..provenance import METADATA, record_facts
from ..render import json_value
from ..selection import Selection, select
from ..support import body_preds
from ..support import cone as support_cone
from .search import Explainer, explainer_for
from .text import bound_text, substitute

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..state import State

Facts = dict[ast.PredicateSym, set[ast.Row]]


@dataclass(frozen=True)
class Reliance:
    """One answer (its values, one per query variable) and the sources it cannot do without."""

    row: ast.Row
    critical: tuple[str, ...]
    # the other sources of the statements in the answer's shallowest proof (its positive atoms
    # that are ground once the answer fills them in): it holds without any one of them
    supporting: tuple[str, ...] = ()

    @property
    def single_source(self) -> bool:
        return len(self.critical) == 1


def rests_on(kb: KnowledgeBase, text: str | ast.Query, selection: Selection | None = None) -> list[Reliance]:
    """For each answer of the query under `selection`, in the order of kb.query, its critical sources."""
    selection = selection or Selection()
    view = kb.under(selection)
    answers = view.query(text)
    query = parse_query(text, dialect=kb.dialect) if isinstance(text, str) else text
    checked = check_query(query, view.program)
    state = view.state
    cone = _cone(view.program, checked)
    candidates = _candidates(state, cone)
    critical: dict[ast.Row, list[str]] = {row: [] for row in answers.rows}
    if candidates and answers.rows:
        # facts of relations outside the cone cannot change the answers
        base: Facts = {sym: set(rows) for sym, rows in state.base_facts().items() if sym in cone}
        for block in state.blocks:
            for sym, made in block.bulk().facts().items():
                if sym in cone:
                    base.setdefault(sym, set()).update(tuple(row) for row in made)
        missing: dict[tuple[ast.PredicateSym, ast.Row], list[int]] = {}  # a base fact -> the points it is gone at
        extra: dict[tuple[ast.PredicateSym, ast.Row], list[int]] = {}  # a new fact -> the points it comes at
        for i, source in enumerate(candidates):
            gone, came = _difference(state, select(kb.state, selection.replace(without=selection.without | {source}),
                                                   lambda: make_engine(kb.engine_name, timeout=kb.engine.timeout)),
                                     cone)
            for sym, rows in gone.items():
                for row in rows:
                    missing.setdefault((sym, row), []).append(i)
            for sym, rows in came.items():
                for row in rows:
                    extra.setdefault((sym, row), []).append(i)
        n = len(candidates)
        plain: Facts = {sym: {row for row in rows if (sym, row) not in missing} for sym, rows in base.items()}
        annotated: dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]] = {}
        for (sym, row), points in missing.items():
            annotated.setdefault(sym, []).extend((row, lo, hi) for lo, hi in _between(points, n))
        for (sym, row), points in extra.items():
            annotated.setdefault(sym, []).extend((row, i, i) for i in points)
        program = support_cone(view.program, {p for rule in checked.rules for p in body_preds(rule)})
        held = view.engine.annotated_query(program, plain, Annotated(n, annotated), checked)
        for row in answers.rows:
            covered = {p for lo, hi in held.get(row, ()) for p in range(lo, hi + 1)}
            critical[row] = [source for i, source in enumerate(candidates) if i not in covered]
    ex = explainer_for(view)
    return [Reliance(row, tuple(critical[row]), _supporting(ex, query, row, critical[row])) for row in answers.rows]


def _supporting(ex: Explainer, query: ast.Query, row: ast.Row, critical: list[str]) -> tuple[str, ...]:
    env = dict(zip((v.name for v in query.variables), row, strict=True))
    found: set[str] = set()
    for literal in query.body:
        if not isinstance(literal, ast.Atom) or literal.statement is not None:
            continue
        args = [substitute(a, env) for a in literal.args]
        if not all(isinstance(a, ast.Constant) for a in args):
            continue
        values = tuple(a.value for a in args if isinstance(a, ast.Constant))
        if not ex.holds(literal.sym, values):
            continue
        for leaf in ex.proof(literal.sym, values).leaves():
            found |= {e.statement.source for e in leaf.evidence if e.statement is not None}
    return tuple(sorted(found - set(critical)))


# --- rendering ---------------------------------------------------------------------------------------


def reliance_json(query: ast.Query, reliances: Iterable[Reliance], kb: KnowledgeBase) -> dict[str, object]:
    """{"query", "variables", "answers": [[values]], "critical": [[{source...}]], "single_source": [bool]}:
    "answers" as a query prints them, the rest parallel to it."""
    found = list(reliances)
    variables = [v.name for v in query.variables]
    return {"query": str(query), "variables": variables,
            "answers": [[json_value(v) for v in r.row] for r in found],
            "critical": [[_source_json(kb, s) for s in r.critical] for r in found],
            "supporting": [[_source_json(kb, s) for s in r.supporting] for r in found],
            "single_source": [r.single_source for r in found]}


def reliance_text(query: ast.Query, reliances: Iterable[Reliance], kb: KnowledgeBase) -> str:
    """Each answer (the query with its values filled in), then the sources it cannot do without."""
    lines: list[str] = []
    found = list(reliances)
    for r in found:
        env = dict(zip((v.name for v in query.variables), r.row, strict=True))
        lines.append(", ".join(bound_text(lit, env) for lit in query.body))
        if r.single_source:
            lines.append(f"    single source: {_source_line(kb, r.critical[0])}")
        elif r.critical:
            lines.append(f"    rests on each of {len(r.critical)} sources:")
            lines += [f"      {_source_line(kb, s)}" for s in r.critical]
        else:
            lines.append("    no source is critical: it holds without any one of them")
        if r.supporting:
            lines.append(f"    also drawn on (not critical): {', '.join(r.supporting)}")
    single = sum(r.single_source for r in found)
    lines.append(f"({len(found)} answer{'s' if len(found) != 1 else ''}, {single} single-source)" if found else "no answers")
    return "\n".join(lines)


def _source_line(kb: KnowledgeBase, source: str) -> str:
    src = kb.catalog.sources.get(source)
    if src is None:
        return source
    about = [f'"{src.title}"' if src.title else "", src.publisher, src.date.isoformat() if src.date else "",
             f"reliability {src.reliability}" if src.reliability else "reliability not graded"]
    return f"{source} ({', '.join(a for a in about if a)})"


def _source_json(kb: KnowledgeBase, source: str) -> dict[str, object]:
    src = kb.catalog.sources.get(source)
    return {"source": source, "title": src.title if src else "", "publisher": src.publisher if src else "",
            "date": src.date.isoformat() if src and src.date else None, "reliability": src.reliability if src else ""}


def _cone(program: CheckedProgram, query: CheckedQuery) -> set[ast.PredicateSym]:
    """Every relation the query depends on, through rules, negated literals included."""
    rules_of: dict[ast.PredicateSym, list[ast.Rule]] = {}
    for rule in (*program.rules, *query.rules):
        rules_of.setdefault(rule.head.sym, []).append(rule)
    seen: set[ast.PredicateSym] = set()
    todo = [query.goal]
    while todo:
        sym = todo.pop()
        if sym in seen:
            continue
        seen.add(sym)
        for rule in rules_of.get(sym, ()):
            for literal in rule.body:
                atom = literal.atom if isinstance(literal, ast.NegLiteral) else literal
                if isinstance(atom, ast.Atom):
                    todo.append(atom.sym)
    return seen


def _candidates(state: State, cone: set[ast.PredicateSym]) -> list[str]:
    """The sources with a counting statement that adds a fact to a relation of the cone."""
    found: set[str] = set()
    if cone & set(METADATA):  # every statement adds source/2 and status/2
        found = {r.source for r in state.statements} | {b.source for b in state.blocks}
    else:
        for record in state.statements:
            if record.source not in found and any(sym in cone for sym, _ in record_facts(record)):
                found.add(record.source)
        for block in state.blocks:
            if any(sym in cone for sym, _ in block.bulk().outputs):
                found.add(block.source)
    return sorted(found)


def _difference(old: State, new: State, cone: set[ast.PredicateSym]) -> tuple[Facts, Facts]:
    """The base facts of the cone's relations that `old` has and `new` lacks, and the other way
    round (blocks included)."""
    old_base = {sym: rows for sym, rows in old.base_facts().items() if sym in cone}
    new_base = {sym: rows for sym, rows in new.base_facts().items() if sym in cone}
    kept_blocks = [b for b in new.blocks if b in old.blocks]
    gone: Facts = {}
    came: Facts = {}

    def held(blocks: Iterable[StatementBlock], base: Facts, sym: ast.PredicateSym, row: ast.Row) -> bool:
        return row in base.get(sym, ()) or any(b.has_fact(sym, row) for b in blocks)

    for sym, rows in old_base.items():
        for row in rows:
            if not held(new.blocks, new_base, sym, row):
                gone.setdefault(sym, set()).add(row)
    for block in old.blocks:
        if block in kept_blocks:
            continue
        for sym, made in block.bulk().facts().items():
            for row in made if sym in cone else ():
                if not held(new.blocks, new_base, sym, tuple(row)):
                    gone.setdefault(sym, set()).add(tuple(row))
    for sym, rows in new_base.items():
        for row in rows:
            if not held(old.blocks, old_base, sym, row):
                came.setdefault(sym, set()).add(row)
    return gone, came


def _between(points: list[int], n: int) -> list[tuple[int, int]]:
    """The intervals of 0..n-1 that leave out `points` (sorted, distinct)."""
    spans, start = [], 0
    for p in points:
        if start <= p - 1:
            spans.append((start, p - 1))
        start = p + 1
    if start <= n - 1:
        spans.append((start, n - 1))
    return spans


__all__ = ["Reliance", "reliance_json", "reliance_text", "rests_on"]
