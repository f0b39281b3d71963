"""The change report: "what does this new article change?".

Stage: loading (the loading itself is kb.py's). Input: a KnowledgeBase and fact/rule files
(`load_with_report`), the files changed on disk (`reload_with_report`), or any change made between
two snapshots (`snapshot`, `diff`: importing.py's CSV import). Output: a `ChangeReport`: new
entities, relations and sources; new
statements; statements that corroborate or contradict existing ones; derived facts gained and lost;
inconsistencies that appear and those that are resolved. Raises the ErrorGroup of every error found,
and then the knowledge base is exactly as before (loads are all or nothing, see kb.py).

The report is a diff of two snapshots, taken before and after the knowledge base applies the
change. A dry run applies it, takes the second snapshot and undoes it.

Scale: derived relations never pass through Python whole. Before the change the engine keeps a
copy of each (Engine.keep: a table of its own in DuckDB); after it, the engine counts what each
gained and lost and hands over a sample (Engine.changes: SQL EXCEPT in DuckDB). Derived relations
are the report's optional part: each is compared under a memory ceiling (REPORT_MEMORY), and one
that outgrows it (a closure over a large connected network holds N² pairs) is named as not
compared, with every relation built on it, instead of being built. Inconsistencies are the report's
point: they are compared under the engine's own limit, and one too large for it is an error
(errors.MemoryLimitError) that leaves the knowledge base as it was.

Definitions (kept simple so an analyst can predict them):

- A new statement **corroborates** an existing one when both state the same fact (same relation,
  same arguments; either order for a symmetric relation) and come from different sources.
- A new statement **contradicts** an existing one when
  - one states the fact and the other its negative (`member(...)` vs `not member(...)` or a
    denial: the `no_member` fact), whatever the sources ("negation"); or
  - both state the same relation with the same arguments but the last, the last argument is a
    number, a float or a date (a count, a measure, a date), the values differ and the statements'
    validity periods overlap or are not given ("value": 3 strikes claimed, 2 confirmed).
- **Derived facts** are the rows of every predicate a rule defines (the bundled rules, symmetry),
  minus the base facts (stated outright or written as plain facts); inconsistency relations are
  reported as inconsistencies instead.
- **New facts** are plain Datalog facts (no source, no statement) that were not there before.

The REPL's `:load` and `:reload` and the `allegiance load` command (cli/load.py) wrap it.

Why one module: the snapshot, the definitions above and the report's text and JSON are one concept,
the change report; each definition is applied where the report is drawn, so split apart they would
import each other.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, overload

from . import ast, shield
from .bulk import StatementBlock
from .catalog import Relation, negative_name
from .engines.base import Kept
from .english import render_datalog
from .errors import LoadError, MemoryLimitError, QueryError, QueryInterrupted, QueryTimeout
from .files import files_in
from .history import SourceFile
from .kb import Inconsistency, KnowledgeBase
from .provenance import StatementRecord
from .selection import Selection

T = TypeVar("T")
SHOWN = 20  # lines per section of the text report, and bad rows per import error, before "and N more"
JSON_ITEMS = 1000  # items per list of the JSON report (counts are always complete)
REPORT_MEMORY = 100 * 10**6  # bytes beyond what the engine holds: the report's room for a derived relation
_QUANTITY_TYPES = ("number", "float", "date")


@dataclass(frozen=True)
class Corroboration:
    statement: StatementRecord
    existing: tuple[StatementRecord, ...]


@dataclass(frozen=True)
class Contradiction:
    kind: str  # "negation" or "value"
    statement: StatementRecord
    existing: tuple[StatementRecord, ...]


class NewStatements(Sequence[StatementRecord]):
    """A report's new statements: those of files, then each import's, made only when read (a
    million imported rows are counted, and the first few shown, without a million objects)."""

    def __init__(self, small: Sequence[StatementRecord] = (), blocks: Sequence[StatementBlock] = ()) -> None:
        self._small = list(small)
        self._blocks = list(blocks)

    def __len__(self) -> int:
        return len(self._small) + sum(b.count for b in self._blocks)

    @overload
    def __getitem__(self, index: int) -> StatementRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[StatementRecord]: ...

    def __getitem__(self, index: int | slice) -> StatementRecord | list[StatementRecord]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if 0 <= index < len(self._small):
            return self._small[index]
        index -= len(self._small)
        for block in self._blocks:
            if 0 <= index < block.count:
                return block.record(index + 1)
            index -= block.count
        raise IndexError("statement index out of range")

    def __iter__(self) -> Iterator[StatementRecord]:
        yield from self._small
        for block in self._blocks:
            yield from block.records()

    def append(self, record: StatementRecord) -> None:
        self._small.append(record)


@dataclass
class ChangeReport:
    """What a load or an import changed (or, for a dry run, would change)."""

    files: tuple[str, ...]
    dry_run: bool = False
    kept: bool = True  # False for a one-shot command without --db: checked, then gone with the process
    new_sources: list[str] = field(default_factory=list)
    new_entities: list[str] = field(default_factory=list)
    new_relations: list[str] = field(default_factory=list)
    new_rules: int = 0
    new_statements: NewStatements = field(default_factory=NewStatements)
    new_facts: list[tuple[str, ast.Row]] = field(default_factory=list)  # (pred, row), at most JSON_ITEMS
    new_facts_count: int = 0
    corroborations: list[Corroboration] = field(default_factory=list)
    contradictions: list[Contradiction] = field(default_factory=list)
    # pred -> a sample of the rows (at most JSON_ITEMS, sorted); the counts are complete
    derived_gained: dict[str, list[ast.Row]] = field(default_factory=dict)
    derived_lost: dict[str, list[ast.Row]] = field(default_factory=dict)
    derived_gained_count: dict[str, int] = field(default_factory=dict)
    derived_lost_count: dict[str, int] = field(default_factory=dict)
    derived_skipped: dict[str, str] = field(default_factory=dict)  # pred -> why it was not compared
    inconsistencies_new: list[Inconsistency] = field(default_factory=list)  # at most JSON_ITEMS each
    inconsistencies_resolved: list[Inconsistency] = field(default_factory=list)
    inconsistencies_new_count: int = 0
    inconsistencies_resolved_count: int = 0
    derived_checked: bool = True  # False for `import --quick`: derived facts were not computed
    selection: str = ""  # what counted for derived facts and inconsistencies ("trust reliable"; "" everything)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_sources or self.new_entities or self.new_relations or self.new_rules
                    or self.new_statements or self.new_facts_count or self.derived_gained_count
                    or self.derived_lost_count or self.inconsistencies_new_count
                    or self.inconsistencies_resolved_count)

    def render_text(self) -> str:
        verb = "would load" if self.dry_run else "loaded" if self.kept else "checked"
        note = (" (dry run: nothing kept)" if self.dry_run else
                "" if self.kept else " (nothing kept without --db)")
        lines = [f"{verb} {', '.join(self.files) or 'nothing'}{note}"]
        if self.selection:
            lines.append(f"derived facts and inconsistencies under {self.selection}")
        lines += [f"warning: {w}" for w in self.warnings]
        if not self.changed:
            lines.append("nothing changed" + (" (every statement was already there)" if self.files else ""))
            return "\n".join(lines)
        for label, ids in (("new sources", self.new_sources), ("new entities", self.new_entities),
                           ("new relations", self.new_relations)):
            if ids:
                lines.append(f"{label}: {_cut(', '.join(ids), 300)}")
        if self.new_rules:
            lines.append(f"new rules: {self.new_rules}")
        lines.append(f"new statements: {len(self.new_statements)} "
                     f"({len(self.corroborations)} corroborating, {len(self.contradictions)} contradicting)")
        lines += _section(self.new_statements, "  ", lambda s: f"{render_datalog(s)}  [{s.id}]")
        if self.new_facts_count:
            lines.append(f"new facts (plain, no source): {self.new_facts_count}")
            lines += _section([f"{p.split('/')[0]}({', '.join(ast.format_value(v) for v in row)})"
                               for p, row in self.new_facts], "  ", total=self.new_facts_count)
        if self.corroborations:
            lines.append(f"corroborations: {len(self.corroborations)}")
            lines += _section([f"{_fact(c.statement)} [{c.statement.id}] corroborates "
                               f"{_refs(c.existing)}" for c in self.corroborations], "  ")
        if self.contradictions:
            lines.append(f"contradictions: {len(self.contradictions)}")
            lines += _section([f"{_fact(c.statement)} [{c.statement.id}, {c.statement.status}] contradicts "
                               f"({c.kind}) {_refs(c.existing, full=True)}" for c in self.contradictions], "  ")
        if not self.derived_checked:
            lines.append("derived facts and inconsistencies: not computed (--quick)")
            return "\n".join(lines)
        for label, table, counts in (("derived facts gained", self.derived_gained, self.derived_gained_count),
                                     ("derived facts lost", self.derived_lost, self.derived_lost_count)):
            total = sum(counts.values())
            if total:
                per = ", ".join(f"{pred.split('/')[0]} {n}" for pred, n in sorted(counts.items()) if n)
                lines.append(f"{label}: {total} ({_cut(per, 200)})")
                lines += _section([f"{pred.split('/')[0]}({', '.join(ast.format_value(v) for v in row)})"
                                   for pred, rows in sorted(table.items()) for row in rows], "  ", total=total)
        if self.derived_skipped:
            lines.append(f"derived facts not compared: {_cut(', '.join(sorted(self.derived_skipped)), 200)}")
            lines += _section([f"{p}: {why}" for p, why in sorted(self.derived_skipped.items())], "  ")
        for label, found, count in (("new inconsistencies", self.inconsistencies_new, self.inconsistencies_new_count),
                                    ("resolved inconsistencies", self.inconsistencies_resolved,
                                     self.inconsistencies_resolved_count)):
            if count:
                lines.append(f"{label}: {count}")
                lines += _section([f"{i.kind}: {i.message}" for i in found], "  ", total=count)
        return "\n".join(lines)

    def to_json(self) -> str:
        def stmt(s: StatementRecord) -> dict[str, object]:
            return {"id": s.id, "fact": s.fact_sym.name, "args": [_json(v) for v in s.row], "source": s.source,
                    "status": s.status, "text": render_datalog(s)}

        def incons(i: Inconsistency) -> dict[str, object]:
            return {"kind": i.kind, "args": [_json(v) for v in i.args], "message": i.message}

        def rows(table: dict[str, list[ast.Row]]) -> dict[str, list[list[object]]]:
            return {p: [[_json(v) for v in r] for r in rs[:JSON_ITEMS]] for p, rs in sorted(table.items())}

        data: dict[str, object] = {
            "files": list(self.files), "dry_run": self.dry_run, "kept": self.kept and not self.dry_run,
            "changed": self.changed, "warnings": self.warnings, "selection": self.selection or None,
            "new_sources": self.new_sources, "new_entities": self.new_entities,
            "new_relations": self.new_relations, "new_rules": self.new_rules,
            "counts": {"new_statements": len(self.new_statements), "new_facts": self.new_facts_count,
                       "corroborations": len(self.corroborations),
                       "contradictions": len(self.contradictions),
                       "derived_gained": sum(self.derived_gained_count.values()),
                       "derived_lost": sum(self.derived_lost_count.values()),
                       "derived_gained_by_relation": dict(sorted(self.derived_gained_count.items())),
                       "derived_lost_by_relation": dict(sorted(self.derived_lost_count.items())),
                       "inconsistencies_new": self.inconsistencies_new_count,
                       "inconsistencies_resolved": self.inconsistencies_resolved_count},
            "new_statements": [stmt(s) for s in self.new_statements[:JSON_ITEMS]],
            "new_facts": [{"fact": p.split("/")[0], "args": [_json(v) for v in row]}
                          for p, row in self.new_facts[:JSON_ITEMS]],
            "corroborations": [{"statement": stmt(c.statement), "existing": [stmt(e) for e in c.existing]}
                               for c in self.corroborations[:JSON_ITEMS]],
            "contradictions": [{"kind": c.kind, "statement": stmt(c.statement),
                                "existing": [stmt(e) for e in c.existing]} for c in self.contradictions[:JSON_ITEMS]],
            "derived_checked": self.derived_checked,
            "derived_gained": rows(self.derived_gained), "derived_lost": rows(self.derived_lost),
            "derived_skipped": dict(sorted(self.derived_skipped.items())),
            "inconsistencies_new": [incons(i) for i in self.inconsistencies_new],
            "inconsistencies_resolved": [incons(i) for i in self.inconsistencies_resolved],
        }
        return json.dumps(data, ensure_ascii=False, indent=2)


def _json(value: ast.Value) -> object:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _section(items: Sequence[T], indent: str, show: Callable[[T], str] = str, total: int | None = None) -> list[str]:
    """The first SHOWN items, then how many more (`total`: the full count, when items are a sample)."""
    shown = [indent + _cut(show(item), 200) for item in items[:SHOWN]]
    total = len(items) if total is None else total
    if total > len(shown):
        shown.append(f"{indent}... and {total - len(shown)} more")
    return shown


def _fact(s: StatementRecord) -> str:
    return f"{s.fact_sym.name}({', '.join(ast.format_value(v) for v in s.row)})"


def _refs(records: Sequence[StatementRecord], full: bool = False) -> str:
    parts = [f"{_fact(r)} [{r.id}, {r.status}]" if full else f"{r.id} ({r.source})" for r in records[:3]]
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    return ", ".join(parts) + more


# --- snapshots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The knowledge base as a report sees it, at one moment. `kept` holds, when derived relations
    are compared, the engine's copy of each (release() lets them go; diff() does it)."""

    sources: frozenset[str]
    entities: frozenset[str]
    relations: frozenset[str]
    rules: int
    statements: frozenset[tuple[object, ...]]
    blocks: frozenset[StatementBlock]
    plain: dict[ast.PredicateSym, frozenset[ast.Row]]
    kept: dict[ast.PredicateSym, Kept] | None
    skipped: dict[ast.PredicateSym, str] = field(default_factory=dict)  # not kept: why

    def release(self) -> None:
        for kept in (self.kept or {}).values():
            kept.release()


def _inconsistency_relations(kb: KnowledgeBase) -> list[Relation]:
    return [r for r in kb.inconsistency_relations() if r.sym in kb.program.types]


def _derived_predicates(kb: KnowledgeBase) -> list[ast.PredicateSym]:
    """The derived predicates the report compares, lowest stratum first (what a relation is built
    on comes before it)."""
    hidden = {r.sym for r in kb.inconsistency_relations()}
    shown = {p for p in kb.predicates() if p not in hidden}
    return [p for stratum in kb.program.strata for p in sorted(stratum.predicates, key=str) if p in shown]


def _depends(kb: KnowledgeBase) -> dict[ast.PredicateSym, set[ast.PredicateSym]]:
    """Each derived predicate -> every predicate it is built on, directly or not."""
    direct: dict[ast.PredicateSym, set[ast.PredicateSym]] = {}
    for rule in kb.program.rules:
        body = direct.setdefault(rule.head.sym, set())
        for lit in rule.body:
            atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
            if isinstance(atom, ast.Atom):
                body.add(atom.sym)
    closed: dict[ast.PredicateSym, set[ast.PredicateSym]] = {}
    for head in direct:
        seen: set[ast.PredicateSym] = set()
        todo = list(direct[head])
        while todo:
            sym = todo.pop()
            if sym not in seen:
                seen.add(sym)
                todo.extend(direct.get(sym, ()))
        closed[head] = seen
    return closed


def _blocked(sym: ast.PredicateSym, skipped: dict[ast.PredicateSym, str],
             depends: dict[ast.PredicateSym, set[ast.PredicateSym]]) -> str | None:
    """Why sym cannot be compared when the relations in `skipped` were not: it is built on one."""
    under = sorted(depends.get(sym, set()) & set(skipped), key=str)
    return f"built on {under[0]}, not compared" if under else None


def _too_large(exc: MemoryLimitError) -> str:
    return (f"too large to compare (over {REPORT_MEMORY // 10**6} MB more than the knowledge base holds); "
            "query it with a constant to see part of it")


def snapshot(kb: KnowledgeBase, derived: bool, view: KnowledgeBase | None = None) -> Snapshot:
    """What a report compares: the catalog, the statements, the plain facts and, when `derived`,
    every derived relation and inconsistency relation, kept by the engine (a full evaluation,
    derived relations under the REPORT_MEMORY ceiling); those of `view` when given (the knowledge
    base under a selection, kb.detached_view)."""
    cat = kb.catalog
    kept: dict[ast.PredicateSym, Kept] | None = {} if derived else None
    skipped: dict[ast.PredicateSym, str] = {}
    ev = view or kb
    if kept is not None:
        try:
            for rel in _inconsistency_relations(ev):
                kept[rel.sym] = ev.engine.keep(rel.sym)  # the report's point: the engine's own limit
            depends = _depends(ev)
            with ev.engine.ceiling(REPORT_MEMORY):
                for sym in _derived_predicates(ev):
                    why = _blocked(sym, skipped, depends)
                    if why is None:
                        try:
                            kept[sym] = ev.engine.keep(sym)
                        except MemoryLimitError as exc:
                            why = _too_large(exc)
                    if why is not None:
                        skipped[sym] = why
        except BaseException:
            for k in kept.values():
                k.release()
            raise
    return Snapshot(
        frozenset(cat.sources), frozenset(cat.entities), frozenset(cat.relations), len(kb.rules),
        frozenset(s.identity() for s in kb.file_statements), frozenset(kb.blocks),
        {sym: frozenset(rows) for sym, rows in kb.plain_facts.items()}, kept, skipped,
    )


def _key(kb: KnowledgeBase, sym: ast.PredicateSym, row: ast.Row) -> tuple[ast.PredicateSym, ast.Row]:
    """A fact as corroboration sees it: a symmetric relation's arguments in a fixed order."""
    rel = kb.catalog.relations.get(sym.name.removeprefix("no_"))
    if rel is not None and rel.symmetric and len(row) == 2:
        row = tuple(sorted(row, key=repr))
    return sym, row


def _opposite(sym: ast.PredicateSym) -> ast.PredicateSym:
    if sym.name.startswith("no_"):
        return ast.PredicateSym(sym.name[3:], sym.arity)
    return ast.PredicateSym(negative_name(sym.name), sym.arity)


def _overlap(a: StatementRecord, b: StatementRecord) -> bool:
    low = max(d for d in (a.valid_from, b.valid_from, datetime.date.min) if d is not None)
    high = min(d for d in (a.valid_until, b.valid_until, datetime.date.max) if d is not None)
    return low <= high


def diff(kb: KnowledgeBase, before: Snapshot, after: Snapshot, files: tuple[str, ...],
         dry_run: bool, view: KnowledgeBase | None = None) -> ChangeReport:
    """The report of what changed in kb between two snapshots of it. Derived relations and
    inconsistencies are compared between `before`'s kept copies and the engine now (`after` need
    not keep any), `view`'s when given (its snapshot kept them); before's copies are released."""
    try:
        return _diff(kb, before, after, files, dry_run, view)
    finally:
        before.release()
        if after is not before:
            after.release()


def _diff(kb: KnowledgeBase, before: Snapshot, after: Snapshot, files: tuple[str, ...],
          dry_run: bool, view: KnowledgeBase | None) -> ChangeReport:
    report = ChangeReport(files, dry_run)
    report.new_sources = sorted(after.sources - before.sources)
    report.new_entities = sorted(after.entities - before.entities)
    report.new_relations = sorted(after.relations - before.relations)
    report.new_rules = max(0, after.rules - before.rules)
    old: list[StatementRecord] = []
    new: list[StatementRecord] = []
    for s in kb.file_statements:
        (old if s.identity() in before.statements else new).append(s)
    old_blocks = [b for b in kb.blocks if b in before.blocks]
    new_blocks = [b for b in kb.blocks if b not in before.blocks]
    report.new_statements = NewStatements(new, new_blocks)
    for sym in sorted(after.plain, key=str):
        gained = after.plain[sym] - before.plain.get(sym, frozenset())
        report.new_facts_count += len(gained)
        if len(report.new_facts) < JSON_ITEMS:
            rows = sorted(gained, key=ast.row_sort_key)[: JSON_ITEMS - len(report.new_facts)]
            report.new_facts += [(str(sym), row) for row in rows]
    if report.new_statements:
        _compare(kb, old, old_blocks, new, new_blocks, report)
    if before.kept is None:
        report.derived_checked = False
        return report
    ev = view or kb  # derived facts and inconsistencies: under the selection, when there is one
    engine = ev.engine
    for rel in _inconsistency_relations(ev):
        change = engine.changes(before.kept.get(rel.sym) or Kept(rel.sym), JSON_ITEMS, lambda _row: False)
        report.inconsistencies_new_count += change.gained
        report.inconsistencies_resolved_count += change.lost
        report.inconsistencies_new += [Inconsistency(rel.sym.name, r, kb.message(rel, r)) for r in change.gained_rows]
        report.inconsistencies_resolved += [Inconsistency(rel.sym.name, r, kb.message(rel, r)) for r in change.lost_rows]
    depends = _depends(ev)
    skipped = dict(before.skipped)
    with engine.ceiling(REPORT_MEMORY):
        for sym in _derived_predicates(ev):
            why = skipped.get(sym) or _blocked(sym, skipped, depends)
            if why is None:
                try:
                    change = engine.changes(before.kept.get(sym) or Kept(sym), JSON_ITEMS,
                                            functools.partial(ev.is_base, sym))
                except MemoryLimitError as exc:
                    why = _too_large(exc)
                else:
                    name = str(sym)
                    if change.gained:
                        report.derived_gained[name] = change.gained_rows
                        report.derived_gained_count[name] = change.gained
                    if change.lost:
                        report.derived_lost[name] = change.lost_rows
                        report.derived_lost_count[name] = change.lost
            if why is not None:
                skipped[sym] = why
    report.derived_skipped = {str(sym): why for sym, why in skipped.items()}
    return report


def _compare(kb: KnowledgeBase, old_small: Sequence[StatementRecord], old_blocks: Sequence[StatementBlock],
             new_small: Sequence[StatementRecord], new_blocks: Sequence[StatementBlock], report: ChangeReport) -> None:
    """Corroborations and contradictions of the new statements against the old ones. A block's
    statements are made only when the other side has statements of the same relation."""
    by_fact: dict[tuple[ast.PredicateSym, ast.Row], list[StatementRecord]] = {}
    by_head: dict[tuple[ast.PredicateSym, ast.Row], list[StatementRecord]] = {}
    quantities = {rel.sym for rel in kb.catalog.relations.values()
                  if rel.params and rel.params[-1].type in _QUANTITY_TYPES and len(rel.params) >= 2}
    new_syms = {s.fact_sym for s in new_small} | {b.sym for b in new_blocks}
    wanted = new_syms | {_opposite(sym) for sym in new_syms}
    old = [*old_small, *(r for b in old_blocks if b.sym in wanted for r in b.records())]
    for s in old:
        by_fact.setdefault(_key(kb, s.fact_sym, s.row), []).append(s)
        if s.fact_sym in quantities:
            by_head.setdefault((s.fact_sym, s.row[:-1]), []).append(s)
    # only relations the old statements mention can corroborate or contradict (a bulk import is fast)
    mentioned = {sym for sym, _ in by_fact} | {_opposite(sym) for sym, _ in by_fact}
    for s in [*new_small, *(r for b in new_blocks if b.sym in mentioned for r in b.records())]:
        if s.fact_sym not in mentioned:
            continue
        key = _key(kb, s.fact_sym, s.row)
        same = [e for e in by_fact.get(key, ()) if e.source != s.source]
        if same:
            report.corroborations.append(Corroboration(s, tuple(same)))
        opposed = by_fact.get(_key(kb, _opposite(s.fact_sym), s.row), [])
        if opposed:
            report.contradictions.append(Contradiction("negation", s, tuple(opposed)))
        if s.fact_sym in quantities:
            differing = [e for e in by_head.get((s.fact_sym, s.row[:-1]), ())
                         if e.row[-1] != s.row[-1] and _overlap(e, s)]
            if differing:
                report.contradictions.append(Contradiction("value", s, tuple(differing)))


def _empty_files(kb: KnowledgeBase, count: int) -> list[str]:
    ops = kb.history[-count:] if count else ()
    return [f"{op.path} is empty: it holds no statements, declarations or rules"
            for op in ops if isinstance(op, SourceFile) and not op.clauses]


# --- loading ---------------------------------------------------------------------------------------


def take_back(kb: KnowledgeBase, depth: int, exc: BaseException, what: str) -> None:
    """`exc` stopped a change (a load, an import) while the engine took it or while its report
    evaluated: the change goes whole (the history back to `depth`), and the error says `what`
    ("the load took longer than 5 s", "load interrupted"), not "query" (the knowledge base is as
    it was, as the REPL then says). Returns for any other error (taken back too, for a QueryError):
    the caller raises it again."""
    # DuckDB raises a bare RuntimeError for an interrupt that lands outside the engine's guard.
    if isinstance(exc, RuntimeError) and "interrupted" not in str(exc).lower():
        return
    # The undo itself is shielded (shield.py) and has no time limit: a second Ctrl-C, or the
    # limit that stopped the change, must not leave it half taken back.
    # (a Ctrl-C held during the undo is dropped: the change is stopped and taken back either way)
    with contextlib.suppress(KeyboardInterrupt), shield.shielded():
        limit, kb.engine.timeout = kb.engine.timeout, None
        try:
            while len(kb.history) > depth:
                kb.undo()
        finally:
            kb.engine.timeout = limit
    if isinstance(exc, QueryTimeout):
        limit = kb.engine.timeout
        raise QueryTimeout(f"the {what} took longer than {limit:g} s" if limit else f"the {what} took too long",
                           None, "nothing of it was kept; raise the limit with --timeout S or :timeout S "
                                 "(0 or off for none)") from None
    if isinstance(exc, (QueryInterrupted, KeyboardInterrupt, RuntimeError)):
        raise QueryInterrupted(f"{what} interrupted", None, "nothing of it was kept") from None


def load_with_report(kb: KnowledgeBase, paths: Sequence[str | os.PathLike[str]], dry_run: bool = False,
                     derived: bool = True, selection: Selection | None = None) -> ChangeReport:
    """Load files and folders (all or nothing) and report what changed; `dry_run` takes the change
    back. Under `selection` (a trust policy, sources left out, dates) the derived facts and
    inconsistencies gained and lost are those of the knowledge base as the selection sees it; the
    load itself, its new statements, corroborations and contradictions are the whole file's."""
    for path in paths:
        p = Path(path)
        if p.is_dir() and not files_in(p):
            raise LoadError(f"{p} is a directory with no .facts or .dl files in it", None,
                            "name the files to load, or a folder holding some")
    depth, old_warnings = len(kb.history), set(kb.warnings)
    selected = selection is not None and not selection.everything
    # a view of its own, kept across the load (kb.under's views end with every change)
    view = kb.detached_view(selection) if selection is not None and selected and derived else None
    try:
        before = snapshot(kb, derived, view)
        try:
            loaded = kb.load_path(*paths)
            if view is not None and selection is not None:
                kb.follow(view, selection)
        except BaseException:
            before.release()
            raise
        report = diff(kb, before, snapshot(kb, False), loaded.files, dry_run, view)
        report.selection = selection.describe() if view is not None and selection is not None else ""
        report.warnings = _empty_files(kb, len(kb.history) - depth) + [
            w for w in loaded.warnings if w not in old_warnings]
    except (QueryError, KeyboardInterrupt, RuntimeError) as exc:
        take_back(kb, depth, exc, "load")
        raise
    finally:
        if view is not None:
            view.close()
        if dry_run and len(kb.history) > depth:
            with shield.shielded():
                kb.undo()
    return report


def reload_with_report(kb: KnowledgeBase) -> ChangeReport:
    """`:reload`: re-read the files that changed on disk, and report what that changed."""
    before = snapshot(kb, True)
    try:
        changed = kb.reload()
    except BaseException:
        before.release()
        raise
    return diff(kb, before, snapshot(kb, False), tuple(changed), False)


# --- the REPL's :reload (the shell wraps it) ---------------------------------------------


def reload_command(kb: KnowledgeBase) -> str:
    """`:reload`: the report as text."""
    report = reload_with_report(kb)
    if not report.files:
        return "no file changed on disk"
    return report.render_text().replace("loaded", "reloaded", 1)


__all__ = ["SHOWN", "ChangeReport", "Contradiction", "Corroboration", "NewStatements", "Snapshot", "diff",
           "load_with_report", "reload_command", "reload_with_report", "snapshot", "take_back"]
