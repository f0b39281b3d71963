"""The catalog: the sources, entities and relations a knowledge base has declared.

Stage: curation's vocabulary (curate.py fills it from `.source`, `.entity` and `.relation` clauses).
Input: nothing but values. Output: `Catalog`, which resolves a name (id, display name or alias,
case-insensitive, "the" optional) to an entity and displays a value the way a reader knows it.
A declared relation `p` brings its negative `no_p` (`negative_name`) with it.
"""

from __future__ import annotations

import datetime
import functools
import os.path
from dataclasses import dataclass, field

from . import ast


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
    # The sources this one reaches us through (PROV-O's wasQuotedFrom, read backwards): ISW's words
    # as the blog quotes them, the BBC interview as Reuters passes it on.
    via: tuple[str, ...] = ()
    # The date is the curator's inference, not printed in the source (`date_assumed: yes`).
    date_assumed: bool = False
    # The date was written as a month (`date: 2015-10`): `date` is its last day, shown as the month.
    date_month: bool = False
    # The entity this source is, when the knowledge base also states facts about it (`document:
    # joint_statement`): who carried it to whom (relayed/3) is shown with every statement from it.
    document: str = ""

    def date_text(self) -> str:
        """The date as written: a day, or a month (`2015-10`); empty when there is none."""
        if self.date is None:
            return ""
        return f"{self.date.year:04d}-{self.date.month:02d}" if self.date_month else self.date.isoformat()

    def article_path(self) -> str | None:
        """The article's file: `file:` is relative to the folder of the fact file that names it."""
        if not self.file:
            return None
        return os.path.normpath(os.path.join(os.path.dirname(self.span.file), self.file))


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "other"
    span: ast.Span = ast.NOWHERE
    # "Some members/parts of X", unnamed (`some_of: X`): what is said of it is said of part of X,
    # never of X itself nor of each named part of X.
    some_of: str = ""


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


def negative_name(pred: str) -> str:
    """The relation of the statements that deny a fact of `pred`."""
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

    def relay_chains(self, source: str) -> tuple[tuple[Source, ...], ...]:
        """Every way a source reaches us, hop by hop through `via:` (the joint statement: via Reuters,
        then via the blog), each chain as far as it goes; a source met twice on one chain ends it."""
        chains: list[tuple[Source, ...]] = []

        def walk(at: str, chain: tuple[Source, ...], seen: frozenset[str]) -> None:
            found = self.sources.get(at)
            relays = [r for r in (found.via if found else ()) if r in self.sources and r not in seen]
            if not relays:
                if chain:
                    chains.append(chain)
                return
            for relay in relays:
                walk(relay, (*chain, self.sources[relay]), seen | {relay})

        walk(source, (), frozenset({source}))
        return tuple(chains)

    def parts_of(self, whole: str) -> list[Entity]:
        """The entities declared `some_of: whole`, in declaration order."""
        return [e for e in self.entities.values() if e.some_of == whole]

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


__all__ = ["Catalog", "Entity", "Relation", "Source", "Template", "negative_name", "normalize_name"]
