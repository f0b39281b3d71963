"""Rendering for the REPL: answers, load reports, listings and errors -> text.

Input: values from the knowledge base (kb.Answers, kb.LoadReport, catalog entries, errors).
Output: plain text. Answers go through allegiance.render, so a query prints the same in the REPL as
with `allegiance query`; this module adds what only a session shows (inconsistency messages,
timing, change summaries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from allegiance import ast, printable, render
from allegiance.errors import AllegianceError
from allegiance.errors import render as render_error
from allegiance.kb import Answers, KnowledgeBase, LoadReport


def error_text(error: AllegianceError, sources: Mapping[str, str]) -> str:
    """`file:line:col: message`, the line as typed and a caret under the column."""
    return render_error(error, dict(sources))


def answers_text(text: str, answers: Answers, kb: KnowledgeBase, fmt: str = "table",
                 limit: int | None = None, supports: Sequence[Mapping[str, object]] | None = None,
                 settings: Mapping[str, object] | None = None) -> str:
    """The answers as `fmt` says, with `supports` (explain.support_json of the knowledge base they
    were graded on: under a selection, its view) and, in JSON, `settings` (selection.time_json)."""
    out = render.answers(text, answers.variables, answers.rows, fmt, limit, supports, settings)
    if fmt == "table":
        messages = inconsistency_messages(answers, kb, limit)
        if messages:
            out += "\n" + "\n".join(f"  - {m}" for m in messages)
    return out


def inconsistency_messages(answers: Answers, kb: KnowledgeBase, limit: int | None = None) -> list[str]:
    """For a query over inconsistency relations, each answer's message, filled from its bindings."""
    relations = {r.sym: r for r in kb.inconsistency_relations()}
    atoms = [lit for lit in answers.query.body if isinstance(lit, ast.Atom) and lit.sym in relations]
    if not atoms:
        return []
    messages: list[str] = []
    for row in answers.rows[:limit] if limit is not None else answers.rows:
        binding = dict(zip(answers.variables, row, strict=True))
        for atom in atoms:
            args: list[ast.Value] = []
            for term in atom.args:
                if isinstance(term, ast.Constant):
                    args.append(term.value)
                elif isinstance(term, ast.Variable) and term.name in binding:
                    args.append(binding[term.name])
                else:
                    args.append("_")
            messages.append(kb.message(relations[atom.sym], tuple(args)))
    return list(dict.fromkeys(messages))


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def report_text(report: LoadReport, clauses: Sequence[ast.Clause] = ()) -> str:
    """`added 1 rule` / `loaded 2 files: 14 statements, 3 facts, 1 rule`."""
    parts = []
    if report.statements:
        parts.append(plural(report.statements, "statement"))
    if report.facts:
        parts.append(plural(report.facts, "fact"))
    if report.rules:
        parts.append(plural(report.rules, "rule"))
    declared = _declared(clauses)
    if declared:
        parts.append(declared)
    what = ", ".join(parts) if parts else "nothing new"
    current = [c.id for c in clauses if isinstance(c, ast.SourceBlock) and c.fields is None]
    if current and not parts:
        return f"statements typed from now on come from source {current[-1]}"
    if clauses and all(f.startswith("<repl:") for f in report.files):
        return f"added {what}" if parts else "nothing new (already known)"
    return f"loaded {plural(len(report.files), 'file')}: {what}"


def _declared(clauses: Sequence[ast.Clause]) -> str:
    kinds: dict[str, int] = {}
    names = {ast.SourceBlock: "source", ast.EntityDecl: "entity", ast.Declaration: "declaration"}
    for clause in clauses:
        if isinstance(clause, ast.SourceBlock) and clause.fields is None:
            key = ""  # `.source id.` only makes a source current
        elif isinstance(clause, ast.RelationDecl):
            key = "inconsistency" if clause.inconsistency else "relation"
        else:
            key = next((v for k, v in names.items() if isinstance(clause, k)), "")
        if key:
            kinds[key] = kinds.get(key, 0) + 1
    many = {"entity": "entities", "inconsistency": "inconsistencies"}
    return ", ".join(plural(n, k, many.get(k)) for k, n in kinds.items())


MAX_CELL = 70


def listing(columns: Sequence[str], rows: Sequence[Sequence[str]], limit: int | None = None,
            width: int | None = None) -> str:
    """An aligned table of plain text (names, titles), without Datalog quoting but with control
    characters escaped (printable.escape), so every row lines up; a cell longer than MAX_CELL is
    cut with '...' so one long alias list does not push every row off screen, and with `width`
    (the terminal's columns) the widest columns but the first are cut until a row fits in it."""
    escaped = [[printable.escape(c) for c in r] for r in (rows if limit is None else rows[:limit])]
    widths = [min(MAX_CELL, max([len(c)] + [len(r[i]) for r in escaped])) for i, c in enumerate(columns)]
    if width is not None:
        # the first column (the id, what gets typed) is never cut; the others down to 8 characters
        minimums = [w if i == 0 else min(w, max(len(c), 8)) for i, (c, w) in enumerate(zip(columns, widths, strict=True))]
        widths = fit(widths, minimums, width)
    shown = [[c if len(c) <= w else c[:max(0, w - 3)] + "..."[:w] for c, w in zip(r, widths, strict=True)]
             for r in escaped]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(t.ljust(w) for t, w in zip(r, widths, strict=True)).rstrip() for r in shown]
    if limit is not None and len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more ({len(rows)} in all; :limit N or :more to see them)")
    else:
        lines.append(f"({len(rows)})")
    return "\n".join(lines)


def fit(widths: Sequence[int], minimums: Sequence[int], total: int, gap: int = 3) -> list[int]:
    """Column widths whose sum, with a `gap` between columns, fits in `total`: the widest column
    gives up a character at a time, none below its minimum (a row may still be wider then)."""
    out = list(widths)
    while sum(out) + gap * (len(out) - 1) > total:
        shrinkable = [i for i, w in enumerate(out) if w > minimums[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: out[i])
        out[widest] -= 1
    return out


def seconds(elapsed: float) -> str:
    return f"({elapsed * 1000:.0f} ms)" if elapsed < 1 else f"({elapsed:.2f} s)"
