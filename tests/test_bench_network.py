"""The generated conflict network (bench/network.py): deterministic, loadable into the bundled
knowledge base, one connected component; and the bound queries the network rows ask."""

from __future__ import annotations

from pathlib import Path

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


def test_the_why_row_explains_facts_that_hold_each_timed_alone(tmp_path: Path) -> None:
    """bench's `why` row (on_demand.why_latency) on a small network: a sample a fact, and the facts
    it asks about are explained (they hold: the network is one component)."""
    from bench.clock import Clock

    facts = on_demand.why_facts(600, 2)
    assert facts == on_demand.why_facts(600, 2) and len(facts) == 4
    assert {f.split("(")[0] for f in facts} == {"linked", "indirect_ally"}
    clock = Clock(None, str(tmp_path / "result"))
    found = on_demand.why_latency({"statements": 600, "per_kind": 2, "demand": True}, clock)
    assert found["latency"] and found["calls"] == len(clock.samples) == 4
    assert found["count"] >= 3, found  # a fact between a party and itself would not hold
