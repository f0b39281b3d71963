"""Completion: text before the cursor + a small index of the knowledge base -> suggestions.

Input: the text before the cursor (possibly several lines) and a KBIndex. Output: a list of
Suggestion, best first. Pure apart from listing one directory for `:load` paths; the
prompt-toolkit completer only wraps it.

The index holds names only (predicates, entities, sources, commands), built once per change of the
knowledge base, and lookups are binary searches over sorted keys, so completion never touches
facts and stays instant however many there are.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from allegiance.terminals import SENTENCE_START, pattern

if TYPE_CHECKING:
    from allegiance.kb import KnowledgeBase

MAX_SUGGESTIONS = 60
_WORD = re.compile(f"(?:{pattern('LNAME')}|{pattern('UNAME')})$")  # a name or variable up to the cursor
_SENTENCE_START = re.compile(SENTENCE_START)
KEYWORDS = ("not",)


@dataclass(frozen=True)
class Suggestion:
    text: str  # replaces the `-start` characters before the cursor
    start: int  # 0 or negative, as prompt-toolkit's start_position
    display: str = ""
    meta: str = ""


@dataclass(frozen=True)
class PredicateInfo:
    name: str
    arity: int
    params: tuple[str, ...]
    doc: str = ""

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


@dataclass(frozen=True)
class EntityInfo:
    id: str
    name: str
    kind: str = ""


@dataclass
class KBIndex:
    """Names to complete, sorted for prefix search. `commands` maps a name to (help, completes)."""

    predicates: dict[str, list[PredicateInfo]] = field(default_factory=dict)
    entities: dict[str, EntityInfo] = field(default_factory=dict)
    commands: dict[str, tuple[str, str]] = field(default_factory=dict)
    _pred_keys: list[str] = field(default_factory=list)
    _entity_keys: list[tuple[str, str, str]] = field(default_factory=list)  # (key, id, name matched)
    _command_keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pred_keys = sorted(self.predicates)
        self._command_keys = sorted(self.commands)
        keys: list[tuple[str, str, str]] = []
        for ent in self.entities.values():
            keys.append((ent.id.lower(), ent.id, ent.id))
        self._entity_keys = sorted(keys)

    def add_names(self, names: Iterable[tuple[str, str]]) -> None:
        """Display names and aliases (name, entity id), matched case-insensitively."""
        extra = [(name.lower(), ent, name) for name, ent in names]
        self._entity_keys = sorted(self._entity_keys + extra)

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, commands: Mapping[str, tuple[str, str]] | None = None) -> KBIndex:
        """Reads the catalog and the predicate list, never the facts."""
        catalog = kb.catalog
        params: dict[tuple[str, int], tuple[tuple[str, ...], str]] = {}
        for rel in [*catalog.relations.values(), *kb.inconsistency_relations()]:
            names = tuple(p.name for p in rel.params)
            params[(rel.sym.name, rel.sym.arity)] = (names, rel.doc or rel.message)
            if not rel.inconsistency:
                params.setdefault((f"no_{rel.sym.name}", rel.sym.arity), (names, f"stated negative of {rel.sym.name}"))
        preds: dict[str, list[PredicateInfo]] = {}
        for sym in kb.predicates():
            names, doc = params.get((sym.name, sym.arity), (tuple(f"arg{i + 1}" for i in range(sym.arity)), ""))
            preds.setdefault(sym.name, []).append(PredicateInfo(sym.name, sym.arity, names, doc))
        entities = {e.id: EntityInfo(e.id, e.name, e.kind) for e in catalog.entities.values()}
        for src in catalog.sources.values():
            entities.setdefault(src.id, EntityInfo(src.id, src.title or src.id, "source"))
        index = cls(preds, entities, dict(commands or {}))
        index.add_names([(e.name, e.id) for e in catalog.entities.values()] +
                        [(a, e.id) for e in catalog.entities.values() for a in e.aliases])
        return index

    # --- prefix lookups -------------------------------------------------------------------

    def predicates_starting(self, prefix: str) -> list[PredicateInfo]:
        found: list[PredicateInfo] = []
        for name in _prefixed(self._pred_keys, prefix):
            found.extend(self.predicates[name])
        return found

    def entities_starting(self, prefix: str, names_only: bool = False) -> list[tuple[EntityInfo, str]]:
        """(entity, the name that matched): ids first, then display names and aliases; with
        `names_only`, every display name and alias that matches (for controlled English)."""
        low = prefix.lower()
        if names_only:
            found: list[tuple[EntityInfo, str]] = []
            i = bisect.bisect_left(self._entity_keys, (low, "", ""))
            while i < len(self._entity_keys) and len(found) < MAX_SUGGESTIONS:
                key, ent, matched = self._entity_keys[i]
                if not key.startswith(low):
                    break
                if matched != ent:
                    found.append((self.entities[ent], matched))
                i += 1
            return found
        i = bisect.bisect_left(self._entity_keys, (low, "", ""))
        seen: dict[str, tuple[EntityInfo, str]] = {}
        by_name: dict[str, tuple[EntityInfo, str]] = {}
        while i < len(self._entity_keys) and len(seen) + len(by_name) < MAX_SUGGESTIONS * 4:
            key, ent, matched = self._entity_keys[i]
            if not key.startswith(low):
                break
            info = self.entities[ent]
            if matched == ent:
                seen.setdefault(ent, (info, matched))
            else:
                by_name.setdefault(ent, (info, matched))
            i += 1
        return list(seen.values()) + [v for k, v in by_name.items() if k not in seen]

    def commands_starting(self, prefix: str) -> list[str]:
        return _prefixed(self._command_keys, prefix)


def _prefixed(keys: Sequence[str], prefix: str) -> list[str]:
    i = bisect.bisect_left(keys, prefix)
    found: list[str] = []
    while i < len(keys) and keys[i].startswith(prefix) and len(found) < MAX_SUGGESTIONS:
        found.append(keys[i])
        i += 1
    return found


# --- the lexical state at the cursor ---------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Where the cursor is: inside a comment or string, in which clause, inside which atom's
    arguments (`atom`, `arg` its 0-based argument index), and the variables seen so far."""

    in_comment: bool = False
    in_string: bool = False
    clause: str = ""
    atom: str | None = None
    arg: int = 0
    variables: tuple[str, ...] = ()


def context(text: str) -> Context:
    """One left-to-right pass over the text, as the lexer would make it."""
    in_string = in_comment = False
    clause_start = 0
    stack: list[tuple[str | None, int]] = []  # open parens: (atom name or None, commas so far)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_comment:
            if c == "\n":
                in_comment = False
        elif in_string:
            if c == "\\":
                i += 1
            elif c == '"' or c == "\n":
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "%" and not is_modulo(text, i) or c == "/" and text.startswith("//", i):
            in_comment = True
        elif c == "(":
            m = _WORD.search(text, clause_start, i)
            name = m.group(0) if m and m.end() == i else None
            if name is None:  # `name (` with blanks between
                j = i
                while j > clause_start and text[j - 1] in " \t":
                    j -= 1
                m2 = _WORD.search(text[clause_start:j])
                name = m2.group(0) if m2 and m2.end() == j - clause_start else None
            stack.append((name if name not in ("not",) else None, 0))
        elif c == ")":
            if stack:
                stack.pop()
        elif c == "," and stack:
            name, commas = stack[-1]
            stack[-1] = (name, commas + 1)
        elif c == "." and _ends_clause(text, i) and not stack:
            clause_start = i + 1
        i += 1
    clause = text[clause_start:]
    variables = tuple(dict.fromkeys(re.findall(r"(?<![\w\"])[A-Z_][A-Za-z0-9_]*(?!\s*\()", _strip_strings(clause))))
    atom, arg = (stack[-1] if stack else (None, 0))
    return Context(in_comment, in_string, clause, atom, arg, variables)


def is_modulo(text: str, i: int) -> bool:
    """Is the `%` at text[i] modulo (`Y % 2`, `(X + 1) % N`) rather than a comment? Only between
    an operand and a number, variable or `(`; a `)` counts as an operand when it closes a bracket
    that is not an atom's argument list (`ally(X, Y) % note` is a comment)."""
    before = text[:i].rstrip(" \t")
    after = text[i + 1:].lstrip(" \t")
    if not before or not after or not (after[0].isdigit() or after[0].isupper() or after[0] in "_("):
        return False
    last = before[-1]
    if last.isalnum() or last == "_":
        return True
    if last != ")":
        return False
    depth = 0
    for j in range(len(before) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(before[j], 0)
        if depth == 0:
            opener = before[:j].rstrip(" \t")
            return not (opener and (opener[-1].isalnum() or opener[-1] == "_"))
    return False


def _ends_clause(text: str, i: int) -> bool:
    """A period ends a clause unless it sits inside a number (2.5) or a directive name (.decl)."""
    prev = text[i - 1] if i else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if prev.isdigit() and nxt.isdigit():
        return False
    return not (nxt.isalpha() and (not prev or prev in " \t\n"))


def _strip_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\\n]|\\.)*"?', '""', text)


# --- suggestions -----------------------------------------------------------------------------------


def suggest(text_before_cursor: str, index: KBIndex, cwd: str | None = None) -> list[Suggestion]:
    """Suggestions for the word before the cursor, knowing where it stands."""
    stripped = text_before_cursor.lstrip()
    if stripped.startswith(":") and not stripped.startswith(":-"):
        return _command_suggestions(stripped, index, cwd)
    ctx = context(text_before_cursor)
    if ctx.in_comment or ctx.in_string:
        return []
    return _datalog_suggestions(ctx, index)


def _datalog_suggestions(ctx: Context, index: KBIndex) -> list[Suggestion]:
    clause = ctx.clause
    if _SENTENCE_START.match(clause.lstrip()):
        return _english_suggestions(clause, index)
    m = _WORD.search(clause)
    word = m.group(0) if m else ""
    if m and m.start() > 0 and clause[m.start() - 1] in "0123456789.":
        return []  # inside a number or after a directive's dot
    if clause.lstrip().startswith(".") and not ctx.atom:
        return []  # a directive's name or block fields: nothing to offer
    start = -len(word)
    if word[:1].isupper() or word[:1] == "_":
        found = [Suggestion(v, start, v, "variable") for v in ctx.variables if v.startswith(word) and v != word]
        if ctx.atom is not None and word[:1] != "_":  # `Jab` may be a variable or "Jabhat al-Nusra"
            found += [Suggestion(ent.id, start, f"{ent.id}  ({matched})", f"{ent.name} · {ent.kind}")
                      for ent, matched in index.entities_starting(word, names_only=True)]
        return found
    if ctx.atom is not None:
        if not word and clause and clause[-1] not in "(, \t":
            return []
        return _argument_suggestions(word, ctx, index)
    if not word:
        return []
    found = [Suggestion(p.name, start, p.signature, _pred_meta(p)) for p in index.predicates_starting(word)]
    found += [Suggestion(k, start, k, "keyword") for k in KEYWORDS if k.startswith(word) and k != word]
    return [s for s in found if s.text != word or len(index.predicates.get(word, ())) > 0][:MAX_SUGGESTIONS]


def _pred_meta(p: PredicateInfo) -> str:
    return f"{p.name}/{p.arity}" + (f"  {p.doc}" if p.doc else "")


def _argument_suggestions(word: str, ctx: Context, index: KBIndex) -> list[Suggestion]:
    found: list[Suggestion] = []
    for ent, matched in index.entities_starting(word):
        label = ent.name if ent.name != ent.id else ""
        meta = " · ".join(x for x in (label, ent.kind) if x)
        display = ent.id if matched == ent.id else f"{ent.id}  ({matched})"
        found.append(Suggestion(ent.id, -len(word), display, meta))
        if len(found) >= MAX_SUGGESTIONS:
            break
    return found


def _english_suggestions(clause: str, index: KBIndex) -> list[Suggestion]:
    """In controlled English, the word being typed completes to an entity's name or alias."""
    m = re.search(r"[^\W\d_][\w'’\-]*$", clause)
    if not m:
        return []
    word = m.group(0)
    found = []
    for ent, matched in index.entities_starting(word, names_only=True):
        found.append(Suggestion(matched, -len(word), matched, ent.id))
    return found


def _command_suggestions(text: str, index: KBIndex, cwd: str | None) -> list[Suggestion]:
    name, sep, rest = text[1:].partition(" ")
    if not sep:
        return [Suggestion(":" + c, -len(text), ":" + c, index.commands[c][0])
                for c in index.commands_starting(name)]
    _, completes = index.commands.get(name, ("", ""))
    # "datalog --inconsistencies": a query, or (a word starting with '-') one of these flags
    completes, _, flags = completes.partition(" ")
    if flags and rest.lstrip().startswith("-"):
        word = rest.strip()
        return [Suggestion(f, -len(word), f) for f in flags.split() if f.startswith(word) and f != word]
    if completes == "files":
        token = rest.rsplit(" ", 1)[-1] if not rest.endswith(" ") else ""
        return path_suggestions(token, cwd)
    if completes == "command":
        word = rest.strip()
        return [Suggestion(c, -len(word), c, index.commands[c][0]) for c in index.commands_starting(word)]
    if completes == "predicate":
        word = rest.strip()
        return [Suggestion(p.name, -len(word), f"{p.name}/{p.arity}", p.doc)
                for p in index.predicates_starting(word)]
    if completes in ("datalog", "fact"):
        return suggest(rest, index, cwd)
    if completes.startswith("choice:"):
        word = rest.strip()
        return [Suggestion(c, -len(word), c) for c in completes[7:].split("|") if c.startswith(word) and c != word]
    return []


def path_suggestions(token: str, cwd: str | None = None) -> list[Suggestion]:
    """Files and folders whose names start with the last part of `token`; folders end in '/'."""
    expanded = os.path.expanduser(token)
    folder, _, stem = expanded.rpartition("/")
    base = folder + "/" if folder or expanded.startswith("/") else ""
    where = os.path.join(cwd or os.getcwd(), base) if not os.path.isabs(base) else base
    try:
        entries = sorted(os.scandir(where or "."), key=lambda e: e.name)
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem.startswith(".")):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        shown = entry.name + ("/" if is_dir else "")
        found.append(Suggestion(shown, -len(stem), shown, "folder" if is_dir else ""))
        if len(found) >= MAX_SUGGESTIONS:
            break
    return found


def signature_hint(text_before_cursor: str, index: KBIndex) -> str:
    """`member(group, coalition): a group belongs to a coalition` while typing inside its parentheses."""
    stripped = text_before_cursor.lstrip()
    if stripped.startswith(":"):
        name, sep, rest = stripped[1:].partition(" ")
        if name in index.commands and not sep:
            return f":{name}  {index.commands[name][0]}"
        if sep and index.commands.get(name, ("", ""))[1].partition(" ")[0] in ("datalog", "fact"):
            text_before_cursor = rest
        else:
            return ""
    ctx = context(text_before_cursor)
    if ctx.in_comment or ctx.atom is None:
        return ""
    infos = index.predicates.get(ctx.atom, [])
    if not infos:
        return ""
    parts = []
    for info in infos:
        params = [f"[{p}]" if i == ctx.arg else p for i, p in enumerate(info.params)]
        parts.append(f"{info.name}({', '.join(params)})" + (f": {info.doc}" if info.doc else ""))
    return "   ".join(parts)
