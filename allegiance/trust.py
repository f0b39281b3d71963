"""Trust policies: which statements an analyst chooses to believe, written in Datalog.

Stage: between the state and the selection (selection.py). Input: `.trust NAME { ... }` blocks
(ast.TrustBlock: the built-in ones below and those of the knowledge base's files), statement
records and the catalog. Output: the checked policy, or the ids of the statements it trusts.

A policy is a small Datalog program over the statement metadata only (provenance.METADATA:
source, status, asserted_by, valid_from, valid_until, credibility, reliability, published,
publisher, via, date_assumed, document, reported_on, kind, display_name, some_of) deriving `trusted(S)`; it may define helper relations of its own
and state plain facts. It is checked like any program (arity, safety, stratification) and never
sees the facts that statements state, so what a policy trusts cannot depend on what it trusts.
The built-in levels are written the same way (BUILTIN, docs/language.md "Trust policies").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from . import ast
from .analysis import CheckedProgram, check, fact_row
from .catalog import Catalog
from .engines.base import Engine
from .errors import AllegianceError, CheckError, ErrorGroup, UnknownPredicateError, did_you_mean
from .parse import parse_program
from .provenance import METADATA, StatementRecord, catalog_facts, record_facts

TRUSTED = ast.PredicateSym("trusted", 1)
DEFAULT = "all"

# The built-in levels, as an analyst says them. Reliability is the source's Admiralty grade, A
# (completely reliable) to F (cannot be judged); a source with no grade is trusted only by `all`.
BUILTIN_TEXT = """\
.trust all {            % every statement (the default)
  trusted(S) :- source(S, _).
}
.trust confirmed {      % confirmed statements only
  trusted(S) :- status(S, confirmed).
}
.trust reliable {       % sources graded A or B, and not merely claimed
  trusted(S) :- source(S, Src), reliability(Src, G), G <= "B", not status(S, claimed).
}
.trust usual {          % sources graded A to C, and not merely claimed
  trusted(S) :- source(S, Src), reliability(Src, G), G <= "C", not status(S, claimed).
}
.trust dated {          % statements that say when they held (no undated ones)
  trusted(S) :- valid_from(S, _).
  trusted(S) :- valid_until(S, _).
}
"""

BUILTIN: dict[str, ast.TrustBlock] = {
    c.name: c for c in parse_program(BUILTIN_TEXT, "<built-in policies>").clauses if isinstance(c, ast.TrustBlock)
}


def policies(declarations: Iterable[object]) -> dict[str, ast.TrustBlock]:
    """Every policy by name: the built-in ones, then the knowledge base's (`.trust` blocks among
    the state's declarations)."""
    found = dict(BUILTIN)
    for clause in declarations:
        if isinstance(clause, ast.TrustBlock):
            found.setdefault(clause.name, clause)
    return found


def check_policies(declarations: Sequence[object]) -> list[AllegianceError]:
    """Each `.trust` block of the knowledge base, checked; a name used twice is an error (a
    built-in name too: the built-in levels mean the same in every knowledge base)."""
    errors: list[AllegianceError] = []
    seen: dict[str, ast.TrustBlock] = {}
    for clause in declarations:
        if not isinstance(clause, ast.TrustBlock):
            continue
        if clause.name in BUILTIN:
            errors.append(CheckError(f"trust policy {clause.name} is built in", clause.span,
                                     f"give this policy another name (built in: {', '.join(BUILTIN)})"))
            continue
        earlier = seen.get(clause.name)
        if earlier is not None and earlier != clause:
            errors.append(CheckError(f"trust policy {clause.name} is defined twice (first at {earlier.span})",
                                     clause.span, "merge the two, or give this one another name"))
            continue
        seen[clause.name] = clause
        try:
            check_policy(clause)
        except ErrorGroup as group:
            errors.extend(group.errors)
        except AllegianceError as exc:
            errors.append(exc)
    return errors


def check_policy(policy: ast.TrustBlock) -> CheckedProgram:
    """The policy as a checked program over the metadata relations, deriving trusted/1."""
    errors: list[AllegianceError] = []
    defines_trusted = False
    for clause in policy.clauses:
        head = clause.head if isinstance(clause, ast.Rule) else clause.atom
        if head.sym in METADATA:
            errors.append(CheckError(f"a trust policy cannot add to the metadata relation {head.sym}", head.span,
                                     "derive trusted(S), or a helper relation of another name"))
        defines_trusted = defines_trusted or head.sym == TRUSTED
    if not defines_trusted and not errors:
        errors.append(CheckError(f"trust policy {policy.name} never derives trusted(S)", policy.span,
                                 "add a rule: trusted(S) :- status(S, confirmed)."))
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    try:
        return check(policy.clauses, {**METADATA, TRUSTED: ("symbol",)})
    except UnknownPredicateError as exc:
        hint = exc.hint if exc.hint and exc.hint.startswith("did you mean") else \
            f"a trust policy reads only statement metadata: {', '.join(sorted(s.name for s in METADATA))}"
        raise UnknownPredicateError(f"{exc.message} in trust policy {policy.name}", exc.span, hint) from None


def unknown_policy(name: str, known: Mapping[str, object]) -> CheckError:
    return CheckError(f"unknown trust policy {name}", None,
                      did_you_mean(name, known) or f"policies: {', '.join(sorted(known))}")


# trusted(S) :- <the policy's rules>, over the metadata facts of `records` and the catalog.
def trusted_ids(policy: ast.TrustBlock, records: Iterable[StatementRecord], catalog: Catalog,
                make_engine: Callable[[], Engine]) -> frozenset[str]:
    """The ids of the statements among `records` that the policy trusts, evaluated on a fresh
    engine holding only the metadata (a statement's own fact is never among it)."""
    program = check_policy(policy)
    facts: dict[ast.PredicateSym, set[ast.Row]] = {}
    for record in records:
        for sym, row in record_facts(record):
            if sym in METADATA:
                facts.setdefault(sym, set()).add(row)
    for sym, row in catalog_facts(catalog):
        facts.setdefault(sym, set()).add(row)
    for clause in policy.clauses:
        if isinstance(clause, ast.Fact):
            facts.setdefault(clause.atom.sym, set()).add(fact_row(clause.atom))
    engine = make_engine()
    try:
        engine.load(program, facts)
        return frozenset(str(row[0]) for row in engine.relation(TRUSTED))
    finally:
        engine.close()


__all__ = ["BUILTIN", "BUILTIN_TEXT", "DEFAULT", "TRUSTED", "check_policies", "check_policy", "policies",
           "trusted_ids", "unknown_policy"]
