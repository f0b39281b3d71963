"""Curation: the clauses of fact files -> a catalog (sources, entities, relations) and statements.

Input: parsed clauses of one or more files, and the catalog already in the knowledge base.
Output: `Curated`: the new catalog entries and `StatementRecord`s, each a fact with its
provenance, plus every error found (StatementError with span and did-you-mean), so a loader can
report them all and change nothing.

Controlled English is matched here against the relations' phrase templates: a template such as
"{group} is a member of {coalition}" matches a sentence word by word (case-insensitively), each
slot taking one or more words that must name an entity (through its name, aliases or id, a leading
"the" optional), a number or a date, depending on the slot's declared type. Nothing is evaluated.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from . import ast
from .errors import AllegianceError, StatementError, did_you_mean

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
_AUXILIARIES = ("is", "are", "was", "were", "has", "have", "had", "does", "did", "can", "will")
_NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str = ""
    publisher: str = ""
    date: datetime.date | None = None
    url: str = ""
    reliability: str = ""
    file: str = ""
    span: ast.Span = ast.NOWHERE

    def article_path(self) -> str | None:
        """The article's file: `file:` is relative to the folder of the fact file that names it."""
        if not self.file:
            return None
        import os.path

        return os.path.normpath(os.path.join(os.path.dirname(self.span.file), self.file))


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "other"
    span: ast.Span = ast.NOWHERE


@dataclass(frozen=True, slots=True)
class Template:
    """A phrase: literal words and slots (parameter indexes), e.g. [0, "is", "a", "member", "of", 1]."""

    parts: tuple[str | int, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Relation:
    sym: ast.PredicateSym
    params: tuple[ast.Param, ...]
    phrases: tuple[Template, ...] = ()
    negatives: tuple[Template, ...] = ()
    symmetric: bool = False
    doc: str = ""
    inconsistency: bool = False
    message: str = ""
    span: ast.Span = ast.NOWHERE


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """One statement: the fact it states (or denies), who says it and how, from which source."""

    id: str
    sym: ast.PredicateSym
    row: ast.Row
    negated: bool
    source: str
    status: str
    asserter: str | None
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    credibility: int | None
    quote: str
    text: str
    span: ast.Span
    english: bool

    @property
    def fact_sym(self) -> ast.PredicateSym:
        """The relation whose fact this statement adds: p, or no_p for a negative or a denial."""
        if self.negated or self.status == "denied":
            return ast.PredicateSym(negative_name(self.sym.name), self.sym.arity)
        return self.sym

    def identity(self) -> tuple[object, ...]:
        """What makes two statements the same (loading a file twice adds nothing)."""
        return (self.sym, self.row, self.negated, self.source, self.status, self.asserter,
                self.valid_from, self.valid_until, self.credibility)


def negative_name(pred: str) -> str:
    return f"no_{pred}"


@dataclass
class Catalog:
    sources: dict[str, Source] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)  # normalized name -> entity id

    def copy(self) -> Catalog:
        return Catalog(dict(self.sources), dict(self.entities), dict(self.relations), dict(self._names))

    def add_entity(self, entity: Entity) -> None:
        self.entities[entity.id] = entity
        for name in (entity.id, entity.id.replace("_", " "), entity.name, *entity.aliases):
            self._names.setdefault(normalize_name(name), entity.id)

    def resolve(self, text: str) -> str | None:
        """The entity a name refers to: id, display name or alias, case-insensitive, 'the' optional."""
        key = normalize_name(text)
        found = self._names.get(key)
        if found is None and key.startswith("the "):
            found = self._names.get(key[4:])
        return found

    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities.values()] + [a for e in self.entities.values() for a in e.aliases]

    def display(self, value: ast.Value) -> str:
        if isinstance(value, str) and value in self.entities:
            return self.entities[value].name
        return value.isoformat() if isinstance(value, datetime.date) else str(value)


@functools.lru_cache(maxsize=65536)  # English matching asks for the same few names over and over
def normalize_name(text: str) -> str:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"').strip().strip('"').lower()
    return " ".join(text.split())


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


def parse_template(text: str, params: Sequence[ast.Param], span: ast.Span,
                   errors: list[AllegianceError]) -> Template | None:
    names = [p.name for p in params]
    parts: list[str | int] = []
    for piece in re.split(r"(\{[^}]*\})", text):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1].strip()
            if name not in names:
                errors.append(StatementError(f"phrase \"{text}\" names no argument '{name}'", span,
                                             did_you_mean(name, names) or f"arguments: {', '.join(names)}"))
                return None
            parts.append(names.index(name))
        else:
            parts.extend(w.lower() for w in piece.replace(",", " ").split())
    missing = [n for i, n in enumerate(names) if i not in parts]
    if missing:
        errors.append(StatementError(f"phrase \"{text}\" leaves out {', '.join(missing)}", span,
                                     "every argument needs a {slot} in each phrase"))
        return None
    for a, b in zip(parts, parts[1:], strict=False):
        if isinstance(a, int) and isinstance(b, int):
            errors.append(StatementError(f"phrase \"{text}\" puts two slots side by side", span,
                                         "put a word between them, or the sentence cannot be split"))
            return None
    return Template(tuple(parts), text)


def _auto_negative(template: Template) -> Template | None:
    """'{g} is a member of {c}' -> '{g} is not a member of {c}': 'not' after the first auxiliary."""
    for i, part in enumerate(template.parts):
        if isinstance(part, str) and part in _AUXILIARIES:
            parts = (*template.parts[:i + 1], "not", *template.parts[i + 1:])
            return Template(parts, template.text.replace(f" {part} ", f" {part} not ", 1))
    return None


def relation_from(decl: ast.RelationDecl, errors: list[AllegianceError]) -> Relation:
    allowed = ("message", "doc") if decl.inconsistency else ("phrases", "negative", "symmetric", "doc")
    _check_fields(decl.fields, allowed, f"relation {decl.sym}", decl.span, errors)
    phrases = [t for p in _field(decl.fields, "phrases")
               if (t := parse_template(str(p), decl.params, decl.span, errors))]
    negatives = [t for p in _field(decl.fields, "negative")
                 if (t := parse_template(str(p), decl.params, decl.span, errors))]
    for template in phrases:
        auto = _auto_negative(template)
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
    allowed = ("title", "publisher", "date", "url", "reliability", "file", "author", "note")
    fields = block.fields or ()
    _check_fields(fields, allowed, f"source {block.id}", block.span, errors)
    reliability = _text(fields, "reliability").upper()
    if reliability and reliability not in "ABCDEF":
        errors.append(StatementError(f"reliability {reliability} is not on the Admiralty scale", block.span,
                                     "A (completely reliable) ... E (unreliable), F (cannot be judged)"))
    date = block.get("date")
    if date is not None and not isinstance(date, datetime.date):
        errors.append(StatementError(f"date of source {block.id} is not a date", block.span, "write YYYY-MM-DD"))
        date = None
    return Source(block.id, _text(fields, "title"), _text(fields, "publisher"),
                  date if isinstance(date, datetime.date) else None, _text(fields, "url"),
                  reliability, _text(fields, "file"), block.span)


def entity_from(decl: ast.EntityDecl, errors: list[AllegianceError]) -> Entity:
    _check_fields(decl.fields, ("name", "aliases", "kind", "note"), f"entity {decl.id}", decl.span, errors)
    kind = _text(decl.fields, "kind") or "other"
    if kind not in KINDS:
        errors.append(StatementError(f"unknown kind '{kind}' for entity {decl.id}", decl.span,
                                     did_you_mean(kind, KINDS) or f"kinds: {', '.join(KINDS)}"))
    name = _text(decl.fields, "name") or decl.id.replace("_", " ")
    aliases = tuple(str(a) for a in _field(decl.fields, "aliases"))
    return Entity(decl.id, name, aliases, kind, decl.span)


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
                               "valid_until": None, "credibility": None, "quote": ""}
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
        elif q.kind == "between":
            info["valid_from"], info["valid_until"] = q.values
        elif q.kind == "since":
            info["valid_from"] = q.values[0]
        elif q.kind == "until":
            info["valid_until"] = q.values[0]
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
        str(info["quote"]), text, span, english)


@dataclass
class _Miss:
    """The nearest a sentence came to a phrase: for the error message."""

    score: float = 0.0
    message: str = ""
    hint: str | None = None


def _english_statement(sentence: ast.Sentence, catalog: Catalog, current: str | None,
                       errors: list[AllegianceError], number: Callable[[str], str]) -> StatementRecord | None:
    words = [w.lower() for w in sentence.words]
    present = set(words)
    miss = _Miss()
    for negated in (False, True):
        for rel in catalog.relations.values():
            if rel.inconsistency:
                continue
            for template in (rel.negatives if negated else rel.phrases):
                if not _literals(template.parts) <= present:
                    continue  # _match would neither match nor come near: it needs every literal word
                row = _match(template.parts, words, sentence.words, rel, catalog, miss)
                if row is not None:
                    info = _qualify(sentence.qualifiers, catalog, current, sentence.span, True, errors)
                    if info is None:
                        return None
                    return _record(rel.sym, row, negated, info, sentence.text, sentence.span, True, number)
    if miss.message:
        errors.append(StatementError(miss.message, sentence.span, miss.hint))
    else:
        phrases = [t.text for r in catalog.relations.values() for t in r.phrases]
        errors.append(StatementError(
            "no relation's phrase matches this sentence", sentence.span,
            (f"closest phrase: \"{_closest(' '.join(words), phrases)}\"" if phrases else "declare a .relation with phrases")))
    return None


@functools.lru_cache(maxsize=4096)
def _literals(parts: tuple[str | int, ...]) -> frozenset[str]:
    return frozenset(p for p in parts if isinstance(p, str))


def _closest(text: str, phrases: list[str]) -> str:
    import difflib

    def skeleton(p: str) -> str:
        return re.sub(r"\{[^}]*\}", "", p).lower()
    return max(phrases, key=lambda p: difflib.SequenceMatcher(None, text, skeleton(p)).ratio())


def _match(parts: tuple[str | int, ...], words: list[str], original: tuple[str, ...], rel: Relation,
           catalog: Catalog, miss: _Miss) -> ast.Row | None:
    """Match template parts against words; slots take 1+ words. Returns the row, or None."""
    values: dict[int, ast.Value] = {}
    # literals_after[i]: how many literal words parts[i:] holds
    literals_after = [0] * (len(parts) + 1)
    for i in range(len(parts) - 1, -1, -1):
        literals_after[i] = literals_after[i + 1] + isinstance(parts[i], str)
    literal_total = literals_after[0] or 1
    n = len(words)

    def go(pi: int, wi: int, literals_matched: int) -> bool:
        while pi < len(parts) and isinstance(parts[pi], str):  # literal words match one to one
            if wi < n and words[wi] == parts[pi]:
                pi, wi, literals_matched = pi + 1, wi + 1, literals_matched + 1
            else:
                return False
        if pi == len(parts):
            return wi == n
        part = parts[pi]
        assert isinstance(part, int)
        # a slot: try every span, shortest first, that leaves room for what follows
        rest_literals = literals_after[pi + 1]
        next_part = parts[pi + 1] if pi + 1 < len(parts) else None
        for end in range(wi + 1, n - rest_literals + 1):
            if isinstance(next_part, str) and (end >= n or words[end] != next_part):
                continue
            if next_part is None and end != n:
                continue
            text = " ".join(original[wi:end])
            value = _slot_value(text, rel.params[part])
            if value is None:
                score = (literals_matched + rest_literals) / literal_total
                if score >= miss.score and rest_literals_match(pi + 1, end):
                    miss.score = score
                    kind = rel.params[part].type
                    if kind == "symbol":
                        miss.message = f"unknown entity \"{text}\" in a sentence about {rel.sym}"
                        miss.hint = did_you_mean(text, catalog.entity_names()) or "declare it with .entity, or add an alias"
                    else:
                        miss.message = f"\"{text}\" is not a {kind} ({rel.params[part].name} of {rel.sym})"
                        miss.hint = None
                continue
            values[part] = value
            if go(pi + 1, end, literals_matched):
                return True
            del values[part]
        return False

    def rest_literals_match(pi: int, wi: int) -> bool:
        # does the literal skeleton of the rest fit, ignoring slots? (for a useful error only)
        literal = [p for p in parts[pi:] if isinstance(p, str)]
        it = iter(words[wi:])
        return all(any(w == p for w in it) for p in literal)

    def _slot_value(text: str, param: ast.Param) -> ast.Value | None:
        if param.type == "symbol":
            return catalog.resolve(text)
        if param.type == "string":
            return text
        if param.type == "number":
            key = text.lower()
            if key in _NUMBER_WORDS:
                return _NUMBER_WORDS[key]
            return int(text) if re.fullmatch(r"-?\d+", text) else None
        if param.type == "float":
            try:
                return float(text)
            except ValueError:
                return None
        if param.type == "date":
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                return None
        return text

    if go(0, 0, 0):
        return tuple(values[i] for i in range(len(rel.params)))
    return None


# --- rendering: every statement reads back as a sentence and as Datalog ---------------------------


def render_sentence(record: StatementRecord, catalog: Catalog) -> str:
    rel = catalog.relations.get(record.sym.name)
    if rel is None or not rel.phrases:
        return render_datalog(record)
    template = (rel.negatives[0] if record.negated and rel.negatives else rel.phrases[0])
    words: list[str] = []
    for part in template.parts:
        words.append(catalog.display(record.row[part]) if isinstance(part, int) else part)
    text = " ".join(words)
    return text[:1].upper() + text[1:] + _render_qualifiers(record, catalog, english=True) + "."


def render_datalog(record: StatementRecord, catalog: Catalog | None = None) -> str:
    atom = f"{record.sym.name}({', '.join(ast.format_value(v) for v in record.row)})"
    prefix = "not " if record.negated else ""
    return prefix + atom + _render_qualifiers(record, catalog, english=False) + "."


def _render_qualifiers(record: StatementRecord, catalog: Catalog | None, english: bool) -> str:
    parts: list[str] = []
    if record.asserter is not None:
        verb = {"reported": "according to", "claimed": "claimed by", "confirmed": "confirmed by",
                "assessed": "assessed by", "denied": "denied by"}[record.status]
        who = catalog.display(record.asserter) if (english and catalog) else ast.format_value(record.asserter)
        parts.append(f"{verb} {who}")
    if record.valid_from and record.valid_from == record.valid_until:
        parts.append(f"on {record.valid_from.isoformat()}")
    elif record.valid_from and record.valid_until:
        parts.append(f"between {record.valid_from.isoformat()} and {record.valid_until.isoformat()}")
    elif record.valid_from:
        parts.append(f"since {record.valid_from.isoformat()}")
    elif record.valid_until:
        parts.append(f"until {record.valid_until.isoformat()}")
    if record.credibility is not None:
        parts.append(f"credibility {record.credibility}")
    parts.append(f"from source {record.source}")
    return "".join(f", {p}" for p in parts) if english else "".join(f" {p}" for p in parts)
