"""Rendering explanations: an indented tree for the terminal, JSON for other tools.

Stage: after the proof search. Input: a Why, WhyNot or Proof (proof.py). Output: text, or a
JSON-ready dict (nodes with `fact`, `rule` and `children`; leaves with a `statement` object and a
`source` object). Shared by the CLI and the REPL, so an explanation reads the same in both.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

from .. import ast
from ..catalog import Source
from ..english import month_text
from ..provenance import StatementRecord
from ..validity import ALWAYS, Period, intersection, is_undated, union, validity, validity_text
from .proof import Evidence, Failure, LeftOut, Proof, RuleRef, Why, WhyNot
from .text import fact_text

Json = dict[str, object]


def where(span: ast.Span) -> str:
    """file:line, the file relative to the working directory when it lies below it."""
    return f"{_shown(span.file, os.getcwd())}:{span.line}"


@functools.lru_cache(maxsize=256)
def _shown(file: str, cwd: str) -> str:
    """The file as `where` shows it (kept per file and working directory: a chart asks for every
    statement's, thousands of times over the same few files)."""
    try:
        rel = os.path.relpath(file, cwd)
        if not rel.startswith(".."):
            return rel
    except ValueError:  # another drive on Windows
        pass
    return file


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _quoted_statement(text: str) -> str:
    """A statement's text in quotes, on one line, without the period that ends an English statement
    (it read `"... quoting "...province."."`: the quote's own period, then the statement's)."""
    line = _oneline(text)
    return f'"{line[:-1] if line.endswith(".") else line}"'


# --- the terminal tree -----------------------------------------------------------------------


def render_tree(answer: Why | WhyNot | Proof) -> str:
    if isinstance(answer, Proof):
        return "\n".join(_tree(answer, "", ""))
    if isinstance(answer, Why):
        return _render_why(answer)
    return _render_why_not(answer)


def _render_why(answer: Why) -> str:
    if not answer.holds:
        return answer.message
    parts: list[str] = []
    for n, proof in enumerate(answer.proofs):
        if len(answer.proofs) > 1:
            parts.append(f"derivation {n + 1} of {len(answer.proofs)}{'+' if answer.more else ''} (depth {proof.depth}):")
        parts.append("\n".join(_tree(proof, "", "")))
        when = counts_together(proof)
        if not when:  # an anachronism: the timeless evaluation derives it, no single day does
            parts.append("(the statements of this derivation never all count on the same day)")
        elif when != (ALWAYS,) and proof.children:
            parts.append(f"(the statements of this derivation all count {' and '.join(p.text() for p in when)})")
    if answer.more:
        parts.append("(more derivations exist: raise --limit)")
    return "\n".join(parts)


def counts_together(proof: Proof) -> tuple[Period, ...]:
    """The days on which every statement a derivation rests on counts: a stated leaf counts when
    any of its statements does, a metadata leaf when its statement does, a derived node when all
    its children do. (Absent facts are not dated: `allegiance timeline` is exact, this is a guide.)"""
    if proof.children:
        when: tuple[Period, ...] = (ALWAYS,)
        for child in proof.children:
            when = intersection(when, counts_together(child))
        return when
    statements = [e.statement for e in proof.evidence if e.statement is not None]
    if proof.kind in ("stated", "metadata") and statements:
        return union(validity(s) for s in statements)
    return (ALWAYS,)


def _tree(proof: Proof, first: str, rest: str) -> Iterator[str]:
    """Lines of one node: `first` prefixes its own line, `rest` its details and children."""
    support = f"   [support {proof.support}{', from another derivation' if proof.elsewhere else ''}]" if proof.support else ""
    yield first + proof.fact + support + _leaf_tag(proof)
    children = list(proof.children)
    bar = "│   " if children else "    "
    for line in _details(proof):
        yield rest + bar + line
    for i, child in enumerate(children):
        last = i == len(children) - 1
        yield from _tree(child, rest + ("└── " if last else "├── "), rest + ("    " if last else "│   "))


def _leaf_tag(proof: Proof) -> str:
    if proof.kind == "stated" and len(proof.evidence) > 1:
        return f"   [corroborated: {len(proof.evidence)} statements]"
    if proof.kind == "unexplained":
        return "   [holds, but no derivation was found from the rules as written]"
    return ""


def _details(proof: Proof) -> Iterator[str]:
    if proof.rule is not None:
        yield from _rule_lines(proof.rule)
    for n, evidence in enumerate(proof.evidence):
        if n:
            yield ""
        yield from _evidence_lines(evidence)
    if proof.kind == "plain" and proof.span is not None:
        yield f"a fact written at {where(proof.span)}"


def _rule_lines(rule: RuleRef) -> Iterator[str]:
    if rule.label == "rule":
        yield f"by rule {where(rule.span)}: {_oneline(rule.written)}"
    else:
        yield f"{rule.label} (declared at {where(rule.span)}): {rule.written}"
    yield f"  as {_oneline(rule.bound)}"


def _evidence_lines(evidence: Evidence) -> Iterator[str]:
    record, source = evidence.statement, evidence.source
    if record is not None:
        # `reported` with no asserter: the source itself reports it (its publisher is no entity)
        who = f", {record.status} by {record.asserter}" if record.asserter else \
            ", reported by the source" if record.status == "reported" else f", {record.status} (no asserter named)"
        yield f"statement {record.id}{who}" + (f"   [{evidence.grade}]" if evidence.grade else "")
        if record.text:
            yield f"  {_quoted_statement(record.text)}  ({where(record.span)})"
        else:  # an imported row: no text of its own
            yield f"  a row of an import ({where(record.span)})"
        if record.quote and _oneline(record.quote) not in _oneline(record.text):
            yield f"  quoting \"{_oneline(record.quote)}\""
        # when it held, always: an undated statement counts at every date, and says so
        yield ("  " + validity_text(record) + (f", credibility {record.credibility}" if record.credibility is not None else "")
               + (f", reported on {month_text(record.reported_on) if record.reported_month else record.reported_on}"
                  if record.reported_on else ""))
    if source is not None:
        yield f"source {_source_line(source)}"
    for chain in evidence.relays:  # every hop, not only the first: a claim relayed twice says so
        hops = ", then ".join(_relay_text(relay) for relay in chain)
        yield f"  reached us via {hops}"
    for carried in evidence.carried:  # who carried the document on the way, as a statement says
        messenger, _, recipient = carried.row
        who = f", {carried.status} by {carried.asserter}" if carried.asserter else ""
        yield (f"  carried by {messenger} to {recipient}: {fact_text(carried.sym, carried.row)}, statement {carried.id}"
               f"{who} ({where(carried.span)})")
    if evidence.entity is not None:
        some = f", some of {evidence.entity.some_of}" if evidence.entity.some_of else ""
        yield f"entity {evidence.entity.id} \"{evidence.entity.name}\"{some} (declared at {where(evidence.entity.span)})"


def _relay_text(src: Source) -> str:
    date = (src.date_text() + (" (date assumed)" if src.date_assumed else "")) if src.date else ""
    about = ", ".join(p for p in (src.publisher, date, f"reliability {src.reliability or '?'}") if p)
    return f"{src.id} ({about})"


def _source_line(src: Source) -> str:
    parts = [f"\"{src.title}\"" if src.title else src.id]
    date = (src.date_text() + (" (date assumed)" if src.date_assumed else "")) if src.date else ""
    parts += [p for p in (src.publisher, date) if p]
    parts.append(f"reliability {src.reliability or '?'}")
    if src.via:
        parts.append("via " + ", ".join(src.via))
    return ", ".join(parts)


def _render_why_not(answer: WhyNot) -> str:
    if answer.holds:
        tree = _render_why(answer.proof) if answer.proof else ""
        return f"{answer.message}; here is why:\n{tree}"
    lines = [answer.message + "."]
    if answer.nearest:
        lines.append("nearest statements:")
        for how, evidence in answer.nearest:
            lines.append(f"  - {how}")
            lines.extend("      " + line for line in _evidence_lines(evidence))
    for failure in answer.failures:
        lines.append(f"rule {where(failure.rule.span)}: {_oneline(failure.rule.written)}")
        lines.append(f"  fails at {failure.literal}: {failure.reason}")
        if failure.remedy:
            lines.append(f"  {failure.remedy}")
    if not answer.nearest and not answer.failures:
        lines.append("nothing comes close: no statement of this relation differs in only one argument")
    return "\n".join(lines)


# --- JSON ------------------------------------------------------------------------------------


def proof_json(answer: Why | WhyNot | Proof) -> Json:
    if isinstance(answer, Proof):
        return _node_json(answer)
    if isinstance(answer, Why):
        return {"fact": answer.fact, "holds": answer.holds, "message": answer.message,
                "proofs": [_node_json(p) for p in answer.proofs], "more": answer.more,
                "counts_together": [[w.json() for w in counts_together(p)] for p in answer.proofs]}
    return {"fact": answer.fact, "holds": answer.holds, "message": answer.message,
            "nearest": [{"how": how, **_evidence_json(e)} for how, e in answer.nearest],
            "failures": [_failure_json(f) for f in answer.failures],
            "proof": proof_json(answer.proof) if answer.proof else None,
            "left_out": [_left_out_json(lo) for lo in answer.left_out]}


def _node_json(proof: Proof) -> Json:
    out: Json = {"fact": proof.fact, "kind": proof.kind}
    if proof.support:
        out["support"] = proof.support
    if proof.elsewhere:
        out["support_from_another_derivation"] = True
    if proof.kind == "stated" and len(proof.evidence) == 1:
        out.update(_evidence_json(proof.evidence[0]))
        return out
    if proof.kind == "stated":
        out.update(rule=None, corroborated=True,
                   children=[{"fact": proof.fact, "kind": "statement", **_evidence_json(e)} for e in proof.evidence])
        return out
    if proof.kind == "metadata":
        out.update(_evidence_json(proof.evidence[0]) if proof.evidence else {})
    if proof.span is not None:
        out.update(file=proof.span.file, line=proof.span.line)
    if proof.kind == "derived":
        out.update(rule=_rule_json(proof.rule) if proof.rule else None, depth=proof.depth,
                   children=[_node_json(c) for c in proof.children])
    return out


def _rule_json(rule: RuleRef) -> Json:
    return {"kind": rule.label, "text": rule.bound, "written": rule.written,
            "file": rule.span.file, "line": rule.span.line}


def _statement_json(record: StatementRecord) -> Json:
    return {"id": record.id, "text": record.text, "file": record.span.file, "line": record.span.line,
            "status": record.status, "asserter": record.asserter, "quote": record.quote,
            "credibility": record.credibility, "negated": record.negated,
            "valid_from": record.valid_from.isoformat() if record.valid_from else None,
            "valid_until": record.valid_until.isoformat() if record.valid_until else None,
            "undated": is_undated(record),
            "reported_on": record.reported_on.isoformat() if record.reported_on else None}


def _source_json(src: Source) -> Json:
    return {"id": src.id, "title": src.title, "publisher": src.publisher,
            "date": src.date.isoformat() if src.date else None, "reliability": src.reliability,
            "url": src.url, "file": src.file, "document": src.document or None}


def _evidence_json(evidence: Evidence) -> Json:
    out: Json = {}
    if evidence.statement is not None:
        out["statement"] = _statement_json(evidence.statement)
        if evidence.grade:
            out["statement"]["grade"] = evidence.grade  # type: ignore[index]
    if evidence.source is not None:
        out["source"] = _source_json(evidence.source)
        # each chain of relays, hop by hop (the nearest first): [[{"id": ...}, ...], ...]
        out["source"]["relays"] = [[_source_json(s) for s in chain] for chain in evidence.relays]  # type: ignore[index]
        # who carried it on the way: the relayed/3 statements, each as a statement object
        out["source"]["carried"] = [_statement_json(r) for r in evidence.carried]  # type: ignore[index]
    if evidence.entity is not None:
        ent = evidence.entity
        out["entity"] = {"id": ent.id, "name": ent.name, "kind": ent.kind, "file": ent.span.file, "line": ent.span.line}
    return out


def _failure_json(failure: Failure) -> Json:
    return {"rule": _rule_json(failure.rule), "literal": failure.literal, "reason": failure.reason,
            "remedy": failure.remedy, "left_out": [_left_out_json(lo) for lo in failure.left_out]}


def _left_out_json(left: LeftOut) -> Json:
    """A statement a selection leaves out: the statement and its source as elsewhere, `by` the part
    of the selection ("trust", "without", "at", "known_on") and `reason` in words."""
    return {**_evidence_json(left.evidence), "by": left.by, "reason": left.reason}


__all__ = ["proof_json", "render_tree", "where"]
