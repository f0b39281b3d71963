"""The Spark engine: a checked program evaluated semi-naively on Apache Spark, for knowledge bases
beyond one machine.

Stage: evaluation. Input: an `analysis.CheckedProgram`, base facts as rows of plain values, and
`CheckedQuery`s. Output: rows of the same plain values (str, int, float, datetime.date).

Rules compile with the DuckDB engine's compiler (engines/duckdb/compile.py: value kinds inferred per
column, native or tagged representations, one SELECT per rule, every constant a bound parameter),
carried into Spark SQL's dialect by dialect.py, and run with `spark.sql(text, args=...)`. Relations
are DataFrames registered as temporary views of this engine's own session (session.py); base facts
are DataFrames built from rows (`createDataFrame`), never from text.

Imports (`allegiance import`): the CSV file is read, checked and converted by DuckDB (engines/duckdb/csv.py,
the one CSV reader, so that a bad cell is reported with its line whatever the engine); its rows then
reach Spark as a Parquet file written by DuckDB and read with Spark's own reader, never as Python
objects. Each import is a DataFrame of its own, unioned into its relation's base view (bulks.py).

Evaluation, stratum by stratum, only the strata a read depends on:

    non-recursive   p := base(p) ∪ ⋃ rules of p over the strata below
    recursive       full_0(p) := base(p) ∪ rules over base        Δ_0(p) := full_0(p) − base(p)
                    round k:  new(p) := ⋃ over rules of p, and each atom q(...) of the stratum in
                              its body, the rule reading Δ_{k-1}(q) at that atom and full_{k-1}
                              at the others  − full_{k-1}(p)
                              full_k(p) := full_{k-1}(p) ∪ new(p);   Δ_k(p) := new(p)
                    until every Δ is empty

Every round's delta is materialised with `localCheckpoint()`, which cuts its lineage, and so is each
full relation every CHECKPOINT_EVERY rounds (in between it is a union of checkpointed pieces): a long
recursion does not build an ever-deeper plan. `−` is EXCEPT (`DataFrame.subtract`), negation is
compile.py's NOT EXISTS, which Spark plans as an anti-join.

Time limit and Ctrl-C: the engine's jobs run in a job group; a watchdog cancels the group when the
limit passes (QueryTimeout), Ctrl-C cancels it too (QueryInterrupted). Derived views of an
interrupted evaluation are dropped, so the next read recomputes them; base facts are untouched.

Integers: the session runs in ANSI mode (session.py), so an integer result beyond 64 bits is an error
(Spark's ARITHMETIC_OVERFLOW, raised as the DuckDB engine's "integer overflow in the rule for ...")
rather than wrapping around as Spark's default mode does; a divisor of zero gives no value on both
engines (compile.py writes NULLIF).

Where Spark differs from DuckDB (the differential and conformance tests run both): floats
in a column of mixed kinds print as Java does (`1.0E20`), so such a float computed by a rule and the
same float written in a file are different tagged values. Neither occurs in the bundled knowledge base.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow

from ... import ast, errors
from ...analysis.checked import CheckedProgram, CheckedQuery
from ...ast import PredicateSym, Row
from ..base import DEFAULT_TIMEOUT, Bulk, Engine, Facts
from ..duckdb.compile import (
    Kinds,
    Params,
    body_preds,
    encode,
    infer_kinds,
    kind_of,
    positive_atoms,
    program_kinds,
    query_rules_in_order,
    rep_for,
    row_decoder,
    rule_select,
)
from ..duckdb.loop import overflow_error
from . import session
from .bulks import BulkFrames, encoded, stage
from .dialect import to_spark

# Spark's error class for an integer result out of range (ANSI mode), found in the Java exception's text
# whichever Python exception carries it (an AnalysisException, an ArithmeticException, a Py4JJavaError).
_OVERFLOW = "ARITHMETIC_OVERFLOW"
_OVERFLOW_DETAIL = "a result left the 64-bit range (Spark: long overflow)"
CHECKPOINT_EVERY = 8  # rounds between two checkpoints of a recursive relation (each delta is checkpointed)
SPARK_TYPE = {"s": "STRING", "i": "BIGINT", "f": "DOUBLE", "d": "DATE", "t": "STRING"}
_ids = itertools.count()


class _Cancelled(Exception):
    pass


class SparkEngine(Engine):
    """The Engine interface on Spark SQL; one Spark session (own temporary views) per engine."""

    name = "spark"

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout)
        self._spark: Any = session.new_session()
        self._tag = f"e{next(_ids)}"
        self._program = CheckedProgram(rules=(), strata=())
        self._facts: dict[PredicateSym, set[Row]] = {}
        self._names: dict[PredicateSym, int] = {}
        self._reps: dict[PredicateSym, tuple[str, ...]] = {}
        self._kinds: dict[PredicateSym, Kinds] = {}
        self._stratum_of: dict[PredicateSym, int] = {}
        self._done: set[int] = set()
        self._frames: dict[PredicateSym, Any] = {}  # derived predicate -> its complete DataFrame
        self._views: set[str] = set()
        self._queries = 0
        self._bulks: list[tuple[Bulk, BulkFrames]] = []  # imports read by Spark, in order

    # --- the Engine interface

    def load(self, program: CheckedProgram, facts: Facts) -> None:
        self._program = program
        self._facts = {sym: {tuple(row) for row in rows} for sym, rows in facts.items()}
        self._stratum_of = {p: i for i, s in enumerate(program.strata) for p in s.predicates}
        self._install()

    def add_facts(self, facts: Facts) -> None:
        for sym, rows in facts.items():
            kept = self._facts.setdefault(sym, set())
            for row in rows:
                kept.add(tuple(row))
        self._install()

    def add_bulk(self, bulk: Bulk) -> None:
        frames = stage(self._spark, bulk)
        if frames is None:  # not a staged CSV (rows already in Python): the general path
            super().add_bulk(bulk)
            return
        self._bulks.append((bulk, frames))
        self._install()

    def load_bulks(self, program: CheckedProgram, facts: Facts, bulks: Sequence[Bulk]) -> None:
        known = {id(b): frames for b, frames in self._bulks}
        merged: dict[PredicateSym, list[Row]] = {sym: list(rows) for sym, rows in facts.items()}
        kept: list[tuple[Bulk, BulkFrames]] = []
        for bulk in bulks:
            frames = known.get(id(bulk)) or stage(self._spark, bulk)
            if frames is None:
                for sym, rows in bulk.facts().items():
                    merged.setdefault(sym, []).extend(rows)
            else:
                kept.append((bulk, frames))
        self._bulks = kept
        self.load(program, merged)

    def retract_facts(self, facts: Facts) -> None:
        for sym, rows in facts.items():
            self._facts.get(sym, set()).difference_update(tuple(r) for r in rows)
        self._install()

    def relation(self, pred: PredicateSym) -> frozenset[Row]:
        if pred not in self._names:
            return frozenset()
        return frozenset(self._guarded(lambda: self._collect(self._read(pred), self._reps[pred])))

    def query(self, query: CheckedQuery) -> list[Row]:
        rows: list[Row] = self._guarded(lambda: self._answer(query))
        return rows

    def close(self) -> None:
        self._drop_views()
        self._frames.clear()
        self._bulks.clear()

    # --- the program and its base facts

    def _install(self) -> None:
        """Kinds and representations of every column (as the DuckDB engine infers them), the base
        views; every derived view is stale."""
        self._drop_views()
        self._done.clear()
        self._frames.clear()
        program = self._program
        fact_kinds = {sym: [{kind_of(row[j]) for row in rows} for j in range(sym.arity)]
                      for sym, rows in self._facts.items()}
        for _, frames in self._bulks:
            for sym, (_, kinds) in frames.items():
                columns = fact_kinds.setdefault(sym, [set() for _ in range(sym.arity)])
                for j, kind in enumerate(kinds):
                    columns[j].add(kind)
        self._kinds = program_kinds(program.rules, program.types, fact_kinds)
        for sym in sorted(self._kinds, key=str):
            if sym not in self._names:
                self._names[sym] = len(self._names)
            self._reps[sym] = tuple(rep_for(k) for k in self._kinds[sym])
            self._register(self._base_name(sym), self._base_frame(sym))

    def _base_name(self, sym: PredicateSym) -> str:
        return f"{self._tag}_b{self._names[sym]}"

    def _full_name(self, sym: PredicateSym) -> str:
        return f"{self._tag}_r{self._names[sym]}" if sym in self._stratum_of else self._base_name(sym)

    def _schema(self, reps: tuple[str, ...]) -> str:
        return ", ".join(f"c{j} {SPARK_TYPE[r]}" for j, r in enumerate(reps)) if reps else "z BOOLEAN"

    def _base_frame(self, sym: PredicateSym) -> Any:
        reps = self._reps[sym]
        rows = [tuple(encode(v, r) for v, r in zip(row, reps, strict=True)) if reps else (True,)
                for row in self._facts.get(sym, ())]
        frame = self._spark.createDataFrame(rows, self._schema(reps))
        for _, frames in self._bulks:
            if sym in frames:
                frame = frame.unionAll(encoded(frames[sym], reps, SPARK_TYPE))
        return frame

    def _register(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def _drop_views(self) -> None:
        for name in self._views:
            self._spark.catalog.dropTempView(name)
        self._views.clear()

    # --- evaluation

    def _read(self, pred: PredicateSym) -> Any:
        """pred's complete DataFrame, evaluating the strata it depends on first."""
        if pred in self._stratum_of:
            self._evaluate_upto(self._stratum_of[pred])
            return self._frames[pred]
        return self._spark.table(self._base_name(pred))

    def _evaluate_upto(self, top: int) -> None:
        wanted: set[int] = set()
        stack = [top]
        strata = self._program.strata
        while stack:
            i = stack.pop()
            if i in wanted:
                continue
            wanted.add(i)
            for rule in strata[i].rules:
                stack.extend(self._stratum_of[s] for s in body_preds(rule)
                             if s in self._stratum_of and self._stratum_of[s] != i)
        for i in sorted(wanted - self._done):
            try:
                self._evaluate(i)
            except Exception as error:
                if _OVERFLOW in str(error):
                    raise overflow_error(strata[i].rules, _OVERFLOW_DETAIL) from None
                raise
            self._done.add(i)

    def _select(self, rule: ast.Rule, sources: list[str], source: Callable[[PredicateSym], str] | None = None,
                reps: Callable[[PredicateSym], tuple[str, ...]] | None = None) -> Any:
        params = Params()
        sql = rule_select(rule, sources, source or self._full_name, reps or self._reps.__getitem__, params)
        text, args = to_spark(sql, params.values)
        return self._spark.sql(text, args=args)

    def _union(self, frames: Iterable[Any], sym: PredicateSym) -> Any:
        frames = list(frames)
        if not frames:
            return self._spark.createDataFrame([], self._schema(self._reps[sym]))
        out = frames[0]
        for frame in frames[1:]:
            out = out.unionAll(frame)
        return out

    def _evaluate(self, i: int) -> None:
        stratum = self._program.strata[i]
        rules_of: dict[PredicateSym, list[ast.Rule]] = {p: [] for p in stratum.predicates}
        for rule in stratum.rules:
            rules_of[rule.head.sym].append(rule)
        base = {p: self._spark.table(self._base_name(p)) for p in stratum.predicates}
        if not stratum.recursive:
            for p, rules in rules_of.items():
                derived = self._union([self._select(r, [self._full_name(a.sym) for a in positive_atoms(r)])
                                       for r in rules], p)
                self._publish(p, base[p].unionAll(derived).distinct().localCheckpoint())
            return
        inside = stratum.predicates
        full: dict[PredicateSym, Any] = {}
        for p in inside:  # round 0: the base rows, then every rule once over them
            self._register(self._full_name(p), base[p])
        delta: dict[PredicateSym, Any] = {}
        for p, rules in rules_of.items():
            derived = self._union([self._select(r, [self._full_name(a.sym) for a in positive_atoms(r)])
                                   for r in rules], p)
            full[p] = base[p].unionAll(derived).distinct().localCheckpoint()
            delta[p] = full[p].subtract(base[p]).localCheckpoint()
        for p in inside:
            self._register(self._full_name(p), full[p])
        rounds = 0
        while any(not frame.isEmpty() for frame in delta.values()):
            rounds += 1
            for p in inside:
                self._register(self._delta_name(p), delta[p])
            fresh: dict[PredicateSym, Any] = {}
            for p, rules in rules_of.items():
                variants = []
                for rule in rules:
                    atoms = positive_atoms(rule)
                    for j, atom in enumerate(atoms):
                        if atom.sym in inside:
                            sources = [self._delta_name(a.sym) if k == j else self._full_name(a.sym)
                                       for k, a in enumerate(atoms)]
                            variants.append(self._select(rule, sources))
                fresh[p] = self._union(variants, p).subtract(full[p]).localCheckpoint()
            for p in inside:
                full[p] = full[p].unionAll(fresh[p])
                if rounds % CHECKPOINT_EVERY == 0:  # a union of checkpointed pieces plans cheaply; cut it now and then
                    full[p] = full[p].localCheckpoint()
                self._register(self._full_name(p), full[p])
            delta = fresh
        for p in inside:
            self._publish(p, full[p])

    def _delta_name(self, sym: PredicateSym) -> str:
        return f"{self._tag}_d{self._names[sym]}"

    def _publish(self, pred: PredicateSym, frame: Any) -> None:
        self._frames[pred] = frame
        self._register(self._full_name(pred), frame)

    def _answer(self, query: CheckedQuery) -> list[Row]:
        """The query's rules (none recursive, each reading the program and earlier rules of the
        query) as temporary views of their own, in dependency order; the goal's rows collected."""
        own = query_rules_in_order(query.rules)
        for rule in query.rules:
            for sym in body_preds(rule):
                if sym in self._stratum_of:
                    self._read(sym)
        kinds = infer_kinds(query.rules, self._kinds)
        reps = dict(self._reps)
        for sym in own:
            reps[sym] = tuple(rep_for(k) for k in kinds[sym])
        self._queries += 1
        names = {sym: f"{self._tag}_q{self._queries}_{m}" for m, sym in enumerate(own)}

        def source(sym: PredicateSym) -> str:
            return names[sym] if sym in names else self._full_name(sym)

        order = list(own)
        try:
            for sym in order:
                frames = [self._select(r, [source(a.sym) for a in positive_atoms(r)], source, reps.__getitem__)
                          for r in own[sym]]
                frame = frames[0]
                for other in frames[1:]:
                    frame = frame.unionAll(other)
                frame.createOrReplaceTempView(names[sym])
            goal = query.goal
            if goal not in names and goal not in self._names:
                return []
            return list(dict.fromkeys(self._collect(self._spark.table(source(goal)).distinct(), reps[goal])))
        except Exception as error:
            if _OVERFLOW in str(error):
                raise overflow_error(query.rules, _OVERFLOW_DETAIL) from None
            raise
        finally:
            for name in names.values():
                self._spark.catalog.dropTempView(name)

    def _collect(self, frame: Any, reps: tuple[str, ...]) -> list[Row]:
        """The frame's rows through Arrow: Spark sends the driver columnar batches (as toPandas
        does), not a pickled Row object per answer; each column becomes Python values in one step.
        `toArrow` is public from Spark 4; on the pinned 3.5, the method toPandas itself uses."""
        decode = row_decoder(reps)
        to_arrow = getattr(frame, "toArrow", None)
        if to_arrow is not None:
            table = to_arrow()
        else:
            batches = frame._collect_as_arrow()
            if not batches:
                return []
            table = pyarrow.Table.from_batches(batches)
        columns = [table.column(j).to_pylist() for j in range(table.num_columns)]
        return [decode(row) for row in zip(*columns, strict=True)]

    # --- time limit and Ctrl-C

    def _guarded(self, work: Any) -> Any:
        context = self._spark.sparkContext
        group = f"allegiance-{self._tag}-{time.monotonic_ns()}"
        context.setJobGroup(group, "allegiance evaluation", interruptOnCancel=True)
        expired = threading.Event()
        finished = threading.Event()

        def watch() -> None:
            if not finished.wait(self.timeout):
                expired.set()
                context.cancelJobGroup(group)

        watcher = None
        if self.timeout is not None:
            watcher = threading.Thread(target=watch, name="spark-time-limit", daemon=True)
            watcher.start()
        try:
            return work()
        except KeyboardInterrupt:
            context.cancelJobGroup(group)
            self._forget_derived()
            raise errors.QueryInterrupted("interrupted (Ctrl-C); the knowledge base is unchanged") from None
        except Exception as error:
            self._forget_derived()
            if expired.is_set():
                raise errors.QueryTimeout(
                    f"the query did not finish within the time limit of {self.timeout:g} s",
                    hint="raise the limit with --timeout SECONDS (:timeout in the REPL)") from None
            if isinstance(error, errors.AllegianceError):
                raise
            said = spark_failure(error)
            hint = OUT_OF_MEMORY_HINT if "OutOfMemoryError" in said else None
            raise errors.QueryError(f"Spark failed: {said}", hint=hint) from None
        finally:
            finished.set()

    def _forget_derived(self) -> None:
        for i in list(self._done):
            for p in self._program.strata[i].predicates:
                self._frames.pop(p, None)
        self._done.clear()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


OUT_OF_MEMORY_HINT = ("give Spark more memory: --spark-conf spark.driver.memory=16g on one machine (the driver "
                      "runs every task there; it has half the machine's memory by default), "
                      "spark.executor.memory on a cluster")


def spark_failure(error: BaseException) -> str:
    """What a failed Spark call says, for the user: for an error from the JVM, the Java exception
    and its root cause (py4j's first line names only the call: "An error occurred while calling
    o1079.localCheckpoint."), read from the error's text, without calling into a JVM that may be
    failing; for any other, its first line."""
    lines = [line.strip() for line in str(error).strip().splitlines()]
    thrown = next((line[2:] for line in lines if line.startswith(": ")), None)
    if not lines or not lines[0].startswith("An error occurred while calling") or thrown is None:
        return _first_line(error)
    call = lines[0].removeprefix("An error occurred while calling").strip().rstrip(".")
    call = call.split(".", 1)[1] if "." in call else call  # o1079.localCheckpoint -> localCheckpoint
    causes = [line.removeprefix("Caused by:").strip() for line in lines if line.startswith("Caused by:")]
    said = f"{thrown} (in {call})"
    if causes and causes[-1] != thrown:
        said += f"; caused by {causes[-1]}"
    return said
