"""Source chains and assumed dates: a source's `via:` and `date_assumed:` fields become the metadata
relations via/2 and date_assumed/1, `why` prints them, and a trust policy can leave out what came
through two relays (issue 17: "X, as reported by Y, quoting Z" is queryable)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from allegiance import KnowledgeBase
from allegiance.errors import AllegianceError
from allegiance.explain import proof_json as why_json
from allegiance.explain import render_tree, why
from allegiance.selection import Selection

FACTS = """\
.entity a { name: "Alpha" kind: group }
.entity b { name: "Beta" kind: group }
.relation hits(x, y) { phrases: "{x} hits {y}" }
.source blog { title: "Blog" date: 2015-10-05 date_assumed: yes }
.source wire { title: "Wire" date: 2015-10-05 via: blog }
.source speaker { title: "Speech" via: wire }
hits(a, b) from source speaker.
hits(b, a) from source wire.
.trust near {
  relayed_twice(Src) :- via(Src, R), via(R, _).
  trusted(S) :- source(S, Src), not relayed_twice(Src).
}
"""


@pytest.fixture(scope="module")
def kb() -> Iterator[KnowledgeBase]:
    with KnowledgeBase() as base:
        base.load_text(FACTS, "chain.facts")
        yield base


def test_via_and_date_assumed_are_metadata(kb: KnowledgeBase) -> None:
    assert sorted(kb.query("via(S, R)").rows) == [("speaker", "wire"), ("wire", "blog")]
    assert kb.query("date_assumed(S)").rows == [("blog",)]


def test_a_policy_leaves_out_what_came_through_two_relays(kb: KnowledgeBase) -> None:
    assert sorted(kb.query("hits(X, Y)").rows) == [("a", "b"), ("b", "a")]
    assert kb.query("hits(X, Y)", Selection("near")).rows == [("b", "a")]


def test_why_names_the_relay_and_the_assumed_date(kb: KnowledgeBase) -> None:
    text = render_tree(why(kb, "hits(a, b)"))
    assert 'source "Speech", reliability ?, via wire' in text
    with KnowledgeBase() as other:
        other.load_text(FACTS.replace("hits(a, b) from source speaker.", "hits(a, b) from source blog."), "c.facts")
        assert 'source "Blog", 2015-10-05 (date assumed), reliability ?' in render_tree(why(other, "hits(a, b)"))


def test_date_assumed_takes_yes_or_no() -> None:
    with KnowledgeBase() as base, pytest.raises(AllegianceError, match="date_assumed of source s is neither yes nor no"):
        base.load_text('.source s { title: "S" date_assumed: maybe }\n', "bad.facts")


def test_via_names_another_declared_source() -> None:
    with KnowledgeBase() as base, pytest.raises(AllegianceError, match="source wire is via blgo, which is not another declared source"):
        base.load_text(FACTS.replace("via: blog", "via: blgo"), "bad.facts")


def test_why_shows_every_hop_of_the_chain_not_only_the_first(kb: KnowledgeBase) -> None:
    text = render_tree(why(kb, "hits(a, b)"))
    assert "reached us via wire (2015-10-05, reliability ?), then blog (2015-10-05 (date assumed), reliability ?)" in text
    # one hop: the chain is that hop
    assert "reached us via blog (2015-10-05 (date assumed), reliability ?)" in render_tree(why(kb, "hits(b, a)"))
    relays = why_json(why(kb, "hits(a, b)"))["proofs"][0]["source"]["relays"]
    assert [[hop["id"] for hop in chain] for chain in relays] == [["wire", "blog"]]


def test_a_source_with_two_relays_shows_both_chains_and_a_cycle_ends_one() -> None:
    facts = FACTS.replace(".source speaker { title: \"Speech\" via: wire }",
                          ".source speaker { title: \"Speech\" via: wire, tv }\n.source tv { title: \"TV\" via: speaker }")
    with KnowledgeBase() as base:
        base.load_text(facts, "chain.facts")
        chains = base.catalog.relay_chains("speaker")
        assert [[s.id for s in chain] for chain in chains] == [["wire", "blog"], ["tv"]]
        text = render_tree(why(base, "hits(a, b)"))
        assert "reached us via wire (2015-10-05, reliability ?), then blog" in text and "reached us via tv (reliability ?)" in text


CARRIED = FACTS.replace('.source speaker { title: "Speech" via: wire }',
                        '.entity speech { name: "the speech" kind: event }\n'
                        '.entity c { name: "Gamma" kind: group }\n'
                        '.entity other_speech { name: "another speech" kind: event }\n'
                        '.relation relayed(messenger, document, recipient) { phrases: "{messenger} relayed {document} to {recipient}" }\n'
                        'relayed(c, speech, a) from source blog.\n'
                        'relayed(b, other_speech, a) from source blog.\n'
                        '.source speaker { title: "Speech" via: wire document: speech }')


def test_why_shows_who_carried_a_relayed_statement() -> None:
    # "The rebel alliance issued a joint statement that was sent directly to Reuters via Ahrar al-Sham":
    # a claim from the statement shows, beside its chain of sources, who carried it (relayed/3).
    with KnowledgeBase() as base:
        base.load_text(CARRIED, "carried.facts")
        assert base.query("document(S, D)").rows == [("speaker", "speech")]
        text = render_tree(why(base, "hits(a, b)"))
        assert "  carried by c to a: relayed(c, speech, a), statement blog_1 (carried.facts:" in text
        assert "other_speech" not in text
        source = why_json(why(base, "hits(a, b)"))["proofs"][0]["source"]
        assert source["document"] == "speech" and [s["id"] for s in source["carried"]] == ["blog_1"]
        # a statement from a source that is no document, nor relayed through one: nothing carried
        assert "carried by" not in render_tree(why(base, "hits(b, a)"))
        assert why_json(why(base, "hits(b, a)"))["proofs"][0]["source"]["carried"] == []


def test_a_relay_in_the_chain_that_is_a_document_shows_its_carrier_too() -> None:
    facts = CARRIED.replace("via: wire document: speech }", "via: wire }").replace(
        '.source wire { title: "Wire" date: 2015-10-05 via: blog }',
        '.source wire { title: "Wire" date: 2015-10-05 via: blog document: speech }')
    with KnowledgeBase() as base:
        base.load_text(facts, "carried.facts")
        assert "carried by c to a: relayed(c, speech, a)" in render_tree(why(base, "hits(a, b)"))


def test_document_names_a_declared_entity() -> None:
    with KnowledgeBase() as base, pytest.raises(AllegianceError, match="is the document speeech, which is no declared entity"):
        base.load_text(CARRIED.replace("document: speech", "document: speeech"), "bad.facts")


def test_the_joint_statement_shows_it_was_sent_to_reuters_via_ahrar_al_sham() -> None:
    with KnowledgeBase.bundled() as base:
        text = render_tree(why(base, "target_mismatch(russia, isis, civilians, alliance41)"))
        assert "reached us via reuters_2015_10_05 (Reuters, " in text
        assert "carried by ahrar_al_sham to reuters: relayed(ahrar_al_sham, joint_statement, reuters)" in text


def test_sources_say_an_assumed_date_is_assumed() -> None:
    # `why` says "(date assumed)"; so do `sources` (text and JSON) and the REPL's :sources listing
    from allegiance.repl.dispatch import dispatch
    from allegiance.repl.session import Session

    from allegiance.explain.critical import reliance_json, reliance_text, rests_on
    from allegiance.parse import parse_query

    with KnowledgeBase() as base:
        base.load_text(FACTS + "hits(b, b) from source blog.\n", "chain.facts")
        query = parse_query("hits(b, X)")
        found = rests_on(base, query)
        text = reliance_text(query, found, base)
        assert 'blog ("Blog", 2015-10-05 (date assumed), reliability not graded)' in text
        assert 'wire ("Wire", 2015-10-05, reliability not graded)' in text
        shown = {s["source"]: s["date_assumed"] for a in reliance_json(query, found, base)["critical"]  # type: ignore[attr-defined]
                 for s in a}
        assert shown == {"wire": False, "blog": True}
        listing = dispatch(":sources", Session(base)).text.splitlines()
        assert "2015-10-05 (assumed)" in next(line for line in listing if line.startswith("blog"))
        assert "(assumed)" not in next(line for line in listing if line.startswith("wire"))
