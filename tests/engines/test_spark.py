"""The Spark engine: what it answers beside DuckDB on hand cases (mixed kinds, negation, recursion,
a time limit), and that without the extra it says how to install it.

The conformance core and the differential test run on Spark too (marked `spark`: `make test-spark`).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from allegiance import KnowledgeBase, QueryError, QueryTimeout

PROGRAM = """
edge(1, 2). edge(2, 3). edge(3, 1). edge(3, 4).
node(1). node(2). node(3). node(4). node(5).
path(X, Y) :- edge(X, Y).
path(X, Y) :- path(X, Z), edge(Z, Y).
cyclic(X) :- path(X, X).
acyclic(X) :- node(X), not cyclic(X).
value("a"). value(2). value(2.5). value(2015-10-01).
double(X, Y) :- value(X), Y = X * 2.
later(X) :- value(X), X > 2015-01-01.
"""


@pytest.fixture(scope="module")
def kbs() -> Iterator[tuple[KnowledgeBase, KnowledgeBase]]:
    spark = KnowledgeBase(engine="spark", timeout=600)
    duck = KnowledgeBase(engine="duckdb", timeout=60)
    for kb in (spark, duck):
        kb.load_text(PROGRAM, file="t.dl")
    yield spark, duck
    spark.close()
    duck.close()


@pytest.mark.spark
@pytest.mark.parametrize("query", ["path(X, Y)", "cyclic(X)", "acyclic(X)", "double(X, Y)", "later(X)",
                                   "path(1, X), not cyclic(X)", "path(X, Y), X > Y"])
def test_spark_answers_as_duckdb_does(kbs: tuple[KnowledgeBase, KnowledgeBase], query: str) -> None:
    spark, duck = kbs
    assert sorted(map(repr, spark.query(query).rows)) == sorted(map(repr, duck.query(query).rows))
    assert spark.query(query).rows  # each query has answers: the comparison is not of two empty sets


@pytest.mark.spark
def test_spark_keeps_up_with_added_and_retracted_facts(kbs: tuple[KnowledgeBase, KnowledgeBase]) -> None:
    spark, _ = kbs
    with KnowledgeBase(engine="spark", timeout=600) as kb:
        kb.load_text("e(1, 2). p(X, Y) :- e(X, Y). p(X, Y) :- p(X, Z), e(Z, Y).", file="t.dl")
        assert sorted(kb.query("p(1, X)").rows) == [(2,)]
        kb.load_text("e(2, 3).", file="more.dl")
        assert sorted(kb.query("p(1, X)").rows) == [(2,), (3,)]


@pytest.mark.spark
def test_spark_stops_at_the_time_limit() -> None:
    with KnowledgeBase(engine="spark", timeout=600) as kb:
        kb.load_text("n(0). n(Y) :- n(X), Y = X + 1. m(1).", file="t.dl")
        kb.engine.timeout = 5.0
        with pytest.raises(QueryTimeout):
            kb.query("n(X)")
        kb.engine.timeout = 600.0
        assert kb.query("m(X)").rows == [(1,)]  # the engine still answers after the cancelled run


OVERFLOW = "n(9223372036854775807). n(1).\nm(X + 1) :- n(X).\nd(X, Y) :- n(X), Y = 7 / (X - 1).\n" \
           "f(X, Y) :- n(X), Y = 7.5 / (X - 1).\nr(X, Y) :- n(X), Y = 7 % (X - 1).\n"


@pytest.mark.spark
@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_an_integer_overflow_is_the_same_clear_error_on_both_engines(engine: str) -> None:
    # Spark's default mode wrapped m's value around to -9223372036854775808; ANSI mode raises, and the
    # engine names the rule as the DuckDB engine does. A divisor of zero still gives no value.
    with KnowledgeBase(engine=engine, timeout=600) as kb:
        kb.load_text(OVERFLOW, file="ov.dl")
        with pytest.raises(QueryError) as caught:
            kb.query("m(X)")
        assert caught.value.message.startswith("integer overflow in the rule for m/1: ")
        assert caught.value.span is not None and caught.value.span.line == 2
        big = 9223372036854775807
        assert sorted(kb.query("d(X, Y)").rows) == [(big, 7 // (big - 1))]
        assert sorted(kb.query("f(X, Y)").rows) == [(big, 7.5 / (big - 1))]
        assert sorted(kb.query("r(X, Y)").rows) == [(big, 7)]


IMPORT_SCHEMA = """\
.source ucdp_test { title: "a UCDP-like export" publisher: "UCDP" }
.source s2 { title: "another source" }
.entity fsa { name: "Free Syrian Army" aliases: "FSA" kind: coalition }
.relation backs(backer, backed) { phrases: "{backer} backs {backed}" }
.relation clash(side_a, side_b, deaths: number, day: date, share: float) {
  phrases: "{side_a} fought {side_b} killing {deaths} on {day} with share {share}"
}
backs(usa, fsa) from source s2.
allied(X, Y) :- backs(X, Y), backs(Y, Z), clash(Z, _, N, _, _), N > 3.
"""


@pytest.mark.spark
def test_an_import_reaches_spark_through_parquet_not_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from allegiance.engines.base import Bulk
    from allegiance.importing import import_csv

    (tmp_path / "schema.dl").write_text(IMPORT_SCHEMA, encoding="utf-8")
    (tmp_path / "backs.csv").write_text("backer,backed\nqatar,FSA\nfsa,rebels\nfsa,rebels\n", encoding="utf-8")
    (tmp_path / "clash.csv").write_text("a,b,deaths,day,share\nrebels,isis,12,2015-10-01,0.5\n"
                                        "rebels,nusra,2,2015-10-02,1.25\n", encoding="utf-8")
    answers = {}
    for engine in ("duckdb", "spark"):
        with KnowledgeBase(engine=engine, timeout=600) as kb:
            kb.load_path(tmp_path / "schema.dl")
            if engine == "spark":  # the general path would make every row a Python tuple
                monkeypatch.setattr(Bulk, "facts", lambda self: pytest.fail("an import's rows went through Python"))
            import_csv(kb, tmp_path / "backs.csv", "backs", "ucdp_test")
            import_csv(kb, tmp_path / "clash.csv", "clash", "ucdp_test", ["a", "b", "deaths", "day", "share"])
            answers[engine] = {str(p): sorted(map(repr, kb.facts(p))) for p in kb.predicates()}
            assert kb.facts("allied") == [("qatar", "fsa"), ("usa", "fsa")]
            assert ("rebels", "isis", 12, datetime.date(2015, 10, 1), 0.5) in kb.facts("clash")
            kb.undo()  # the clash import goes: the engine reloads with the first import only
            assert kb.facts("allied") == []
            assert ("qatar", "fsa") in kb.facts("backs")
    assert answers["spark"] == answers["duckdb"]


def test_without_the_extra_the_spark_engine_says_how_to_install_it() -> None:
    script = ("import sys; sys.modules['pyspark'] = None\n"
              "from allegiance.cli import main\n"
              "sys.exit(main(['query', 'p(X)', '--engine', 'spark']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "pyspark" in done.stderr and "pip install 'allegiance[spark]'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "spark", "--spark-conf", "nokey"], "--spark-conf nokey: expected KEY=VALUE"),
    (["--spark-master", "local[2]"], "--spark-master and --spark-conf configure the Spark engine"),
])
def test_spark_options_are_checked_before_spark_starts(args: list[str], message: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from allegiance.cli import main

    assert main(["query", "p(X)", *args]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# What py4j's Py4JJavaError says (its text, abridged from the hmmer conformance case's failure):
# the first line names only the call.
JAVA_FAILURE = """An error occurred while calling o1079.localCheckpoint.
: org.apache.spark.SparkException: Job aborted due to stage failure: Task 1 in stage 12.0 failed 1 times
\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)
\tat java.base/java.lang.Thread.run(Thread.java:840)
Caused by: java.lang.RuntimeException: while spilling
\tat org.apache.spark.util.collection.Spillable.maybeSpill(Spillable.scala:87)
Caused by: java.lang.OutOfMemoryError: Java heap space
\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)
"""


def test_a_failure_in_the_jvm_is_named_by_its_exception_and_root_cause_not_by_the_call() -> None:
    from allegiance.engines.spark.engine import spark_failure

    said = spark_failure(RuntimeError(JAVA_FAILURE))
    assert said == ("org.apache.spark.SparkException: Job aborted due to stage failure: Task 1 in stage 12.0 "
                    "failed 1 times (in localCheckpoint); caused by java.lang.OutOfMemoryError: Java heap space")
    thrown_only = "An error occurred while calling o7.count.\n: java.lang.OutOfMemoryError: Java heap space\n"
    assert spark_failure(RuntimeError(thrown_only)) == "java.lang.OutOfMemoryError: Java heap space (in count)"
    assert spark_failure(ValueError("plain\nsecond line")) == "plain"  # not from the JVM: its first line


def test_local_mode_gives_the_driver_the_memory_duckdb_would_get(monkeypatch: pytest.MonkeyPatch) -> None:
    from allegiance.engines.duckdb import memory
    from allegiance.engines.spark import session

    monkeypatch.setattr(memory, "physical_memory", lambda: 24 * 2**30)
    assert session.local_memory() == {"spark.driver.memory": f"{int(24 * 2**30 * memory.DEFAULT_SHARE) // 2**20}m"}
    monkeypatch.setattr(memory, "physical_memory", lambda: 1 * 2**30)
    assert session.local_memory() == {"spark.driver.memory": "1024m"}  # never below Spark's own default
    monkeypatch.setattr(memory, "physical_memory", lambda: None)
    assert session.local_memory() == {}
