"""The generated conflict network (bench/network.py): deterministic, loadable into the bundled
knowledge base, one connected component; and the bound queries the network rows ask."""

from __future__ import annotations

from allegiance import KnowledgeBase
from bench import network, on_demand


def test_the_network_is_deterministic_and_has_the_statements_asked_for() -> None:
    text = network.network_file(600, seed=3)
    assert text == network.network_file(600, seed=3)
    assert text != network.network_file(600, seed=4)
    lines = [line for line in text.splitlines() if line.endswith(").") or " by " in line]
    assert len(lines) == 600


def test_the_network_loads_into_the_bundled_rules_as_one_component() -> None:
    kb = KnowledgeBase.bundled(timeout=None)
    kb.load_text(network.network_file(600), file="network.dl")
    groups = network.groups_for(600)
    reached = {row[0] for row in kb.query("allied_chain(g0, X)").rows}
    assert {f"g{i}" for i in range(1, groups)} <= reached  # the spanning tree of alliances
    assert kb.query("strikes(A, T)").rows  # the other kinds are there too
    assert kb.query("backed(S, G)").rows
    # and a bound query on it is answered on demand
    kb.engine.demand_min_rows = 0  # type: ignore[attr-defined]  # 600 statements: demand anyway
    before = kb.engine.planned  # type: ignore[attr-defined]
    assert kb.query(on_demand.queries(600, 1)[0]).rows is not None
    assert kb.engine.planned == before + 1  # type: ignore[attr-defined]
    kb.close()


def test_the_queries_are_the_patterns_from_other_parties() -> None:
    asked = on_demand.queries(100_000, 5)
    assert asked == on_demand.queries(100_000, 5)
    assert len(asked) == 5 * len(on_demand.PATTERNS)
    assert len({q.split("(")[1].split(",")[0] for q in asked}) > 1
