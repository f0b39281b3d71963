"""What an inconsistency rests on: the smallest set of statements found to support a fact, and
how weak each of them is.

Stage: after the proof search. Input: a KnowledgeBase and its inconsistencies (or an Explainer and
one fact). Output: per inconsistency, JSON-ready dicts of the statements it rests on, weakest link
first (the source's grade, the statement's credibility, its status).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import ast
from ..provenance import StatementRecord
from .search import Explainer, Key, explainer_for
from .text import fact_text

if TYPE_CHECKING:
    from ..kb import Inconsistency, KnowledgeBase

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



__all__ = ["explain_inconsistencies", "statement_dict", "support", "support_rows", "weakness"]
