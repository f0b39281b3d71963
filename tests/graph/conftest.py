"""Knowledge bases for the link chart's tests: a small one written here, with every kind of edge the
chart draws (stated, corroborated, symmetric, claimed only, denied, dated, derived, weak), and a
hostile name and quote that must reach the page only as data; and the bundled one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from allegiance.kb import KnowledgeBase

SMALL = """\
.source wire { title: "Test Wire report" publisher: "Test Wire" date: 2015-10-05 reliability: B }
.source blog { title: "A blog post" publisher: "Some Blog" date: 2015-10-06 reliability: E }
.entity nusra { name: "Nusra Front" aliases: "al-Nusra", "Jabhat al-Nusra" kind: group }
.entity ahrar { name: "Ahrar al-Sham" kind: group }
.entity alliance41 { name: "Alliance of 41" kind: coalition }
.entity usa { name: "United States" aliases: "USA" kind: state }
.entity cia { name: "CIA" kind: agency }
.entity lavrov { name: "Sergei Lavrov" kind: person }
.entity idlib { name: "Idlib" kind: place }
.entity russia { name: "Russia" kind: state }
.entity hostile { name: "</script><script>alert('x')</script> \\"&amp;" kind: group }
.relation member(group, coalition) { phrases: "{group} is a member of {coalition}" }
.relation ally(a, b) { symmetric: yes  phrases: "{a} is allied with {b}" }
.relation backs(backer, backed) { phrases: "{backer} backs {backed}" }
.relation part_of(part, whole) { phrases: "{part} is part of {whole}" }
.relation official_of(person, body) { phrases: "{person} is an official of {body}" }
.relation strikes(attacker, target) { phrases: "{attacker} strikes {target}" }
.relation operates_in(group, place) { phrases: "{group} operates in {place}" }

.source wire.
member(ahrar, alliance41) quoting "Ahrar al-Sham joined the alliance.".
member(ahrar, alliance41) confirmed by usa.
ally(ahrar, nusra) between 2015-01-01 and 2015-12-31.
part_of(cia, usa).
official_of(lavrov, russia) since 2004-03-09.
strikes(russia, idlib) claimed by russia quoting "We struck Idlib </script> & \\"more\\"".
not member(nusra, alliance41).
operates_in(nusra, idlib).
backs(cia, nusra) between 2013-01-01 and 2014-12-31.
.source blog.
backs(usa, hostile).
ally(nusra, ahrar) reported by blog.
"""

RULES = """\
backed(X, Y) :- backs(X, Y).
backed(X, Y) :- part_of(A, X), backs(A, Y).
tied(X, Y) :- ally(X, Y).
tied(X, Y) :- member(X, C), member(Y, C), X != Y.
indirect(X, Z) :- ally(X, Y), member(Y, Z).
"""


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small_kb")
    (root / "facts").mkdir()
    (root / "rules").mkdir()
    (root / "facts" / "small.facts").write_text(SMALL)
    (root / "rules" / "small.dl").write_text(RULES)
    return root


@pytest.fixture(scope="session")
def small(small_dir: Path) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(timeout=None)
    kb.load_path(small_dir / "facts", small_dir / "rules")
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def bundled() -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase.bundled(timeout=None)
    yield kb
    kb.close()
