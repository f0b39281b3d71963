"""allegiance: a Datalog fact base with provenance, for who allies with, backs, fights and belongs to whom.

    >>> from allegiance import KnowledgeBase
    >>> kb = KnowledgeBase.bundled()
    >>> kb.query("member(X, alliance41)").rows
    [('ahrar_al_sham',), ('fsa',)]
"""

from .errors import (
    AllegianceError,
    ArityError,
    CheckError,
    ErrorGroup,
    LoadError,
    ParseError,
    QueryError,
    QueryInterrupted,
    QueryTimeout,
    StatementError,
    StratificationError,
    UnknownPredicateError,
    UnsafeVariableError,
)
from .kb import Answers, Inconsistency, KnowledgeBase, LoadReport
from .parse import parse_program, parse_query
from .selection import Selection

__version__ = "0.1.0"

__all__ = [
    "AllegianceError",
    "Answers",
    "ArityError",
    "CheckError",
    "ErrorGroup",
    "Inconsistency",
    "KnowledgeBase",
    "LoadError",
    "LoadReport",
    "ParseError",
    "QueryError",
    "QueryInterrupted",
    "QueryTimeout",
    "Selection",
    "StatementError",
    "StratificationError",
    "UnknownPredicateError",
    "UnsafeVariableError",
    "__version__",
    "parse_program",
    "parse_query",
]
