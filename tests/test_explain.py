"""Explanations: proofs against hand-worked derivations, why-not, inconsistencies, the CLI.

Most tests use a small knowledge base built here (a fact file and a rule file) on both engines; the
last ones check the bundled knowledge base: a hand-worked proof, and the property that every leaf of
every proof of every derived fact is a real statement (or a plain fact with its span) and that no
fact repeats on a root-to-leaf path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from allegiance import KnowledgeBase, ast
from allegiance.cli import main
from allegiance.errors import QueryError, UnknownPredicateError
from allegiance.explain import (
    Proof,
    explain_inconsistencies,
    fact_text,
    proof_json,
    render_tree,
    why,
    why_not,
)

FACTS = """\
.entity a { name: "Alpha"  aliases: "the A group"  kind: group }
.entity b { name: "Beta"  kind: group }
.entity c { name: "Gamma"  kind: group }
.entity d { name: "Delta"  kind: group }
.entity x { name: "Xland"  kind: state }
.entity t { name: "Target"  kind: place }
.entity club { name: "Club"  kind: coalition }
.relation member(group, coalition) { phrases: "{group} is a member of {coalition}" }
.relation ally(p, q) {
  symmetric: yes
  phrases: "{p} is allied with {q}"
}
.relation edge(from, to) { phrases: "{from} leads to {to}" }
.relation strike_count(actor, target, count: number) {
  phrases: "{actor} carried out {count} strikes on {target}"
}

.source r1 {
  title: "Report one"
  publisher: "Reuters"
  date: 2015-10-05
  reliability: B
}
member(a, club).
Beta is a member of Club.
ally(b, c) quoting "B and C are allies.".
edge(a, b).
edge(b, c).
edge(c, a).
edge(c, d).
strike_count(x, t, 2) confirmed by b.

.source b1 {
  title: "A blog"
  publisher: "Blog"
  date: 2015-10-06
  reliability: D
}
member(a, club).
not member(c, club).
not edge(a, b).
strike_count(x, t, 3) claimed by a.
"""

RULES = """\
co_member(X, Y, C) :- member(X, C), member(Y, C), X != Y.
allied(X, Y) :- ally(X, Y).
allied(X, Y) :- co_member(X, Y, _).
chain(X, Y) :- allied(X, Y).
chain(X, Z) :- allied(X, Y), chain(Y, Z).
indirect(X, Y) :- chain(X, Y), X != Y, not ally(X, Y).
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- edge(X, Y), reach(Y, Z).
lonely(X) :- member(X, _), not ally(X, _).
.inconsistency over(actor, target) {
  message: "{actor} claims more strikes on {target} than are confirmed"
}
over(A, T) :- strike_count(A, T, N) as S1, status(S1, claimed), strike_count(A, T, M) as S2, status(S2, confirmed), N > M.
double(X, N) :- strike_count(X, _, M), N = M * 2.
helper(a).
flag(X) :- helper(X).
"""


def rule_line(head: str, nth: int = 1) -> int:
    """The line of RULES where the nth rule for head starts (1-based)."""
    lines = [i + 1 for i, line in enumerate(RULES.splitlines()) if line.startswith(head + "(")]
    return lines[nth - 1]


@pytest.fixture(scope="module", params=["duckdb", "pydatalog"])
def kb(request: pytest.FixtureRequest) -> Iterator[KnowledgeBase]:
    base = KnowledgeBase(engine=request.param, timeout=None)
    base.load_text(FACTS, file="t.facts")
    base.load_text(RULES, file="t.dl")
    yield base
    base.close()


def only(kb: KnowledgeBase, text: str) -> Proof:
    answer = why(kb, text)
    assert answer.holds, answer.message
    assert len(answer.proofs) == 1
    return answer.proofs[0]


def statement_ids(proof: Proof) -> list[str]:
    return [e.statement.id for e in proof.evidence if e.statement is not None]


def statement_of(kb: KnowledgeBase, sym: str, row: tuple[ast.Value, ...], source: str) -> str:
    return next(s.id for s in kb.statements if s.fact_sym.name == sym and s.row == row and s.source == source)


# --- hand-worked derivations -------------------------------------------------------------------


def test_recursive_proof_through_membership(kb: KnowledgeBase) -> None:
    # indirect(a, c) :- chain(a, c), a != c, not ally(a, c).
    #   chain(a, c) :- allied(a, b), chain(b, c).
    #     allied(a, b) :- co_member(a, b, club).   co_member(a, b, club) :- member(a, club), member(b, club), a != b.
    #     chain(b, c) :- allied(b, c).   allied(b, c) :- ally(b, c).
    root = only(kb, "indirect(a, c)")
    assert root.kind == "derived" and root.rule is not None
    assert (root.rule.span.file, root.rule.span.line) == ("t.dl", rule_line("indirect"))
    assert root.rule.bound == "indirect(a, c) :- chain(a, c), a != c, not ally(a, c)."
    chain, test, absent = root.children
    assert (test.kind, test.fact) == ("test", "a != c")
    assert (absent.kind, absent.fact) == ("absent", "no statement says ally(a, c)")
    assert chain.fact == "chain(a, c)" and chain.rule is not None and chain.rule.span.line == rule_line("chain", 2)
    allied_ab, chain_bc = chain.children
    assert allied_ab.rule is not None and allied_ab.rule.span.line == rule_line("allied", 2)
    (co_member,) = allied_ab.children
    assert co_member.fact == "co_member(a, b, club)"
    member_a, member_b, differ = co_member.children
    # member(a, club) is corroborated: both sources say it
    assert member_a.kind == "stated"
    assert sorted(statement_ids(member_a)) == sorted([statement_of(kb, "member", ("a", "club"), "r1"),
                                                      statement_of(kb, "member", ("a", "club"), "b1")])
    assert member_b.kind == "stated" and member_b.evidence[0].statement is not None
    assert member_b.evidence[0].statement.english and member_b.evidence[0].statement.text == "Beta is a member of Club."
    assert member_b.evidence[0].source is not None and member_b.evidence[0].source.title == "Report one"
    assert differ.fact == "a != b"
    (allied_bc,) = chain_bc.children
    (ally_bc,) = allied_bc.children
    assert ally_bc.fact == "ally(b, c)" and ally_bc.evidence[0].statement is not None
    assert ally_bc.evidence[0].statement.quote == "B and C are allies."
    assert root.depth == 4  # indirect > chain > allied > co_member > statements


def test_cycle_proof_is_well_founded_and_shallowest(kb: KnowledgeBase) -> None:
    # reach(a, a) over the cycle a -> b -> c -> a: edge(a, b), reach(b, a); edge(b, c), reach(c, a); edge(c, a).
    root = only(kb, "reach(a, a)")
    path = []
    node = root
    while node.kind == "derived":
        edge, rest = node.children if len(node.children) == 2 else (node.children[0], None)
        path.append(edge.fact)
        if rest is None:
            break
        node = rest
    assert path == ["edge(a, b)", "edge(b, c)", "edge(c, a)"]
    assert root.depth == 3
    # reach(a, d) goes round once and leaves by c -> d, never through reach(a, d) itself
    assert [leaf.fact for leaf in only(kb, "reach(a, d)").leaves()] == ["edge(a, b)", "edge(b, c)", "edge(c, d)"]


def test_negation_with_a_local_variable(kb: KnowledgeBase) -> None:
    # lonely(a) :- member(a, _), not ally(a, _).  Nobody is stated to be a's ally, either way round.
    root = only(kb, "lonely(a)")
    member, absent = root.children
    assert member.fact == "member(a, club)"
    assert absent.fact == "no statement says ally(a, _)"


def test_symmetric_relation_points_at_its_declaration(kb: KnowledgeBase) -> None:
    root = only(kb, "allied(c, b)")
    (ally_cb,) = root.children
    assert ally_cb.rule is not None and ally_cb.rule.label == "symmetric relation"
    declared = next(i + 1 for i, line in enumerate(FACTS.splitlines()) if line.startswith(".relation ally"))
    assert (ally_cb.rule.span.file, ally_cb.rule.span.line) == ("t.facts", declared)
    (stated,) = ally_cb.children
    assert stated.fact == "ally(b, c)" and stated.kind == "stated"
    assert "symmetric relation (declared at t.facts:" in render_tree(why(kb, "allied(c, b)"))


def test_statement_variables_metadata_and_arithmetic(kb: KnowledgeBase) -> None:
    root = only(kb, "over(x, t)")
    claimed, status1, confirmed, status2, test = root.children
    s1 = statement_of(kb, "strike_count", ("x", "t", 3), "b1")
    s2 = statement_of(kb, "strike_count", ("x", "t", 2), "r1")
    assert root.rule is not None and f"as {s1}" in root.rule.bound and f"as {s2}" in root.rule.bound
    assert statement_ids(claimed) == [s1] and statement_ids(confirmed) == [s2]
    # status(S, claimed) is shown as the statement it describes
    assert (status1.kind, statement_ids(status1)) == ("metadata", [s1])
    assert (status2.kind, statement_ids(status2)) == ("metadata", [s2])
    assert test.fact == "3 > 2"
    double = only(kb, "double(x, 6)")
    assert double.children[1].fact == "6 = 3 * 2"


def test_plain_fact_shows_its_line(kb: KnowledgeBase) -> None:
    (helper,) = only(kb, "flag(a)").children
    assert helper.kind == "plain" and helper.span is not None
    assert (helper.span.file, helper.span.line) == ("t.dl", rule_line("helper"))


def test_builtin_contradiction(kb: KnowledgeBase) -> None:
    positive = statement_of(kb, "edge", ("a", "b"), "r1")
    negative = next(s.id for s in kb.statements if s.negated and s.row == ("a", "b"))
    root = only(kb, f"contradicted({positive}, {negative})")
    assert root.rule is not None and root.rule.label == "built-in inconsistency"
    assert [statement_ids(c) for c in root.children] == [[positive], [negative]]


def test_a_fact_that_does_not_hold_gets_an_answer(kb: KnowledgeBase) -> None:
    answer = why(kb, "indirect(b, c).")
    assert not answer.holds and not answer.proofs
    assert "indirect(b, c) does not hold" in answer.message and "whynot" in answer.message
    assert render_tree(answer) == answer.message
    alias = why(kb, 'member("Alpha", club)')
    assert "did you mean member(a, club)?" in alias.message


def test_all_lists_further_derivations(kb: KnowledgeBase) -> None:
    answer = why(kb, "reach(a, b)", all=True, limit=5)
    facts = [[leaf.fact for leaf in p.leaves()] for p in answer.proofs]
    assert facts[0] == ["edge(a, b)"]
    assert ["edge(a, b)", "edge(b, c)", "edge(c, a)", "edge(a, b)"] not in facts  # it would prove reach(a, b) by itself
    assert [p.depth for p in answer.proofs] == sorted(p.depth for p in answer.proofs)
    assert why(kb, "reach(a, b)", all=True, limit=1).proofs[0].depth == 1


def test_malformed_requests(kb: KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="not ground"):
        why(kb, "ally(X, b)")
    with pytest.raises(QueryError, match="not one fact"):
        why(kb, "ally(a, b), ally(b, c)")
    with pytest.raises(UnknownPredicateError) as info:
        why(kb, "aly(a, b)")
    assert info.value.hint == "did you mean 'ally'?"


# --- why not -------------------------------------------------------------------------------------


def test_why_not_a_stated_relation(kb: KnowledgeBase) -> None:
    answer = why_not(kb, "member(c, club)")
    assert not answer.holds and answer.message == "member(c, club) does not hold: no statement says it"
    hows = [how for how, _ in answer.nearest]
    assert hows[0] == "a statement denies it"
    assert "argument 1 differs: member(a, club)" in hows and "argument 1 differs: member(b, club)" in hows
    assert why_not(kb, "edge(b, a)").nearest[0][0] == "the reverse: edge(a, b)"
    alias = why_not(kb, 'member("the A group", club)')
    assert alias.nearest[0][0] == "an alias: member(a, club)"


def test_a_statement_in_english_is_quoted_without_its_own_period(kb: KnowledgeBase) -> None:
    """The period that ends an English statement is not part of what it says: `why` and `why not`
    quoted "Beta is a member of Club." with it (and `..."B and C are allies."."` after a quote)."""
    shown = render_tree(why_not(kb, "member(d, club)"))
    assert '"Beta is a member of Club"  (' in shown, shown
    assert '"Beta is a member of Club."' not in shown
    assert '"member(a, club)"  (' in shown  # a Datalog statement has no period to take off
    assert '"Beta is a member of Club"  (' in render_tree(why(kb, "member(b, club)"))


def test_why_not_a_derived_relation(kb: KnowledgeBase) -> None:
    # indirect(b, c) :- chain(b, c), b != c, not ally(b, c): the negation fails, ally(b, c) is stated
    (failure,) = why_not(kb, "indirect(b, c)").failures
    assert failure.literal == "not ally(b, c)"
    assert failure.reason == "ally(b, c) holds"
    assert statement_of(kb, "ally", ("b", "c"), "r1") in failure.remedy
    (failure,) = why_not(kb, "indirect(a, d)").failures
    assert (failure.literal, failure.reason) == ("chain(a, d)", "nothing derives chain(a, d)")
    # lonely(b) fails at its negation with a local variable
    (failure,) = why_not(kb, "lonely(d)").failures
    assert (failure.literal, failure.reason) == ("member(d, _)", "no statement says member(d, _)")
    assert why_not(kb, "indirect(a, c)").holds


# --- inconsistencies ------------------------------------------------------------------------------


def test_inconsistencies_rest_on_the_fewest_statements_weakest_first(kb: KnowledgeBase) -> None:
    found = [i for i in kb.inconsistencies() if i.kind in ("over", "contradicted")]
    explained = explain_inconsistencies(kb, found)
    by_kind = {inc.kind: support for inc, support in zip(found, explained, strict=True)}
    over = by_kind["over"]
    # the claim comes from the D-graded blog, the confirmation from the B-graded report
    assert [s["id"] for s in over] == [statement_of(kb, "strike_count", ("x", "t", 3), "b1"),
                                       statement_of(kb, "strike_count", ("x", "t", 2), "r1")]
    assert [s["reliability"] for s in over] == ["D", "B"]
    assert {"text", "id", "source", "reliability", "title", "date"} <= set(over[0])
    json.dumps(explained)  # ready for --format json
    assert [s["reliability"] for s in by_kind["contradicted"]] == ["D", "B"]


def test_corroborated_fact_needs_only_its_strongest_statement(kb: KnowledgeBase) -> None:
    from allegiance.kb import Inconsistency

    (support,) = explain_inconsistencies(kb, [Inconsistency("co_member", ("a", "b", "club"), "")])
    assert sorted(s["source"] for s in support) == ["r1", "r1"]  # member(a, club) from r1 (B), not b1 (D)


# --- JSON and the command line ---------------------------------------------------------------------


def test_json_nodes_and_leaves(kb: KnowledgeBase) -> None:
    data = proof_json(why(kb, "co_member(a, b, club)"))
    (root,) = data["proofs"]  # type: ignore[misc]
    assert root["rule"]["file"] == "t.dl" and root["rule"]["line"] == rule_line("co_member")
    corroborated, single, _test = root["children"]
    assert corroborated["corroborated"] is True and len(corroborated["children"]) == 2
    assert set(single["statement"]) >= {"id", "text", "file", "line", "status", "asserter"}
    assert single["source"]["title"] == "Report one" and single["source"]["reliability"] == "B"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    (tmp_path / "facts").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "facts" / "t.facts").write_text(FACTS)
    (tmp_path / "rules" / "t.dl").write_text(RULES)
    return tmp_path


def test_cli_why_and_whynot(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["why", "indirect(a, c)", "--kb", str(kb_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("indirect(a, c)   [support B6 reported]\n") and f"t.dl:{rule_line('indirect')}: " in out
    assert "statement r1_" in out and "Report one" in out
    assert main(["why", "indirect(b, c)", "--kb", str(kb_dir)]) == 1
    assert "does not hold" in capsys.readouterr().out
    assert main(["why", "indirect(a, c)", "--kb", str(kb_dir), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["holds"] and data["proofs"][0]["fact"] == "indirect(a, c)"
    assert main(["why", "indirect(X, c)", "--kb", str(kb_dir)]) == 2
    err = capsys.readouterr().err
    assert "not ground" in err and "^" in err
    assert main(["whynot", "indirect(b, c)", "--kb", str(kb_dir)]) == 0
    assert "fails at not ally(b, c)" in capsys.readouterr().out
    assert main(["inconsistencies", "--explain", "--kb", str(kb_dir)]) == 1
    assert "a report by Blog, graded D6]" in capsys.readouterr().out  # the grade, not the bare reliability


# --- properties -----------------------------------------------------------------------------------


def check_proof(kb: KnowledgeBase, proof: Proof, path: tuple[tuple[object, object], ...] = ()) -> None:
    """Every leaf is a real statement, a plain fact with a span, a metadata fact's statement, source
    or entity, a negation or a test; no fact repeats on a root-to-leaf path."""
    key = (proof.sym, proof.row)
    if proof.sym is not None:
        assert key not in path, f"{proof.fact} proves itself"
    statements = set(kb.statements)
    assert proof.kind != "unexplained", proof.fact
    if proof.kind == "derived":
        assert proof.rule is not None and proof.children
        for child in proof.children:
            check_proof(kb, child, (*path, key))
    elif proof.kind == "stated":
        assert proof.evidence and all(e.statement in statements for e in proof.evidence)
        assert all(e.statement is not None and e.statement.row == proof.row or
                   e.statement is not None and proof.row == tuple(reversed(e.statement.row))
                   for e in proof.evidence)
    elif proof.kind == "plain":
        assert proof.span is not None
    elif proof.kind == "metadata":
        (e,) = proof.evidence
        assert e.statement in statements or e.source is not None or e.entity is not None
    else:
        assert proof.kind in ("absent", "test") and not proof.children


def all_facts(kb: KnowledgeBase) -> Iterator[str]:
    for sym in kb.predicates():
        for row in kb.facts(sym):
            yield fact_text(sym, row)


def test_every_proof_of_the_small_kb(kb: KnowledgeBase) -> None:
    for fact in all_facts(kb):
        answer = why(kb, fact, all=True, limit=3)
        assert answer.holds and answer.proofs, fact
        for proof in answer.proofs:
            check_proof(kb, proof)


@pytest.fixture(scope="module")
def bundled() -> Iterator[KnowledgeBase]:
    base = KnowledgeBase.bundled(timeout=None)
    yield base
    base.close()


def test_bundled_indirect_ally_through_the_alliance_of_41(bundled: KnowledgeBase) -> None:
    # indirect_ally(fsa, ahrar_al_sham) :- allied_chain(fsa, ahrar_al_sham), fsa != ahrar_al_sham,
    #     not ally(fsa, ahrar_al_sham).  allied_chain <- allied <- co_member(fsa, ahrar_al_sham, alliance41)
    #     <- member(fsa, alliance41), member(ahrar_al_sham, alliance41).
    root = only(bundled, "indirect_ally(fsa_groups_in_alliance41, ahrar_al_sham)")
    assert root.rule is not None and root.rule.span.file.endswith("links.dl")
    assert "no statement says ally(fsa_groups_in_alliance41, ahrar_al_sham)" in [c.fact for c in root.children]
    facts = [node.fact for node in root.nodes()]
    assert "co_member(fsa_groups_in_alliance41, ahrar_al_sham, alliance41)" in facts
    members = [leaf for leaf in root.leaves() if leaf.kind == "stated"]
    assert sorted(leaf.row for leaf in members if leaf.row) == [
        ("ahrar_al_sham", "alliance41"), ("fsa_groups_in_alliance41", "alliance41")]
    for leaf in members:
        assert all(e.source is not None and e.source.reliability for e in leaf.evidence)


def test_every_proof_of_the_bundled_kb(bundled: KnowledgeBase) -> None:
    derived = bundled.program.derived
    count = 0
    for sym in bundled.predicates():
        if sym not in derived:
            continue
        for row in bundled.facts(sym):
            answer = why(bundled, fact_text(sym, row), all=True, limit=3)
            assert answer.holds and answer.proofs
            for proof in answer.proofs:
                check_proof(bundled, proof)
            count += 1
    assert count > 0
