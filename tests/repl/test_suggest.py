"""suggest.py: completion from the text before the cursor and a KBIndex, without a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from allegiance.repl import commands
from allegiance.repl.suggest import MAX_SUGGESTIONS, EntityInfo, KBIndex, context, signature_hint, suggest

from allegiance.kb import KnowledgeBase


@pytest.fixture(scope="module")
def index(shared_small_kb: KnowledgeBase) -> KBIndex:
    return KBIndex.from_kb(shared_small_kb, commands.completion_table())


def texts(text: str, index: KBIndex, cwd: str | None = None) -> list[str]:
    return [s.text for s in suggest(text, index, cwd)]


def test_predicates_with_arity_and_argument_names(index: KBIndex) -> None:
    [member] = suggest("mem", index)
    assert (member.text, member.start, member.display) == ("member", -3, "member(group, coalition)")
    assert member.meta.startswith("member/2") and "a group belongs to a coalition" in member.meta
    assert "ally_of_member" in texts("al", index) and "ally" in texts("al", index)


def test_entities_inside_an_argument_list(index: KBIndex) -> None:
    assert texts("member(", index) == ["ahrar", "alliance41", "nusra", "s1"]  # s1: a source
    assert texts("member(ahrar, al", index) == ["alliance41", "nusra"]  # ids first, then "al-Nusra"
    [nusra] = suggest("ally(X, nu", index)
    assert (nusra.text, nusra.start) == ("nusra", -2) and "Nusra Front" in nusra.meta


def test_display_names_and_aliases_complete_to_the_atom(index: KBIndex) -> None:
    found = suggest("ally(X, Jab", index)
    assert [(s.text, s.start) for s in found] == [("nusra", -3)]
    assert "Jabhat al-Nusra" in found[0].display


def test_variables_come_from_the_clause(index: KBIndex) -> None:
    assert texts("linked(Xa, Yb) :- ally(Xa, Z), member(Z, Y", index) == ["Yb"]
    assert texts("ally(Xa, b). member(X", index) == []  # another clause's variables are not in scope


def test_nothing_inside_comments_or_strings(index: KBIndex) -> None:
    assert texts("% mem", index) == []
    assert texts("ally(X, Y). // mem", index) == []
    assert texts('member("nu', index) == []
    assert texts('member("a, b", nu', index) == ["nusra"]  # the string is closed again
    assert texts("% a comment\nmem", index) == ["member"]


def test_no_predicates_after_a_directive_or_inside_a_number(index: KBIndex) -> None:
    assert texts(".ent", index) == []
    assert texts("p(2.5", index) == []


def test_english_completes_display_names(index: KBIndex) -> None:
    found = suggest("Ahrar al-Sham is allied with Nus", index)
    assert [(s.text, s.start, s.meta) for s in found] == [("Nusra Front", -3, "nusra")]


def test_meta_commands_and_their_arguments(index: KBIndex, tmp_path: Path) -> None:
    assert ":load" in texts(":lo", index)
    assert all(t.startswith(":") for t in texts(":", index)) and len(texts(":", index)) >= 15
    assert texts(":help reL", index) == []
    assert texts(":help rel", index) == ["reload"]
    assert texts(":facts mem", index) == ["member"]
    assert texts(":format c", index) == ["csv"]
    assert texts(":time o", index) == ["on", "off"]
    assert texts(":retract member(nu", index) == ["nusra"]
    assert texts(":why ally(X, ah", index) == ["ahrar"]
    assert texts(":timeline --in", index) == ["--inconsistencies"]  # a flag instead of a query
    assert texts(":timeline -", index) == ["--inconsistencies"]
    assert texts(":timeline mem", index) == ["member"] and texts(":timeline --inconsistencies", index) == []
    assert signature_hint(":timeline member(ahrar, ", index).startswith("member(group, [coalition])")


def test_file_paths_after_load(index: KBIndex, tmp_path: Path) -> None:
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "a.facts").write_text("")
    (tmp_path / "facts" / "b.dl").write_text("")
    (tmp_path / ".hidden").write_text("")
    assert texts(":load ", index, str(tmp_path)) == ["facts/"]
    assert texts(":load fa", index, str(tmp_path)) == ["facts/"]
    found = suggest(":load x.dl facts/", index, str(tmp_path))
    assert [(s.text, s.start) for s in found] == [("a.facts", 0), ("b.dl", 0)]
    assert texts(f":load {tmp_path}/facts/b", index) == ["b.dl"]
    assert texts(":load nothing/here/", index, str(tmp_path)) == []


def test_signature_hint_marks_the_argument(index: KBIndex) -> None:
    assert signature_hint("member(ahrar, ", index) == "member(group, [coalition]): a group belongs to a coalition"
    assert signature_hint("member(ahrar, alliance41), ", index) == ""
    assert signature_hint(":lo", index) == ""
    assert signature_hint(":load", index).startswith(":load  load fact and rule files")


def test_context_tracks_atoms_strings_and_comments() -> None:
    ctx = context('p(a, "x, (y", q')
    assert (ctx.atom, ctx.arg, ctx.in_string) == ("p", 2, False)
    assert context("p(X) :- q(X), r(X % 2, ").arg == 1
    assert context("ally(X, Y) % note (").in_comment


def test_the_index_never_reads_facts(small_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("completion must not read facts")

    for name in ("query", "facts", "statements_for", "inconsistencies"):
        monkeypatch.setattr(small_kb, name, forbidden)
    for name in ("query", "relation"):
        monkeypatch.setattr(small_kb.engine, name, forbidden)
    index = KBIndex.from_kb(small_kb, commands.completion_table())
    assert texts("member(nu", index) == ["nusra"]


def test_lookups_stay_bounded_on_a_large_index() -> None:
    entities = {f"group_{i:06d}": EntityInfo(f"group_{i:06d}", f"Group {i}", "group") for i in range(100_000)}
    index = KBIndex({}, entities, {})
    index.add_names([(e.name, e.id) for e in entities.values()])
    assert len(suggest("p(g", index)) == MAX_SUGGESTIONS
    assert texts("p(group_09999", index) == [f"group_09999{d}" for d in range(10)]
