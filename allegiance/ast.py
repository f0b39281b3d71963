"""The abstract syntax: frozen dataclasses named after the grammar's rules.

Stage: produced by `parse`, consumed by `analysis`, the engines and the knowledge base.
Every node carries the `Span` it was read from, so every later stage can point at the source.
Values are plain Python: `str` (symbols and strings are one type, as in Soufflé), `int`, `float`,
`datetime.date`. `bool` never occurs: pyDatalog would confuse `True` with `1`.
"""

from __future__ import annotations

import collections
import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import printable

Value = str | int | float | datetime.date
Row = tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node was read: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Span("<generated>", 1, 1, 1, 1)


def spans(files: Sequence[str], lines: Sequence[int], columns: Sequence[int], end_lines: Sequence[int],
          end_columns: Sequence[int]) -> list[Span]:
    """Span(files[i], lines[i], ...) for every i, made a field at a time: a frozen dataclass's
    __init__ is a Python call setting its fields one by one, and a restore (persist.py) makes a
    million. The objects are the same as Span(...) makes (equal, same hash and repr)."""
    n = len(files)
    if any(len(c) != n for c in (lines, columns, end_lines, end_columns)):
        raise ValueError("spans from columns of unequal length")
    out: list[Span] = list(map(object.__new__, itertools.repeat(Span, n)))
    for setter, column in zip(_SPAN_SETTERS, (files, lines, columns, end_lines, end_columns), strict=True):
        collections.deque(map(setter, out, column), maxlen=0)  # the slot's own setter, past frozen's __setattr__
    return out


_SPAN_SETTERS = tuple(getattr(Span, name).__set__ for name in Span.__slots__)  # in the order of its fields


@dataclass(frozen=True, slots=True)
class PredicateSym:
    """A predicate's identity: its name and its arity (Mangle's PredicateSym)."""

    name: str
    arity: int

    def __str__(self) -> str:
        return f"{self.name}/{self.arity}"


# --- terms -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Wildcard:
    """`_`: every occurrence is a fresh variable; the parser numbers them apart."""

    index: int
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return "_"


@dataclass(frozen=True, slots=True)
class Constant:
    value: Value
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return format_value(self.value)


@dataclass(frozen=True, slots=True)
class BinOp:
    """Arithmetic: op is one of + - * / %."""

    op: str
    left: Term
    right: Term
    span: Span = field(default=NOWHERE, compare=False)
    depth: int = field(default=1, compare=False)  # nesting, bounded by the parser (MAX_DEPTH)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


Term = Variable | Wildcard | Constant | BinOp


# --- literals --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Atom:
    """`pred(args)`; `statement` is the variable of `pred(args) as S` in a rule body."""

    pred: str
    args: tuple[Term, ...]
    span: Span = field(default=NOWHERE, compare=False)
    statement: Variable | None = None

    @property
    def sym(self) -> PredicateSym:
        return PredicateSym(self.pred, len(self.args))

    def __str__(self) -> str:
        text = f"{self.pred}({', '.join(str(a) for a in self.args)})"
        return f"{text} as {self.statement}" if self.statement else text


@dataclass(frozen=True, slots=True)
class NegLiteral:
    atom: Atom
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """op is one of = != < <= > >=."""

    op: str
    left: Term
    right: Term
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"{_bare(self.left)} {self.op} {_bare(self.right)}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """`V = expr` where V is not yet bound: only analysis creates it, in a normalized body."""

    variable: Variable
    expr: Term
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"{self.variable} = {_bare(self.expr)}"


Literal = Atom | NegLiteral | Comparison | Assignment


# --- clauses ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """A ground atom stated in Datalog form, without source or qualifiers."""

    atom: Atom
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"{self.atom}."


@dataclass(frozen=True, slots=True)
class Rule:
    head: Atom
    body: tuple[Literal, ...]
    span: Span = field(default=NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"{self.head} :- {', '.join(str(b) for b in self.body)}."


@dataclass(frozen=True, slots=True)
class Query:
    body: tuple[Literal, ...]
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def variables(self) -> tuple[Variable, ...]:
        """Named variables in order of first appearance: the columns of the answers."""
        seen: dict[str, Variable] = {}
        for literal in self.body:
            for var in literal_variables(literal):
                seen.setdefault(var.name, var)
        return tuple(seen.values())

    def __str__(self) -> str:
        return f"?- {', '.join(str(b) for b in self.body)}."


@dataclass(frozen=True, slots=True)
class Param:
    """A declared argument: its name and type (symbol, number, float, date)."""

    name: str
    type: str = "symbol"


@dataclass(frozen=True, slots=True)
class Declaration:
    """`.decl p(a: symbol, b: number)`: fixes arity, argument names and types."""

    pred: str
    params: tuple[Param, ...]
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def sym(self) -> PredicateSym:
        return PredicateSym(self.pred, len(self.params))


@dataclass(frozen=True, slots=True)
class Dialect:
    """`.dialect souffle`: only valid as a file's first clause."""

    name: str
    span: Span = field(default=NOWHERE, compare=False)


# --- the statement layer (fact files) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceBlock:
    """`.source id { title: ... }`: fields holds every field as written (values are Values).
    `.source id.` without a block (fields None) makes a source declared elsewhere current."""

    id: str
    fields: tuple[tuple[str, tuple[Value, ...]], ...] | None
    span: Span = field(default=NOWHERE, compare=False)

    def get(self, key: str) -> Value | None:
        for name, values in self.fields or ():
            if name == key and values:
                return values[0]
        return None


@dataclass(frozen=True, slots=True)
class EntityDecl:
    """`.entity nusra { name: "Nusra Front"  aliases: ...  kind: group }`."""

    id: str
    fields: tuple[tuple[str, tuple[Value, ...]], ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class RelationDecl:
    """`.relation member(group, coalition) { phrases: ... }`; also `.inconsistency`."""

    pred: str
    params: tuple[Param, ...]
    fields: tuple[tuple[str, tuple[Value, ...]], ...]
    inconsistency: bool = False
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def sym(self) -> PredicateSym:
        return PredicateSym(self.pred, len(self.params))


@dataclass(frozen=True, slots=True)
class Qualifier:
    """One qualifier: kind is according_to, reported_by, claimed_by, confirmed_by, assessed_by,
    denied_by, on, in, between, since, until, reported_on, credibility, quoting, from_source. `who` holds the
    asserter as written (an atom, or the English words); `values` the dates, grade, quote or id.
    `months`, beside a date qualifier's dates, says which were written as a month (`in 2015-10`:
    the values are its first and last day)."""

    kind: str
    who: str | None = None
    values: tuple[Value, ...] = ()
    span: Span = field(default=NOWHERE, compare=False)
    months: tuple[bool, ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    """A Datalog-form statement: `[not] atom qualifiers.` (qualifiers may be empty)."""

    atom: Atom
    negated: bool
    qualifiers: tuple[Qualifier, ...]
    span: Span = field(default=NOWHERE, compare=False)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Sentence:
    """A controlled-English statement: its words (before any qualifier), qualifiers and text.
    Matching the words against relation phrases is the statement analysis' job."""

    words: tuple[str, ...]
    qualifiers: tuple[Qualifier, ...]
    span: Span = field(default=NOWHERE, compare=False)
    text: str = ""


# --- check files -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expect:
    """`expect [no] query.`, `expect query = {a, b}.`, `expect count query >= 2.`

    mode: holds | none | equals | count. For equals, `answers` holds the expected rows (one value
    per named variable of the query); for count, `op` and `count`."""

    mode: str
    query: Query
    answers: tuple[Row, ...] = ()
    op: str = ""
    count: int = 0
    name: str = ""
    span: Span = field(default=NOWHERE, compare=False)
    # what counts for this check: (under, policy), (without, source), (at, date), (known_on, date)
    selectors: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True, slots=True)
class Accept:
    """`accept inconsistency_atom because "reason".`"""

    atom: Atom
    reason: str
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class TrustBlock:
    """`.trust NAME { trusted(S) :- ... }`: a trust policy, rules and facts over statement metadata."""

    name: str
    clauses: tuple[Rule | Fact, ...]
    span: Span = field(default=NOWHERE, compare=False)


Clause = (
    Fact | Rule | Query | Declaration | Dialect | SourceBlock | EntityDecl | RelationDecl | Statement
    | Sentence | Expect | Accept | TrustBlock
)


@dataclass(frozen=True, slots=True)
class Program:
    clauses: tuple[Clause, ...]
    file: str = "<input>"
    dialect: str = "prolog"


# --- helpers every stage needs ----------------------------------------------------------------


def term_variables(term: Term) -> list[Variable]:
    if isinstance(term, Variable):
        return [term]
    if isinstance(term, BinOp):
        return term_variables(term.left) + term_variables(term.right)
    return []


def literal_variables(literal: Literal) -> list[Variable]:
    """Named variables of a literal, in order (wildcards excluded)."""
    if isinstance(literal, Atom):
        found = [v for a in literal.args for v in term_variables(a)]
        return found + ([literal.statement] if literal.statement else [])
    if isinstance(literal, NegLiteral):
        return literal_variables(literal.atom)
    if isinstance(literal, Assignment):
        return [literal.variable] + term_variables(literal.expr)
    return term_variables(literal.left) + term_variables(literal.right)


def format_value(value: Value) -> str:
    """A value as Datalog text that reads back as the same value."""
    if isinstance(value, str):
        if _is_plain_symbol(value):
            return value
        # every control character as an escape: the text reads back the same and prints safely
        escaped = printable.escape(value.replace("\\", "\\\\").replace('"', '\\"'))
        return f'"{escaped}"'
    if isinstance(value, datetime.date):
        return value.isoformat()
    return repr(value)


_KEYWORDS = frozenset({"not", "as", "is"})


def _is_plain_symbol(text: str) -> bool:
    return (
        bool(text)
        and text[0].isascii()
        and text[0].islower()
        and all(c.isascii() and (c.isalnum() or c == "_") for c in text)
        and text not in _KEYWORDS
    )


def _bare(term: Term) -> str:
    text = str(term)
    return text[1:-1] if isinstance(term, BinOp) else text


def value_sort_key(value: Value) -> tuple[int, object]:
    """Sort mixed-type answers: numbers, then dates, then strings."""
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, datetime.date):
        return (1, value)
    return (2, value)


def row_sort_key(row: Row) -> tuple[tuple[int, object], ...]:
    return tuple(value_sort_key(v) for v in row)
