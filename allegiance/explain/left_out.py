"""What a selection leaves out: the statements of a missing fact that do not count under a trust
policy, `--without`, `--at` or `--known-on`, each with the reason, in words.

Stage: the `whynot` front of the proof search, under a selection. Input: the whole knowledge base
(every statement), the selection, a fact or a pattern (a relation and values, None for a free
argument). Output: the sentence `whynot` adds to a missing fact or to a failing rule literal
(and the statements themselves, `LeftOut`, for JSON):
"backs(usa, x) is stated only by a claim by Blog, graded D4 [blog_3], which policy `reliable`
leaves out". None when the whole knowledge base has no statement of it either (the selection is
not why), or when one of them counts (the fact holds: something else is missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import ast
from ..english import month_text
from ..provenance import StatementRecord
from ..selection import Selection, covers, known_on
from ..validity import validity_text
from .premise import premise_text
from .proof import LeftOut
from .search import explainer_for
from .text import fact_text

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

MAX_SHOWN = 3  # statements named per fact, and facts per pattern


def cause(record: StatementRecord, whole: KnowledgeBase, selection: Selection) -> tuple[str, str]:
    """Why the selection leaves one statement out: the part of the selection ("without", "at",
    "known_on", "trust") and the end of a sentence ("which policy `reliable` leaves out"). The
    selection's parts are tried in the order selection.counting applies them."""
    if record.source in selection.without:
        return "without", f"which --without {record.source} leaves out"
    if selection.at is not None and not covers(record.valid_from, record.valid_until, selection.at):
        return "at", f"which does not hold on {selection.at.isoformat()} ({validity_text(record)})"
    if selection.known_on is not None and not known_on(record.source, whole.catalog, selection.known_on,
                                                       record.reported_on):
        after = selection.known_on.isoformat()
        if record.reported_on is not None:  # its own report date goes before its source's
            when = month_text(record.reported_on) if record.reported_month else record.reported_on.isoformat()
            return "known_on", f"which was reported {'in' if record.reported_month else 'on'} {when}, after {after}"
        src = whole.catalog.sources.get(record.source)
        published = f"{'in' if src.date_month else 'on'} {src.date_text()}" if src is not None and src.date else "later"
        return "known_on", f"whose source was published {published}, after {after}"
    return "trust", f"which policy `{selection.trust}` leaves out"


def reason(record: StatementRecord, whole: KnowledgeBase, selection: Selection) -> str:
    """cause()'s words alone."""
    return cause(record, whole, selection)[1]


def left_out(whole: KnowledgeBase, selection: Selection, sym: ast.PredicateSym,
             row: ast.Row) -> list[tuple[StatementRecord, str]] | None:
    """The statements of sym(row) in the whole knowledge base, each with why the selection leaves
    it out; None when there is none or when one of them counts."""
    if selection.everything:
        return None
    records = explainer_for(whole).by_fact.get((sym, tuple(row)), [])
    if not records:
        return None
    counting = {r.id for r in explainer_for(whole.under(selection)).by_fact.get((sym, tuple(row)), [])}
    if counting:
        return None
    return [(r, reason(r, whole, selection)) for r in sorted(records, key=lambda r: r.id)]


def sentence(whole: KnowledgeBase, selection: Selection, sym: ast.PredicateSym, row: ast.Row,
             subject: str | None = None) -> str | None:
    """"backs(usa, x) is stated only by a claim by Blog, graded D4 [blog_3], which policy
    `reliable` leaves out" (`subject` in place of the fact: "it is stated only by ..."); statements
    left out for different reasons each get their own."""
    found = left_out(whole, selection, sym, row)
    if not found:
        return None
    subject = subject or fact_text(sym, tuple(row))
    reasons = {why for _, why in found}
    shown = found[:MAX_SHOWN]
    more = f" and {len(found) - MAX_SHOWN} more" if len(found) > MAX_SHOWN else ""
    if len(reasons) == 1:
        items = " and ".join(f"{premise_text(r, whole.catalog)} [{r.id}]" for r, _ in shown)
        return f"{subject} is stated only by {items}{more}, {next(iter(reasons))}"
    items = " and ".join(f"{premise_text(r, whole.catalog)} [{r.id}] ({why})" for r, why in shown)
    return f"{subject} is stated only by {items}{more}"


def left_out_evidence(whole: KnowledgeBase, selection: Selection, sym: ast.PredicateSym,
                      pattern: Sequence[ast.Value | None]) -> tuple[LeftOut, ...]:
    """The statements the selection leaves out of the facts matching `pattern` (a fact when every
    value is given; for free arguments, the first few facts, as pattern_sentences names them), each
    with its source and why: what `whynot --format json` lists as "left_out"."""
    if selection.everything:
        return ()
    ex = explainer_for(whole)
    given = [v for v in pattern if v is not None]
    rows = [tuple(given)] if len(given) == len(pattern) else ex.matching(sym, pattern)
    out: list[LeftOut] = []
    facts = 0
    for row in rows:
        found = left_out(whole, selection, sym, tuple(row))
        if found:
            out.extend(LeftOut(ex.evidence(r), *cause(r, whole, selection)) for r, _ in found)
            facts += 1
            if facts >= MAX_SHOWN:
                break
    return tuple(out)


def pattern_sentences(whole: KnowledgeBase, selection: Selection, sym: ast.PredicateSym,
                      pattern: Sequence[ast.Value | None]) -> list[str]:
    """For a literal with free arguments: the sentence of each fact of the whole knowledge base
    matching it (the first few) that the selection leaves out."""
    if selection.everything:
        return []
    out: list[str] = []
    for row in explainer_for(whole).matching(sym, pattern):
        text = sentence(whole, selection, sym, row)
        if text is not None:
            out.append(text)
            if len(out) >= MAX_SHOWN:
                break
    return out


__all__ = ["cause", "left_out", "left_out_evidence", "pattern_sentences", "reason", "sentence"]
