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

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext allegiance` in IPython or Jupyter: the %allegiance magics (allegiance/notebook.py,
    a front end like cli/ and the REPL; only it imports IPython)."""
    from .notebook import load_ipython_extension as load

    load(ipython)


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
    "StatementError",
    "StratificationError",
    "UnknownPredicateError",
    "UnsafeVariableError",
    "__version__",
    "load_ipython_extension",
    "parse_program",
    "parse_query",
]
