"""Controlled English: phrase templates, matching a sentence against them, and statements read back.

Stage: curation's language (curate.py asks it; the REPL and the change report render with it).
Input: a relation's phrase text (`parse_template`), a sentence's words and the catalog
(`match_sentence`), a `StatementRecord` (`render_sentence`, `render_datalog`). Output: `Template`s,
the relation, row and polarity a sentence states (or the StatementError saying how near it came),
and text.

A template such as "{group} is a member of {coalition}" matches a sentence word by word
(case-insensitively), each slot taking one or more words that must name an entity (through its
name, aliases or id, a leading "the" optional), a number or a date, depending on the slot's declared
type. Nothing is evaluated.

"Some of X" in an entity slot names the part of X declared with `some_of: X` (docs/language.md,
"Some of X"): the sentence states the very fact the part's id would, and never one about X. With no
such part, or several, it names none, and the error says which to declare or to name.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import ast
from .catalog import Catalog, Relation, Template
from .errors import AllegianceError, StatementError, did_you_mean
from .provenance import StatementRecord

_AUXILIARIES = ("is", "are", "was", "were", "has", "have", "had", "does", "did", "can", "will")
_NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}


# --- templates ----------------------------------------------------------------------------------


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


def auto_negative(template: Template) -> Template | None:
    """'{g} is a member of {c}' -> '{g} is not a member of {c}': 'not' after the first auxiliary."""
    for i, part in enumerate(template.parts):
        if isinstance(part, str) and part in _AUXILIARIES:
            parts = (*template.parts[:i + 1], "not", *template.parts[i + 1:])
            return Template(parts, template.text.replace(f" {part} ", f" {part} not ", 1))
    return None


# --- matching -----------------------------------------------------------------------------------


@dataclass
class _Miss:
    """The nearest a sentence came to a phrase: for the error message."""

    score: float = 0.0
    message: str = ""
    hint: str | None = None
    # An unknown entity's "did you mean" is worked out only when this miss ends as the error: most
    # misses are passed by a later phrase that matches, and difflib over every name is slow (about
    # 30 ms of loading the bundled knowledge base).
    unknown: str | None = None

    def error_hint(self, catalog: Catalog) -> str | None:
        if self.unknown is None:
            return self.hint
        return did_you_mean(self.unknown, catalog.entity_names()) or "declare it with .entity, or add an alias"


def match_sentence(sentence: ast.Sentence, catalog: Catalog) -> tuple[Relation, ast.Row, bool] | StatementError:
    """The relation, row and polarity (negated or not) of the first phrase the sentence matches,
    positive phrases first; else the error for the nearest miss."""
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
                    return rel, row, negated
    if miss.message:
        return StatementError(miss.message, sentence.span, miss.error_hint(catalog))
    phrases = [t.text for r in catalog.relations.values() for t in r.phrases]
    return StatementError(
        "no relation's phrase matches this sentence", sentence.span,
        (f"closest phrase: \"{_closest(' '.join(words), phrases)}\"" if phrases else "declare a .relation with phrases"))


@functools.lru_cache(maxsize=4096)
def _literals(parts: tuple[str | int, ...]) -> frozenset[str]:
    return frozenset(p for p in parts if isinstance(p, str))


def _closest(text: str, phrases: list[str]) -> str:
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
                    some = _some_of_miss(text, catalog) if kind == "symbol" else None
                    miss.unknown = None
                    if some is not None:
                        miss.message, miss.hint = some
                    elif kind == "symbol":
                        miss.message = f"unknown entity \"{text}\" in a sentence about {rel.sym}"
                        miss.hint, miss.unknown = None, text
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
            return catalog.resolve(text) or some_of_part(text, catalog)
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


# --- "some of X" ---------------------------------------------------------------------------------

_SOME_OF = re.compile(r"some\s+of\s+(.+)", re.IGNORECASE | re.DOTALL)


def _whole(text: str, catalog: Catalog) -> str | None:
    """X of a slot's text "some of X", when X names an entity."""
    found = _SOME_OF.fullmatch(text.strip())
    return catalog.resolve(found.group(1)) if found else None


def some_of_part(text: str, catalog: Catalog) -> str | None:
    """The entity "some of X" names: the one part of X declared `some_of: X`, if there is exactly one."""
    whole = _whole(text, catalog)
    if whole is None:
        return None
    parts = catalog.parts_of(whole)
    return parts[0].id if len(parts) == 1 else None


def _some_of_miss(text: str, catalog: Catalog) -> tuple[str, str] | None:
    """Why "some of X" names no entity (no part of X declared, or several), with the fix."""
    whole = _whole(text, catalog)
    if whole is None:
        return None
    parts = catalog.parts_of(whole)
    if not parts:
        return (f"\"{text}\" names no declared part of {whole}",
                f"declare the part: .entity {whole}_part {{ name: \"...\" some_of: {whole} }}")
    names = ", ".join(f"\"{p.name}\" ({p.id})" for p in parts)
    return (f"\"{text}\" could be any of the {len(parts)} declared parts of {whole}",
            f"name the part meant: {names}")


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


def month_text(day: datetime.date) -> str:
    """The month of a day, as a month-precision date is written: `2015-10`."""
    return f"{day.year:04d}-{day.month:02d}"


def period_text(start: datetime.date | None, end: datetime.date | None, start_month: bool = False,
                end_month: bool = False) -> str:
    """A period in the qualifiers' words: `on D`, `in M`, `between D1 and D2`, `since D`, `until D`,
    `always`; a bound written as a month shows as that month (`since 2015-10`)."""
    if start is None and end is None:
        return "always"
    first = month_text(start) if start and start_month else str(start)
    last = month_text(end) if end and end_month else str(end)
    if start is None:
        return f"until {last}"
    if end is None:
        return f"since {first}"
    if start == end:
        return f"on {first}"
    if start_month and end_month and first == last:
        return f"in {first}"
    return f"between {first} and {last}"


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
    if record.valid_from or record.valid_until:
        parts.append(period_text(record.valid_from, record.valid_until, record.month_from, record.month_until))
    if record.reported_on is not None:
        parts.append(f"reported on {month_text(record.reported_on) if record.reported_month else record.reported_on}")
    if record.credibility is not None:
        parts.append(f"credibility {record.credibility}")
    parts.append(f"from source {record.source}")
    return "".join(f", {p}" for p in parts) if english else "".join(f" {p}" for p in parts)


__all__ = ["auto_negative", "match_sentence", "month_text", "parse_template", "period_text", "render_datalog",
           "render_sentence", "some_of_part"]
