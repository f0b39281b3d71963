"""Grades: how strong one statement is, and the one order on grades (docs/language.md, "Support").

Stage: between the knowledge base and the support computation (support.py). Input: a statement's
source reliability (A-F), its credibility (1-6) and its status; the knowledge base's plain facts,
which may override the order. Output: `Grade` values, the `Order` that ranks them, and the `Scale`:
the levels 0..L-1 that support is computed on, weakest first, the top level being "axiom" (what
rests on no statement at all: a plain fact of a rules file, a declaration's metadata).

The default order is the Admiralty code read as an analyst reads it: the source's reliability
first (A strongest, F "cannot be judged" weakest), then the status (confirmed > reported >
assessed > claimed = denied), then the information's credibility (1 strongest, 6 weakest). A source
without a reliability counts as F and a statement without a credibility as 6: the code's own
"cannot be judged". A knowledge base overrides the order with plain facts in a rules file:

    grade_order(status, reliability, credibility).   % most significant first; one to three of them
    status_rank(confirmed, 1).                        % smaller is stronger; equal ranks tie
    status_rank(reported, 1).

A component left out of grade_order does not count (grades differing only there tie); a status
with no status_rank, when some are given, ranks below every ranked one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import ast
from .errors import CheckError
from .provenance import IMPORTED_STATUS

if TYPE_CHECKING:
    from .bulk import StatementBlock
    from .catalog import Catalog
    from .provenance import StatementRecord

COMPONENTS = ("reliability", "status", "credibility")
RELIABILITIES = "ABCDEF"
DEFAULT_STATUS_RANK: dict[str, int] = {"confirmed": 1, "reported": 2, "assessed": 3, "claimed": 4, "denied": 4}
ORDER_PRED = ast.PredicateSym("grade_order", 0)  # any arity from 1 to 3: only the name is fixed
STATUS_PRED = ast.PredicateSym("status_rank", 2)
AXIOM = "axiom"


@dataclass(frozen=True, slots=True, order=True)
class Grade:
    """One statement's grade: the Admiralty code's two characters and the status."""

    reliability: str  # A..F ("F" when the source has none)
    credibility: int  # 1..6 (6 when the statement has none)
    status: str

    @staticmethod
    def of(reliability: str | None, credibility: int | None, status: str) -> Grade:
        letter = (reliability or "").strip().upper()
        return Grade(letter if letter in RELIABILITIES and letter else "F",
                     credibility if credibility is not None and 1 <= credibility <= 6 else 6, status)

    def code(self) -> str:
        """"B2 confirmed"."""
        return f"{self.reliability}{self.credibility} {self.status}"


@dataclass(frozen=True)
class Order:
    """Which components count, most significant first, and the status ranks (smaller: stronger)."""

    components: tuple[str, ...] = COMPONENTS
    status_rank: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(DEFAULT_STATUS_RANK))

    def key(self, grade: Grade) -> tuple[int, ...]:
        """Larger is stronger: tuples compare component by component, most significant first."""
        ranks = self.status_rank
        worst = max(ranks.values(), default=0) + 1
        parts = {
            "reliability": len(RELIABILITIES) - 1 - RELIABILITIES.index(grade.reliability),
            "credibility": 6 - grade.credibility,
            "status": -ranks.get(grade.status, worst),
        }
        return tuple(parts[c] for c in self.components)

    def strength(self, grade: Grade) -> int:
        """The grade as one whole number, larger is stronger, ordered exactly as `key` orders
        grades (equal where they tie): the key read as a mixed-radix number, most significant
        component first. Rules read it as `strength(S, N)` (docs/language.md, "Strength in rules")."""
        ranks = self.status_rank
        low = min(ranks.values(), default=0)
        worst = max(ranks.values(), default=0) + 1  # an unranked status: below every ranked one
        radix = {"reliability": len(RELIABILITIES), "credibility": 6, "status": worst - low + 1}
        number = 0
        for component, part in zip(self.components, self.key(grade), strict=True):
            # the status part is -rank, in [-worst, -low]: shifted to [0, worst - low]
            number = number * radix[component] + (part + worst if component == "status" else part)
        return number

    def label(self, grade: Grade) -> str:
        """The grade as the order sees it: "B2 confirmed" by default, "B confirmed" when
        credibility does not count."""
        code = (grade.reliability if "reliability" in self.components else "") + \
               (str(grade.credibility) if "credibility" in self.components else "")
        status = grade.status if "status" in self.components else ""
        return " ".join(p for p in (code, status) if p) or "any"

    @staticmethod
    def from_facts(plain: Mapping[ast.PredicateSym, Mapping[ast.Row, ast.Span]]) -> Order:
        """The order a knowledge base's plain facts declare (the default where they say nothing).
        Raises CheckError, at the fact, for a component or rank it cannot read."""
        components: tuple[str, ...] = COMPONENTS
        orders = [(row, span) for sym, rows in plain.items() if sym.name == ORDER_PRED.name for row, span in rows.items()]
        if len(orders) > 1:
            raise CheckError("grade_order is declared more than once", orders[1][1],
                             "keep one grade_order(...) fact")
        if orders:
            row, span = orders[0]
            names = tuple(str(v) for v in row)
            bad = [n for n in names if n not in COMPONENTS]
            if bad or not names or len(set(names)) != len(names):
                raise CheckError(f"grade_order takes distinct components among {', '.join(COMPONENTS)}; got "
                                 f"{', '.join(names) or 'none'}", span,
                                 "for example: grade_order(reliability, status, credibility).")
            components = names
        ranks: dict[str, int] = {}
        for row, span in plain.get(STATUS_PRED, {}).items():
            status, rank = row
            if not isinstance(rank, int) or isinstance(rank, bool) or not isinstance(status, str):
                raise CheckError(f"status_rank({', '.join(map(ast.format_value, row))}) needs a status and a whole number",
                                 span, "for example: status_rank(confirmed, 1).")
            if status in ranks and ranks[status] != rank:
                raise CheckError(f"status {status} is ranked twice", span, "keep one status_rank fact per status")
            ranks[status] = rank
        return Order(components, MappingProxyType(ranks or DEFAULT_STATUS_RANK))


@dataclass(frozen=True)
class Scale:
    """The levels support is computed on: 0 the weakest grade present, up to `axiom` (the top,
    size - 1). A statement of level g holds under every threshold 0..g."""

    order: Order
    keys: tuple[tuple[int, ...], ...]  # each level's key, ascending (the axiom excluded)
    grades: tuple[Grade, ...]  # a grade of each level (the label shows what the order sees of it)
    index: dict[tuple[int, ...], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {k: i for i, k in enumerate(self.keys)})

    @staticmethod
    def of(order: Order, grades: Iterable[Grade]) -> Scale:
        by_key: dict[tuple[int, ...], Grade] = {}
        for grade in grades:
            key = order.key(grade)
            if key not in by_key or grade > by_key[key]:  # one representative per level, chosen stably
                by_key[key] = grade
        keys = tuple(sorted(by_key))
        return Scale(order, keys, tuple(by_key[k] for k in keys))

    @property
    def size(self) -> int:
        return len(self.keys) + 1

    @property
    def axiom(self) -> int:
        return len(self.keys)

    def level(self, grade: Grade) -> int:
        return self.index[self.order.key(grade)]

    def label(self, level: int) -> str:
        return AXIOM if level >= self.axiom else self.order.label(self.grades[level])


def grade_of(record: StatementRecord, catalog: Catalog) -> Grade:
    """A statement's grade: its source's reliability, its credibility, its status."""
    src = catalog.sources.get(record.source)
    return Grade.of(src.reliability if src else None, record.credibility, record.status)


def block_grade(block: StatementBlock, catalog: Catalog) -> Grade:
    """The grade of every statement of an import: its source's, reported, no credibility."""
    src = catalog.sources.get(block.source)
    return Grade.of(src.reliability if src else None, None, IMPORTED_STATUS)


__all__ = ["AXIOM", "COMPONENTS", "DEFAULT_STATUS_RANK", "Grade", "Order", "Scale", "block_grade", "grade_of"]
