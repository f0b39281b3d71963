"""allegiance: a Datalog fact base with provenance, for who allies with, backs, fights and belongs to whom.

    >>> from allegiance import KnowledgeBase
    >>> kb = KnowledgeBase.bundled()
    >>> kb.query("member(X, alliance41)").rows
    [('ahrar_al_sham',), ('fsa_groups_in_alliance41',)]

The house, top down: each line may import the lines below it, never those above (tests/test_layers.py
holds the same layers and fails on an import that runs up them, or on any import cycle).

    __init__, cli/           the public API; every subcommand (no core module imports argparse or
                             cli); with no command, the REPL; notebook (the IPython extension, a
                             front end too: only it imports IPython)
    repl/ (allegiance.repl)  app (prompt-toolkit) > dispatch, running > selecting > commands > session >
                             display, suggest, habits, treewrap > output, browser,
                             presses
    cli/common               opening a knowledge base from command-line options (both front ends);
                             cli/graph_options (what graph, :graph and %allegiance graph share);
                             cli/bound (a stalled engine ends the command, the opening's load too)
    built on the kb          explain/ (proof values, search, why, why-not, support, render),
                             render, stream, changes, importing, checks, timeline, timeline_render,
                             undated (which answers at a date rest on undated statements),
                             pytest_plugin, graph/ (link charts: networkx, cytoscape.js)
    kb                       KnowledgeBase: the facade tying the stages together, all or nothing;
                             conformance (the datalog-conformance adapters); frames (answers as
                             Arrow tables and pandas data frames)
    the kb's state           history (operations), files (read a source file), state (the fold of
                             the history), selection, codec + persist (the --db file)
    support and time         trust (policies), validity, grades (the Admiralty order), support (max-min)
    engines/                 base (the Engine interface), duckdb/ (engine > magic > seeding > loop
                             > tables > guard; compile, csv, annotated + maxmin, demanded), pydatalog: the only importers of
                             DuckDB and pyDatalog; columns (a large answer kept as arrays); bulk (statement blocks for the engines)
    analysis/                arity, safety, stratification: program -> CheckedProgram
    text -> statements       parse (grammar.lark -> ast), catalog, provenance (metadata relations,
                             generated rules, statement -> facts), english, curate
    the words                ast, errors, values (constants, comparison, arithmetic), terminals
                             (grammar.lark's terminals as regexes), grammar_tables, lexer, printable,
                             shield (sections a Ctrl-C must not cut in half), settle (a command's
                             knowledge base out of the garbage collector's scans), suggested (commands
                             named in messages, as each front end spells them)

Data flows one way: text -> parse -> ast.Program -> curate (statements -> facts with provenance) ->
analysis.check -> engine -> answers -> explain -> render. Each module opens with its stage, its input
and its output.
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
    "Selection",
    "StatementError",
    "StratificationError",
    "UnknownPredicateError",
    "UnsafeVariableError",
    "__version__",
    "load_ipython_extension",
    "parse_program",
    "parse_query",
]
