"""Curation: the clauses of fact files -> a catalog (sources, entities, relations) and statements.

Stage: after parsing, before provenance and analysis. Input: parsed clauses of one or more files,
and the catalog already in the knowledge base. Output: the catalog's new entries (`declare`, the
first pass of a load) and `Curated` (`curate`, the second): `StatementRecord`s, each a fact with its
qualifiers (source, asserter and status, validity, credibility, quote), plus every error found
(StatementError with span and did-you-mean), so a loader can report them all and change nothing.
Sentences are matched against the relations' phrases by english.py.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from . import ast
from .catalog import Catalog, Entity, Relation, Source
from .english import auto_negative, match_sentence, parse_template
from .errors import AllegianceError, ArityError, StatementError, did_you_mean
from .provenance import StatementRecord

STATUSES = ("reported", "claimed", "confirmed", "assessed", "denied")
KINDS = ("group", "coalition", "state", "agency", "person", "place", "media", "event", "organisation",
         "organization", "other")
ASSERTER_STATUS = {
    "according_to": "reported",
    "reported_by": "reported",
    "claimed_by": "claimed",
    "confirmed_by": "confirmed",
    "assessed_by": "assessed",
    "denied_by": "denied",
}


@dataclass
class Curated:
    catalog: Catalog
    statements: list[StatementRecord] = field(default_factory=list)
    errors: list[AllegianceError] = field(default_factory=list)


# --- declarations -------------------------------------------------------------------------------


def _field(fields: Sequence[tuple[str, tuple[ast.Value, ...]]], key: str) -> tuple[ast.Value, ...]:
    for name, values in fields:
        if name == key:
            return values
    return ()


def _text(fields: Sequence[tuple[str, tuple[ast.Value, ...]]], key: str) -> str:
    values = _field(fields, key)
    return str(values[0]) if values else ""


def _check_fields(fields: Sequence[tuple[str, tuple[ast.Value, ...]]], allowed: Sequence[str],
                  what: str, span: ast.Span, errors: list[AllegianceError]) -> None:
    for name, _ in fields:
        if name not in allowed:
            errors.append(StatementError(f"unknown field '{name}' in {what}", span,
                                         did_you_mean(name, allowed) or f"fields: {', '.join(allowed)}"))


def relation_from(decl: ast.RelationDecl, errors: list[AllegianceError]) -> Relation:
    allowed = ("message", "doc") if decl.inconsistency else ("phrases", "negative", "symmetric", "doc")
    _check_fields(decl.fields, allowed, f"relation {decl.sym}", decl.span, errors)
    phrases = [t for p in _field(decl.fields, "phrases")
               if (t := parse_template(str(p), decl.params, decl.span, errors))]
    negatives = [t for p in _field(decl.fields, "negative")
                 if (t := parse_template(str(p), decl.params, decl.span, errors))]
    for template in phrases:
        auto = auto_negative(template)
        if auto is not None and auto.parts not in {n.parts for n in negatives}:
            negatives.append(auto)
    symmetric_value = _text(decl.fields, "symmetric").lower()
    if symmetric_value not in ("", "yes", "no", "true", "false"):
        errors.append(StatementError(f"symmetric: {symmetric_value}?", decl.span, "write symmetric: yes"))
    symmetric = symmetric_value in ("yes", "true")
    if symmetric and decl.sym.arity != 2:
        errors.append(StatementError(f"only a relation of two arguments can be symmetric, not {decl.sym}", decl.span))
    message = _text(decl.fields, "message")
    if decl.inconsistency and message:
        parse_template(message, decl.params, decl.span, [])  # messages may leave arguments out
        for name in re.findall(r"\{([^}]*)\}", message):
            if name.strip() not in [p.name for p in decl.params]:
                errors.append(StatementError(f"message names no argument '{name}'", decl.span,
                                             did_you_mean(name, [p.name for p in decl.params])))
    return Relation(decl.sym, decl.params, tuple(phrases), tuple(negatives), symmetric,
                    _text(decl.fields, "doc"), decl.inconsistency, message, decl.span)


def source_from(block: ast.SourceBlock, errors: list[AllegianceError]) -> Source:
    allowed = ("title", "publisher", "date", "url", "reliability", "file", "author", "note", "via", "date_assumed",
               "document")
    fields = block.fields or ()
    _check_fields(fields, allowed, f"source {block.id}", block.span, errors)
    reliability = _text(fields, "reliability").upper()
    if reliability and reliability not in "ABCDEF":
        errors.append(StatementError(f"reliability {reliability} is not on the Admiralty scale", block.span,
                                     "A (completely reliable) ... E (unreliable), F (cannot be judged)"))
    date = block.get("date")
    month = isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}", date) is not None
    if month:
        # a month (`date: 2015-10`): known from its last day, when the source was surely out
        year, number = int(str(date)[:4]), int(str(date)[5:])
        date = datetime.date(year, number, calendar.monthrange(year, number)[1])
    if date is not None and not isinstance(date, datetime.date):
        errors.append(StatementError(f"date of source {block.id} is not a date", block.span,
                                     "write a day (YYYY-MM-DD) or a month (YYYY-MM, October 2015)"))
        date = None
    assumed = _text(fields, "date_assumed").lower()
    if assumed not in ("", "yes", "no"):
        errors.append(StatementError(f"date_assumed of source {block.id} is neither yes nor no", block.span,
                                     "write date_assumed: yes when the source does not print its date"))
    via = tuple(str(v) for v in _field(fields, "via"))
    return Source(block.id, _text(fields, "title"), _text(fields, "publisher"),
                  date if isinstance(date, datetime.date) else None, _text(fields, "url"),
                  reliability, _text(fields, "file"), block.span, via, assumed == "yes", month,
                  _text(fields, "document"))


def entity_from(decl: ast.EntityDecl, errors: list[AllegianceError]) -> Entity:
    _check_fields(decl.fields, ("name", "aliases", "kind", "note", "some_of"), f"entity {decl.id}", decl.span, errors)
    kind = _text(decl.fields, "kind") or "other"
    if kind not in KINDS:
        errors.append(StatementError(f"unknown kind '{kind}' for entity {decl.id}", decl.span,
                                     did_you_mean(kind, KINDS) or f"kinds: {', '.join(KINDS)}"))
    name = _text(decl.fields, "name") or decl.id.replace("_", " ")
    aliases = tuple(str(a) for a in _field(decl.fields, "aliases"))
    return Entity(decl.id, name, aliases, kind, decl.span, _text(decl.fields, "some_of"))


# --- curation -----------------------------------------------------------------------------------


def declare(clauses: Iterable[ast.Clause], catalog: Catalog, errors: list[AllegianceError]) -> None:
    """Add the sources, entities and relations of clauses to catalog (first pass of a load)."""
    for clause in clauses:
        if isinstance(clause, ast.SourceBlock) and clause.fields is None:
            continue  # a reference; curate() checks that it exists
        if isinstance(clause, ast.SourceBlock):
            old_source = catalog.sources.get(clause.id)
            source = source_from(clause, errors)
            if old_source is not None and replace(old_source, span=source.span) != source:
                errors.append(StatementError(f"source {clause.id} is already defined at {old_source.span}",
                                             clause.span, "give this source another id"))
                continue
            catalog.sources[clause.id] = source
        elif isinstance(clause, ast.EntityDecl):
            old = catalog.entities.get(clause.id)
            new = entity_from(clause, errors)
            if old is not None and replace(old, span=new.span) != new:
                errors.append(StatementError(f"entity {clause.id} is already defined at {old.span}",
                                             clause.span, "merge the two declarations, or give this entity another id"))
                continue
            clash = next((n for n in (new.name, *new.aliases) if catalog.resolve(n) not in (None, new.id)), None)
            if clash is not None:
                errors.append(StatementError(f"the name \"{clash}\" already belongs to entity {catalog.resolve(clash)}",
                                             clause.span, "a name or alias can refer to one entity only"))
                continue
            catalog.add_entity(new)
        elif isinstance(clause, ast.RelationDecl):
            old_rel = catalog.relations.get(clause.pred)
            rel = relation_from(clause, errors)
            if old_rel is not None and replace(old_rel, span=rel.span) != rel:
                errors.append(StatementError(f"relation {clause.pred} is already declared at {old_rel.span}",
                                             clause.span, "declare each relation once"))
                continue
            catalog.relations[clause.pred] = rel


def curate(clauses: Sequence[ast.Clause], catalog: Catalog, curated_file: bool,
           counters: dict[str, int], default_source: str | None = None) -> Curated:
    """Second pass: turn statements and sentences into StatementRecords.

    `curated_file` (a `.facts` file) demands declared relations and entities for Datalog-form
    statements too; `counters` numbers statements per source across the knowledge base."""
    out = Curated(catalog)
    current: str | None = default_source
    for clause in clauses:  # `some_of: X` and `via: S` name what is declared (all is, by now)
        if isinstance(clause, ast.SourceBlock) and clause.fields is not None:
            for relay in _field(clause.fields, "via"):
                if str(relay) not in catalog.sources or str(relay) == clause.id:
                    out.errors.append(StatementError(f"source {clause.id} is via {relay}, which is not another declared source",
                                                     clause.span, did_you_mean(str(relay), catalog.sources)
                                                     or "name a source declared with .source"))
        if isinstance(clause, ast.SourceBlock) and clause.fields is not None:
            document = _text(clause.fields, "document")
            if document and document not in catalog.entities:
                out.errors.append(StatementError(f"source {clause.id} is the document {document}, which is no declared entity",
                                                 clause.span, did_you_mean(document, catalog.entities) or "declare it with .entity"))
        if isinstance(clause, ast.EntityDecl):
            whole = _text(clause.fields, "some_of")
            if whole and whole not in catalog.entities:
                out.errors.append(StatementError(f"entity {clause.id} is some of an unknown entity {whole}", clause.span,
                                                 did_you_mean(whole, catalog.entities) or "declare it with .entity"))

    def number(source: str) -> str:
        counters[source] = counters.get(source, 0) + 1
        return f"{source}_{counters[source]}"

    for clause in clauses:
        if isinstance(clause, ast.SourceBlock):
            current = clause.id
            if clause.fields is None and clause.id not in catalog.sources:
                out.errors.append(StatementError(f"unknown source {clause.id}", clause.span,
                                                 did_you_mean(clause.id, catalog.sources) or "declare it with a .source block"))
        elif isinstance(clause, ast.Fact) and curated_file:
            record = _datalog_statement(ast.Statement(clause.atom, False, (), clause.span, ""), catalog,
                                        current, out.errors, number, strict=True)
            if record:
                out.statements.append(record)
        elif isinstance(clause, ast.Statement):
            record = _datalog_statement(clause, catalog, current, out.errors, number, strict=curated_file)
            if record:
                out.statements.append(record)
        elif isinstance(clause, ast.Sentence):
            record = _english_statement(clause, catalog, current, out.errors, number)
            if record:
                out.statements.append(record)
    return out


def _qualify(qualifiers: Sequence[ast.Qualifier], catalog: Catalog, current: str | None, span: ast.Span,
             english: bool, errors: list[AllegianceError]) -> dict[str, object] | None:
    info: dict[str, object] = {"source": current, "status": "reported", "asserter": None, "valid_from": None,
                               "valid_until": None, "credibility": None, "quote": "", "reported_on": None}
    ok = True
    for q in qualifiers:
        if q.kind in ASSERTER_STATUS:
            assert q.who is not None
            who = catalog.resolve(q.who)
            if who is None and not english and re.fullmatch(r"[a-z][A-Za-z0-9_]*", q.who):
                who = q.who
            if who is None:
                errors.append(StatementError(f"unknown entity \"{q.who}\"", q.span,
                                             did_you_mean(q.who, catalog.entity_names()) or "declare it with .entity"))
                ok = False
            info["asserter"] = who
            info["status"] = ASSERTER_STATUS[q.kind]
        elif q.kind == "on":
            info["valid_from"] = info["valid_until"] = q.values[0]
            info["month_from"] = info["month_until"] = False
        elif q.kind in ("between", "in"):
            info["valid_from"], info["valid_until"] = q.values
            info["month_from"], info["month_until"] = q.months or (False, False)
        elif q.kind == "since":
            info["valid_from"], info["month_from"] = q.values[0], bool(q.months)
        elif q.kind == "until":
            info["valid_until"], info["month_until"] = q.values[0], bool(q.months)
        elif q.kind == "reported_on":
            info["reported_on"], info["reported_month"] = q.values[0], bool(q.months)
        elif q.kind == "credibility":
            info["credibility"] = q.values[0]
        elif q.kind == "quoting":
            info["quote"] = q.values[0]
        elif q.kind == "from_source":
            info["source"] = q.values[0]
    source = info["source"]
    if source is None:
        errors.append(StatementError("this statement has no source", span,
                                     "put a .source block above it, make one current with `.source ID.`, or add `from source ID`"))
        return None
    if source not in catalog.sources:
        errors.append(StatementError(f"unknown source {source}", span,
                                     did_you_mean(str(source), catalog.sources) or "declare it with .source"))
        return None
    if info["asserter"] is None and catalog.sources[str(source)].publisher:
        publisher = catalog.resolve(catalog.sources[str(source)].publisher)
        info["asserter"] = publisher
    return info if ok else None


def _datalog_statement(clause: ast.Statement, catalog: Catalog, current: str | None,
                       errors: list[AllegianceError], number: Callable[[str], str],
                       strict: bool) -> StatementRecord | None:
    atom = clause.atom
    rel = catalog.relations.get(atom.pred)
    if strict and rel is None:
        errors.append(StatementError(f"unknown relation {atom.sym}", atom.span,
                                     did_you_mean(atom.pred, catalog.relations) or "declare it with .relation"))
        return None
    if rel is not None and rel.sym != atom.sym:
        return None  # arity analysis reports it, with both places
    values: list[ast.Value] = []
    for i, arg in enumerate(atom.args):
        if not isinstance(arg, ast.Constant):
            errors.append(StatementError(f"a statement must be ground, but {atom.sym} has `{arg}`",
                                         getattr(arg, "span", atom.span), "write a constant"))
            return None
        if strict and rel is not None and rel.params[i].type == "symbol" and isinstance(arg.value, str) \
                and arg.value not in catalog.entities:
            found = catalog.resolve(arg.value)
            if found is None:
                errors.append(StatementError(f"unknown entity {arg.value}", arg.span,
                                             did_you_mean(arg.value, catalog.entities) or "declare it with .entity"))
                return None
            values.append(found)
            continue
        values.append(arg.value)
    info = _qualify(clause.qualifiers, catalog, current, clause.span, False, errors)
    if info is None:
        return None
    return _record(atom.sym, tuple(values), clause.negated, info, clause.text or str(atom), clause.span, False,
                   number)


def _record(sym: ast.PredicateSym, row: ast.Row, negated: bool, info: Mapping[str, object], text: str,
            span: ast.Span, english: bool, number: Callable[[str], str]) -> StatementRecord:
    """The record of a statement curation keeps, numbered: `number(source)` is its id."""
    return StatementRecord(
        number(str(info["source"])), sym, row, negated, str(info["source"]), str(info["status"]),
        info["asserter"] if isinstance(info["asserter"], str) else None,
        info["valid_from"] if isinstance(info["valid_from"], datetime.date) else None,
        info["valid_until"] if isinstance(info["valid_until"], datetime.date) else None,
        info["credibility"] if isinstance(info["credibility"], int) else None,
        str(info["quote"]), text, span, english, info.get("month_from") is True, info.get("month_until") is True,
        info["reported_on"] if isinstance(info["reported_on"], datetime.date) else None, info.get("reported_month") is True)


def _english_statement(sentence: ast.Sentence, catalog: Catalog, current: str | None,
                       errors: list[AllegianceError], number: Callable[[str], str]) -> StatementRecord | None:
    found = match_sentence(sentence, catalog)
    if isinstance(found, StatementError):
        errors.append(found)
        return None
    rel, row, negated = found
    info = _qualify(sentence.qualifiers, catalog, current, sentence.span, True, errors)
    if info is None:
        return None
    return _record(rel.sym, row, negated, info, sentence.text, sentence.span, True, number)


def arity_errors(clauses: Sequence[ast.Clause], catalog: Catalog) -> list[AllegianceError]:
    """A statement or fact of a declared relation with another number of arguments: curation skips
    it and arity analysis never sees it, so it would vanish (or start a relation of its own)."""
    errors: list[AllegianceError] = []
    for clause in clauses:
        if isinstance(clause, (ast.Statement, ast.Fact)):
            atom = clause.atom
            rel = catalog.relations.get(atom.pred)
            if rel is not None and rel.sym != atom.sym:
                errors.append(ArityError(
                    f"{atom.pred} takes {rel.sym.arity} arguments, as declared at {rel.span}, not {atom.sym.arity}",
                    atom.span, f"write {atom.pred}({', '.join(p.name for p in rel.params)})"))
    return errors


__all__ = ["ASSERTER_STATUS", "KINDS", "STATUSES", "Curated", "arity_errors", "curate", "declare"]
