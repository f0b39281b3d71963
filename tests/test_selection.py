"""Selections: which statements count (trust policy, sources left out, valid time, knowledge time).

The property tests compare the knowledge base evaluated under a selection with an oracle written
here: the statements filtered by hand (each rule of docs/language.md "Selections" restated), then a
naive fixpoint of the fixed program below over the facts of the statements that are left. Each
counts the examples it really compared.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance import KnowledgeBase
from allegiance.errors import AllegianceError, CheckError, ParseError, StatementError
from allegiance.errors import render as render_error
from allegiance.explain.critical import rests_on
from allegiance.selection import Selection, covers, parse_date

D0 = datetime.date(2015, 10, 1)
ENTITIES = ("n0", "n1", "n2", "n3")
SOURCES = ("s0", "s1", "s2", "s3")
STATUSES = ("reported", "claimed", "confirmed", "assessed")
GRADES = ("A", "B", "C", "D", "F", None)
POLICIES = ("all", "confirmed", "reliable", "usual", "dated")

SCHEMA = "".join(f".entity {e} {{ name: \"{e.upper()}\" kind: group }}\n" for e in ENTITIES) + """
.relation e(x, y) { phrases: "{x} e {y}" }
.relation f(x, y) { phrases: "{x} f {y}" }
"""
# The program the oracle evaluates by hand below: recursion and negation.
RULES = """
path(X, Y) :- e(X, Y).
path(X, Z) :- path(X, Y), e(Y, Z).
lonely(X) :- f(X, _), not path(X, _).
"""


@dataclass(frozen=True)
class Stmt:
    pred: str
    a: str
    b: str
    source: str
    status: str
    valid: tuple[str, datetime.date | None, datetime.date | None]  # (qualifier kind, d1, d2)

    @property
    def bounds(self) -> tuple[datetime.date | None, datetime.date | None]:
        kind, d1, d2 = self.valid
        return {"none": (None, None), "on": (d1, d1), "between": (d1, d2), "since": (d1, None),
                "until": (None, d1)}[kind]

    def text(self) -> str:
        kind, d1, d2 = self.valid
        when = {"none": "", "on": f" on {d1}", "between": f" between {d1} and {d2}", "since": f" since {d1}",
                "until": f" until {d1}"}[kind]
        return f"{self.pred}({self.a}, {self.b}) {self.status} by n0 from source {self.source}{when}.\n"


@dataclass(frozen=True)
class Case:
    grades: tuple[str | None, ...]  # per source
    published: tuple[datetime.date | None, ...]
    statements: tuple[Stmt, ...]
    plain: tuple[tuple[str, str, str], ...]  # axioms in the rule file

    def files(self) -> dict[str, str]:
        sources = "".join(
            f".source {s} {{ title: \"{s}\" publisher: \"P\""
            + (f" reliability: {g}" if g else "") + (f" date: {d}" if d else "") + " }\n"
            for s, g, d in zip(SOURCES, self.grades, self.published, strict=True))
        facts = "".join(st.text() for st in self.statements)
        rules = RULES + "".join(f"{p}({a}, {b}).\n" for p, a, b in self.plain)
        return {"schema.facts": SCHEMA + sources, "s.facts": facts, "r.dl": rules}


def _date(draw: st.DrawFn) -> datetime.date:
    return D0 + datetime.timedelta(days=draw(st.integers(0, 9)))


def _maybe_date(draw: st.DrawFn) -> datetime.date | None:
    return _date(draw) if draw(st.booleans()) else None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    def stmt() -> Stmt:
        kind = draw(st.sampled_from(("none", "on", "between", "since", "until")))
        d1 = _date(draw)
        d2 = d1 + datetime.timedelta(days=draw(st.integers(0, 5)))
        return Stmt(draw(st.sampled_from(("e", "e", "f"))), draw(st.sampled_from(ENTITIES)),
                    draw(st.sampled_from(ENTITIES)), draw(st.sampled_from(SOURCES)), draw(st.sampled_from(STATUSES)),
                    (kind, d1, d2))

    statements = tuple(stmt() for _ in range(draw(st.integers(1, 12))))
    plain = tuple((draw(st.sampled_from(("e", "f"))), draw(st.sampled_from(ENTITIES)), draw(st.sampled_from(ENTITIES)))
                  for _ in range(draw(st.integers(0, 2))))
    return Case(tuple(draw(st.sampled_from(GRADES)) for _ in SOURCES),
                tuple(_maybe_date(draw) for _ in SOURCES),
                statements, plain)


@st.composite
def selections(draw: st.DrawFn) -> Selection:
    return Selection(draw(st.sampled_from(POLICIES)), frozenset(draw(st.sets(st.sampled_from(SOURCES), max_size=2))),
                     _maybe_date(draw), _maybe_date(draw))


# --- the oracle: the rules of "Selections", restated, and a naive fixpoint ---------------------------


def counts_by_hand(case: Case, s: Stmt, sel: Selection) -> bool:
    i = SOURCES.index(s.source)
    grade, published = case.grades[i], case.published[i]
    lo, hi = s.bounds
    trusted = {
        "all": True,
        "confirmed": s.status == "confirmed",
        "reliable": grade in ("A", "B") and s.status != "claimed",
        "usual": grade in ("A", "B", "C") and s.status != "claimed",
        "dated": s.valid[0] != "none",
    }[sel.trust]
    at_ok = sel.at is None or ((lo is None or lo <= sel.at) and (hi is None or sel.at <= hi))
    known_ok = sel.known_on is None or published is None or published <= sel.known_on
    return trusted and s.source not in sel.without and at_ok and known_ok


def oracle(case: Case, sel: Selection) -> dict[str, set[tuple[str, ...]]]:
    e = {(s.a, s.b) for s in case.statements if s.pred == "e" and counts_by_hand(case, s, sel)}
    f = {(s.a, s.b) for s in case.statements if s.pred == "f" and counts_by_hand(case, s, sel)}
    e |= {(a, b) for p, a, b in case.plain if p == "e"}
    f |= {(a, b) for p, a, b in case.plain if p == "f"}
    path = set(e)
    while True:
        more = {(x, z) for x, y in path for y2, z in e if y == y2} - path
        if not more:
            break
        path |= more
    lonely = {(x,) for x, _ in f if not any(p[0] == x for p in path)}
    return {"e(X, Y)": e, "path(X, Y)": path, "lonely(X)": lonely}


def load(case: Case, tmp_dir: str) -> KnowledgeBase:
    root = Path(tmp_dir)
    for name, text in case.files().items():
        (root / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase()
    kb.load_files([root / "schema.facts", root / "s.facts", root / "r.dl"])
    return kb


# --- the property test ----------------------------------------------------------------------------------


def selections_against_oracle(examples: int, tmp: pytest.TempPathFactory) -> None:
    compared: list[int] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(), st.lists(selections(), min_size=2, max_size=2))
    def check_one(case: Case, sels: list[Selection]) -> None:
        with load(case, str(tmp.mktemp("sel"))) as kb:
            for sel in [Selection(), *sels]:
                expected = oracle(case, sel)
                for query, rows in expected.items():
                    assert set(kb.query(query, sel).rows) == rows, (sel, query)
        compared.append(1)

    check_one()
    assert len(compared) >= examples * 4 // 5, f"only {len(compared)} of {examples} examples compared"


@pytest.mark.thorough
def test_every_selection_agrees_with_filtering_the_statements_by_hand(tmp_path_factory: pytest.TempPathFactory) -> None:
    selections_against_oracle(15, tmp_path_factory)


@pytest.mark.slow
def test_every_selection_agrees_with_filtering_the_statements_by_hand_long(tmp_path_factory: pytest.TempPathFactory) -> None:
    selections_against_oracle(150, tmp_path_factory)


# --- examples ------------------------------------------------------------------------------------------


def test_until_and_since_are_inclusive_and_undated_counts_everywhere() -> None:
    d = datetime.date(2015, 10, 5)
    assert covers(None, d, d) and covers(d, None, d) and covers(d, d, d)
    assert not covers(None, d, d + datetime.timedelta(days=1))
    assert not covers(d, None, d - datetime.timedelta(days=1))
    assert covers(None, None, datetime.date(1900, 1, 1))


@pytest.fixture
def small() -> Iterator[KnowledgeBase]:
    case = Case(("A", "D", None, "B"), (datetime.date(2015, 10, 3), None, None, datetime.date(2015, 10, 9)),
                (Stmt("e", "n0", "n1", "s0", "confirmed", ("since", datetime.date(2015, 10, 2), None)),
                 Stmt("e", "n1", "n2", "s1", "claimed", ("none", None, None)),
                 Stmt("e", "n2", "n3", "s3", "reported", ("until", datetime.date(2015, 10, 4), None))),
                (("f", "n2", "n2"),))
    with tempfile.TemporaryDirectory() as tmp, load(case, tmp) as kb:
        yield kb


def test_the_default_selection_is_the_knowledge_base_itself(small: KnowledgeBase) -> None:
    assert small.under(None) is small and small.under(Selection()) is small
    assert small.query("path(n0, X)", Selection()).rows == small.query("path(n0, X)").rows == [("n1",), ("n2",), ("n3",)]


def test_a_view_is_cached_until_the_next_change(small: KnowledgeBase) -> None:
    sel = Selection("reliable")
    view = small.under(sel)
    assert small.under(sel) is view
    small.load_text("e(n3, n0).", file="more.dl")
    assert small.under(sel) is not view
    assert ("n0",) in small.query("path(n3, X)", sel).rows, "a plain fact is an axiom: it counts under any policy"


def test_policies_inconsistencies_and_facts_follow_the_selection(small: KnowledgeBase) -> None:
    assert small.facts("e", Selection("confirmed")) == [("n0", "n1")]
    assert small.query("lonely(X)", Selection("confirmed")).rows == [("n2",)]
    assert small.query("lonely(X)").rows == []
    assert small.query("path(n0, X)", Selection(without=frozenset({"s1"}))).rows == [("n1",)]
    assert [i.kind for i in small.inconsistencies(Selection("reliable"))] == []


def test_an_unknown_policy_or_source_gets_a_did_you_mean(small: KnowledgeBase) -> None:
    with pytest.raises(CheckError, match="unknown trust policy reliabel") as exc:
        small.query("e(X, Y)", Selection("reliabel"))
    assert exc.value.hint == "did you mean 'reliable'?"
    with pytest.raises(StatementError, match="unknown source s9") as exc2:
        small.query("e(X, Y)", Selection(without=frozenset({"s9"})))
    assert "s0" in (exc2.value.hint or "")


@pytest.mark.parametrize(("text", "column", "width"), [("2015-13-01", 6, 2), ("2015-02-30", 9, 2), ("2015/02/03", 1, 10),
                                                       ("  yesterday", 3, 9)])
def test_a_bad_date_is_pointed_at(text: str, column: int, width: int) -> None:
    with pytest.raises(ParseError) as exc:
        parse_date(text, "--at")
    span = exc.value.span
    assert span is not None and (span.file, span.line, span.column, span.end_column - span.column) == ("--at", 1, column, width)
    drawn = render_error(exc.value, {"--at": text})
    assert drawn.splitlines()[1:3] == [f"    {text}", "    " + " " * (column - 1) + "^" * width] or "^" in drawn


def test_a_policy_of_the_knowledge_base_is_datalog_and_checked(small: KnowledgeBase) -> None:
    small.load_text('.trust cautious {\n  ok("A").\n  trusted(S) :- source(S, Src), reliability(Src, G), ok(G).\n}\n',
                    file="p.dl")
    assert small.facts("e", Selection("cautious")) == [("n0", "n1")]
    bad = {
        ".trust t { trusted(S) :- e(S, _). }": "unknown predicate e/2 in trust policy t",
        ".trust t { trusted(S) :- not status(S, claimed). }": "variable S",
        ".trust t { good(S) :- source(S, _). }": "never derives trusted(S)",
        ".trust t { status(S, confirmed) :- source(S, _). trusted(S) :- source(S, _). }": "metadata relation status/2",
        ".trust reliable { trusted(S) :- source(S, _). }": "is built in",
        ".trust t { trusted(S) :- source(S, _) on 2015-01-01. }": "Expected|unexpected|expected",
    }
    before = small.facts("e")
    for text, message in bad.items():
        with pytest.raises(AllegianceError, match=message.replace("(", r"\(").replace(")", r"\)")):
            small.load_text(text, file="bad.dl")
        assert small.facts("e") == before, "a bad policy changes nothing"


# --- what rests on one source: leave-one-out as the oracle -------------------------------------------


def critical_against_oracle(examples: int, tmp: pytest.TempPathFactory) -> None:
    compared: list[int] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(), selections())
    def check_one(case: Case, sel: Selection) -> None:
        with load(case, str(tmp.mktemp("crit"))) as kb:
            for query in ("path(X, Y)", "lonely(X)"):
                held = oracle(case, sel)[query]
                expected = {row: tuple(s for s in SOURCES if s not in sel.without
                                       and row not in oracle(case, sel.replace(without=sel.without | {s}))[query])
                            for row in held}
                found = rests_on(kb, query, sel)
                assert {r.row: r.critical for r in found} == expected, (sel, query)
                assert [r.row for r in found] == kb.query(query, sel).rows
        compared.append(1)

    check_one()
    assert len(compared) >= examples * 4 // 5, f"only {len(compared)} of {examples} examples compared"


@pytest.mark.thorough
def test_critical_sources_agree_with_leaving_each_source_out_by_hand(tmp_path_factory: pytest.TempPathFactory) -> None:
    critical_against_oracle(12, tmp_path_factory)


@pytest.mark.slow
def test_critical_sources_agree_with_leaving_each_source_out_by_hand_long(tmp_path_factory: pytest.TempPathFactory) -> None:
    critical_against_oracle(120, tmp_path_factory)


def test_a_fact_stated_by_two_sources_rests_on_neither_alone(small: KnowledgeBase) -> None:
    assert [(r.row, r.critical, r.single_source) for r in rests_on(small, "path(n0, n2)")] == [((), ("s0", "s1"), False)]
    small.load_text(".source s2.\ne(n1, n2) reported by n0.", file="more.facts")
    assert [(r.row, r.critical, r.supporting) for r in rests_on(small, "path(n0, n2)")] == [((), ("s0",), ("s1", "s2"))]
    assert [r.single_source for r in rests_on(small, "path(n0, n2)")] == [True]
    assert rests_on(small, "path(n3, X)") == [], "no answer, nothing to rest on"


def test_an_imported_block_counts_as_a_whole_with_its_source(small: KnowledgeBase) -> None:
    small.import_rows("e", [("n3", "n0"), ("n3", "n1")], source="s3", file="rows.csv")
    assert ("n0",) in small.query("path(n3, X)").rows
    assert small.query("path(n3, X)", Selection(without=frozenset({"s3"}))).rows == []
    assert small.query("path(n3, X)", Selection("dated")).rows == [], "imported rows are undated"
    assert small.query("path(n3, X)", Selection(at=datetime.date(1990, 1, 1))).rows == \
        small.query("path(n3, X)").rows, "undated rows count on every date"
    assert small.query("path(n3, X)", Selection(known_on=datetime.date(2015, 10, 8))).rows == [], "s3 is of 2015-10-09"
    assert {r.row: r.critical for r in rests_on(small, "path(n3, X)")}[("n0",)] == ("s3",)


@pytest.mark.thorough
def test_the_pydatalog_engine_honours_every_selection(small: KnowledgeBase) -> None:
    files = {s.span.file for s in small.statements} | {"r.dl"}
    root = next(iter(files - {"r.dl"})).rsplit("/", 1)[0]
    with KnowledgeBase(engine="pydatalog") as other:
        other.load_files([f"{root}/schema.facts", f"{root}/s.facts", f"{root}/r.dl"])
        for sel in (Selection("reliable"), Selection("confirmed"), Selection(at=datetime.date(2015, 10, 5)),
                    Selection(known_on=datetime.date(2015, 10, 4)), Selection("dated", frozenset({"s0"}))):
            for query in ("path(X, Y)", "lonely(X)"):
                assert other.query(query, sel).rows == small.query(query, sel).rows, (sel, query)
        assert rests_on(other, "path(X, Y)", Selection(at=datetime.date(2015, 10, 3))) == \
            rests_on(small, "path(X, Y)", Selection(at=datetime.date(2015, 10, 3)))


def test_a_policy_is_kept_in_a_db_file(tmp_path: Path) -> None:
    root = tmp_path
    (root / "k.facts").write_text(SCHEMA + '.source s0 { title: "t" reliability: A }\n'
                                  '.source s1 { title: "u" reliability: E }\n'
                                  "e(n0, n1) from source s0.\ne(n1, n2) from source s1.\n", encoding="utf-8")
    (root / "p.dl").write_text(RULES + '.trust graded_a { trusted(S) :- source(S, Src), reliability(Src, "A"). }\n',
                               encoding="utf-8")
    db = str(root / "kb.duckdb")
    files = [root / "k.facts", root / "p.dl"]
    for _ in range(2):  # the second time restores the stored knowledge base
        with KnowledgeBase(db=db) as kb:
            kb.load_files(files)
            assert kb.query("path(n0, X)", Selection("graded_a")).rows == [("n1",)]
            assert kb.query("path(n0, X)").rows == [("n1",), ("n2",)]


# --- check files: expect under POLICY / without SOURCE / at DATE / known on DATE ----------------------


def test_a_check_can_pin_an_expectation_under_a_selection(small: KnowledgeBase) -> None:
    from allegiance.checks import Checker, parse_checks

    text = ("expect under confirmed path(n0, X) = {n1}.\n"
            "expect under reliable without s0 no path(n0, _).\n"
            "expect at 2015-10-05 no path(n2, n3).\n"
            "expect at 2015-10-04 known on 2015-10-09 path(n2, n3).\n"
            "expect known on 2015-10-08 no path(n2, n3).\n"
            "expect count under dated path(_, _) = 2.\n"
            "expect under confirmed path(n0, n2).\n")
    with pytest.raises(ParseError):
        parse_checks(text, "t.check")  # selectors come right after `expect`
    text = text.replace("expect count under dated", "expect under dated count")
    checks = parse_checks(text, "t.check")
    outcomes = [Checker(small).run(c) for c in checks.checks]
    assert [o.passed for o in outcomes] == [True, True, True, True, True, True, False]
    assert [c.text for c in checks.checks][:2] == ["expect under confirmed path(n0, X) = {n1}",
                                                    "expect under reliable without s0 no path(n0, _)"]
    for c in checks.checks:  # the label reads back as the same check
        again = parse_checks(c.text + ".", "again.check").checks[0]
        assert again.text == c.text and again.clause is not None and c.clause is not None
        assert (again.clause.mode, again.clause.selectors) == (c.clause.mode, c.clause.selectors)  # type: ignore[union-attr]
    # the run's own selection underneath: the check's policy replaces it, its `without` adds to it
    assert Checker(small, Selection("dated")).run(checks.checks[0]).passed
    assert not Checker(small, Selection(without=frozenset({"s0"}))).run(checks.checks[0]).passed
    with pytest.raises(CheckError, match="unknown trust policy reliabel") as exc:
        Checker(small).run(parse_checks("expect under reliabel path(_, _).", "u.check").checks[0])
    assert exc.value.span is not None and (exc.value.span.file, exc.value.span.line) == ("u.check", 1)


def test_a_knowledge_base_keeps_a_bounded_number_of_views(small: KnowledgeBase) -> None:
    from allegiance.kb import MAX_VIEWS

    first = small.under(Selection(at=D0))
    dates = [D0 + datetime.timedelta(days=n) for n in range(1, MAX_VIEWS + 4)]
    for n, day in enumerate(dates):
        small.under(Selection(at=day))
        if n < 3:  # then MAX_VIEWS newer ones: D0's is the least recently used
            assert small.under(Selection(at=D0)) is first, "a view asked for again stays"
    assert small.under(Selection(at=D0)) is not first, "the least recently used view went"
    assert small.query("path(X, Y)", Selection(at=dates[-1])).rows == small.query("path(X, Y)", Selection(at=dates[-1])).rows
