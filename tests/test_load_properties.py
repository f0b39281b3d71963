"""Loading is order-independent: for random valid fact files A and B, loading A then B, B then A,
and their concatenation as one file give the same knowledge base.

"The same" is what a user can observe, except statement ids: an id numbers a statement within its
source in load order (`s1_3`), so ids are replaced by the statements they name before comparing."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance.kb import KnowledgeBase

SCHEMA = """\
.source s1 { title: "one" publisher: "P" }
.source s2 { title: "two" }
.source s3 { title: "three" }
.entity p { name: "P" kind: media }
.entity a { name: "A" kind: group }
.entity b { name: "B" kind: group }
.entity c { name: "C" kind: coalition }
.entity d { name: "D" kind: coalition }
.relation member(group, coalition) { phrases: "{group} is a member of {coalition}" }
.relation ally(x, y) { symmetric: yes phrases: "{x} is allied with {y}" }
.relation strike_count(actor, target, count: number) { phrases: "{actor} struck {target} with {count} strikes" }
"""

RULES = """\
fellow(X, Y) :- member(X, C), member(Y, C), X != Y.
unopposed(X, C) :- member(X, C), not no_member(X, C).
friend(X, Z) :- ally(X, Y), fellow(Y, Z).
claimed_twice(A, T) :- strike_count(A, T, N) as S1, status(S1, claimed), strike_count(A, T, M) as S2, S1 != S2.
"""

groups, coalitions = st.sampled_from(["a", "b"]), st.sampled_from(["c", "d"])
parties = st.sampled_from(["a", "b", "c", "d"])
qualifier = st.sampled_from(["", " claimed by a", " confirmed by b", " denied by p", " on 2015-10-01",
                             " between 2015-10-01 and 2015-10-03", " credibility 2"])
source = st.sampled_from(["s1", "s2", "s3"])


@st.composite
def statement(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["member", "ally", "strike_count"]))
    if kind == "member":
        atom = f"member({draw(groups)}, {draw(coalitions)})"
    elif kind == "ally":
        atom = f"ally({draw(parties)}, {draw(parties)})"
    else:
        atom = f"strike_count({draw(groups)}, {draw(parties)}, {draw(st.integers(0, 3))})"
    negated = "not " if draw(st.booleans()) and kind != "strike_count" else ""
    return f"{negated}{atom}{draw(qualifier)} from source {draw(source)}."


fact_file = st.lists(statement(), min_size=0, max_size=8).map(lambda lines: "\n".join(lines) + "\n")


def observed(kb: KnowledgeBase) -> tuple[object, ...]:
    by_id = {s.id: ("statement", s.identity()) for s in kb.statements}

    def canonical(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(by_id.get(v, v) if isinstance(v, str) else v for v in row)

    facts = {str(p): sorted(map(repr, (canonical(r) for r in kb.facts(p)))) for p in kb.predicates()}
    return frozenset(by_id.values()), facts, len(kb.statements)


def knowledge_base(tmp_path: Path, *texts: str) -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(SCHEMA, "schema.facts")
    kb.load_text(RULES, "rules.dl")
    for n, text in enumerate(texts):
        path = tmp_path / f"file{n}_{len(texts)}.facts"
        path.write_text(text, encoding="utf-8")
        kb.load_path(path)
    return kb


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=fact_file, b=fact_file)
def test_load_order_and_concatenation_do_not_matter(tmp_path: Path, a: str, b: str) -> None:
    kbs = [knowledge_base(tmp_path, a, b), knowledge_base(tmp_path, b, a), knowledge_base(tmp_path, a + b)]
    try:
        first, second, joined = (observed(kb) for kb in kbs)
        assert first == second
        assert first == joined
    finally:
        for kb in kbs:
            kb.close()
