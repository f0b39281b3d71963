"""Findings: each inconsistency with its support, its weakest premise in words, and the sources it
cannot do without (single-source when there is one); as text, JSON and CSV.

Stage: after the proof search, for `allegiance inconsistencies` and the REPL's `:inconsistencies`.
Input: the knowledge base (not a view: leave-one-out needs the whole), a selection and the
inconsistencies found under it. Output: one `Finding` per inconsistency, in the same order, and
its renderings. The support and the weakest premise come from support.py (the weakest statement
of a derivation as strong as the support); the critical sources from critical.py (leave-one-out
re-evaluation, exact).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import ast
from ..render import json_value
from ..selection import Selection
from ..support import forget as forget_grading
from .critical import rests_on
from .premise import premise_text
from .search import explainer_for
from .search import forget as forget_explainer
from .support import inconsistency_supports

if TYPE_CHECKING:
    from ..kb import Inconsistency, KnowledgeBase


# the findings whose weakest premise is searched (a proof search each, in Python; on a real-sized
# network tens of thousands of findings would take minutes): the first ones, in the order shown
PREMISES = 1000


@dataclass(frozen=True)
class Finding:
    """An inconsistency; its support ({"grade", "statement", "source", "status"}, None when not
    asked or nothing is graded); its weakest premise in words; its critical sources (None when not
    asked); at a date (--at D), whether it is found only because undated statements count at every
    date (None with no date)."""

    inconsistency: Inconsistency
    support: dict[str, object] | None = None
    premise: str | None = None
    critical: tuple[str, ...] | None = None
    premise_searched: bool = True  # False: past the premises asked for, only the grade is given
    undated: bool | None = None

    @property
    def single_source(self) -> bool:
        return self.critical is not None and len(self.critical) == 1


def findings(kb: KnowledgeBase, selection: Selection, found: Sequence[Inconsistency], *,
             support: bool = True, sources: bool = True, premises: int | None = PREMISES) -> list[Finding]:
    """Each inconsistency found under `selection`, with its support and weakest premise (with
    `support`; the premise of the first `premises` only, None: of every one), its critical sources
    (with `sources`) and, at a date, whether it rests on undated statements: found at D, but not
    when only dated statements count (one more evaluation)."""
    view = kb.under(selection)
    supports = inconsistency_supports(view, found, premises) if support else [None] * len(found)
    premise_texts: list[str | None] = [None] * len(found)
    if any(s is not None and s.get("statement") for s in supports):
        ex = explainer_for(view)
        for n, sup in enumerate(supports):
            record = ex.statements.get(str(sup["statement"])) if sup and sup.get("statement") else None
            premise_texts[n] = premise_text(record, view.catalog) if record is not None else None
        del ex
    if not kb.support_ahead:
        # a one-shot command asks once: what support and the proof search kept is read no more, and
        # leave-one-out below is the largest evaluation (the 100k-statement network's row in bench/)
        forget_explainer(view)
        forget_grading(view)
    critical: dict[tuple[str, ast.Row], tuple[str, ...]] = {}
    if sources:
        for kind, arity in dict.fromkeys((i.kind, len(i.args)) for i in found):
            variables = tuple(ast.Variable(f"X{i}") for i in range(arity))
            for r in rests_on(kb, ast.Query((ast.Atom(kind, variables),)), selection, supporting=False):
                critical[(kind, r.row)] = r.critical
    dated: set[tuple[str, ast.Row]] | None = None
    if selection.at is not None and selection.undated:
        dated = {(i.kind, i.args) for i in kb.inconsistencies(selection.replace(undated=False))}
    return [Finding(inc, sup, premise, critical.get((inc.kind, inc.args), ()) if sources else None,
                    premise_searched=premises is None or n < premises,
                    undated=None if dated is None else (inc.kind, inc.args) not in dated)
            for n, (inc, sup, premise) in enumerate(zip(found, supports, premise_texts, strict=True))]


# --- rendering ---------------------------------------------------------------------------------------


def finding_lines(f: Finding) -> list[str]:
    """`kind: message   [support G, single source: S]`, then `    rests on a claim by ...`."""
    inc = f.inconsistency
    marks = []
    if f.support is not None:
        marks.append(f"support {f.support['grade']}")
    if f.single_source and f.critical:
        marks.append(f"SINGLE SOURCE: {f.critical[0]}")
    if f.undated:
        marks.append("undated")
    lines = [f"{inc.kind}: {inc.message}" + (f"   [{', '.join(marks)}]" if marks else "")]
    if f.premise is not None:
        lines.append(f"    rests on {f.premise} ({f.support['statement'] if f.support else ''})")
    return lines


def summary_line(found: Sequence[Finding]) -> str:
    """`(11 inconsistencies, 5 single-source)`; `no inconsistencies`; past the premises searched,
    how many were and how to see another's. At a date, `2 undated` too, and a line saying what that
    means."""
    if not found:
        return "no inconsistencies"
    counted = f"{len(found)} inconsistenc{'ies' if len(found) != 1 else 'y'}"
    if all(f.critical is not None for f in found):
        counted += f", {sum(f.single_source for f in found)} single-source"
    unsearched = sum(f.support is not None and not f.premise_searched for f in found)
    undated = sum(bool(f.undated) for f in found)
    if undated:
        counted += f", {undated} undated"
    if unsearched:
        counted += f"; the weakest premise searched for the first {len(found) - unsearched} only: `why` explains any other"
    if undated:
        return f"({counted})\n{UNDATED_NOTE}"
    return f"({counted})"


# what `undated` says of a finding at a date (timeline_render.FOOTNOTE says it of a period)
UNDATED_NOTE = "undated: found on this date only because statements without a date count at every date"


def finding_json(f: Finding) -> dict[str, object]:
    """{"kind", "args", "message"}, then as asked "support", "weakest_premise", "critical",
    "single_source"; at a date, "undated"."""
    inc = f.inconsistency
    item: dict[str, object] = {"kind": inc.kind, "args": [json_value(v) for v in inc.args], "message": inc.message}
    if f.support is not None:
        item["support"] = f.support
        item["weakest_premise"] = f.premise
        if not f.premise_searched:
            item["weakest_premise_searched"] = False
    if f.critical is not None:
        item["critical"] = list(f.critical)
        item["single_source"] = f.single_source
    if f.undated is not None:
        item["undated"] = f.undated
    return item


CSV_COLUMNS = ("kind", "args", "message", "support", "statement", "source", "status", "weakest_premise",
               "critical", "single_source", "undated")


def findings_csv(found: Sequence[Finding]) -> str:
    """One row per inconsistency: its arguments as Datalog values joined by ", ", its critical
    sources by " "; a column not asked for is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in found:
        inc, sup = f.inconsistency, f.support or {}
        writer.writerow([inc.kind, ", ".join(ast.format_value(v) for v in inc.args), inc.message,
                         sup.get("grade") or "", sup.get("statement") or "", sup.get("source") or "",
                         sup.get("status") or "", f.premise or "",
                         " ".join(f.critical) if f.critical is not None else "",
                         "" if f.critical is None else str(f.single_source).lower(),
                         "" if f.undated is None else str(f.undated).lower()])
    return out.getvalue().rstrip("\n")


__all__ = ["CSV_COLUMNS", "PREMISES", "UNDATED_NOTE", "Finding", "finding_json", "finding_lines", "findings", "findings_csv",
           "summary_line"]
