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
