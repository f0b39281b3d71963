"""What rests on one source: for each answer of a query, the sources it cannot do without.

Stage: after the engine, beside the proof search. Input: a KnowledgeBase, a query (a fact is a
query without variables) and a selection. Output: one `Reliance` per answer: the sources that
are critical to it. Source X is critical to an answer when the answer holds under the selection
and no longer holds with X left out as well (`--without X`): leave-one-out, the definition itself,
not an estimate from one proof (negation makes any shortcut through proofs unsound: leaving a
source out can make a negated premise true elsewhere). An answer with exactly one critical source
is single-source.

How: an annotated evaluation (support.kept_query, Engine.annotated_relations) over the points
0..n-1, point i being "the selection with source i left out as well", for the n sources of the
selection's statements. A base fact holds at every point except those whose source's leaving out
takes it away, and a fact that leaving a source out brings in (a trust policy reading other
statements) holds at that source's point only. Which facts those are comes from selection.select
with the source added to `without`, so a policy is honoured exactly. An answer's critical sources
are the points where it does not hold: leave-one-out for every source at once. The facts per point
and every relation evaluated over them are kept until the knowledge base changes, so a second
`sources` reads what the first evaluated (the same way support keeps its relations).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import ast
from ..analysis import check_query
from ..bulk import StatementBlock
from ..engines import make_engine
from ..engines.base import Annotated, Interval
from ..parse import parse_query
from ..render import json_value
from ..selection import Selection, select
from ..support import kept_query
from ..trust import DEFAULT
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


def rests_on(kb: KnowledgeBase, text: str | ast.Query, selection: Selection | None = None, *,
             supporting: bool = True) -> list[Reliance]:
    """For each answer of the query under `selection`, in the order of kb.query, its critical sources
    (and, with `supporting`, the other sources its shallowest proof draws on: a proof search per answer)."""
    selection = selection or Selection()
    view = kb.under(selection)
    answers = view.query(text)
    query = parse_query(text, dialect=kb.dialect) if isinstance(text, str) else text
    checked = check_query(query, view.program)
    critical: dict[ast.Row, list[str]] = {row: [] for row in answers.rows}
    left = _left_out(kb, view, selection)
    if left.sources and answers.rows:
        held = kept_query(view.program, view.engine, left, checked)
        for row in answers.rows:
            covered = {p for lo, hi in held.get(row, ()) for p in range(lo, hi + 1)}
            critical[row] = [source for i, source in enumerate(left.sources) if i not in covered]
    if not supporting:
        return [Reliance(row, tuple(critical[row])) for row in answers.rows]
    ex = explainer_for(view)
    return [Reliance(row, tuple(critical[row]), _supporting(ex, query, row, critical[row])) for row in answers.rows]


@dataclass
class _LeftOut:
    """The knowledge base under a selection with each of its sources left out in turn: point i of
    0..n-1 is "sources[i] left out as well" (support.Kept: what has been evaluated over it is kept)."""

    sources: tuple[str, ...]
    plain: Facts
    annotated: Annotated
    derived: dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]] = field(default_factory=dict)
    base: dict[ast.PredicateSym, dict[ast.Row, tuple[Interval, ...]]] = field(default_factory=dict)


# per view (a selection's knowledge base): its facts with each source left out, until it changes
_left: weakref.WeakKeyDictionary[KnowledgeBase, tuple[object, object, _LeftOut]] = weakref.WeakKeyDictionary()


def _left_out(kb: KnowledgeBase, view: KnowledgeBase, selection: Selection) -> _LeftOut:
    state = view.state
    kept = _left.get(view)
    if kept is not None and kept[0] is state and kept[1] is view.program:
        return kept[2]
    sources = tuple(sorted({r.source for r in state.statements} | {b.source for b in state.blocks}))
    base: Facts = {sym: set(rows) for sym, rows in state.base_facts().items()}
    for block in state.blocks:
        for sym, made in state.bulk(block).facts().items():
            base.setdefault(sym, set()).update(tuple(row) for row in made)
    missing: dict[tuple[ast.PredicateSym, ast.Row], list[int]] = {}  # a base fact -> the points it is gone at
    extra: dict[tuple[ast.PredicateSym, ast.Row], list[int]] = {}  # a new fact -> the points it comes at
    if selection.trust == DEFAULT:
        # every statement trusted: leaving a source out takes away its own statements and imports
        # and nothing else, so a fact is gone exactly where its one source is left out
        point = {source: i for i, source in enumerate(sources)}
        for key, source in _sole_sources(state).items():
            if source is not None:
                missing[key] = [point[source]]
    for i, source in enumerate(sources if selection.trust != DEFAULT else ()):
        gone, came = _difference(state, select(kb.state, selection.replace(without=selection.without | {source}),
                                               lambda: make_engine(kb.engine_name, timeout=kb.engine.timeout)))
        for sym, rows in gone.items():
            for row in rows:
                missing.setdefault((sym, row), []).append(i)
        for sym, rows in came.items():
            for row in rows:
                extra.setdefault((sym, row), []).append(i)
    n = len(sources)
    plain: Facts = {sym: {row for row in rows if (sym, row) not in missing} for sym, rows in base.items()}
    annotated: dict[ast.PredicateSym, list[tuple[ast.Row, int, int]]] = {}
    for (sym, row), points in missing.items():
        annotated.setdefault(sym, []).extend((row, lo, hi) for lo, hi in _between(points, n))
    for (sym, row), points in extra.items():
        annotated.setdefault(sym, []).extend((row, i, i) for i in points)
    left = _LeftOut(sources, plain, Annotated(n, annotated))
    _left[view] = (state, view.program, left)
    return left


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
    date = (src.date_text() + (" (date assumed)" if src.date_assumed else "")) if src.date else ""
    about = [f'"{src.title}"' if src.title else "", src.publisher, date,
             f"reliability {src.reliability}" if src.reliability else "reliability not graded"]
    return f"{source} ({', '.join(a for a in about if a)})"


def _source_json(kb: KnowledgeBase, source: str) -> dict[str, object]:
    src = kb.catalog.sources.get(source)
    return {"source": source, "title": src.title if src else "", "publisher": src.publisher if src else "",
            "date": src.date.isoformat() if src and src.date else None, "date_assumed": bool(src and src.date_assumed),
            "reliability": src.reliability if src else ""}


def _sole_sources(state: State) -> dict[tuple[ast.PredicateSym, ast.Row], str | None]:
    """Each base fact (blocks' included) and the one source that makes it, None when it needs
    none or has several: plain facts, the catalog's, facts stated by two sources. What
    _difference finds gone with one source left out, when no trust policy reads the statements:
    the facts whose one source it is (read off one pass over the statements, not one state per
    source)."""
    made: dict[tuple[ast.PredicateSym, ast.Row], str | None] = {}

    def add(key: tuple[ast.PredicateSym, ast.Row], source: str | None) -> None:
        if key not in made:
            made[key] = source
        elif made[key] != source:
            made[key] = None

    for sym, row, source in state.base_fact_sources():
        add((sym, row), source)
    for block in state.blocks:
        for sym, made_rows in state.bulk(block).facts().items():
            for row in made_rows:
                add((sym, tuple(row)), block.source)
    return made


def _difference(old: State, new: State) -> tuple[Facts, Facts]:
    """The base facts that `old` has and `new` lacks, and the other way round (blocks included)."""
    old_base, new_base = old.base_facts(), new.base_facts()
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
        for sym, made in old.bulk(block).facts().items():
            for row in made:
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
