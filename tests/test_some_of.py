"""Some of X: an entity declared `some_of: X` stands for some unnamed members or parts of X; it is
metadata some_of/2, `why` says so, and naming an undeclared whole is an error (issue 17)."""

from __future__ import annotations

import pytest

from allegiance import KnowledgeBase
from allegiance.errors import AllegianceError
from allegiance.explain import render_tree, why

FACTS = """\
.entity umbrella { name: "Umbrella" kind: coalition }
.entity unit { name: "Unit" kind: group }
.entity agency { name: "Agency" kind: agency }
.entity trainees { name: "some Umbrella groups" kind: group some_of: umbrella }
.relation trains(x, y) { phrases: "{x} trains {y}" }
.relation part_of(x, y) { phrases: "{x} is part of {y}" }
.source s { title: "S" }
trains(agency, trainees).
part_of(unit, umbrella).
"""


def test_some_of_is_metadata_and_says_nothing_of_the_whole() -> None:
    with KnowledgeBase() as kb:
        kb.load_text(FACTS, "k.facts")
        assert kb.query("some_of(E, X)").rows == [("trainees", "umbrella")]
        assert not kb.query("trains(_, umbrella)") and not kb.query("trains(_, unit)")
        assert 'entity trainees "some Umbrella groups", some of umbrella' in render_tree(why(kb, "kind(trainees, group)"))


def test_some_of_an_undeclared_entity_is_an_error() -> None:
    with KnowledgeBase() as kb, pytest.raises(AllegianceError, match="entity trainees is some of an unknown entity umbrela"):
        kb.load_text(FACTS.replace("some_of: umbrella", "some_of: umbrela"), "k.facts")


def _facts(kb: KnowledgeBase) -> list[tuple[object, ...]]:
    return sorted((*kb.query("trains(X, Y)").rows, *kb.query("part_of(X, Y)").rows))


@pytest.mark.parametrize("sentence", ["The Agency trains some of the Umbrella.", "Agency trains some of Umbrella.",
                                      "The Agency trains some   of umbrella."])
def test_some_of_x_in_a_sentence_states_the_fact_the_part_s_id_states(sentence: str) -> None:
    # "some of X" names the one part declared `some_of: X`: the same fact (and statement relation)
    # as the Datalog form naming the part, and nothing about the whole
    with KnowledgeBase() as english, KnowledgeBase() as datalog:
        english.load_text(FACTS.replace("trains(agency, trainees).", sentence), "k.facts")
        datalog.load_text(FACTS, "k.facts")
        assert _facts(english) == _facts(datalog) == [("agency", "trainees"), ("unit", "umbrella")]
        assert english.query("__stmt_trains(X, Y, S)").rows == datalog.query("__stmt_trains(X, Y, S)").rows
        assert not english.query("trains(_, umbrella)")


def test_some_of_x_as_the_subject_and_an_alias_that_starts_with_some_of() -> None:
    facts = FACTS.replace('name: "some Umbrella groups"', 'name: "Trainees" aliases: "some of the best units"')
    with KnowledgeBase() as kb:
        kb.load_text(facts + "Some of the Umbrella is part of the Umbrella.\nThe Agency trains some of the best units.\n",
                     "k.facts")
        assert kb.query("part_of(trainees, umbrella)") and kb.query("trains(agency, trainees)")


def test_some_of_x_with_no_part_or_several_names_none() -> None:
    with KnowledgeBase() as kb:
        with pytest.raises(AllegianceError, match='"some of the Unit" names no declared part of unit'):
            kb.load_text(FACTS + "The Agency trains some of the Unit.\n", "k.facts")
        second = '.entity others { name: "other Umbrella groups" kind: group some_of: umbrella }\n'
        with pytest.raises(AllegianceError, match="could be any of the 2 declared parts of umbrella"):
            kb.load_text(FACTS + second + "The Agency trains some of the Umbrella.\n", "k.facts")
        assert kb.statements == ()
