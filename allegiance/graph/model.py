"""The link chart's model: a knowledge base, or part of it, as a networkx graph of entities.

Stage: after the engine (and, for a proof, after explain). Input: a KnowledgeBase and what to draw:
the whole of it, an entity's neighbourhood, a query's answers or one fact's proof. Output: a
`networkx.MultiDiGraph`, plain values only, which every writer (html.py, export.py) reads:

    node  an entity id (or any other value an edge joins), with
          name, kind (the catalog's: group, coalition, state, agency, person, place; else other),
          aliases (a tuple), role (focus | answer | proven | "")
    edge  (a, b, key) for one fact rel(a, b), key = rel, or no_rel for what statements deny, with
          relation, negative, symmetric, derived (no statement: a rule gives it), statements (one
          dict per statement: id, source, status, asserter, dates, quote, text, file, line, and the
          source's title, publisher, date and reliability), source_ids, status (the firmest),
          claimed_only, reliability (the best source's grade), support, weak, fade, valid_from,
          valid_until, rule

An edge's `support` is its fact's (support.py: the strongest grade up to which it still holds, with
its label, e.g. "B2 confirmed"). An edge is `weak` when its support is: the grade it rests on is
from a source graded D to F, or a claim (a derived edge too: its support is its weakest premise's).
`fade` is how opaque it is drawn, from its support's level on the knowledge base's scale: the
weakest grade WEAK_OPACITY, the axiom (no statement behind it) 1. Without support (Scope.support
off) an edge is weak when none of its statements comes from a source graded A to C or every one is
a claim, and fades to WEAK_OPACITY when weak. Dates are the statements' own (`valid_from`,
`valid_until`): an edge holds on a date when one of its statements does (a missing bound is open).
"""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import networkx as nx

from .. import ast
from ..catalog import negative_name
from ..errors import AllegianceError, QueryError, UnknownPredicateError, did_you_mean
from ..explain.render import where
from ..explain.why import why as explain_why
from ..provenance import StatementRecord
from ..support import Support, grading, relation_supports, relations_supports
from .choices import DEFAULT_RELATIONS, GROUP_OF, KINDS, RELATION_GROUPS
from .dates import derived_periods
from .style import WEAK_OPACITY

if TYPE_CHECKING:
    from ..explain.proof import Proof
    from ..kb import KnowledgeBase

_STATUS_ORDER = ("confirmed", "assessed", "reported", "claimed", "denied")
_STRONG_GRADES = frozenset("ABC")

# networkx ships no type information (mypy sees Any); the alias names what the functions pass around.
Graph: TypeAlias = nx.MultiDiGraph


@dataclass(frozen=True)
class Scope:
    """What part of the knowledge base to draw (at most one of focus, query, why; none: all of it).
    Which statements count (a trust policy, a date) is the knowledge base's: draw `kb.under(selection)`."""

    relations: tuple[str, ...] = DEFAULT_RELATIONS
    focus: str | None = None
    depth: int = 1
    query: str | None = None
    why: str | None = None
    support: bool = True  # each edge's support (support.py); off: faster on very large charts


def build(kb: KnowledgeBase, scope: Scope = Scope()) -> Graph:
    """The graph the scope asks for (raises QueryError or UnknownPredicateError on a mistake)."""
    chosen = sum(x is not None for x in (scope.focus, scope.query, scope.why))
    if chosen > 1:
        raise QueryError("draw one thing at a time: a focus, a query or a proof", None,
                         "give only one of --focus, QUERY and --why")
    if scope.query is not None:
        return query_graph(kb, scope.query, scope.support)
    if scope.why is not None:
        return proof_graph(kb, scope.why, scope.support)
    graph = whole_graph(kb, relation_names(kb, scope.relations), scope.support)
    if scope.focus is not None:
        return focus_graph(kb, graph, scope.focus, scope.depth)
    return graph


def relation_names(kb: KnowledgeBase, names: Iterable[str]) -> list[str]:
    """Group names expanded, then only the binary relations the knowledge base knows. An unknown
    name is an error with a did-you-mean; `all` is every binary relation that statements use."""
    known = {p.name for p in kb.predicates() if p.arity == 2}
    wanted: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name == "all":
            stated = {r.sym.name for r in kb.statements} | {b.sym.name for b in kb.blocks}
            wanted += sorted(n for n in stated if n in known)
        elif name in RELATION_GROUPS:
            wanted += [r for r in RELATION_GROUPS[name] if r in known]
        elif name in known:
            wanted.append(name)
        else:
            hint = did_you_mean(name, known | set(RELATION_GROUPS)) or \
                f"name a group ({', '.join(RELATION_GROUPS)}), all, or a relation of two arguments"
            raise UnknownPredicateError(f"--relations: no relation of two arguments named {name}", None, hint)
    return list(dict.fromkeys(wanted))


def whole_graph(kb: KnowledgeBase, relations: Sequence[str], support: bool = True) -> Graph:
    """Every fact of the relations (stated or derived) and every statement denying one, as edges."""
    graph = new_graph(kb, "knowledge base", support)
    types = {p.name for p in kb.program.types if p.arity == 2}
    if support:  # the derived relations among them from one evaluation
        relations_supports(kb, [ast.PredicateSym(n, 2) for rel in relations for n in (rel, negative_name(rel)) if n in types])
    for rel in relations:
        for row in kb.facts(ast.PredicateSym(rel, 2)):
            add_fact(kb, graph, rel, row)
        if negative_name(rel) in types:
            for row in kb.facts(ast.PredicateSym(negative_name(rel), 2)):
                add_fact(kb, graph, rel, row, negative=True)
    return graph


def focus_graph(kb: KnowledgeBase, graph: Graph, name: str, depth: int) -> Graph:
    """The entities within `depth` edges of the one `name` names (either way round), and their edges."""
    entity = resolve_entity(kb, graph, name)
    if depth < 0:
        raise QueryError(f"--depth {depth}: a depth counts edges, from 0 up", None, "try --depth 1 or 2")
    # Breadth-first over an undirected view (networkx's ego_graph would deep-copy the whole graph first).
    near = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), entity, cutoff=depth)
    sub: Graph = nx.MultiDiGraph()
    sub.add_nodes_from((n, dict(graph.nodes[n])) for n in near)
    sub.add_edges_from((a, b, k, d) for a, b, k, d in graph.edges(keys=True, data=True) if a in near and b in near)
    sub.graph.update(graph.graph, title=f"{sub.nodes[entity]['name']} within {depth} link{'s' * (depth != 1)}")
    sub.nodes[entity]["role"] = "focus"
    return sub


def resolve_entity(kb: KnowledgeBase, graph: Graph, name: str) -> ast.Value:
    """An entity's id from its id, name or alias; an error with a did-you-mean otherwise."""
    found: ast.Value | None = name if name in graph else kb.catalog.resolve(name)
    if found is None:
        raise QueryError(f"--focus: no entity named {name!r}", None,
                         did_you_mean(name, [*map(str, graph.nodes), *kb.catalog.entity_names()])
                         or "list them with `query kind(X, K)`")
    if found not in graph:
        add_node(kb, graph, found)
    return found


def query_graph(kb: KnowledgeBase, text: str, support: bool = True) -> Graph:
    """The query's answers as a graph: each positive two-place literal, with an answer's values
    filled in, becomes an edge; the answers' entities become nodes (role answer)."""
    answers = kb.query(text)
    graph = new_graph(kb, text.strip(), support)
    if not answers:
        graph.graph["message"] = f"no answers to {text.strip()}: nothing to draw"
    for row in answers.rows:
        env = dict(zip(answers.variables, row, strict=True))
        for value in row:
            if isinstance(value, str):
                add_node(kb, graph, value, role="answer")
        for literal in answers.query.body:
            if isinstance(literal, ast.Atom) and len(literal.args) == 2:
                values = [_ground(arg, env) for arg in literal.args]
                if values[0] is not None and values[1] is not None:
                    rel, negative = _positive(kb, literal.pred)
                    add_fact(kb, graph, rel, (values[0], values[1]), negative=negative)
    return graph


def proof_graph(kb: KnowledgeBase, text: str, support: bool = True) -> Graph:
    """One fact's shallowest proof (explain.why) as a graph: each two-place fact of the proof tree
    is an edge, the stated ones with their statements, the derived ones with the rule that gives
    them (bound), each with its level in the tree (proof_depth, 0 for the fact asked about); the proven fact's ends have role proven."""
    answer = explain_why(kb, text)
    graph = new_graph(kb, f"why {answer.fact}", support)
    graph.graph["holds"] = answer.holds
    graph.graph["message"] = answer.message
    if not answer.proofs:
        return graph
    root = answer.proofs[0]
    todo = [(root, 0)]
    while todo:  # top down, so each edge keeps the level where the tree first reaches it
        node, level = todo.pop(0)
        _add_proof_node(kb, graph, node, level)
        todo += [(child, level + 1) for child in node.children]
    if root.row is not None:
        for value in root.row:
            if value in graph:
                graph.nodes[value]["role"] = "proven"
    return graph


def _add_proof_node(kb: KnowledgeBase, graph: Graph, node: Proof, level: int) -> None:
    if node.sym is None or node.row is None or node.sym.arity != 2 or node.sym.name.startswith("__"):
        return
    rel, negative = _positive(kb, node.sym.name)
    add_fact(kb, graph, rel, node.row, negative=negative)
    key = negative_name(rel) if negative else rel
    data = graph.edges[_edge_ends(kb, graph, rel, node.row, key)]
    data.setdefault("proof_depth", level)  # 0: the fact asked about
    if node.rule is not None and not data["rule"]:
        data["rule"] = node.rule.bound


def _ground(term: ast.Term, env: dict[str, ast.Value]) -> ast.Value | None:
    if isinstance(term, ast.Constant):
        return term.value
    if isinstance(term, ast.Variable):
        return env.get(term.name)
    return None


def _positive(kb: KnowledgeBase, pred: str) -> tuple[str, bool]:
    """no_member -> (member, True) when member is declared; (pred, False) otherwise."""
    base = pred.removeprefix("no_")
    if pred != base and base in kb.catalog.relations:
        return base, True
    return pred, False


# --- nodes and edges --------------------------------------------------------------------------------


def new_graph(kb: KnowledgeBase, title: str, support: bool = True) -> Graph:
    graph: Graph = nx.MultiDiGraph(title=title, support=support)
    return graph


def add_node(kb: KnowledgeBase, graph: Graph, value: ast.Value, role: str = "") -> None:
    if value not in graph:
        entity = kb.catalog.entities.get(value) if isinstance(value, str) else None
        graph.add_node(value, name=entity.name if entity else kb.catalog.display(value),
                       kind=entity.kind if entity and entity.kind in KINDS else "other",
                       aliases=entity.aliases if entity else (), role="")
    if role and not graph.nodes[value]["role"]:
        graph.nodes[value]["role"] = role


def _edge_ends(kb: KnowledgeBase, graph: Graph, rel: str, row: ast.Row, key: str) -> tuple[Any, Any, str]:
    """A symmetric relation's fact is one edge, whichever way round it is asked for."""
    a, b = row
    if not graph.has_edge(a, b, key) and graph.has_edge(b, a, key) and _symmetric(kb, rel):
        return b, a, key
    return a, b, key


def _symmetric(kb: KnowledgeBase, rel: str) -> bool:
    relation = kb.catalog.relations.get(rel)
    return bool(relation and relation.symmetric)


def add_fact(kb: KnowledgeBase, graph: Graph, rel: str, row: ast.Row, negative: bool = False) -> None:
    """rel(a, b) as an edge a -> b (negative: what statements of no_rel deny), with its statements."""
    key = negative_name(rel) if negative else rel
    a, b, _ = _edge_ends(kb, graph, rel, row, key)
    if graph.has_edge(a, b, key):
        return
    add_node(kb, graph, a)
    add_node(kb, graph, b)
    by_fact = kb.statements_by_fact()
    sym = ast.PredicateSym(key, 2)
    records = list(by_fact.get((sym, row), []))
    if _symmetric(kb, rel) and row[0] != row[1]:
        records += by_fact.get((sym, (row[1], row[0])), [])
    attributes = edge_attributes(kb, rel, records, negative)
    if not records:
        attributes.update(derived_dates(kb, key, row))
    support, axiom = _support(kb, graph, key, row) if graph.graph["support"] else (None, 0)
    if support is not None:
        attributes.update(weak=weak_support(support), fade=fade(support, axiom))
    graph.add_edge(a, b, key=key, **attributes, support=support)


# per graph being built: the scale's axiom level and each relation's supports (a chart asks once
# per edge; grading the knowledge base each time would cost more than the edge)
_asked: weakref.WeakKeyDictionary[Graph, tuple[int, dict[str, dict[ast.Row, Support]]]] = weakref.WeakKeyDictionary()


def _support(kb: KnowledgeBase, graph: Graph, key: str, row: ast.Row) -> tuple[Support | None, int]:
    kept = _asked.get(graph)
    if kept is None:
        kept = _asked[graph] = (grading(kb).scale.axiom, {})
    axiom, by_key = kept
    if key not in by_key:
        by_key[key] = relation_supports(kb, ast.PredicateSym(key, 2))
    return by_key[key].get(row), axiom


def derived_dates(kb: KnowledgeBase, key: str, row: ast.Row) -> dict[str, Any]:
    """A derived edge's dates: the periods over which its fact holds (graph/dates.py), the first
    start and the last end as its valid_from and valid_until (None: open), and whether any part
    holds only because undated statements count. Nothing when the engine gives no timeline."""
    try:
        held = derived_periods(kb, key).get(tuple(row))
    except AllegianceError:  # an engine that refuses timelines (pyDatalog): the edge stays undated
        return {}
    if held is None or not held.periods:
        return {}
    first, last = held.periods[0], held.periods[-1]
    return {"valid_from": first.start, "valid_until": last.end, "periods": tuple(held.periods),
            "undated": bool(held.undated)}


def edge_attributes(kb: KnowledgeBase, rel: str, records: Sequence[StatementRecord],
                    negative: bool) -> dict[str, Any]:
    statements = [statement_dict(kb, r) for r in records]
    statuses = sorted({r.status for r in records}, key=_status_rank)
    grades = sorted(str(s["reliability"]) for s in statements if s["reliability"])
    froms = [r.valid_from for r in records]
    untils = [r.valid_until for r in records]
    claimed_only = bool(records) and all(r.status == "claimed" for r in records)
    return {
        "relation": rel, "group": GROUP_OF.get(rel, "other"), "negative": negative,
        "symmetric": _symmetric(kb, rel), "derived": not records,
        "statements": statements, "source_ids": sorted({r.source for r in records}),
        "status": statuses[0] if statuses else ("derived" if not records else ""),
        "claimed_only": claimed_only,
        "reliability": grades[0] if grades else "",
        "weak": (weak := bool(records) and (claimed_only or not any(g.upper() in _STRONG_GRADES for g in grades))),
        "fade": WEAK_OPACITY if weak else 1.0,
        # The earliest start, the latest end; open (None) when any statement leaves it open.
        "valid_from": None if not records or None in froms else min(d for d in froms if d),
        "valid_until": None if not records or None in untils else max(d for d in untils if d),
        "rule": "",
        # a derived edge's periods (derived_dates); a stated edge is dated by its statements
        "periods": (), "undated": bool(records) and all(r.valid_from is None and r.valid_until is None for r in records),
    }


def weak_support(support: Support) -> bool:
    """A support resting on a source graded D to F, or on a claim (the axiom is never weak)."""
    grade = support.grade
    return grade is not None and (grade.reliability not in _STRONG_GRADES or grade.status == "claimed")


def fade(support: Support, axiom: int) -> float:
    """How opaque an edge of this support is drawn: WEAK_OPACITY at the scale's weakest level, 1 at
    the axiom, evenly between (two decimals)."""
    if axiom <= 0:
        return 1.0
    return round(WEAK_OPACITY + (1.0 - WEAK_OPACITY) * min(support.level, axiom) / axiom, 2)


def edge_support(kb: KnowledgeBase, key: str, row: ast.Row) -> Support | None:
    """The support of an edge's fact (support.py: the strongest grade up to which it still holds)."""
    return relation_supports(kb, ast.PredicateSym(key, 2)).get(row)


def statement_dict(kb: KnowledgeBase, record: StatementRecord) -> dict[str, Any]:
    """One statement behind an edge, JSON-ready (dates as ISO text)."""
    src = kb.catalog.sources.get(record.source)
    return {
        "id": record.id, "text": record.text, "quote": record.quote, "status": record.status,
        "negated": record.negated or record.status == "denied",
        "asserter": record.asserter or "", "credibility": record.credibility,
        "valid_from": _iso(record.valid_from), "valid_until": _iso(record.valid_until),
        "source": record.source, "title": src.title if src else "", "publisher": src.publisher if src else "",
        "published": _iso(src.date) if src else None, "reliability": src.reliability if src else "",
        "published_assumed": bool(src and src.date and src.date_assumed),  # the curator's inference (as `why`)
        "url": src.url if src else "", "file": record.span.file, "line": record.span.line,
        "where": where(record.span),  # file:line, relative to the working directory below it (as `why`)
    }


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def _status_rank(status: str) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)


__all__ = ["DEFAULT_RELATIONS", "GROUP_OF", "KINDS", "RELATION_GROUPS", "Graph", "Scope", "add_fact",
           "add_node", "build", "edge_attributes", "edge_support", "fade", "focus_graph", "proof_graph", "query_graph",
           "relation_names", "resolve_entity", "statement_dict", "weak_support", "whole_graph"]
