"""The link chart's model: which entities and facts become nodes and edges, and what each carries.
Each expected graph is computed here from the knowledge base's statements and answers (the oracle),
not copied from the model's output."""

from __future__ import annotations

import datetime
from collections import deque

import pytest

from allegiance import ast
from allegiance.errors import QueryError, UnknownPredicateError
from allegiance.explain import why
from allegiance.graph import RELATION_GROUPS, Scope, build, relation_names
from allegiance.graph.html import date_range, elements
from allegiance.kb import KnowledgeBase
from allegiance.selection import Selection

D = datetime.date


def fact_key(kb: KnowledgeBase, rel: str, row: ast.Row) -> tuple[object, ...]:
    """A fact as the oracle sees it: symmetric relations unordered."""
    symmetric = rel.removeprefix("no_") in kb.catalog.relations and kb.catalog.relations[rel.removeprefix("no_")].symmetric
    return (rel, frozenset(row)) if symmetric else (rel, *row)


def edge_keys(kb: KnowledgeBase, graph: object) -> dict[tuple[object, ...], list[str]]:
    found: dict[tuple[object, ...], list[str]] = {}
    for a, b, key, data in graph.edges(keys=True, data=True):  # type: ignore[attr-defined]
        k = fact_key(kb, key, (a, b))
        assert k not in found, f"two edges for {k}"
        found[k] = sorted(s["id"] for s in data["statements"])
    return found


def test_whole_graph_has_one_edge_per_fact_with_every_statement_behind_it(small: KnowledgeBase) -> None:
    chosen = set(relation_names(small, ["belonging", "alliance", "backing", "hostility"]))
    assert chosen == {"member", "ally", "backs", "part_of", "official_of", "strikes"}  # operates_in is not in them
    expected: dict[tuple[object, ...], list[str]] = {}
    for record in small.statements:
        if record.sym.name in chosen:
            expected.setdefault(fact_key(small, record.fact_sym.name, record.row), []).append(record.id)
    graph = build(small)
    assert edge_keys(small, graph) == {k: sorted(v) for k, v in expected.items()}
    assert set(graph.nodes) == {v for k in expected for v in (k[1] if len(k) == 2 else k[1:])}  # type: ignore[union-attr]


def test_nodes_carry_kind_name_and_aliases_from_the_catalog(small: KnowledgeBase) -> None:
    graph = build(small)
    for node, data in graph.nodes(data=True):
        entity = small.catalog.entities[node]
        assert (data["name"], data["kind"], tuple(data["aliases"])) == (entity.name, entity.kind, entity.aliases)
    assert {k for _, k in graph.nodes(data="kind")} == {"group", "coalition", "state", "agency", "person", "place"}


def test_edge_attributes_status_claims_denials_dates_and_weakness(small: KnowledgeBase) -> None:
    edges = {(a, b, k): d for a, b, k, d in build(small).edges(keys=True, data=True)}
    member = edges["ahrar", "alliance41", "member"]
    assert member["status"] == "confirmed" and not member["claimed_only"] and not member["weak"]
    assert [s["quote"] for s in member["statements"]] == ["Ahrar al-Sham joined the alliance.", ""]
    assert member["statements"][0]["title"] == "Test Wire report" and member["reliability"] == "B"
    strike = edges["russia", "idlib", "strikes"]
    assert strike["claimed_only"] and strike["weak"] and strike["status"] == "claimed"
    denied = edges["nusra", "alliance41", "no_member"]
    assert denied["negative"] and denied["relation"] == "member" and denied["statements"][0]["negated"]
    backs = edges["usa", "hostile", "backs"]
    assert backs["weak"] and not backs["claimed_only"] and backs["reliability"] == "E"  # only a grade-E source
    lavrov = edges["lavrov", "russia", "official_of"]
    assert lavrov["valid_from"].isoformat() == "2004-03-09" and lavrov["valid_until"] is None
    ally = [d for (a, b, k), d in edges.items() if k == "ally"]
    assert len(ally) == 1 and ally[0]["symmetric"]  # ally(ahrar, nusra) and ally(nusra, ahrar): one edge
    # One statement of the two has no dates: the edge's span is open at both ends.
    assert ally[0]["valid_from"] is None and {s["valid_from"] for s in ally[0]["statements"]} == {"2015-01-01", None}
    assert str(member["support"]) == "B6 confirmed" and str(backs["support"]) == "E6 reported"  # support.py
    assert all(d["support"] is None for *_, d in build(small, Scope(support=False)).edges(data=True))


def test_links_fade_by_their_support_and_a_derived_link_on_a_weak_premise_is_weak(small: KnowledgeBase) -> None:
    graph = build(small, Scope(relations=("backed", "member", "strikes", "backs", "ally")))
    edges = {(a, b, k): d for a, b, k, d in graph.edges(keys=True, data=True)}
    # backed(usa, hostile) rests on backs(usa, hostile), stated only by a blog graded E: no statement
    # of its own, yet weak by its support; backed(usa, nusra) rests on the wire (graded B) alone
    on_blog, on_wire = edges["usa", "hostile", "backed"], edges["usa", "nusra", "backed"]
    assert on_blog["derived"] and on_blog["weak"] and not on_wire["weak"]
    supports = {(a, b, k): d["support"] for (a, b, k), d in edges.items()}
    for key, sup in supports.items():
        expected = small.query(f"{key[2]}({key[0]}, {key[1]})", support=True).supports
        assert expected is not None and sup is not None and sup.level == expected[0].level, key
    # opacity follows the support's level: stronger support, never fainter
    ranked = sorted(edges.values(), key=lambda d: d["support"].level)
    assert [d["fade"] for d in ranked] == sorted(d["fade"] for d in ranked)
    assert on_blog["fade"] < on_wire["fade"] <= 1.0
    assert min(d["fade"] for d in ranked) >= 0.3
    axioms = [d for d in ranked if d["support"].axiom]
    assert all(d["fade"] == 1.0 for d in axioms)
    # without support, weakness is the link's own statements' (a derived link has none)
    plain = {(a, b, k): d for a, b, k, d in build(small, Scope(relations=("backed", "backs"), support=False))
             .edges(keys=True, data=True)}
    assert not plain["usa", "hostile", "backed"]["weak"] and plain["usa", "hostile", "backed"]["fade"] == 1.0
    assert plain["usa", "hostile", "backs"]["weak"] and plain["usa", "hostile", "backs"]["fade"] == 0.3


def test_derived_relations_are_edges_without_statements(small: KnowledgeBase) -> None:
    graph = build(small, Scope(relations=("backed",)))
    expected = {("backed", *row) for row in small.facts("backed")}
    assert {("backed", a, b) for a, b in graph.edges()} == expected and expected
    assert all(d["derived"] and d["status"] == "derived" and not d["statements"] for *_, d in graph.edges(data=True))


def test_a_derived_edge_is_dated_by_when_its_fact_holds(small: KnowledgeBase) -> None:
    # backed(cia, nusra) rests on backs(cia, nusra) between 2013 and 2014; backed(usa, nusra) also on
    # the undated part_of(cia, usa); backed(usa, hostile) on an undated statement alone. The oracle:
    # the fact asked at days inside, before and after.
    graph = build(small, Scope(relations=("backed",)))
    edges = {(a, b): d for a, b, d in graph.edges(data=True)}
    for pair in (("cia", "nusra"), ("usa", "nusra")):
        d = edges[pair]
        assert (d["valid_from"], d["valid_until"]) == (D(2013, 1, 1), D(2014, 12, 31))
        assert [p.json() for p in d["periods"]] == [{"from": "2013-01-01", "until": "2014-12-31"}]
        for day, holds in ((D(2012, 12, 31), False), (D(2013, 1, 1), True), (D(2014, 12, 31), True), (D(2015, 1, 1), False)):
            assert bool(small.query(f"backed({pair[0]}, {pair[1]})", Selection(at=day))) == holds
    assert not edges[("cia", "nusra")]["undated"] and edges[("usa", "nusra")]["undated"]
    assert edges[("usa", "hostile")]["valid_from"] is None and edges[("usa", "hostile")]["undated"]
    page = {e["data"]["source"] + ">" + e["data"]["target"]: e["data"] for e in elements(graph) if e["group"] == "edges"}
    assert page["cia>nusra"]["periods"] == [{"from": "2013-01-01", "until": "2014-12-31"}]
    assert date_range(graph) == ["2013-01-01", "2014-12-31"]


def test_relations_expand_groups_and_refuse_unknown_names(small: KnowledgeBase) -> None:
    assert relation_names(small, ["alliance", "backs", "backing"]) == ["ally", "backs"]
    assert set(relation_names(small, ["all"])) == {r.sym.name for r in small.statements}
    with pytest.raises(UnknownPredicateError, match="belongs") as caught:
        relation_names(small, ["belongs"])
    assert "did you mean 'belonging'" in str(caught.value.hint)
    assert set(RELATION_GROUPS) == {"belonging", "alliance", "backing", "hostility"}


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_focus_is_the_neighbourhood_within_depth_links_either_way(small: KnowledgeBase, depth: int) -> None:
    whole = build(small)
    # Breadth-first over the whole graph's links, ignoring their direction.
    links: dict[object, set[object]] = {}
    for a, b in whole.edges():
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    seen, todo = {"ahrar": 0}, deque(["ahrar"])
    while todo:
        node = todo.popleft()
        if seen[node] < depth:
            for nxt in links.get(node, ()):
                if nxt not in seen:
                    seen[nxt] = seen[node] + 1
                    todo.append(nxt)
    graph = build(small, Scope(focus="Ahrar al-Sham", depth=depth))  # by name
    assert set(graph.nodes) == set(seen)
    assert set(graph.edges(keys=True)) == {(a, b, k) for a, b, k in whole.edges(keys=True) if a in seen and b in seen}
    assert graph.nodes["ahrar"]["role"] == "focus"
    assert set(build(small, Scope(focus="al-Nusra", depth=depth)).nodes) >= {"nusra"}  # by alias


def test_focus_on_an_unknown_name_suggests_one(small: KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="no entity named 'ahrr'") as caught:
        build(small, Scope(focus="ahrr"))
    assert caught.value.hint == "did you mean 'ahrar'?"
    with pytest.raises(QueryError, match="one thing at a time"):
        build(small, Scope(focus="ahrar", query="member(X, Y)"))


def test_query_graph_joins_each_answer_by_the_facts_of_the_query(small: KnowledgeBase) -> None:
    text = "ally(X, Y), member(Y, C)"
    answers = small.query(text)
    expected = set()
    for x, y, c in answers.rows:
        expected |= {fact_key(small, "ally", (x, y)), fact_key(small, "member", (y, c))}
    graph = build(small, Scope(query=text))
    assert set(edge_keys(small, graph)) == expected and expected
    assert {v for row in answers.rows for v in row} == {n for n, r in graph.nodes(data="role") if r == "answer"}
    empty = build(small, Scope(query="member(X, nobody)"))
    assert empty.number_of_nodes() == 0 and "no answers" in empty.graph["message"]


def test_proof_graph_draws_the_two_place_facts_of_the_proof(small: KnowledgeBase) -> None:
    answer = why(small, "indirect(nusra, alliance41)")
    facts = {fact_key(small, n.sym.name, n.row) for n in answer.proofs[0].nodes()
             if n.sym is not None and n.row is not None and n.sym.arity == 2}
    graph = build(small, Scope(why="indirect(nusra, alliance41)"))
    assert set(edge_keys(small, graph)) == facts
    top = graph.edges["nusra", "alliance41", "indirect"]
    assert top["derived"] and top["rule"].startswith("indirect(nusra, alliance41) :- ") and top["proof_depth"] == 0
    assert graph.nodes["nusra"]["role"] == graph.nodes["alliance41"]["role"] == "proven"
    missing = build(small, Scope(why="indirect(ahrar, nusra)"))
    assert missing.number_of_nodes() == 0 and "does not hold" in missing.graph["message"]


def test_bundled_focus_on_nusra(bundled: KnowledgeBase) -> None:
    graph = build(bundled, Scope(focus="nusra", depth=1))
    assert graph.nodes["nusra"]["kind"] == "group" and "Jabhat al-Nusra" in graph.nodes["nusra"]["aliases"]
    # What the bundled statements say of Nusra (member of Jaish al-Fatah, affiliate of al Qaeda...) is there.
    stated = {(r.fact_sym.name, r.row) for r in bundled.statements
              if "nusra" in r.row and r.sym.name in relation_names(bundled, ["belonging", "alliance", "backing",
                                                                             "hostility"])}
    drawn = {(k, (a, b)) for a, b, k in graph.edges(keys=True)}
    for rel, row in stated:
        assert (rel, row) in drawn or (rel, row[::-1]) in drawn
    assert ("no_member", ("nusra", "alliance41")) in drawn
    # Each statement's source date says whether it is the curator's inference (the blog says only
    # "October 2015"), as `why` does; the page shows "(date assumed)".
    behind = {s["source"]: s["published_assumed"] for a, b, k, data in graph.edges(keys=True, data=True)
              if k == "affiliate_of" and {a, b} == {"nusra", "al_qaeda"} for s in data["statements"]}
    assert behind["in_foreign_2015_10"] is True and behind["unsc_2170"] is False


def test_a_selection_draws_only_the_statements_that_count(small: KnowledgeBase) -> None:
    # Which statements count is the knowledge base's business (selection.py): the chart draws a view.
    view = small.under(Selection(without=frozenset({"blog"})))
    graph = build(view)
    ids = {s["id"] for *_, st in graph.edges(data="statements") for s in st}
    assert ids == {r.id for r in small.statements if r.source != "blog" and r.sym.name in
                   relation_names(small, ["belonging", "alliance", "backing", "hostility"])}
    assert not graph.has_edge("usa", "hostile")  # only the blog said it
