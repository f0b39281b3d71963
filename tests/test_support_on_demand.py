"""Support and `why` on demand, as a user asks for them: a bound query with support on a generated
conflict network (bench/network.py) under the bundled rules is answered from its constants
(engines/duckdb/demanded.py), never from the whole relations it reads, with every support equal to the
whole evaluation's; `why` of a derived fact is explained from the ranks of its own demand program
(engines/duckdb/ranked.py), with a proof as valid as the whole evaluation's and each node's support the
whole evaluation's.

The network holds more base facts than `support_demand_min_rows`, so the knowledge base decides to
evaluate on demand by itself; the oracle is the same knowledge base with demand switched off.
"""

from __future__ import annotations

import pytest

from allegiance.ast import PredicateSym, Row
from allegiance.errors import QueryError
from allegiance.explain import graded_why, why
from allegiance.explain.search import Explainer
from allegiance.kb import KnowledgeBase
from allegiance.support import fact_support, facts_support, grading
from bench import network

STATEMENTS = 1_500
QUERIES = ("linked(g3, X)", "indirect_ally(g7, X)", "allied_chain(g11, X)", "in_coalition(g5, C)",
           "linked(g2, g40)", "indirect_ally(g9, X), linked(g4, X)")


@pytest.fixture(scope="module")
def text() -> str:
    return network.network_file(STATEMENTS)


@pytest.fixture(scope="module")
def kb(text: str) -> KnowledgeBase:
    return _kb(text, on_demand=True)


@pytest.fixture(scope="module")
def whole(text: str) -> KnowledgeBase:
    return _kb(text, on_demand=False)


def _kb(text: str, on_demand: bool) -> KnowledgeBase:
    kb = KnowledgeBase.bundled(timeout=None)
    kb.load_text(text, file="network.dl")
    kb.engine.demand = on_demand  # type: ignore[attr-defined]
    return kb


def test_bound_queries_with_support_on_a_network_equal_the_whole_evaluation(kb: KnowledgeBase,
                                                                            whole: KnowledgeBase) -> None:
    engine = kb.engine
    assert engine._worth_it(engine.support_demand_min_rows)  # type: ignore[attr-defined]  # large enough by itself
    compared, answered, labels = 0, 0, set()
    for query in QUERIES:
        before = engine.planned  # type: ignore[attr-defined]
        got = kb.query(query, support=True)
        assert engine.planned > before, query  # type: ignore[attr-defined]  # a demand program answered it
        expected = whole.query(query, support=True)
        assert got.rows == expected.rows, query
        assert got.supports == expected.supports, query
        compared += len(got.rows)
        answered += bool(got.rows)
        labels |= {s.label for s in got.supports or ()}
    # nothing was evaluated whole for them: no derived relation's intervals were kept
    assert not {PredicateSym("linked", 2), PredicateSym("allied_chain", 2)} & set(grading(kb).derived)
    assert PredicateSym("linked", 2) in grading(whole).derived
    assert compared >= 100 and answered >= 4, (compared, answered)
    assert len(labels) >= 3, labels  # graded answers, not only axioms


def test_why_on_a_network_explains_from_the_facts_own_demand(kb: KnowledgeBase, whole: KnowledgeBase) -> None:
    _check_why(kb, whole, graded=False)


@pytest.mark.slow
def test_why_with_support_on_a_network_grades_each_node_as_the_whole_evaluation(kb: KnowledgeBase,
                                                                               whole: KnowledgeBase) -> None:
    _check_why(kb, whole, graded=True)


def _check_why(kb: KnowledgeBase, whole: KnowledgeBase, graded: bool) -> None:
    """why on demand against the whole evaluation: the same verdict, every node of a proof holding
    in the whole evaluation, no node left unexplained, and with `graded` each derived node's support
    equal to the whole evaluation's (graded_why asks a demand program per node)."""
    targets = [row[0] for row in whole.query("linked(g3, X)").rows][::120]
    facts = [f"linked(g3, {t})" for t in targets] + ["indirect_ally(g7, g9)", "linked(g3, nobody)"]
    checker = Explainer(whole)  # the whole evaluation's, to check every node of a proof on demand
    explained = 0
    sizes = {name: len(whole.query(f"{name}(X, Y)").rows) for name in ("linked", "indirect_ally")}
    for fact in facts:
        got, expected = why(kb, fact), why(whole, fact)
        assert got.holds == expected.holds, fact
        if not got.holds:
            assert got.message == expected.message
            continue
        sym = PredicateSym(fact.split("(")[0], 2)
        row = tuple(fact[fact.index("(") + 1:-1].split(", "))
        ranks = kb.engine.derivation_rounds_on_demand(sym, row)  # type: ignore[attr-defined]
        assert ranks is not None and len(ranks[sym]) * 10 < sizes[sym.name], fact  # a small part of the relation
        (proof,) = graded_why(kb, got).proofs if graded else got.proofs
        for node in proof.nodes():
            assert node.kind != "unexplained", (fact, node.fact)
            if node.sym is not None and node.row is not None and node.kind != "absent":
                assert checker.holds(node.sym, node.row), (fact, node.fact)
                if graded and node.kind == "derived":
                    expected_support = fact_support(whole, node.sym, node.row)
                    assert expected_support is not None and node.support == expected_support.label, (fact, node.fact)
        explained += 1
    assert explained >= 3, explained  # linked facts and indirect_ally(g7, g9)


def test_supports_of_several_facts_come_from_one_evaluation_and_equal_each_alone(text: str) -> None:
    """support.facts_support (what graded `why` asks for a proof's nodes): the facts answered on demand
    together, from one evaluation with support, each support the one fact_support gives it alone; a
    fact that does not hold has none."""
    kb, alone = _kb(text, on_demand=True), _kb(text, on_demand=True)
    targets = [row[0] for row in kb.query("linked(g3, X)").rows]
    facts = [(PredicateSym("linked", 2), ("g3", t)) for t in targets[:: max(1, len(targets) // 6)]]
    facts += [(PredicateSym("indirect_ally", 2), ("g7", "g9")), (PredicateSym("linked", 2), ("g3", "nobody")),
              (PredicateSym("ally", 2), ("g1", "g2"))]
    evaluations: list[object] = []
    original = kb.engine.annotated_query

    def counted(*args: object) -> object:
        evaluations.append(args)
        return original(*args)  # type: ignore[arg-type]

    kb.engine.annotated_query = counted  # type: ignore[method-assign,assignment]
    got = facts_support(kb, facts)
    assert len(evaluations) == 1, len(evaluations)
    expected = [fact_support(alone, sym, row) for sym, row in facts]
    assert got == expected
    assert got[-2] is None and sum(s is not None for s in got) >= 5, got
    assert len({s.label for s in got if s is not None}) >= 2, got  # graded, not one label for all


def test_whys_of_one_state_read_each_relation_whole_once(text: str) -> None:
    """What a `why` on demand reads whole (tie/2 under linked/2, the facts its rules read) it reads
    through the explainer of the knowledge base's state (explain/search.py, `shared`): a second
    `why` of another fact reads nothing whole again, and explains it as a fresh knowledge base does;
    after a change of the state, the relations are read anew."""
    kb, fresh = _kb(text, on_demand=True), _kb(text, on_demand=True)
    read: list[PredicateSym] = []
    original = kb.engine.derivation_rounds

    def counted(sym: PredicateSym) -> dict[Row, int] | None:
        read.append(sym)
        return original(sym)

    kb.engine.derivation_rounds = counted  # type: ignore[method-assign,assignment]
    targets = [row[0] for row in kb.query("linked(g3, X)").rows]
    first, second = f"linked(g3, {targets[5]})", f"linked(g3, {targets[-5]})"
    assert why(kb, first).holds
    assert PredicateSym("tie", 2) in read and PredicateSym("member", 2) in read
    read.clear()
    got = why(kb, second)
    assert read == []
    assert got == why(fresh, second)
    kb.load_text(f"ally(g3, {targets[7]}).\n", file="more.dl")
    assert why(kb, second).holds
    assert PredicateSym("tie", 2) in read


def test_why_of_a_fact_whose_shortest_proof_is_too_deep_is_a_clear_error() -> None:
    """A chain of 400 alliances: linked(g0, g400)'s only proof is 400 steps deep, past what the proof
    search follows (one Python call a step); a nearer fact of the same chain is explained."""
    chain = KnowledgeBase.bundled(timeout=None)
    chain.load_text("".join(f"ally(g{i}, g{i + 1}).\n" for i in range(400)), file="chain.dl")
    with pytest.raises(QueryError, match="linked.g0, g400. holds, but its shortest proof is too deep") as raised:
        why(chain, "linked(g0, g400)")
    assert raised.value.hint is not None and "linked(g0, X)" in raised.value.hint
    near = why(chain, "linked(g0, g3)")
    assert near.holds and max(node.depth for node in near.proofs[0].nodes()) >= 3
    # on demand (as on a large knowledge base), the fact's demand program stops first, as clearly
    chain.engine.support_demand_min_rows = 0  # type: ignore[attr-defined]
    with pytest.raises(QueryError, match="takes more than 300 rounds of derivation: its proof is too deep"):
        why(chain, "linked(g0, g400)")
    assert why(chain, "linked(g0, g3)").holds
