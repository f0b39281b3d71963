"""Proof values: what an explanation is made of, and nothing that computes one.

Stage: the output of the proof search, the input of rendering. Input: none (plain frozen
dataclasses). Output: `Why` (a fact's proof trees, `Proof` nodes with the `RuleRef` they were
derived by and the `Evidence` their leaves rest on) and `WhyNot` (nearest statements as `Evidence`,
one `Failure` per rule that could derive the fact, and under a selection what it leaves out as `LeftOut`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import ast
from ..catalog import Entity, Source
from ..provenance import StatementRecord


@dataclass(frozen=True)
class RuleRef:
    """The rule a node was derived by: as written, with the bindings filled in, and where."""

    label: str  # "rule", "symmetric relation", "built-in inconsistency"
    written: str
    bound: str
    span: ast.Span


@dataclass(frozen=True)
class Evidence:
    """What a leaf rests on: a statement (with its source), or a source or entity declaration."""

    statement: StatementRecord | None = None
    source: Source | None = None
    entity: Entity | None = None
    grade: str = ""  # the statement's grade ("B2 confirmed"), once graded (explain/support.py)
    # how the source reached us: each chain of relays (`via:`), hop by hop, the nearest first
    relays: tuple[tuple[Source, ...], ...] = ()
    # who carried it on the way: the relayed(Messenger, Document, Recipient) statements about the
    # documents the source and its relays are (`document:`), e.g. the joint statement "sent directly
    # to Reuters via Ahrar al-Sham"
    carried: tuple[StatementRecord, ...] = ()


@dataclass(frozen=True)
class Proof:
    """One node. kind: derived | stated | plain | metadata | absent | test | unexplained.

    `derived` nodes have a rule and children; `stated` leaves carry every statement behind the
    fact (several when sources corroborate each other); `plain` leaves a Datalog fact's span;
    `metadata` leaves the statement, source or entity the fact describes; `absent` is a negated body
    literal ("no statement says ..."), `test` a comparison that held."""

    fact: str
    kind: str
    sym: ast.PredicateSym | None = None
    row: ast.Row | None = None
    rule: RuleRef | None = None
    children: tuple[Proof, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    span: ast.Span | None = None
    depth: int = 0
    support: str = ""  # the fact's support ("B2 confirmed", "axiom"), once graded (explain/support.py)
    # graded, and stronger than the derivation drawn: its support comes from another derivation
    # (kept where weighing the alternatives would cost too much: explain/support.py's graded_why)
    elsewhere: bool = False

    def nodes(self) -> Iterator[Proof]:
        yield self
        for child in self.children:
            yield from child.nodes()

    def leaves(self) -> Iterator[Proof]:
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()


@dataclass(frozen=True)
class Why:
    """The answer to `why FACT`: its proofs, shallowest first, or a message saying it does not hold."""

    fact: str
    holds: bool
    proofs: tuple[Proof, ...] = ()
    message: str = ""
    more: bool = False  # more derivations exist than were listed


@dataclass(frozen=True)
class LeftOut:
    """A statement a selection leaves out (`whynot` under a trust policy, `--without`, `--at`,
    `--known-on`): `by` names the part of the selection ("trust", "without", "at", "known_on") and
    `reason` says it in words ("which policy `reliable` leaves out")."""

    evidence: Evidence
    by: str
    reason: str


@dataclass(frozen=True)
class Failure:
    """For one rule that could derive the fact: the first body literal no solution gets past."""

    rule: RuleRef
    literal: str  # the literal with the bindings reached so far
    reason: str
    remedy: str
    left_out: tuple[LeftOut, ...] = ()  # the statements of the literal's facts a selection leaves out


@dataclass(frozen=True)
class WhyNot:
    """The answer to `whynot FACT`: the nearest statements and, per rule, where it fails."""

    fact: str
    holds: bool
    message: str
    nearest: tuple[tuple[str, Evidence], ...] = ()  # (how it is near, the statement)
    failures: tuple[Failure, ...] = ()
    proof: Why | None = None  # when the fact holds after all
    left_out: tuple[LeftOut, ...] = ()  # the fact's own statements a selection leaves out



__all__ = ["Evidence", "Failure", "LeftOut", "Proof", "RuleRef", "Why", "WhyNot"]
