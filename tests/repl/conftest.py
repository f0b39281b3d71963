"""Knowledge bases for the REPL's tests: the bundled one (read only, shared) and a small one built
per test, so a test that adds, retracts or undoes changes nothing another test sees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allegiance.repl.session import Session

from allegiance.kb import KnowledgeBase

SCHEMA = """\
.source s1 { title: "A test source" publisher: "Test Wire" date: 2015-10-05 reliability: B }
.entity nusra { name: "Nusra Front" aliases: "al-Nusra", "Jabhat al-Nusra" kind: group }
.entity ahrar { name: "Ahrar al-Sham" kind: group }
.entity alliance41 { name: "Alliance of 41" kind: coalition }
.relation member(group, coalition) {
  phrases: "{group} is a member of {coalition}"
  doc: "a group belongs to a coalition"
}
.relation ally(a, b) { symmetric: yes  phrases: "{a} is allied with {b}" }
member(ahrar, alliance41).
ally(ahrar, nusra).
"""

RULES = """\
.inconsistency ally_of_member(group, coalition) {
  message: "{group} is allied with a member of {coalition}"
}
ally_of_member(X, C) :- ally(X, Y), member(Y, C), X != Y.
"""


@pytest.fixture(scope="session")
def bundled() -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase.bundled(timeout=None)
    yield kb
    kb.close()


def make_small_kb() -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(SCHEMA, file="test.facts")
    kb.load_text(RULES, file="test.dl")
    return kb


@pytest.fixture
def small_kb() -> Iterator[KnowledgeBase]:
    kb = make_small_kb()
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def shared_small_kb() -> Iterator[KnowledgeBase]:
    """For tests that only read."""
    kb = make_small_kb()
    yield kb
    kb.close()


@pytest.fixture
def session(small_kb: KnowledgeBase) -> Session:
    return Session(small_kb)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # History and journals must never land in the real home directory.
    monkeypatch.setenv("ALLEGIANCE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
