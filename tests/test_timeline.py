"""Timelines (timeline.py): each answer's maximal periods, exact under the point semantics.

The property test's oracle knows nothing of segments or annotated evaluation: at each day that
matters (every validity bound, the days either side of it, and days before and after them all) it
writes a knowledge base holding only the statements whose period covers that day, as text, loads it
afresh and queries it plainly. An answer holds throughout a period of the timeline iff the oracle
answers it at every checked day of that period; between two checked days no statement starts or
stops counting, so those days stand for all of them. The same oracle without undated statements
checks the undated marks. Hand cases pin the conventions: bounds are inclusive, adjacent periods
merge, open ends stay open.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance import KnowledgeBase, timeline_render
from allegiance.analysis import check_query
from allegiance.ast import PredicateSym, Row
from allegiance.cli import main
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.parse import parse_query
from allegiance.provenance import StatementRecord, catalog_facts, record_facts
from allegiance.timeline import Segments, timeline, timelines
from allegiance.validity import Period

D0 = datetime.date(2015, 10, 1)
DAY = datetime.timedelta(days=1)

HEADER = """\
.entity a { name: "A"  kind: group }
.entity b { name: "B"  kind: group }
.entity c { name: "C"  kind: group }
.relation node(n) { phrases: "{n} is a node" }
.relation edge(x, y) { phrases: "{x} leads to {y}" }
.relation backs(x, y) { phrases: "{x} backs {y}" }
"""

# Recursion, negation of a base and of a derived relation, statement metadata in a body.
RULES = """\
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- edge(X, Y), reach(Y, Z).
cut(X, Y) :- edge(X, Y), not edge(Y, X).
lonely(X) :- node(X), not reach(X, _).
unbacked(X) :- node(X), not backs(_, X).
both(X, Y) :- reach(X, Y), backs(X, Y).
flagged(X) :- edge(X, _) as S, status(S, claimed).
"""
QUERIES = ["reach(X, Y)", "cut(X, Y)", "lonely(X)", "unbacked(X)", "both(X, Y)", "flagged(X)",
           "contradicted(S1, S2)", "edge(a, X)"]

Qualifier = tuple[str, int, int]  # kind, first day offset, second day offset
Statement = tuple[str, tuple[str, ...], bool, bool, Qualifier]  # relation, args, negated, claimed, when


def qualifier_text(q: Qualifier) -> str:
    kind, x, y = q
    d1, d2 = D0 + x * DAY, D0 + y * DAY
    return {"none": "", "on": f" on {d1}", "between": f" between {min(d1, d2)} and {max(d1, d2)}",
            "since": f" since {d1}", "until": f" until {d1}"}[kind]


def period(q: Qualifier) -> Period:
    kind, x, y = q
    d1, d2 = D0 + x * DAY, D0 + y * DAY
    return {"none": Period(None, None), "on": Period(d1, d1), "between": Period(min(d1, d2), max(d1, d2)),
            "since": Period(d1, None), "until": Period(None, d1)}[kind]


def facts_text(statements: list[tuple[int, Statement]]) -> str:
    """One source per statement, so a statement's id (`sK_1`) is the same in every filtered copy."""
    lines = [HEADER]
    for k, (rel, args, negated, claimed, q) in statements:
        lines.append(f".source s{k} {{ title: \"S{k}\" publisher: \"P\" reliability: B }}")
        lines.append(f"{'not ' if negated else ''}{rel}({', '.join(args)})"
                     f"{' claimed by a' if claimed else ''}{qualifier_text(q)}.")
    return "\n".join(lines) + "\n"


def make_kb(statements: list[tuple[int, Statement]]) -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(facts_text(statements), file="t.facts")
    kb.load_text(RULES, file="t.dl")
    return kb


NODES = st.sampled_from(["a", "b", "c"])
QUALIFIERS = st.tuples(st.sampled_from(["none", "on", "between", "since", "until"]),
                       st.integers(0, 4), st.integers(0, 4))
STATEMENT = st.one_of(
    st.tuples(st.just("node"), st.tuples(NODES), st.just(False), st.just(False), QUALIFIERS),
    st.tuples(st.sampled_from(["edge", "backs"]), st.tuples(NODES, NODES), st.just(False), st.booleans(), QUALIFIERS),
    st.tuples(st.just("edge"), st.tuples(NODES, NODES), st.just(True), st.just(False), QUALIFIERS),
)

COMPARED = {"examples": 0, "days": 0, "answers": 0, "undated": 0}


def check_days(statements: list[Statement]) -> list[datetime.date]:
    """Every bound, the days either side of it, and a day before and after them all."""
    days = {D0 - 10 * DAY, D0 + 20 * DAY}
    for *_, q in statements:
        p = period(q)
        for bound in (p.start, p.end):
            if bound is not None:
                days |= {bound - DAY, bound, bound + DAY}
    return sorted(days)


def counts_on(record: StatementRecord, day: datetime.date) -> bool:
    """By hand: the statement's bounds, both included, an absent one open."""
    return (record.valid_from is None or record.valid_from <= day) and \
        (record.valid_until is None or day <= record.valid_until)


def facts_of(kb: KnowledgeBase, records: list[StatementRecord]) -> dict[PredicateSym, set[Row]]:
    """What the engine would hold if these were the only statements (and the catalog's metadata)."""
    facts: dict[PredicateSym, set[Row]] = {}
    for sym, row in [*catalog_facts(kb.catalog), *(f for r in records for f in record_facts(r))]:
        facts.setdefault(sym, set()).add(row)
    return facts


@pytest.mark.thorough
# derandomized: the same programs every run, so the minimums below are stable (112 answers, 35 undated)
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STATEMENT, min_size=3, max_size=8), st.lists(st.sampled_from(QUERIES), min_size=2, max_size=3, unique=True))
def test_timeline_agrees_with_evaluation_at_every_change_point(statements: list[Statement], queries: list[str]) -> None:
    kb, oracle = make_kb(list(enumerate(statements))), DuckDBEngine(timeout=None)
    try:
        lines = {q: timeline(kb, q) for q in queries}
        # the queries together (one evaluation of what they read) give each one's timeline
        assert timelines(kb, queries) == [lines[q] for q in queries]
        checked = {q: check_query(parse_query(q), kb.program) for q in queries}
        for day in check_days(statements):
            counting = [r for r in kb.file_statements if counts_on(r, day)]
            oracle.load(kb.program, facts_of(kb, counting))
            expected = {q: set(oracle.query(checked[q])) for q in queries}
            oracle.load(kb.program, facts_of(kb, [r for r in counting if r.valid_from or r.valid_until]))
            without_undated = {q: set(oracle.query(checked[q])) for q in queries}
            for q in queries:
                line = lines[q]
                assert set(line.at(day)) == expected[q], (q, day, facts_text(list(enumerate(statements))))
                for held in line.answers:
                    if held.row in expected[q]:
                        marked = any(u.covers(day) for u in held.undated)
                        assert marked == (held.row not in without_undated[q]), (q, day, held)
                        COMPARED["undated"] += marked
                COMPARED["answers"] += len(expected[q])
            COMPARED["days"] += 1
    finally:
        oracle.close()
        kb.close()
    # maximal: two periods of one answer never touch (adjacent days would have merged)
    for line in lines.values():
        for held in line.answers:
            for p, q in itertools.pairwise(held.periods):
                assert p.end is not None and q.start is not None and p.end + DAY < q.start
    COMPARED["examples"] += 1


# Not a test of its own: the one below runs it and then checks what it compared, in the same process
# (xdist may run two tests of a file in different ones). Its name and text are what derandomize seeds from.
test_timeline_agrees_with_evaluation_at_every_change_point.__test__ = False  # type: ignore[attr-defined]


@pytest.mark.thorough
def test_timelines_agree_with_the_oracle_on_enough_examples() -> None:
    COMPARED.update(dict.fromkeys(COMPARED, 0))
    test_timeline_agrees_with_evaluation_at_every_change_point()
    # a minimum, so nothing passes by being skipped
    assert COMPARED["examples"] >= 25, COMPARED
    assert COMPARED["days"] >= 100 and COMPARED["answers"] >= 50 and COMPARED["undated"] >= 8, COMPARED


# --- hand cases: the conventions ---------------------------------------------------------------------


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def test_segments_map_bounds_inclusively_and_back() -> None:
    seg = Segments([Period(d("2015-10-01"), d("2015-10-03")), Period(None, d("2015-10-05")), Period(d("2015-10-04"), None)])
    assert seg.cuts == [d("2015-10-01"), d("2015-10-04"), d("2015-10-06")]
    assert seg.period(seg.interval(Period(d("2015-10-01"), d("2015-10-03")))) == Period(d("2015-10-01"), d("2015-10-03"))
    assert seg.period(seg.interval(Period(None, d("2015-10-05")))) == Period(None, d("2015-10-05"))
    assert seg.period((0, seg.size - 1)) == Period(None, None)
    assert seg.segment(d("2015-09-30")) == 0 and seg.segment(d("2015-10-03")) == 1 and seg.segment(d("2015-10-04")) == 2


@pytest.fixture(scope="module")
def small() -> Iterator[KnowledgeBase]:
    text = facts_text([
        (0, ("edge", ("a", "b"), False, False, ("between", 0, 2))),   # 10-01..10-03
        (1, ("edge", ("a", "b"), False, False, ("since", 3, 0))),     # 10-04..: adjacent, merges
        (2, ("edge", ("b", "c"), False, False, ("until", 1, 0))),     # ..10-02 inclusive
        (3, ("node", ("c",), False, False, ("on", 4, 0))),            # 10-05 only
        (4, ("node", ("a",), False, False, ("none", 0, 0))),          # undated
        (5, ("backs", ("b", "a"), False, False, ("on", 2, 0))),       # 10-03 only
    ])
    kb = KnowledgeBase(timeout=None)
    kb.load_text(text, file="t.facts")
    kb.load_text(RULES, file="t.dl")
    yield kb
    kb.close()


def periods(kb: KnowledgeBase, query: str) -> dict[tuple[object, ...], list[str]]:
    return {h.row: [p.text() for p in h.periods] for h in timeline(kb, query).answers}


def test_bounds_are_inclusive_and_adjacent_periods_merge(small: KnowledgeBase) -> None:
    assert periods(small, "edge(a, b)") == {(): ["since 2015-10-01"]}
    assert periods(small, "edge(b, X)") == {("c",): ["until 2015-10-02"]}
    assert periods(small, "reach(a, c)") == {(): ["between 2015-10-01 and 2015-10-02"]}
    assert periods(small, "node(X)") == {("a",): ["always"], ("c",): ["on 2015-10-05"]}


def test_negation_over_time_is_interval_difference(small: KnowledgeBase) -> None:
    # a is unbacked on every day but 2015-10-03, when b backs it
    assert periods(small, "unbacked(a)") == {(): ["until 2015-10-02", "since 2015-10-04"]}
    held = {h.row: h for h in timeline(small, "unbacked(X)").answers}
    assert held[("a",)].undated == held[("a",)].periods  # node(a) is undated: so is a's being unbacked
    assert [p.text() for p in held[("c",)].periods] == ["on 2015-10-05"] and held[("c",)].undated == ()


def test_undated_marks_only_the_parts_resting_on_undated_statements(small: KnowledgeBase) -> None:
    held = {h.row: h for h in timeline(small, "node(X)").answers}
    assert held[("a",)].undated == (Period(None, None),)
    assert held[("c",)].undated == ()


def test_a_relation_name_alone_asks_for_all_of_it(small: KnowledgeBase) -> None:
    line = timeline(small, "reach")
    assert line.variables == ("X1", "X2") or line.variables == ("X", "Y")
    assert {h.row for h in line.answers} == {("a", "b"), ("b", "c"), ("a", "c")}
    assert timeline(small, "edge").variables == ("X", "Y")  # named after edge(x, y)'s parameters


def test_a_retracted_fact_has_no_timeline(small: KnowledgeBase) -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(facts_text([(0, ("edge", ("a", "b"), False, False, ("on", 0, 0)))]), file="t.facts")
    assert periods(kb, "edge(a, b)") == {(): ["on 2015-10-01"]}
    kb.retract("edge(a, b).")
    assert periods(kb, "edge(a, b)") == {}
    kb.close()


# --- the command line and the REPL -------------------------------------------------------------------


def write_kb(tmp_path: pytest.TempPathFactory, small_text: str) -> list[str]:
    facts, rules = tmp_path / "t.facts", tmp_path / "t.dl"  # type: ignore[operator]
    facts.write_text(small_text, encoding="utf-8")
    rules.write_text(RULES, encoding="utf-8")
    return [str(facts), str(rules)]


SMALL = facts_text([
    (0, ("edge", ("a", "b"), False, False, ("between", 0, 2))),
    (1, ("edge", ("b", "c"), False, False, ("since", 1, 0))),
    (2, ("node", ("a",), False, False, ("none", 0, 0))),
])


def test_cli_timeline_table_csv_json(tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    files = write_kb(tmp_path, SMALL)
    assert main(["timeline", "reach(a, X)", *files]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["X", "|", "from", "|", "until"]  # no note: nothing rests on undated statements
    assert [c.strip() for c in out[2].split("|")] == ["b", "2015-10-01", "2015-10-03"]
    assert [c.strip() for c in out[3].split("|")] == ["c", "2015-10-02", "2015-10-03"]
    assert out[4] == "(2 answers, 2 periods)"
    assert main(["timeline", "node(X)", *files, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["X,from,until,undated", "a,,,undated"]
    assert main(["timeline", "edge(b, c)", *files, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answers"] == [{"values": [], "periods": [{"from": "2015-10-02", "until": None, "undated": []}]}]
    assert main(["timeline", "reach(c, X)", *files]) == 1
    assert "(0 answers, 0 periods)" in capsys.readouterr().out
    assert main(["timeline", "reach(c, X", *files]) == 2
    assert "^" in capsys.readouterr().err


# two inconsistency relations over SMALL, for the CLI's and the REPL's timeline --inconsistencies
INCONSISTENT = ('.inconsistency loop(x) { message: "{x} leads back to itself" }\n'
                "loop(X) :- reach(X, X).\n"
                '.inconsistency dead_end(x) { message: "{x} leads nowhere" }\n'
                "dead_end(X) :- node(X), not edge(X, _).\n")


def test_cli_timeline_of_every_inconsistency(tmp_path: pytest.TempPathFactory,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    files = write_kb(tmp_path, SMALL)
    rules = tmp_path / "incons.dl"  # type: ignore[operator]
    rules.write_text(INCONSISTENT, encoding="utf-8")
    files.append(str(rules))
    with KnowledgeBase(timeout=None) as kb:
        kb.load_path(*files)
        names = [rel.sym.name for rel in kb.inconsistency_relations()]
        alone = [timeline(kb, name) for name in names]
    assert set(names) >= {"loop", "dead_end", "contradicted"}
    # the flag before or after the files: the same files, every relation, one timeline each
    for argv in (["timeline", "--inconsistencies", *files], ["timeline", *files, "--inconsistencies"]):
        assert main([*argv, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert [t["query"] for t in data["timelines"]] == [t.query for t in alone]
        assert [json.loads(timeline_render.json_text(t)) for t in alone] == data["timelines"]
    # a is a node that leads somewhere only while edge(a, b) holds (2015-10-01 to 2015-10-03)
    dead = next(t for t in alone if t.query.startswith("dead_end"))
    assert [(h.row, [p.text() for p in h.periods]) for h in dead.answers] == \
        [(("a",), ["until 2015-09-30", "since 2015-10-04"])]
    assert main(["timeline", "--inconsistencies", *files]) == 0
    table = capsys.readouterr().out
    assert f"{dead.query}:" in table and "2015-10-04" in table
    assert main(["timeline", "--inconsistencies", *files, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "query,value1,value2,from,until,undated"
    assert f"{dead.query},a,,,2015-09-30,undated" in lines  # one-value queries leave value2 empty
    assert main(["timeline", *files[:0]]) == 2  # neither a query nor --inconsistencies
    assert "--inconsistencies" in capsys.readouterr().err


def test_every_evaluating_commands_json_records_at_and_known_on(tmp_path: pytest.TempPathFactory,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    files = write_kb(tmp_path, SMALL)
    rules = tmp_path / "incons.dl"  # type: ignore[operator]
    rules.write_text('.inconsistency dead_end(x) { message: "{x} leads nowhere" }\n'
                     "dead_end(X) :- node(X), not edge(X, _).\n", encoding="utf-8")
    files.append(str(rules))
    at, known = "2015-10-05", "2015-12-31"  # on 10-05 edge(a, b) no longer holds: a leads nowhere

    def document(*argv: str) -> object:
        main([*argv, *files, "--format", "json"])
        return json.loads(capsys.readouterr().out)

    def settings(doc: object) -> tuple[object, object]:
        assert isinstance(doc, dict)
        return doc["at"], doc["known_on"]

    both = ("--at", at, "--known-on", known)
    for argv in (["query", "node(X)"], ["query", "node(X)", "--no-support"],  # streamed, and rendered whole
                 ["why", "node(a)"], ["whynot", "reach(a, b)"], ["sources", "node(X)"]):
        doc = document(*argv, *both)
        assert settings(doc) == (at, known), argv
        assert settings(document(*argv, "--known-on", known)) == (None, known), argv
        assert settings(document(*argv)) == (None, None), argv
    # the keys they had are all still there, beside the new ones
    assert set(document("query", "node(X)", *both)) == {"query", "variables", "answers", "supports", "at", "known_on"}
    assert document("query", "node(X)", "--no-support", *both) == {"query": "node(X)", "variables": ["X"],
                                                                     "answers": [["a"]], "at": at, "known_on": known}
    # lists (inconsistencies, sources --inconsistencies): each item records them
    for argv in (["inconsistencies"], ["sources", "--inconsistencies"]):
        items = document(*argv, *both)
        assert isinstance(items, list) and [i["args"] for i in items] == [["a"]], argv
        assert [settings(i) for i in items] == [(at, known)], argv
    # a timeline takes no --at (it covers every date): null, and --known-on as given
    assert settings(document("timeline", "reach(a, X)", "--known-on", known)) == (None, known)
    every = document("timeline", "--inconsistencies", "--known-on", known)
    assert settings(every) == (None, known) and isinstance(every, dict) and "timelines" in every


def test_findings_at_a_date_say_which_rest_on_undated_statements(tmp_path: pytest.TempPathFactory,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from allegiance.explain.findings import UNDATED_NOTE, findings
    from allegiance.selection import Selection

    files = write_kb(tmp_path, facts_text([
        (0, ("edge", ("a", "b"), False, False, ("between", 0, 2))),
        (1, ("node", ("a",), False, False, ("none", 0, 0))),  # undated: a node at every date
        (2, ("node", ("c",), False, False, ("on", 4, 0))),    # a node on 10-05 only
    ]))
    rules = tmp_path / "incons.dl"  # type: ignore[operator]
    rules.write_text('.inconsistency dead_end(x) { message: "{x} leads nowhere" }\n'
                     "dead_end(X) :- node(X), not edge(X, _).\n", encoding="utf-8")
    files.append(str(rules))
    kb = KnowledgeBase(timeout=None)
    kb.load_path(*files)
    try:
        # on 10-05 both lead nowhere; a only because node(a), undated, counts on every date
        at = Selection(at=d("2015-10-05"))
        found = findings(kb, at, kb.inconsistencies(at))
        assert {f.inconsistency.args: f.undated for f in found} == {("a",): True, ("c",): False}
        # the oracle: what is found when only dated statements count
        assert {i.args for i in kb.inconsistencies(at.replace(undated=False))} == {("c",)}
        assert all(f.undated is None for f in findings(kb, Selection(), kb.inconsistencies()))  # no date: not asked
        from allegiance.repl.dispatch import dispatch
        from allegiance.repl.session import Session

        session = Session(kb)
        dispatch(":at 2015-10-05", session)
        assert dispatch(":inconsistencies", session).text.endswith(f", 1 undated)\n{UNDATED_NOTE}")
    finally:
        kb.close()
    assert main(["inconsistencies", *files, "--at", "2015-10-05"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("dead_end: A leads nowhere") and line.endswith(", undated]") for line in out)
    assert any(line.startswith("dead_end: C leads nowhere") and "undated" not in line for line in out)
    assert out[-2:] == ["(2 inconsistencies, 2 single-source, 1 undated)", UNDATED_NOTE]
    assert main(["inconsistencies", *files, "--at", "2015-10-05", "--format", "json"]) == 1
    assert [(i["args"], i["undated"]) for i in json.loads(capsys.readouterr().out)] == [(["a"], True), (["c"], False)]
    assert main(["inconsistencies", *files, "--format", "json"]) == 1
    assert all("undated" not in i for i in json.loads(capsys.readouterr().out))


def test_answers_at_a_date_say_in_their_support_which_rest_on_undated_statements(
        tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    from allegiance.repl.dispatch import dispatch
    from allegiance.repl.session import Session

    files = write_kb(tmp_path, SMALL)  # node(a) undated; edge(a, b) 10-01..10-03, edge(b, c) from 10-02
    # unbacked(a) rests on node(a); reach(a, X) on the dated edges only
    assert main(["query", "unbacked(X)", *files, "--at", "2015-10-02", "--format", "json"]) == 0
    assert [s["undated"] for s in json.loads(capsys.readouterr().out)["supports"]] == [True]
    assert main(["query", "reach(a, X)", *files, "--at", "2015-10-02", "--format", "json"]) == 0
    assert [s["undated"] for s in json.loads(capsys.readouterr().out)["supports"]] == [False, False]
    assert main(["query", "unbacked(X)", *files, "--at", "2015-10-02"]) == 0
    assert ", undated" in capsys.readouterr().out.splitlines()[2]  # the support column: "B6 reported, undated"
    assert main(["query", "unbacked(X)", *files, "--at", "2015-10-02", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith(", undated\"")
    assert main(["query", "unbacked(X)", *files, "--format", "json"]) == 0  # no date: not asked
    assert all("undated" not in s for s in json.loads(capsys.readouterr().out)["supports"])
    kb = KnowledgeBase(timeout=None)
    kb.load_path(*files)
    try:
        session = Session(kb)
        dispatch(":at 2015-10-02", session)
        assert ", undated" in dispatch("unbacked(X)", session).text
        assert "undated" not in dispatch("reach(a, X)", session).text
    finally:
        kb.close()


def test_repl_timeline(tmp_path: pytest.TempPathFactory) -> None:
    from allegiance.repl.dispatch import dispatch
    from allegiance.repl.session import Session

    files = write_kb(tmp_path, SMALL)
    kb = KnowledgeBase(timeout=None)
    kb.load_path(*files)
    session = Session(kb)
    text = dispatch(":timeline node(X).", session).text
    assert "(open) | (open) | undated" in text and "undated: holds there only because" in text
    assert "usage: :timeline QUERY" in dispatch(":timeline", session).error
    kb.close()


def test_repl_timeline_of_every_inconsistency(tmp_path: pytest.TempPathFactory) -> None:
    from allegiance.repl.dispatch import dispatch
    from allegiance.repl.session import Session

    files = write_kb(tmp_path, SMALL)
    rules = tmp_path / "inconsistent.dl"  # type: ignore[operator]
    rules.write_text(INCONSISTENT, encoding="utf-8")
    kb = KnowledgeBase(timeout=None)
    kb.load_path(*files, str(rules))
    try:
        session = Session(kb)
        every = timelines(kb, [rel.sym.name for rel in kb.inconsistency_relations()])
        # as `allegiance timeline --inconsistencies`: each relation's table under its query, one evaluation
        assert dispatch(":timeline --inconsistencies", session).text == timeline_render.render_many(every, "table", session.limit)
        text = dispatch(":timeline --inconsistencies", session).text
        dead = next(t for t in every if t.query.startswith("dead_end"))
        assert f"{dead.query}:" in text and "2015-10-04" in text and [p.text() for p in dead.answers[0].periods] == \
            ["until 2015-09-30", "since 2015-10-04"]
        dispatch(":format json", session)
        assert json.loads(dispatch(":timeline --inconsistencies", session).text) == \
            {"timelines": [json.loads(timeline_render.json_text(t)) for t in every], "at": None, "known_on": None}
        # JSON records :at and :known-on, as the CLI's does (a timeline sets :at aside: null)
        dispatch(":at 2015-10-02", session)
        dispatch(":known-on 2015-12-31", session)
        assert json.loads(dispatch("node(X)", session).text)["at"] == "2015-10-02"
        assert json.loads(dispatch(":timeline node(X)", session).text.split("\n")[0])["known_on"] == "2015-12-31"
        assert json.loads(dispatch(":sources node(X)", session).text)["at"] == "2015-10-02"
        dispatch(":at off", session)
        dispatch(":known-on off", session)
        dispatch(":format table", session)
        dispatch(":at 2015-10-02", session)  # set aside, as for one query
        assert dispatch(":timeline --inconsistencies", session).text.endswith(
            "(:at 2015-10-02 set aside: a timeline covers every date)")
        assert "usage: :timeline QUERY | --inconsistencies" in dispatch(":timeline", session).error
    finally:
        kb.close()


# --- time in explanations ----------------------------------------------------------------------------


def test_why_says_when_each_statement_held(small: KnowledgeBase) -> None:
    from allegiance.explain import proof_json, render_tree, why

    answer = why(small, "reach(a, c)")
    text = render_tree(answer)
    assert "held between 2015-10-01 and 2015-10-03" in text  # edge(a, b), the first statement
    assert "held until 2015-10-02" in text                    # edge(b, c): until is inclusive
    undated = render_tree(why(small, "node(a)"))
    assert "undated: counts at every date" in undated
    leaf = proof_json(why(small, "node(a)"))["proofs"][0]  # type: ignore[index]
    assert leaf["statement"]["undated"] is True and leaf["statement"]["valid_from"] is None
    dated = proof_json(why(small, "node(c)"))["proofs"][0]  # type: ignore[index]
    assert dated["statement"]["undated"] is False and dated["statement"]["valid_from"] == "2015-10-05"


def test_a_timeline_under_a_selection_counts_only_what_it_selects(small: KnowledgeBase) -> None:
    from allegiance.errors import QueryError
    from allegiance.selection import Selection

    # without s1 (edge(a, b) since 2015-10-04), a leads to b only from 2015-10-01 to 2015-10-03
    assert {h.row: [p.text() for p in h.periods] for h in timeline(small, "edge(a, b)", Selection(without=frozenset({"s1"}))).answers} \
        == {(): ["between 2015-10-01 and 2015-10-03"]}
    with pytest.raises(QueryError, match="covers every date"):
        timeline(small, "edge(a, b)", Selection(at=D0))


def test_pydatalog_gives_the_same_timelines(small: KnowledgeBase) -> None:
    # pyDatalog has no annotated evaluation of its own: the default sweep, one evaluation per segment
    other = KnowledgeBase(engine="pydatalog", timeout=None)
    try:
        other.load_text(facts_text([
            (0, ("edge", ("a", "b"), False, False, ("between", 0, 2))),
            (1, ("edge", ("a", "b"), False, False, ("since", 3, 0))),
            (2, ("edge", ("b", "c"), False, False, ("until", 1, 0))),
            (3, ("node", ("c",), False, False, ("on", 4, 0))),
            (4, ("node", ("a",), False, False, ("none", 0, 0))),
            (5, ("backs", ("b", "a"), False, False, ("on", 2, 0))),
        ]), file="t.facts")
        other.load_text(RULES, file="t.dl")
        queries = ["reach(X, Y)", "unbacked(X)", "lonely(X)", "cut(X, Y)"]
        for query in queries:
            assert timeline(other, query) == timeline(small, query), query
        assert timelines(other, queries) == timelines(small, queries)
    finally:
        other.close()


def test_imported_rows_are_undated_statements() -> None:
    kb = KnowledgeBase(timeout=None)
    try:
        kb.load_text(facts_text([(0, ("edge", ("a", "b"), False, False, ("on", 0, 0)))]), file="t.facts")
        kb.load_text(RULES, file="t.dl")
        kb.import_rows("edge", [("b", "c")], source="s0")
        held = {h.row: h for h in timeline(kb, "reach(a, X)").answers}
        assert [p.text() for p in held[("c",)].periods] == ["on 2015-10-01"]
        assert held[("c",)].undated == held[("c",)].periods  # it needs the imported row, which has no date
        assert held[("b",)].undated == ()
    finally:
        kb.close()


def test_why_says_when_a_derivations_statements_all_count() -> None:
    from allegiance.explain import proof_json, render_tree, why

    kb = KnowledgeBase(timeout=None)
    try:
        kb.load_text(facts_text([
            (0, ("edge", ("a", "b"), False, False, ("between", 0, 3))),   # 10-01..10-04
            (1, ("edge", ("b", "c"), False, False, ("since", 2, 0))),     # 10-03..
            (2, ("edge", ("c", "a"), False, False, ("on", 0, 0))),        # 10-01 only
        ]), file="t.facts")
        kb.load_text(RULES, file="t.dl")
        text = render_tree(why(kb, "reach(a, c)"))
        assert text.endswith("(the statements of this derivation all count between 2015-10-03 and 2015-10-04)")
        assert proof_json(why(kb, "reach(a, c)"))["counts_together"] == [[{"from": "2015-10-03", "until": "2015-10-04"}]]
        # b -> c from 10-03 and c -> a only on 10-01: derived by the timeless evaluation, on no day
        assert render_tree(why(kb, "reach(b, a)")).endswith("(the statements of this derivation never all count on the same day)")
        assert timeline(kb, "reach(b, a)").answers == ()
    finally:
        kb.close()


def test_union_and_intersection_of_periods() -> None:
    from allegiance.validity import intersection, union

    a, b = Period(None, d("2015-10-02")), Period(d("2015-10-03"), d("2015-10-05"))
    assert union([b, a]) == (Period(None, d("2015-10-05")),)  # adjacent days merge
    assert union([Period(d("2015-10-07"), None), a]) == (a, Period(d("2015-10-07"), None))
    assert intersection([a], [b]) == ()
    assert intersection([Period(None, None)], [b, a]) == (Period(None, d("2015-10-05")),)
    assert intersection([Period(d("2015-10-04"), None)], [b]) == (Period(d("2015-10-04"), d("2015-10-05")),)


def test_cli_and_repl_timelines_under_a_selection(tmp_path: pytest.TempPathFactory,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from allegiance.repl.dispatch import dispatch
    from allegiance.repl.session import Session

    files = write_kb(tmp_path, SMALL)
    assert main(["timeline", "reach(a, X)", *files, "--without", "s1"]) == 0  # s1: edge(b, c)
    out = capsys.readouterr().out
    assert "(1 answer, 1 period)" in out and "2015-10-01 | 2015-10-03" in out
    assert main(["timeline", "reach(a, X)", *files, "--at", "2015-10-02"]) == 2
    assert "a timeline covers every date" in capsys.readouterr().err
    kb = KnowledgeBase(timeout=None)
    kb.load_path(*files)
    try:
        session = Session(kb)
        dispatch(":at 2015-10-02", session)
        text = dispatch(":timeline reach(a, X)", session).text
        assert "(2 answers, 2 periods)" in text and "(:at 2015-10-02 set aside: a timeline covers every date)" in text
    finally:
        kb.close()


def test_whynot_at_a_date_says_when_the_fact_holds_otherwise(small: KnowledgeBase) -> None:
    from allegiance.explain import why_not
    from allegiance.selection import Selection

    answer = why_not(small, "reach(a, c)", selection=Selection(at=d("2015-10-05")))
    assert not answer.holds
    assert answer.message.endswith("; on other dates it holds between 2015-10-01 and 2015-10-02 (before 2015-10-05)")
    before = why_not(small, "node(c)", selection=Selection(at=d("2015-10-01")))
    assert before.message.endswith("; on other dates it holds on 2015-10-05 (after 2015-10-01)")
    never = why_not(small, "reach(c, a)", selection=Selection(at=d("2015-10-01")))
    assert "other dates" not in never.message
