"""The Engine interface: what every evaluator offers the knowledge base.

Input: an `analysis.CheckedProgram` and base facts as rows of plain values (str, int, float,
datetime.date). Output: relations and query answers as sets/lists of rows of the same values, so a
row goes in and comes out unchanged (`"1"` stays a string, `1` an int, a date a date).
Engines never see text: no clause, name or constant reaches them other than as an object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import ClassVar

from ..analysis.checked import CheckedProgram, CheckedQuery
from ..ast import PredicateSym, Row

Facts = Mapping[PredicateSym, Iterable[Row]]

DEFAULT_TIMEOUT = 5.0  # seconds; interactive use. None means no limit.


class Engine(ABC):
    """One knowledge base's evaluator. Two instances never share facts.

    Every evaluating call honours `timeout` (raising errors.QueryTimeout) and Ctrl-C (raising
    errors.QueryInterrupted); either way the engine's facts and program are as before the call."""

    name: ClassVar[str]

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    @abstractmethod
    def load(self, program: CheckedProgram, facts: Facts) -> None:
        """Replace the program and all base facts."""

    @abstractmethod
    def add_facts(self, facts: Facts) -> None:
        """Add base facts (duplicates are harmless); derived relations follow on the next read."""

    @abstractmethod
    def retract_facts(self, facts: Facts) -> None:
        """Remove base facts (absent ones are ignored)."""

    @abstractmethod
    def relation(self, pred: PredicateSym) -> frozenset[Row]:
        """Every row of pred, base and derived."""

    @abstractmethod
    def query(self, query: CheckedQuery) -> list[Row]:
        """Distinct answers, one value per query variable, in no particular order."""

    def derivation_rounds(self, pred: PredicateSym) -> dict[Row, int] | None:
        """For each row of pred, the semi-naive iteration that first derived it (0: a base fact),
        numbered across the whole program so that a row's premises always have smaller numbers.
        None when the engine does not know (pyDatalog)."""
        return None

    def close(self) -> None:
        """Release what the engine holds (a child process, a database)."""
