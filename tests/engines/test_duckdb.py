"""The DuckDB engine: evaluation, values and types, rounds, safety, laziness, limits, persistence."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest
from engine_helpers import (
    checked_query_text,
    checked_text,
    closure,
    hand_query,
    hand_strata,
    hatom,
    hc,
    hcmp,
    hnot,
    hrule,
)

from allegiance import errors
from allegiance.ast import PredicateSym as P
from allegiance.engines.duckdb import DuckDBEngine

EDGE, MARK = P("edge", 2), P("mark", 1)
REACH = """
reachable(X, Y) :- edge(X, Y).
reachable(X, Y) :- edge(X, Z), reachable(Z, Y).
"""


def engine_for(text: str, **kwargs: object) -> DuckDBEngine:
    checked, facts = checked_text(text)
    engine = DuckDBEngine(timeout=None, **kwargs)  # type: ignore[arg-type]
    engine.load(checked, facts)
    return engine




# --- evaluation -----------------------------------------------------------------------------------


def test_transitive_closure_over_a_cycle() -> None:
    engine = engine_for("edge(1, 2). edge(2, 3). edge(3, 1)." + REACH)
    expected = {(a, b) for a in (1, 2, 3) for b in (1, 2, 3)}
    assert engine.relation(P("reachable", 2)) == expected


@pytest.mark.parametrize(
    "rules",
    [
        "r(X, Y) :- e(X, Y). r(X, Y) :- e(X, Z), r(Z, Y).",  # right recursion
        "r(X, Y) :- e(X, Y). r(X, Y) :- r(X, Z), e(Z, Y).",  # left recursion
        "r(X, Y) :- e(X, Y). r(X, Y) :- r(X, Z), r(Z, Y).",  # non-linear: two recursive atoms
    ],
)
def test_left_right_and_nonlinear_recursion_agree(rules: str) -> None:
    edges = {(i, i + 1) for i in range(12)} | {(12, 3), (5, 20)}
    facts = " ".join(f"e({a}, {b})." for a, b in sorted(edges))
    engine = engine_for(facts + rules)
    assert engine.relation(P("r", 2)) == closure(edges)


def test_mutual_recursion() -> None:
    engine = engine_for(
        "succ(0, 1). succ(1, 2). succ(2, 3). succ(3, 4). succ(4, 5). zero(0)."
        "even(X) :- zero(X). even(Y) :- odd(X), succ(X, Y). odd(Y) :- even(X), succ(X, Y)."
    )
    assert engine.relation(P("even", 1)) == {(0,), (2,), (4,)}
    assert engine.relation(P("odd", 1)) == {(1,), (3,), (5,)}


def test_stratified_negation_over_a_recursive_stratum() -> None:
    engine = engine_for(
        "edge(a, b). edge(b, c). edge(d, e). node(a). node(b). node(c). node(d). node(e)."
        + REACH
        + "unreached(X) :- node(X), not reachable(a, X)."
        + "lonely(X) :- node(X), not reachable(X, _), not reachable(_, X)."
    )
    assert engine.relation(P("unreached", 1)) == {("a",), ("d",), ("e",)}
    assert engine.relation(P("lonely", 1)) == set()


def test_arithmetic_follows_souffle_for_integers() -> None:
    engine = engine_for(
        "n(7). n(-7). n(0)."
        "div(X, Y) :- n(X), Y = X / 2."
        "mod(X, Y) :- n(X), Y = X % 3."
        "half(X, Y) :- n(X), Y = X / 2.0."
        "inv(X, Y) :- n(X), Y = 10 / X."  # division by zero: no value for X = 0
        "finv(X, Y) :- n(X), Y = 10.0 / X."  # nor for a float over zero (not inf)
        "rem(X, Y) :- n(X), Y = 10 % X."
        "next(X, Y) :- n(X), Y = (X + 1) * 2 - 3."
    )
    assert engine.relation(P("div", 2)) == {(7, 3), (-7, -3), (0, 0)}
    assert engine.relation(P("mod", 2)) == {(7, 1), (-7, -1), (0, 0)}
    assert engine.relation(P("half", 2)) == {(7, 3.5), (-7, -3.5), (0, 0.0)}
    assert engine.relation(P("inv", 2)) == {(7, 1), (-7, -1)}
    assert engine.relation(P("finv", 2)) == {(7, 10 / 7), (-7, -10 / 7)}
    assert engine.relation(P("rem", 2)) == {(7, 3), (-7, 3)}
    assert engine.relation(P("next", 2)) == {(7, 13), (-7, -15), (0, -1)}
    assert all(isinstance(y, int) for _, y in engine.relation(P("div", 2)))
    assert all(isinstance(y, float) for _, y in engine.relation(P("half", 2)))


def test_arithmetic_in_a_recursive_rule_terminates_with_a_bound() -> None:
    engine = engine_for("count(0). count(N) :- count(M), M < 50, N = M + 1.")
    assert engine.relation(P("count", 1)) == {(i,) for i in range(51)}


def test_comparisons_on_dates() -> None:
    engine = engine_for(
        "held(a, 2015-10-01). held(b, 2015-09-30). held(c, 2016-01-01)."
        "october(X) :- held(X, D), D >= 2015-10-01, D < 2015-11-01."
        "before(X, Y) :- held(X, D), held(Y, E), D < E."
    )
    assert engine.relation(P("october", 1)) == {("a",)}
    assert engine.relation(P("before", 2)) == {("b", "a"), ("b", "c"), ("a", "c")}
    assert all(isinstance(d, datetime.date) for _, d in engine.relation(P("held", 2)))


# --- values and types -----------------------------------------------------------------------------


def test_values_come_out_as_they_went_in() -> None:
    rows = {("1",), (1,), (1.5,), (datetime.date(2015, 10, 1),), ("2015-10-01",), ("i:1",), ("",)}
    engine = DuckDBEngine(timeout=None)
    engine.load(hand_strata(), {P("v", 1): rows})
    out = engine.relation(P("v", 1))
    assert {(type(v), v) for (v,) in out} == {(type(v), v) for (v,) in rows}


def test_mixed_type_column_joins_compares_and_derives() -> None:
    engine = engine_for(
        'p(1). p("1"). p(9). p(10). p(2015-10-01). p(x). p(2.5).'
        "q(1). q(10)."
        "both(X) :- p(X), q(X)."  # a tagged column joined with a BIGINT one
        "small(X) :- p(X), X < 5."  # numbers compare as numbers, not as text
        "plus(Y) :- p(X), Y = X + 1."  # only the numbers have a successor
        "copy(X) :- p(X)."
    )
    assert engine.relation(P("both", 1)) == {(1,), (10,)}
    assert engine.relation(P("small", 1)) == {(1,), (2.5,)}
    assert {(type(v), v) for (v,) in engine.relation(P("plus", 1))} == {
        (int, 2),
        (int, 10),
        (int, 11),
        (float, 3.5),
    }
    # a constant of another kind than a native column's never matches (and still binds cleanly)
    checked, facts = checked_text('n(1). n(2). one() :- n("1"). two(X) :- n(X), X = "2". three(X) :- n(X), X != "3".')
    other = DuckDBEngine(timeout=None)
    other.load(checked, facts)
    assert other.relation(P("one", 0)) == set() and other.relation(P("two", 1)) == set()
    assert other.relation(P("three", 1)) == {(1,), (2,)}
    copied = engine.relation(P("copy", 1))
    assert {(type(v), v) for (v,) in copied} == {(type(v), v) for (v,) in engine.relation(P("p", 1))}
    assert ("1",) in copied and (1,) in copied


def test_a_fact_of_a_new_type_re_encodes_the_column() -> None:
    engine = engine_for("edge(1, 2). edge(2, 3)." + REACH)
    assert (1, 3) in engine.relation(P("reachable", 2))
    engine.add_facts({P("edge", 2): [(3, "x"), ("x", 1.5)]})
    reach = engine.relation(P("reachable", 2))
    assert {(1, "x"), (1, 1.5), (3, 1.5), (2, 2)} - reach == {(2, 2)}
    assert {(type(a), a, type(b), b) for a, b in reach} >= {(int, 1, str, "x"), (str, "x", float, 1.5)}


def test_declared_types_fix_the_column() -> None:
    engine = engine_for(".decl n(v: number)\nbig(X) :- n(X), X > 9.")
    engine.add_facts({P("n", 1): [(10,), (9,), (100,)]})
    assert engine.relation(P("big", 1)) == {(10,), (100,)}


def test_zero_arity_relations() -> None:
    engine = engine_for("ok(). yes() :- ok(). no() :- ok(), not ok().")
    assert engine.relation(P("yes", 0)) == {()}
    assert engine.relation(P("no", 0)) == set()
    engine.retract_facts({P("ok", 0): [()]})
    assert engine.relation(P("yes", 0)) == set()


# --- queries --------------------------------------------------------------------------------------


def test_queries_with_constants_negation_and_no_variables() -> None:
    text = "edge(1, 2). edge(2, 3). edge(3, 1). edge(3, 4). node(5)." + REACH
    checked, facts = checked_text(text)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, facts)
    assert sorted(engine.query(checked_query_text("reachable(4, X)", checked))) == []
    assert sorted(engine.query(checked_query_text("reachable(X, 4)", checked))) == [(1,), (2,), (3,)]
    assert engine.query(checked_query_text("reachable(1, 4)", checked)) == [()]
    assert engine.query(checked_query_text("reachable(4, 1)", checked)) == []
    q = checked_query_text("edge(X, Y), not reachable(Y, X)", checked)
    assert sorted(engine.query(q)) == [(3, 4)]
    q = checked_query_text("reachable(X, Y), X > Y, Z = X - Y", checked)
    assert sorted(engine.query(q)) == sorted((x, y, x - y) for x in (1, 2, 3) for y in (1, 2, 3, 4) if x > y)


def test_query_rules_leave_no_trace() -> None:
    checked, facts = checked_text("edge(1, 2)." + REACH)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, facts)
    engine.relation(P("reachable", 2))  # evaluate the program first: its tables may stay
    before = engine._con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    engine.query(checked_query_text("reachable(X, _), not edge(X, 9)", checked))
    assert engine._con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == before


# --- derivation rounds ----------------------------------------------------------------------------


def test_derivation_rounds_are_well_founded() -> None:
    edges = {(1, 2), (2, 3), (3, 1), (3, 4), (4, 5)}
    text = " ".join(f"edge({a}, {b})." for a, b in sorted(edges)) + REACH
    text += "node(X) :- edge(X, _). node(X) :- edge(_, X). cut(X) :- node(X), not reachable(X, X)."
    engine = engine_for(text)
    edge_rounds = engine.derivation_rounds(P("edge", 2))
    reach = engine.derivation_rounds(P("reachable", 2))
    assert set(edge_rounds.values()) == {0}
    assert set(reach) == closure(edges)
    for (x, y), n in reach.items():
        direct = (x, y) in edges
        via = [z for (a, z) in edges if a == x and reach.get((z, y), n) < n]
        assert n > 0 and (direct or via), (x, y, n)
    node = engine.derivation_rounds(P("node", 1))
    for (x,), n in engine.derivation_rounds(P("cut", 1)).items():
        assert node[(x,)] < n and all(m < n for m in reach.values())


# --- safety: user text is data ---------------------------------------------------------------------

HOSTILE = [
    "'",
    '"',
    "'; DROP TABLE b0; --",
    '"); DROP TABLE x; --',
    "-- comment",
    "/* c */",
    "$1",
    "?",
    "s:not a tag",
    "i:12",
    "Ünïcødé ✓ 中文 🙂",
    "a\nb\tc\\d",
    "x" * 10_000,
    " ",
]


def test_hostile_constants_and_names_round_trip_as_data() -> None:
    # rule: <name>(X, "<hostile>") :- <name2>(X, "<hostile>").  for each hostile text
    rules = []
    facts: dict[P, list[tuple[object, ...]]] = {}
    for i, text in enumerate(HOSTILE):
        base, derived = f"{text}", f"{text}{i}"
        facts[P(base, 2)] = [(text, text), (i, "other")]
        rules.append(hrule(hatom(derived, "X", hc(text)), hatom(base, "X", hc(text))))
    engine = DuckDBEngine(timeout=None)
    engine.load(hand_strata(tuple(rules)), facts)  # type: ignore[arg-type]
    for i, text in enumerate(HOSTILE):
        assert engine.relation(P(text, 2)) == {(text, text), (i, "other")}
        assert engine.relation(P(f"{text}{i}", 2)) == {(text, text)}
        answers = engine.query(hand_query(hatom(text, "X", hc(text))))
        assert answers == [(text,)]
    engine.add_facts({P(HOSTILE[2], 2): [(HOSTILE[3], HOSTILE[2])]})
    engine.retract_facts({P(HOSTILE[2], 2): [(HOSTILE[2], HOSTILE[2])]})
    assert engine.relation(P(HOSTILE[2], 2)) == {(HOSTILE[3], HOSTILE[2]), (2, "other")}
    assert engine.relation(P(HOSTILE[0], 2)) == {(HOSTILE[0], HOSTILE[0]), (0, "other")}


def test_a_damaged_store_is_dropped_not_trusted(tmp_path: Path) -> None:
    path = str(tmp_path / "kb.duckdb")
    engine = DuckDBEngine(timeout=None, path=path)
    engine.add_facts({P("p", 1): [("a",)]})
    engine._con.execute("UPDATE allegiance_relations SET reps = 'i); DROP TABLE notes; --'")
    engine._con.execute("CREATE TABLE notes (text VARCHAR)")  # someone else's table in the same file
    engine.close()
    # the file is set aside whole, never overwritten (the knowledge base then reads the files again,
    # see tests/test_persist.py), and nothing of the entry became SQL
    again = DuckDBEngine(timeout=None, path=path)
    assert again.damaged is not None and "damaged relation table entry for p/1" in again.damaged
    assert again.aside == path + ".damaged"
    assert again.relation(P("p", 1)) == frozenset()
    again.add_facts({P("p", 1): [("b",)]})
    again.close()
    assert DuckDBEngine(timeout=None, path=path).relation(P("p", 1)) == {("b",)}
    import duckdb

    kept = duckdb.connect(path + ".damaged", read_only=True)  # someone else's table is still there
    assert kept.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    kept.close()


# --- laziness and incrementality ---------------------------------------------------------------------

LAYERED = (
    REACH
    + "node(X) :- edge(X, _). node(X) :- edge(_, X)."
    + "tagged(X) :- mark(X)."
    + "unreached(X) :- node(X), not reachable(1, X)."
    + "marked_pair(X, Y) :- tagged(X), reachable(X, Y)."
)


def fresh_relations(checked: object, facts: dict[P, set[tuple[object, ...]]]) -> dict[P, frozenset[tuple[object, ...]]]:
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, facts)  # type: ignore[arg-type]
    preds = [P("reachable", 2), P("node", 1), P("tagged", 1), P("unreached", 1), P("marked_pair", 2)]
    return {p: engine.relation(p) for p in preds}


def test_incremental_add_and_retract_equal_recomputing() -> None:
    checked, _ = checked_text(LAYERED, EDGE, MARK)
    facts: dict[P, set[tuple[object, ...]]] = {
        P("edge", 2): {(1, 2), (2, 3), (3, 1), (4, 5)},
        P("mark", 1): {(2,)},
    }
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, facts)
    steps = [
        ("add", P("edge", 2), {(3, 4)}),
        ("add", P("mark", 1), {(4,), (2,)}),
        ("retract", P("edge", 2), {(2, 3), (9, 9)}),
        ("add", P("edge", 2), {(5, 1), (6, 6)}),
        ("retract", P("mark", 1), {(2,)}),
    ]
    for action, pred, rows in steps:
        if action == "add":
            engine.add_facts({pred: rows})
            facts[pred] |= rows
        else:
            engine.retract_facts({pred: rows})
            facts[pred] -= rows
        expected = fresh_relations(checked, facts)
        assert {p: engine.relation(p) for p in expected} == expected, (action, pred, rows)


def test_a_change_re_evaluates_only_the_strata_that_depend_on_it() -> None:
    checked, facts = checked_text("edge(1, 2). edge(2, 3). mark(1)." + LAYERED)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, facts)
    reach = engine.derivation_rounds(P("reachable", 2))
    tagged = engine.derivation_rounds(P("tagged", 1))
    engine.add_facts({P("mark", 1): [(2,)]})
    assert engine.relation(P("marked_pair", 2)) == {(1, 2), (1, 3), (2, 3)}
    # reachable does not read mark: its rows keep the rounds they had; tagged was recomputed
    assert engine.derivation_rounds(P("reachable", 2)) == reach
    new_tagged = engine.derivation_rounds(P("tagged", 1))
    assert set(new_tagged) == {(1,), (2,)} and new_tagged[(1,)] > tagged[(1,)]


def test_adding_a_known_fact_changes_nothing() -> None:
    checked, facts = checked_text("edge(1, 2)." + REACH)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, facts)
    rounds = engine.derivation_rounds(P("reachable", 2))
    engine.add_facts({P("edge", 2): [(1, 2), (1, 2)]})
    assert engine.derivation_rounds(P("reachable", 2)) == rounds
    assert engine.relation(P("edge", 2)) == {(1, 2)}


# --- time limit and Ctrl-C --------------------------------------------------------------------------


def chain(n: int) -> dict[P, list[tuple[object, ...]]]:
    return {P("edge", 2): [(i, i + 1) for i in range(n)]}


def test_timeout_on_a_big_closure_leaves_the_engine_usable() -> None:
    checked, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, chain(2000))  # two million paths: far more than 0.05 s of work
    engine.timeout = 0.05  # loading is not what this test times
    with pytest.raises(errors.QueryTimeout, match="longer than 0.05 s; raise the limit"):
        engine.relation(P("reachable", 2))
    assert len(engine.relation(P("edge", 2))) == 2000
    engine.timeout = None
    assert len(engine.relation(P("reachable", 2))) == 2000 * 2001 // 2


def test_timeout_interrupts_one_long_statement() -> None:
    # a single SELECT over a 10^12-row product cannot finish: only the watchdog can stop it
    checked, _ = checked_text("n(0).")
    engine = DuckDBEngine(timeout=0.2)
    engine.load(checked, {P("n", 1): [(i,) for i in range(1000)]})
    query = checked_query_text("n(A), n(B), n(C), n(D), A * B * C * D = 1000000007", checked)
    with pytest.raises(errors.QueryTimeout):
        engine.query(query)
    engine.timeout = None
    assert sorted(engine.query(checked_query_text("n(A), A > 997", checked))) == [(998,), (999,)]


def test_statements_run_on_one_thread_and_a_large_sort_on_the_machines() -> None:
    """Cancelling a recursive CTE that runs on several threads can stall in DuckDB for good (a load
    never ended after Ctrl-C: guard.py, _run_on_one_thread), and lowering the threads around each
    one cost more than the statement: the connection runs on one thread, a sort or an export of
    many rows (`_parallel`) on the machine's; a recursive statement in there on one, and the
    threads come back after it, also when it fails."""
    engine = DuckDBEngine(timeout=None)
    threads = "SELECT current_setting('threads')"
    fresh = duckdb.connect()
    assert engine._machine_threads == fresh.execute(threads).fetchall()[0][0]  # DuckDB's own default
    fresh.close()
    assert engine._run(threads).fetchall() == [(1,)]
    engine._machine_threads = 3
    counting = "WITH RECURSIVE w(n) AS (SELECT 1 UNION SELECT n + 1 FROM w WHERE n < 3)"
    with engine._parallel():
        assert engine._run(threads).fetchall() == [(3,)]  # other statements: every thread
        assert engine._run(f"{counting} SELECT max(n), ({threads}) FROM w").fetchall() == [(3, 1)]
        assert engine._con.execute(threads).fetchall() == [(3,)]
        with pytest.raises(duckdb.Error, match="no such luck"):
            engine._run(f"{counting} SELECT error('no such luck') FROM w")
        assert engine._con.execute(threads).fetchall() == [(3,)]
    assert engine._run(threads).fetchall() == [(1,)]
    with pytest.raises(duckdb.Error, match="no such luck"), engine._parallel():
        engine._run("SELECT error('no such luck')")
    assert engine._run(f"{counting} SELECT max(n), ({threads}) FROM w").fetchall() == [(3, 1)]


def test_a_file_reopened_for_changes_runs_on_one_thread_too(tmp_path: Path) -> None:
    checked, _ = checked_text(REACH, EDGE)
    path = str(tmp_path / "kb.duckdb")
    first = DuckDBEngine(timeout=None, path=path)
    first.load(checked, chain(3))
    first.close()
    again = DuckDBEngine(timeout=None, path=path)
    assert again._read_only  # a new connection in writable()
    again.writable()
    assert not again._read_only
    assert again._con.execute("SELECT current_setting('threads')").fetchall() == [(1,)]
    again.close()


def test_a_sorted_stream_and_an_export_use_the_machines_threads(tmp_path: Path) -> None:
    checked, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, chain(30))
    engine._machine_threads = 2
    seen: list[object] = []
    real_run = engine._run

    def run(sql: str, params: object = ()) -> object:
        seen.append(engine._con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        return real_run(sql, params)  # type: ignore[arg-type]

    engine._run = run  # type: ignore[method-assign]
    query = checked_query_text("reachable(X, Y)", checked)
    assert sum(len(b) for b in engine.answer_batches(query, size=7)) == 30 * 31 // 2
    assert seen[-1] == 2  # the answers' sorted SELECT
    assert set(seen[:-1]) == {1}  # the evaluation, its recursive CTE among them
    seen.clear()
    with open(tmp_path / "out.csv", "wb") as out:
        assert engine.write_csv(query, out) == 30 * 31 // 2
    assert seen[-1] == 2
    assert engine._con.execute("SELECT current_setting('threads')").fetchall() == [(1,)]


def test_ctrl_c_during_evaluation_raises_interrupted_and_recovers(monkeypatch: pytest.MonkeyPatch) -> None:
    checked, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, chain(30))
    real_run = engine._run
    calls = {"n": 0}

    def run_then_interrupt(sql: str, params: object = ()) -> object:
        calls["n"] += 1
        if "RECURSIVE" in sql:  # in the middle of evaluating the recursive stratum
            raise KeyboardInterrupt
        return real_run(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run", run_then_interrupt)
    with pytest.raises(errors.QueryInterrupted):
        engine.relation(P("reachable", 2))
    monkeypatch.setattr(engine, "_run", real_run)
    assert len(engine.relation(P("reachable", 2))) == 30 * 31 // 2


def test_ctrl_c_while_adding_facts_keeps_the_old_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    checked, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None)
    engine.load(checked, chain(3))
    real_run = engine._run

    def interrupt_insert(sql: str, params: object = ()) -> object:
        if sql.startswith("INSERT INTO b"):
            raise KeyboardInterrupt
        return real_run(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run", interrupt_insert)
    with pytest.raises(errors.QueryInterrupted):
        engine.add_facts({P("edge", 2): [(3, "new"), (7, 8)]})
    monkeypatch.setattr(engine, "_run", real_run)
    assert engine.relation(P("edge", 2)) == {(0, 1), (1, 2), (2, 3)}
    assert engine.relation(P("reachable", 2)) == closure({(0, 1), (1, 2), (2, 3)})


# --- persistence -------------------------------------------------------------------------------------


def test_facts_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "kb.duckdb")
    checked, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None, path=path)
    engine.load(checked, {P("edge", 2): [(1, 2), (2, 3)]})
    engine.add_facts({P("edge", 2): [(3, "x")], P("when", 1): [(datetime.date(2015, 10, 26),)]})
    engine.retract_facts({P("edge", 2): [(1, 2)]})
    engine.close()

    again = DuckDBEngine(timeout=None, path=path)
    assert again.relation(P("edge", 2)) == {(2, 3), (3, "x")}
    assert again.relation(P("when", 1)) == {(datetime.date(2015, 10, 26),)}
    again.reopen(checked)
    assert again.relation(P("reachable", 2)) == {(2, 3), (3, "x"), (2, "x")}
    again.load(checked, {})  # load replaces the stored facts, as the interface says
    again.close()
    assert DuckDBEngine(timeout=None, path=path).relation(P("edge", 2)) == frozenset()


def test_stored_tables_read_back_and_refused_when_foreign(tmp_path: Path) -> None:
    path = str(tmp_path / "kb.duckdb")
    columns = (("name", "text"), ("n", "int"))
    engine = DuckDBEngine(timeout=None, path=path)
    engine.write_stored("things", columns, [("a", 1), ("b", 2)])
    engine.close()
    con = duckdb.connect(path)  # another program's: a table of other columns, a view, neither ours
    con.execute("CREATE TABLE kb_odd (seq BIGINT, name INTEGER)")
    con.execute("CREATE VIEW kb_seen AS SELECT 0::BIGINT AS seq, 'x' AS name, 1::BIGINT AS n")
    con.close()

    again = DuckDBEngine(timeout=None, path=path)  # read-only until the first change: what it read is kept
    assert set(again.stored_tables()) == {"things", "odd"}
    assert again.read_stored("things", columns) == [("a", 1), ("b", 2)]
    assert again.read_stored("seen", columns) is None and again.read_stored("none", columns) is None
    with pytest.raises(errors.LoadError, match="the stored table odd has other columns than allegiance writes"):
        again.read_stored("odd", (("name", "text"),))
    with pytest.raises(errors.LoadError, match="the stored table things has other columns"):
        again.read_stored("things", (("name", "text"), ("n", "float")))
    again.write_stored("more", (("x", "float"),), [(1.5,)])  # the file becomes writable: read anew after
    again.write_stored("things", (("name", "text"),), [("c",)])
    assert set(again.stored_tables()) == {"things", "odd", "more"}
    assert again.read_stored("more", (("x", "float"),)) == [(1.5,)]
    assert again.read_stored("things", (("name", "text"),)) == [("c",)]
    again.close()


def test_committed_facts_survive_a_crash(tmp_path: Path) -> None:
    path = str(tmp_path / "kb.duckdb")
    script = textwrap.dedent(
        f"""
        import os
        from allegiance.ast import PredicateSym as P
        from allegiance.engines.duckdb import DuckDBEngine
        engine = DuckDBEngine(timeout=None, path={path!r})
        engine.add_facts({{P("edge", 2): [(1, 2), (2, "b")]}})
        engine.add_facts({{P("edge", 2): [(3, 4.5)]}})
        os._exit(0)  # no close, no cleanup
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])
    checked, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None, path=path)
    engine.reopen(checked)
    assert engine.relation(P("edge", 2)) == {(1, 2), (2, "b"), (3, 4.5)}
    assert engine.relation(P("reachable", 2)) == {(1, 2), (2, "b"), (3, 4.5), (1, "b")}


def test_hand_built_program_with_negation_and_comparison() -> None:
    # the contract without the parser: strata given explicitly
    low = (hrule(hatom("big", "X"), hatom("n", "X"), hcmp(">", "X", 2)),)
    high = (hrule(hatom("small", "X"), hatom("n", "X"), hnot("big", "X")),)
    engine = DuckDBEngine(timeout=None)
    engine.load(hand_strata(low, high), {P("n", 1): [(1,), (2,), (3,), (4,)]})
    assert engine.relation(P("small", 1)) == {(1,), (2,)}
    assert engine.relation(P("big", 1)) == {(3,), (4,)}
    assert engine.relation(P("unknown", 3)) == frozenset()


def test_a_real_ctrl_c_stops_one_long_statement() -> None:
    """SIGINT while DuckDB runs a single long recursive statement (a cross product of a closure)."""
    import os
    import signal

    program, _ = checked_text(REACH, EDGE)
    engine = DuckDBEngine(timeout=None)
    engine.load(program, chain(2000))
    query = checked_query_text("reachable(X, Y), reachable(Y, Z)", program)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(errors.QueryInterrupted):
            engine.query(query)  # billions of rows: only the interrupt ends it
    finally:
        timer.cancel()
    assert len(engine.relation(P("reachable", 2))) == 2000 * 2001 // 2
