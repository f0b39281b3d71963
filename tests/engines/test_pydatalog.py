"""The pyDatalog engine: answers, values, isolation, time limits, Ctrl-C and code injection.

Most programs are Datalog text run through the parser and analysis (`text_program`); a few are built
from ast nodes by hand (`hand_checked`) to reach what text cannot: predicate names that are Python
code, head arithmetic analysis would already have moved into the body, unfolded constant expressions.
"""

from __future__ import annotations

import datetime
import operator
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from engine_helpers import (
    closure,
    hand_checked,
    hand_query,
    hassign,
    hatom,
    hc,
    hcmp,
    hnot,
    hop,
    hrule,
    hv,
    text_program,
    text_query,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance import errors
from allegiance.ast import PredicateSym as P
from allegiance.ast import Value
from allegiance.engines.pydatalog import PyDatalogEngine

EDGE = P("edge", 2)
CYCLE_TEXT = "edge(a, b). edge(b, c). edge(c, a).\n"
LEFT_TEXT = """
    reachable(X, Y) :- edge(X, Y).
    reachable(X, Y) :- reachable(X, Z), edge(Z, Y).
"""
RIGHT_TEXT = """
    right(X, Y) :- edge(X, Y).
    right(X, Y) :- edge(X, Z), right(Z, Y).
"""
CYCLE = {EDGE: [("a", "b"), ("b", "c"), ("c", "a")]}
# A query that runs away: 400^3 = 64 million rows, minutes of pyDatalog at the least.
RUNAWAY_TEXT = "".join(f"n({i}).\n" for i in range(400)) + "big(X, Y, Z) :- n(X), n(Y), n(Z).\n"

# reachable(X, Y) :- edge(X, Y).
# reachable(X, Y) :- reachable(X, Z), edge(Z, Y).
LEFT = (
    hrule(hatom("reachable", "X", "Y"), hatom("edge", "X", "Y")),
    hrule(hatom("reachable", "X", "Y"), hatom("reachable", "X", "Z"), hatom("edge", "Z", "Y")),
)
# right(X, Y) :- edge(X, Y).
# right(X, Y) :- edge(X, Z), right(Z, Y).      raw pyDatalog never returns on this over a cycle
RIGHT = (
    hrule(hatom("right", "X", "Y"), hatom("edge", "X", "Y")),
    hrule(hatom("right", "X", "Y"), hatom("edge", "X", "Z"), hatom("right", "Z", "Y")),
)


@pytest.fixture
def engine() -> Iterator[PyDatalogEngine]:
    eng = PyDatalogEngine(timeout=10)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[PyDatalogEngine]:
    """One worker for many hypothesis examples (each `load` replaces everything)."""
    eng = PyDatalogEngine(timeout=20)
    yield eng
    eng.close()




# --- answers ----------------------------------------------------------------------------------


def test_join_with_inequality(engine: PyDatalogEngine) -> None:
    program, facts = text_program("""
        member(fsa, a41). member(ahrar, a41). member(nusra, jaish). member(ahrar, jaish).
        indirect_ally(X, Y) :- member(X, C), member(Y, C), X != Y.
    """)
    engine.load(program, facts)
    assert engine.relation(P("indirect_ally", 2)) == {
        ("fsa", "ahrar"),
        ("ahrar", "fsa"),
        ("nusra", "ahrar"),
        ("ahrar", "nusra"),
    }
    assert engine.query(text_query("?- indirect_ally(X, nusra).", program)) == [("ahrar",)]
    assert engine.query(text_query("?- indirect_ally(fsa, nusra).", program)) == []


def test_left_recursive_closure_over_a_cycle(engine: PyDatalogEngine) -> None:
    program, facts = text_program(CYCLE_TEXT + LEFT_TEXT)
    engine.load(program, facts)
    nodes = ["a", "b", "c"]
    assert engine.relation(P("reachable", 2)) == {(x, y) for x in nodes for y in nodes}
    assert sorted(engine.query(text_query("?- reachable(b, Y).", program))) == [("a",), ("b",), ("c",)]


def test_relation_holds_base_and_derived_rows(engine: PyDatalogEngine) -> None:
    # ally(X, Y) :- ally(Y, X).   ally is both stated and derived
    engine.load(*text_program("ally(a, b). ally(X, Y) :- ally(Y, X)."))
    assert engine.relation(P("ally", 2)) == {("a", "b"), ("b", "a")}


def test_zero_arity_and_wildcards(engine: PyDatalogEngine) -> None:
    program, facts = text_program("""
        edge(a, b). edge(a, c).
        has_edge() :- edge(_, _).
        source(X) :- edge(X, _).
        empty() :- node(_), not has_edge().
        node(a).
    """)
    engine.load(program, facts)
    assert engine.relation(P("empty", 0)) == frozenset()
    assert engine.relation(P("has_edge", 0)) == {()}
    assert engine.relation(P("source", 1)) == {("a",)}
    engine.retract_facts(CYCLE | {EDGE: [("a", "b"), ("a", "c")]})
    assert engine.relation(P("has_edge", 0)) == frozenset()
    assert engine.relation(P("empty", 0)) == {()}


def test_stratified_negation(engine: PyDatalogEngine) -> None:
    program, facts = text_program(
        LEFT_TEXT
        + """
        edge(start, a). edge(a, b). edge(c, d).
        node(start). node(a). node(b). node(c). node(d).
        unreached(X) :- node(X), not reachable(start, X).
        lonely(X) :- unreached(X), not reachable(X, _).
    """
    )
    engine.load(program, facts)
    assert engine.relation(P("unreached", 1)) == {("start",), ("c",), ("d",)}
    assert engine.relation(P("lonely", 1)) == {("d",)}
    assert engine.query(text_query("?- node(X), not unreached(X), not reachable(X, b).", program)) == [("b",)]


def test_negation_of_a_predicate_with_no_facts_and_no_rules(engine: PyDatalogEngine) -> None:
    program, facts = text_program("""
        .decl banned(who: symbol)
        person(ann). person(bob).
        ok(X) :- person(X), not banned(X).
    """)
    engine.load(program, facts)
    assert engine.relation(P("ok", 1)) == {("ann",), ("bob",)}
    assert engine.relation(P("banned", 1)) == frozenset()
    engine.add_facts({P("banned", 1): [("bob",)]})
    assert engine.relation(P("ok", 1)) == {("ann",)}
    # The same from a (hand-built) query over a predicate the program never mentions.
    query = hand_query(hatom("person", "X"), hnot("ghost", "X", 1))
    assert sorted(engine.query(query)) == [("ann",), ("bob",)]


def test_positive_atom_of_an_unknown_predicate_is_empty(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(), {})
    assert engine.query(hand_query(hatom("nowhere", "X"))) == []
    assert engine.relation(P("nowhere", 1)) == frozenset()


# --- arithmetic and comparisons -------------------------------------------------------------


def test_arithmetic_from_text(engine: PyDatalogEngine) -> None:
    program, facts = text_program("""
        count(7). count(-7). count(2.5).
        next(N) :- count(M), N = M + 1.
        mix(X, (X - 1) * 3, X / 2, X % 3) :- count(X).
        big(X) :- count(X), X * 2 > 10.
    """)
    engine.load(program, facts)
    assert engine.relation(P("next", 1)) == {(8,), (-6,), (3.5,)}
    # Between ints `/` truncates towards zero and `%` takes the dividend's sign (C, Soufflé, DuckDB).
    assert engine.relation(P("mix", 4)) == {(7, 18, 3, 1), (-7, -24, -3, -1), (2.5, 4.5, 1.25, 2.5)}
    assert engine.relation(P("big", 1)) == {(7,)}
    assert sorted(engine.query(text_query("?- count(X), Y = X * X, Y > 40.", program))) == [(-7, 49), (7, 49)]


def test_arithmetic_in_a_head_built_by_hand(engine: PyDatalogEngine) -> None:
    # Analysis moves head arithmetic into the body; the engine must cope without it too.
    program = hand_checked(
        # next(N) :- count(M), N = M + 1.
        hrule(hatom("next", "N"), hatom("count", "M"), hassign("N", hop("+", "M", 1))),
        # double(X * 2) :- count(X).      pyDatalog alone would yield nothing here
        hrule(hatom("double", hop("*", "X", 2)), hatom("count", "X")),
        # mix(X, (X - 1) * 3, X / 4, X % 3) :- count(X).
        hrule(
            hatom("mix", "X", hop("*", hop("-", "X", 1), 3), hop("/", "X", 4), hop("%", "X", 3)),
            hatom("count", "X"),
        ),
    )
    engine.load(program, {P("count", 1): [(7,), (-7,), (2.5,)]})
    assert engine.relation(P("next", 1)) == {(8,), (-6,), (3.5,)}
    assert engine.relation(P("double", 1)) == {(14,), (-14,), (5.0,)}
    assert engine.relation(P("mix", 4)) == {(7, 18, 1, 1), (-7, -24, -1, -1), (2.5, 4.5, 0.625, 2.5)}


def test_integer_overflow_is_an_error(engine: PyDatalogEngine) -> None:
    program, facts = text_program(
        "n(4611686018427387904). twice(Y) :- n(X), Y = X * 2. half(Y) :- n(X), Y = X / 2."
    )
    engine.load(program, facts)
    with pytest.raises(errors.QueryError, match="64-bit"):
        engine.relation(P("twice", 1))
    assert engine.relation(P("half", 1)) == {(2**61,)}


def test_arithmetic_keeps_full_float_precision(engine: PyDatalogEngine) -> None:
    engine.load(*text_program("a(0.1). b(0.2). sum(Z) :- a(X), b(Y), Z = X + Y."))
    assert engine.relation(P("sum", 1)) == {(0.1 + 0.2,)}
    ((value,),) = engine.relation(P("sum", 1))
    assert value != 0.3  # 0.30000000000000004: not rounded to 8 digits


def test_failing_arithmetic_yields_no_row(engine: PyDatalogEngine) -> None:
    program = hand_checked(
        # inv(X, Y) :- n(X), Y = 1.0 / X.
        hrule(hatom("inv", "X", "Y"), hatom("n", "X"), hassign("Y", hop("/", 1.0, "X"))),
        # odd(X) :- n(X), X % 0 != 5.     a failed operation passes no test, not even !=
        hrule(hatom("odd", "X"), hatom("n", "X"), hcmp("!=", hop("%", "X", 0), 5)),
        # glued(Y) :- s(X), Y = X + 1.    strings take no arithmetic
        hrule(hatom("glued", "Y"), hatom("s", "X"), hassign("Y", hop("+", "X", 1))),
    )
    engine.load(program, {P("n", 1): [(0,), (2,)], P("s", 1): [("a",)]})
    assert engine.relation(P("inv", 2)) == {(2, 0.5)}
    assert engine.relation(P("odd", 1)) == frozenset()
    assert engine.relation(P("glued", 1)) == frozenset()


def test_expression_of_constants_alone(engine: PyDatalogEngine) -> None:
    # three(X) :- X = 1 + 2.     big() :- 2 * 3 > 5.     none() :- 1 > 2.
    program = hand_checked(
        hrule(hatom("three", "X"), hassign("X", hop("+", 1, 2))),
        hrule(hatom("big"), hcmp(">", hop("*", 2, 3), 5)),
        hrule(hatom("none"), hcmp(">", 1, 2)),
    )
    engine.load(program, {})
    assert engine.relation(P("three", 1)) == {(3,)}
    assert engine.relation(P("big", 0)) == {()}
    assert engine.relation(P("none", 0)) == frozenset()


def kind(value: Value) -> str:
    return "number" if isinstance(value, (int, float)) else type(value).__name__


COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq}


@pytest.mark.parametrize("op", sorted(COMPARE))
def test_comparisons_within_and_across_types(engine: PyDatalogEngine, op: str) -> None:
    # pair(X, Y) :- v(X), v(Y), X op Y.
    program = hand_checked(
        hrule(hatom("pair", "X", "Y"), hatom("v", "X"), hatom("v", "Y"), hcmp(op, "X", "Y"))
    )
    values: list[Value] = [1, 2, 2.5, datetime.date(2015, 10, 1), datetime.date(2015, 10, 26), "a", "b", "B"]
    engine.load(program, {P("v", 1): [(v,) for v in values]})
    # Within a type, as Python compares; across types (1 < "a", a date = a number) never.
    expected = {(x, y) for x in values for y in values if kind(x) == kind(y) and COMPARE[op](x, y)}
    assert engine.relation(P("pair", 2)) == expected
    assert (1, 2.5) in expected or op not in ("<", "<=")  # the oracle itself is not empty-handed


def test_inequality_across_types_holds(engine: PyDatalogEngine) -> None:
    # differ(X, Y) :- v(X), w(Y), X != Y.
    program = hand_checked(
        hrule(hatom("differ", "X", "Y"), hatom("v", "X"), hatom("w", "Y"), hcmp("!=", "X", "Y"))
    )
    engine.load(program, {P("v", 1): [(1,), ("1",)], P("w", 1): [(1.0,)]})
    assert engine.relation(P("differ", 2)) == {("1", 1.0)}


# --- values in, the same values out ----------------------------------------------------------

AWKWARD: list[Value] = [
    "True",
    "False",
    "??",
    "None",
    "",
    " ",
    "1",
    "1.0",
    "X",  # a variable to pyDatalog's parser
    "_",
    "_pyD_class",
    "a.b",  # a prefixed (class) name to pyDatalog
    "p[1]==",
    "~neg",
    "Jabhat al-Nusra",
    "\u00e9t\u00e9 \u0627\u0644\u0646\u0635\u0631\u0629 \U0001f600",
    "line\nbreak\ttab\\",
    1,
    0,
    -3,
    2**70,
    1.5,
    0.1 + 0.2,
    3.141592653589793,
    1e-300,
    -0.0001234567890123,
    datetime.date(2015, 10, 26),
    datetime.date(1, 1, 1),
]


def test_value_round_trip(engine: PyDatalogEngine) -> None:
    # copy(X) :- v(X).
    engine.load(
        hand_checked(hrule(hatom("copy", "X"), hatom("v", "X"))), {P("v", 1): [(v,) for v in AWKWARD]}
    )
    for pred in (P("v", 1), P("copy", 1)):
        got = {(type(row[0]), row[0]) for row in engine.relation(pred)}
        assert got == {(type(v), v) for v in AWKWARD}
    for value in AWKWARD:
        # Each value is found by a query that names it as a constant.
        assert engine.query(hand_query(hatom("copy", hc(value)))) == [()]


def test_value_round_trip_from_text(engine: PyDatalogEngine) -> None:
    program, facts = text_program(r"""
        v("True"). v("False"). v("??"). v("1"). v(1). v(2.5). v(0.30000000000000004).
        v(2015-10-26). v("\u00e9t\u00e9"). v("Jabhat al-Nusra"). v(nusra). v(-3).
        copy(X) :- v(X).
    """)
    engine.load(program, facts)
    expected = {(type(v), v) for (v,) in facts[P("v", 1)]}
    assert len(expected) == 12
    assert {(type(r[0]), r[0]) for r in engine.relation(P("copy", 1))} == expected
    assert engine.query(text_query('?- copy("True").', program)) == [()]
    assert engine.query(text_query("?- copy(X), X > 2015-01-01.", program)) == [
        (datetime.date(2015, 10, 26),)
    ]
    assert sorted(engine.query(text_query("?- copy(X), X < 2.", program))) == [(-3,), (0.1 + 0.2,), (1,)]


def test_int_float_and_string_one_are_told_apart(engine: PyDatalogEngine) -> None:
    engine.load(
        hand_checked(), {P("s", 1): [("1",)], P("i", 1): [(1,)], P("f", 1): [(1.0,)], P("t", 1): [("True",)]}
    )
    [(s,)] = engine.relation(P("s", 1))
    [(i,)] = engine.relation(P("i", 1))
    [(f,)] = engine.relation(P("f", 1))
    [(t,)] = engine.relation(P("t", 1))
    assert (type(s), type(i), type(f), type(t)) == (str, int, float, str)
    # 1 and 1.0 are one number, "1" is a string
    assert engine.query(hand_query(hatom("i", "X"), hatom("f", "X"))) == [(1,)]
    assert engine.query(hand_query(hatom("i", "X"), hatom("s", "X"))) == []


def test_rows_are_tuples_and_answers_distinct(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(), {P("p", 2): [("a", 1), ("a", 2)]})
    answers = engine.query(hand_query(hatom("p", "X", "_1")))
    assert answers == [("a",)]
    assert all(isinstance(row, tuple) for row in engine.relation(P("p", 2)))


@given(st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.dates()), max_size=20))
@settings(max_examples=40, deadline=None)
def test_any_value_round_trips(shared_engine: PyDatalogEngine, values: list[Value]) -> None:
    shared_engine.load(
        hand_checked(hrule(hatom("copy", "X"), hatom("v", "X"))), {P("v", 1): [(v,) for v in values]}
    )
    got = shared_engine.relation(P("copy", 1))
    assert got == {(v,) for v in values}
    # Types survive too (1 and 1.0 are one number: whichever is kept, its value is equal).
    assert {type(row[0]) for row in got} <= {type(v) for v in values}


# --- facts change, queries leave nothing behind -----------------------------------------------


def test_add_retract_and_load_replace(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(*LEFT), {EDGE: [("a", "b")]})
    engine.add_facts({EDGE: [("b", "c"), ("a", "b")]})
    assert engine.relation(P("reachable", 2)) == {("a", "b"), ("b", "c"), ("a", "c")}
    engine.retract_facts({EDGE: [("a", "b"), ("x", "y")], P("never_seen", 1): [("z",)]})
    assert engine.relation(P("reachable", 2)) == {("b", "c")}
    engine.load(hand_checked(), {P("other", 1): [("o",)]})
    assert engine.relation(EDGE) == frozenset()
    assert engine.relation(P("reachable", 2)) == frozenset()
    assert engine.relation(P("other", 1)) == {("o",)}


def test_query_rules_do_not_persist(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(), {P("p", 1): [("from_p",)], P("q", 1): [("from_q",)]})
    before = engine._inventory()
    # Both queries define __query/1; the second must not see the first's rule.
    assert engine.query(hand_query(hatom("p", "X"))) == [("from_p",)]
    assert engine.query(hand_query(hatom("q", "X"))) == [("from_q",)]
    assert engine.relation(P("__query", 1)) == frozenset()
    assert engine._inventory() == before


def test_query_with_helper_rules(engine: PyDatalogEngine) -> None:
    program, facts = text_program("edge(a, b). node(a). node(b).")
    engine.load(program, facts)
    # Analysis turns the wildcard under `not` into an auxiliary rule of the query.
    query = text_query("?- node(X), not edge(X, _).", program)
    assert len(query.rules) > 1
    before = engine._inventory()
    assert engine.query(query) == [("b",)]
    assert engine._inventory() == before
    assert engine.query(text_query("?- node(X), not edge(_, X).", program)) == [("a",)]
    assert engine.relation(P("__neg1_edge", 1)) == frozenset()


def test_rejects_what_is_not_a_value(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(), {})
    with pytest.raises(TypeError):
        engine.add_facts({P("p", 1): [(True,)]})
    with pytest.raises(ValueError):
        engine.add_facts({P("p", 1): [("a", "b")]})
    assert engine.relation(P("p", 1)) == frozenset()


# --- isolation, time limits, Ctrl-C, a dying worker ------------------------------------------


def test_two_engines_do_not_share_facts() -> None:
    first, second = PyDatalogEngine(timeout=10), PyDatalogEngine(timeout=10)
    try:
        first.load(*text_program("edge(a, b)." + LEFT_TEXT))
        second.load(*text_program("edge(x, y)." + LEFT_TEXT))
        first.add_facts({EDGE: [("b", "c")]})
        assert first.relation(P("reachable", 2)) == {("a", "b"), ("b", "c"), ("a", "c")}
        assert second.relation(P("reachable", 2)) == {("x", "y")}
        assert second.relation(EDGE) == {("x", "y")}
    finally:
        first.close()
        second.close()


def test_right_recursion_over_a_cycle_completes() -> None:
    # Raw pyDatalog never returns here (or, over e(0,1), e(1,0), misses r(0,0)); the engine puts
    # the recursive atom first, where pyDatalog's tabling completes it.
    engine = PyDatalogEngine(timeout=20)
    try:
        engine.load(*text_program(CYCLE_TEXT + RIGHT_TEXT))
        assert engine.relation(P("right", 2)) == {(x, y) for x in "abc" for y in "abc"}
        engine.load(*text_program("edge(0, 1). edge(1, 0).\n" + RIGHT_TEXT))
        assert engine.relation(P("right", 2)) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    finally:
        engine.close()


def test_a_runaway_query_times_out_and_the_kb_survives() -> None:
    engine = PyDatalogEngine(timeout=2)
    try:
        program, facts = text_program(CYCLE_TEXT + LEFT_TEXT + RIGHT_TEXT + RUNAWAY_TEXT)
        engine.load(program, facts)
        engine.add_facts({EDGE: [("c", "d")]})
        with pytest.raises(errors.QueryTimeout) as caught:
            engine.relation(P("big", 3))
        text = str(caught.value)
        assert "2 s" in text and "--timeout" in text
        assert "may not terminate" in text and "--engine duckdb" in text
        # The replacement worker has the program and every fact, the added one included.
        assert engine.relation(EDGE) == {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}
        assert ("a", "d") in engine.relation(P("reachable", 2))
        with pytest.raises(errors.QueryTimeout):
            engine.query(text_query("?- big(X, Y, 1).", program))
        assert sorted(engine.query(text_query("?- reachable(c, Y).", program))) == [
            ("a",),
            ("b",),
            ("c",),
            ("d",),
        ]
    finally:
        engine.close()


def test_ctrl_c_interrupts_and_the_kb_survives() -> None:
    # A generous limit, so only the interrupt can end the never-ending query (a failed interrupt
    # shows up as QueryTimeout, not as a hang).
    engine = PyDatalogEngine(timeout=30)
    try:
        engine.load(*text_program(CYCLE_TEXT + LEFT_TEXT + RUNAWAY_TEXT))
        assert engine.relation(EDGE)  # the worker is up before the clock starts
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(errors.QueryInterrupted):
                engine.relation(P("big", 3))
        finally:
            timer.cancel()
        assert engine.relation(P("reachable", 2)) == {(x, y) for x in "abc" for y in "abc"}
    finally:
        engine.close()


def test_a_dead_worker_is_replaced(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(*LEFT), CYCLE)
    assert engine._worker is not None
    engine._worker.process.kill()
    engine._worker.process.wait()
    with pytest.raises(errors.QueryError, match="died"):
        engine.relation(EDGE)
    assert engine.relation(EDGE) == {("a", "b"), ("b", "c"), ("c", "a")}


def test_close_stops_the_worker_and_use_after_close_restarts(engine: PyDatalogEngine) -> None:
    engine.load(hand_checked(), {EDGE: [("a", "b")]})
    assert engine._worker is not None
    process = engine._worker.process
    engine.close()
    assert process.poll() is not None
    assert engine.relation(EDGE) == {("a", "b")}


# --- nothing a user writes is run as Python --------------------------------------------------


def test_code_in_names_and_constants_is_data(engine: PyDatalogEngine, tmp_path: os.PathLike[str]) -> None:
    marker = os.path.join(os.fspath(tmp_path), "x")
    payloads: list[str] = [
        f"__import__('os').system('touch {marker}')",
        f"exec(\"open('{marker}', 'w')\")",
        f"(lambda: __import__('os').system('touch {marker}'))()",
        "__class__",
        "__init__.__globals__",
        "{0.__class__.__mro__}",
        "%s%s%(x)s",
        f"{{__import__('os').system('touch {marker}')}}",
        "os.system",
        "'); import os; os.system('touch " + marker + "'); ('",
    ]
    evil = payloads[0]
    # The predicate names are Python too, and so is a variable's name.
    program = hand_checked(
        hrule(hatom(evil, hv(evil)), hatom("__class__", hv(evil))),
        hrule(hatom("fmt", "Y"), hatom("__class__", "X"), hassign("Y", hop("%", "X", "X"))),
    )
    engine.load(program, {P("__class__", 1): [(p,) for p in payloads]})
    assert engine.relation(P(evil, 1)) == {(p,) for p in payloads}
    assert engine.relation(P("fmt", 1)) == frozenset()  # `%` never formats a string
    assert engine.query(hand_query(hatom(evil, payloads[5]))) == [()]
    engine.add_facts({P("os.system", 1): [(evil,)]})
    engine.retract_facts({P("__class__", 1): [(payloads[1],)]})
    assert (payloads[1],) not in engine.relation(P(evil, 1))
    assert engine.relation(P("os.system", 1)) == {(evil,)}
    assert not os.path.exists(marker)


# --- differential: random graphs against naive fixpoints --------------------------------------

GRAPH_RULES = """
    .decl edge(from: number, to: number)
    .decl node(n: number)
    reachable(X, Y) :- edge(X, Y).
    reachable(X, Y) :- reachable(X, Z), edge(Z, Y).
    tc(X, Y) :- edge(X, Y).
    tc(X, Y) :- tc(X, Z), tc(Z, Y).
    odd(X, Y) :- edge(X, Y).
    odd(X, Y) :- even(X, Z), edge(Z, Y).
    even(X, Y) :- odd(X, Z), edge(Z, Y).
    unreached(X) :- node(X), not reachable(0, X).
    sink(X) :- node(X), not edge(X, _).
"""


def parity_paths(edges: set[tuple[int, int]]) -> dict[int, set[tuple[int, int]]]:
    """Pairs joined by a path of odd (1) or even (0) length >= 1: a breadth-first walk over
    (node, parity) states."""
    found: dict[int, set[tuple[int, int]]] = {0: set(), 1: set()}
    for start in {x for x, _ in edges}:
        frontier = {(start, 0)}
        seen: set[tuple[int, int]] = set()
        while frontier:
            step = {(y, 1 - p) for (x, p) in frontier for (a, y) in edges if a == x} - seen
            seen |= step
            frontier = step
        for node, parity in seen:
            found[parity].add((start, node))
    return found


@given(st.sets(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=12))
@settings(max_examples=40, deadline=None)
def test_random_graphs_agree_with_naive_fixpoints(
    shared_engine: PyDatalogEngine, edges: set[tuple[int, int]]
) -> None:
    program, _ = text_program(GRAPH_RULES)
    nodes = set(range(6))
    shared_engine.load(program, {EDGE: edges, P("node", 1): {(n,) for n in nodes}})
    reach = closure(edges)
    parity = parity_paths(edges)
    assert shared_engine.relation(P("reachable", 2)) == reach
    assert shared_engine.relation(P("tc", 2)) == reach
    assert shared_engine.relation(P("odd", 2)) == parity[1]
    assert shared_engine.relation(P("even", 2)) == parity[0]
    assert shared_engine.relation(P("unreached", 1)) == {(n,) for n in nodes if (0, n) not in reach}
    assert shared_engine.relation(P("sink", 1)) == {(n,) for n in nodes if all(x != n for x, _ in edges)}


def test_a_worker_started_by_a_thread_that_ends_lives_on() -> None:
    """The REPL runs each entry in a thread of its own: the worker `:engine pydatalog` started there
    was killed when the entry's thread ended (PR_SET_PDEATHSIG follows the parent thread), and the
    next query said "the pyDatalog worker process died"."""
    from allegiance import KnowledgeBase

    made: list[KnowledgeBase] = []

    def switch() -> None:  # as `:engine pydatalog` does, in the entry's thread
        made.append(KnowledgeBase(engine="pydatalog", timeout=None))
        made[0].load_text("edge(1, 2).\nedge(2, 3).\n")

    started = threading.Thread(target=switch)
    started.start()
    started.join()
    # join() returns before the OS thread is gone; wait for that (the kernel's cue), up to 10 s
    task = f"/proc/self/task/{started.native_id}"
    deadline = time.monotonic() + 10
    while os.path.exists(task) and time.monotonic() < deadline:
        time.sleep(0.01)
    kb = made[0]
    assert kb.engine._worker is not None  # type: ignore[attr-defined]  # started by that thread
    pid = kb.engine._worker.process.pid  # type: ignore[attr-defined]
    assert sorted(kb.query("edge(X, Y)").rows) == [(1, 2), (2, 3)]
    assert kb.engine._worker.process.pid == pid  # type: ignore[attr-defined]  # the same one, not a restart
    kb.close()
