"""The rows of the benchmark: every workload, every system it runs on, and their targets.

Input: the sizes (full or --quick) and the paths of the generated files. Output: a list of Rows in
run order (baselines before the rows compared with them). Nothing here measures anything.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .targets import AtMost, FasterBy, MemoryAtMost, MemoryUnder, RateAtLeast, SlowerThan, Target, TimeUnder

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    chain: int = 1_000
    nodes: int = 2_000
    edges: int = 6_000
    join_rows: int = 100_000
    facts: int = 1_000_000
    facts_small: int = 100_000  # about 3 MB: under any size limit the loader has had
    english: int = 10_000
    growth_nodes: int = 250  # 1x; 8x is the 2,000-node graph of the closure rows
    bundled_repeat: int = 20
    chart_nodes: int = 10_000  # the focus chart's entities
    dated: int = 10_000  # dated statements of the time rows
    dates: int = 1_000  # their distinct days
    spark_chain: int = 10  # rounds of the Spark engine's semi-naive loop
    spark_nodes: int = 60  # a random graph of 3 edges a node: about 8 rounds
    support_chain: int = 300  # the closures with support (section 11): smaller than section 1's
    support_nodes: int = 500
    network: int = 100_000  # statements of the generated conflict network (bench/network.py)
    network_small: int = 10_000  # where the whole evaluation still ends: the demand rows' baseline
    chain_parties: int = 5_000  # issue 18's chain of alliances, queried with support

    @classmethod
    def quick(cls) -> Sizes:
        return cls(chain=200, nodes=400, edges=1_200, join_rows=10_000, facts=50_000, facts_small=10_000, english=1_000,
                   growth_nodes=50, bundled_repeat=3, chart_nodes=1_000, spark_chain=5, spark_nodes=30, dated=1_000,
                   dates=200, support_chain=100, support_nodes=200, network=10_000, network_small=2_000,
                   chain_parties=500)


@dataclass(frozen=True)
class Row:
    key: str
    workload: str  # what --only matches
    label: str
    system: str
    size: str
    task: str | list[str] | None  # a task name, a command line, or None for a row computed from others
    params: dict[str, Any] = field(default_factory=dict)
    short: str = ""  # how other rows name this one when comparing with it
    pydatalog: bool = False  # gets the pyDatalog time limit
    baselines: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    latency: bool = False  # samples are individual calls: report p50 and p95
    items: tuple[int, str] | None = None  # (count, unit) to report a rate
    stdin: bytes = b""
    derive: tuple[str, ...] = ()  # keys of the rows a computed row is fitted on
    note: str = ""
    memory_ratio: bool = False  # show the peak-memory ratio beside the time ratio


def _n(x: int) -> str:
    return f"{x:,}"


def _closure_rows(graph: str, title: str, size: str, params: dict[str, Any], big: bool) -> list[Row]:
    k = f"closure.{graph}"
    sql, raw = f"{k}.sql", f"{k}.pydatalog"
    targets: list[Target] = [
        AtMost(sql, 1.5, "≤ 1.5x hand SQL"),
        FasterBy(raw, 50, "≥ 50x faster than raw pyDatalog"),
    ]
    if big:
        targets.append(MemoryUnder(400, "peak < 400 MB"))
    return [
        Row(sql, "closure", title, "DuckDB, hand-written recursive SQL", size, "sql.closure", params, short="hand SQL"),
        Row(f"{k}.sql-count", "closure", title, "DuckDB, hand-written SQL, count(*) only", size, "sql.closure",
            {**params, "count_only": True}, short="SQL count",
            note="the same SQL without handing rows to Python: the cost of the Python rows themselves"),
        Row(raw, "closure", title, "raw pyDatalog (Python API)", size, "pydatalog.closure", params,
            short="raw pyDatalog", pydatalog=True),
        Row(f"{k}.allegiance-duckdb", "closure", title, "allegiance, DuckDB engine", size, "kb.closure",
            {**params, "engine": "duckdb"}, short="allegiance", baselines=(sql, raw), targets=tuple(targets)),
        Row(f"{k}.allegiance-pydatalog", "closure", title, "allegiance, pyDatalog engine", size, "kb.closure",
            {**params, "engine": "pydatalog"}, pydatalog=True, baselines=(raw,)),
        Row(f"{k}.allegiance-spark", "closure", title, "allegiance, Spark engine (local mode, this machine)", size,
            "kb.closure", {**params, "engine": "spark"}, pydatalog=True, baselines=(sql, f"{k}.allegiance-duckdb"),
            short="Spark", note="one machine: Spark's start-up and per-round job overhead, not a cluster's speed"),
    ]


def _network_rows(sizes: Sizes, files: dict[str, Path]) -> list[Row]:
    title = "Bound queries on a conflict network (indirect_ally(g, X), linked(g, X), ...)"
    out: list[Row] = []
    for name, statements in (("small", sizes.network_small), ("large", sizes.network)):
        size = f"{_n(statements)} statements, {_n(statements // 10)} groups"
        params = {"statements": statements, "per_pattern": 5}
        whole = f"network.{name}.whole"
        out += [
            Row(whole, "network", title, "allegiance, DuckDB engine, whole evaluation (demand off)", size,
                "network.bound", {**params, "demand": False, "memory_limit": "4GB"}, short="whole evaluation",
                pydatalog=name == "large",
                note="the first query alone: it evaluates whole what the queries read; under the pyDatalog rows' "
                     "time limit and a 4 GB memory ceiling at the large size"),
            Row(f"network.{name}.demand", "network", title, "allegiance, DuckDB engine, on demand", size,
                "network.bound", {**params, "demand": True}, latency=True, baselines=(whole,), memory_ratio=True,
                targets=(TimeUnder(0.050, "p95 < 50 ms", q=0.95),) if name == "large" else
                (FasterBy(whole, 10, "≥ 10x faster than the whole evaluation"),),
                note="20 queries, each timed alone, from a knowledge base nothing was asked of before (the collector "
                     "settled after the load, as the command and the REPL do); the ratio is the median query against "
                     "the whole evaluation's first"),
        ]
    # `why` of a derived fact, the third bound question, on the same networks
    title = "why on a conflict network (why linked(a, b), why indirect_ally(a, b))"
    for name, statements in (("small", sizes.network_small), ("large", sizes.network)):
        size = f"{_n(statements)} statements, {_n(statements // 10)} groups"
        out.append(Row(f"network.{name}.why", "network", title, "allegiance, DuckDB engine, on demand (explain.why)",
                       size, "network.why", {"statements": statements, "per_kind": 5, "demand": True}, latency=True,
                       targets=(TimeUnder(0.050, "p95 < 50 ms", q=0.95),) if name == "large" else (),
                       note="10 facts, each timed alone, from a knowledge base nothing was asked of before (the "
                            "collector settled after the load, as the command and the REPL do): the first why of the "
                            "state reads the relations it reads whole (tie/2, the facts), the later ones read them "
                            "from the state's explainer"))
    size = f"{_n(sizes.network)} statements, {_n(sizes.network // 10)} groups"
    out.append(Row("network.large.why-graded", "network", title,
                   "allegiance, DuckDB engine, on demand, each node's support (explain.graded_why)", size, "network.why",
                   {"statements": sizes.network, "per_kind": 2, "demand": True, "graded": True}, latency=True,
                   baselines=("network.large.why",),
                   note="4 facts; what `allegiance why` and the REPL's :why show by default: the proof, then one "
                        "evaluation with support on demand for all its nodes (support.facts_support)"))
    # every inconsistency of the bundled rules over the large network, as `allegiance inconsistencies` gives them
    title = "Load and every inconsistency of the bundled rules on a conflict network"
    size = f"bundled KB + {_n(sizes.network)} statements"
    given = sorted(str(p) for folder in ("rules", "facts") for p in (ROOT / folder).iterdir()
                   if p.suffix in (".dl", ".facts"))
    listed: dict[str, Any] = {"files": [*given, str(files["conflict"])]}
    out += [
        Row("network.inconsistencies.plain", "network", title, "`allegiance inconsistencies --no-support`", size,
            "network.inconsistencies", {**listed, "args": ["--no-support"]}, short="no support",
            note="the inconsistencies alone: no support, premise or single-source flag"),
        Row("network.inconsistencies", "network", title,
            "`allegiance inconsistencies` (support, the first 1,000 premises, single-source flags)", size,
            "network.inconsistencies", listed, baselines=("network.inconsistencies.plain",), memory_ratio=True,
            targets=(TimeUnder(60.0, "< 60 s"), MemoryUnder(2000, "peak < 2 GB")),
            note="load included; the single-source flag is leave-one-out over every source at once"),
    ]
    title = "A bound query with support on a chain of alliances (issue 18's file, linked(g0, X))"
    size = f"bundled KB + {_n(sizes.chain_parties)} ally facts"
    params = {"parties": sizes.chain_parties}
    out += [
        Row("network.chain.plain", "network", title, "allegiance, DuckDB engine, no support", size, "network.chain",
            {**params, "support": False}, short="no support"),
        Row("network.chain.support", "network", title, "allegiance, DuckDB engine, support per answer, on demand",
            size, "network.chain", {**params, "support": True}, baselines=("network.chain.plain",),
            memory_ratio=True, targets=(AtMost("network.chain.plain", 10.0, "≤ 10x the query without support"),),
            note="support from the demand program of the query (engines/duckdb/demanded.py)"),
        Row("network.chain.whole", "network", title, "allegiance, DuckDB engine, support per answer, whole evaluation",
            size, "network.chain", {**params, "support": True, "demand": False, "memory_limit": "4GB"},
            baselines=("network.chain.plain",), memory_ratio=True, pydatalog=True,
            note="the way before demand: the whole annotated evaluation of what the query reads (337 s measured at "
                 "5,000 parties); under the pyDatalog rows' time limit and a 4 GB memory ceiling"),
    ]
    return out


def rows(sizes: Sizes, files: dict[str, Path]) -> list[Row]:
    chain = {"graph": "chain", "length": sizes.chain}
    graph = {"graph": "random", "nodes": sizes.nodes, "edges": sizes.edges}
    chain_size = f"{_n(sizes.chain)} edges → {_n(sizes.chain * (sizes.chain + 1) // 2)} tuples"
    graph_size = f"{_n(sizes.nodes)} nodes, {_n(sizes.edges)} edges"
    out: list[Row] = []

    # 1. Transitive closure.
    out += _closure_rows("chain", "Transitive closure, chain", chain_size, chain, big=False)
    out += _closure_rows("random", "Transitive closure, random graph", graph_size, graph, big=True)

    # 2. A point query and a negation over the random graph, against the rule seeded by hand; node 0
    # relabelled to a well-connected node (data.rooted), so that path(0, Y) has work to do.
    graph = {**graph, "rooted": True}
    out += [
        Row("point.sql", "point", "Point query path(0, Y)", "DuckDB, hand-seeded reach(Y) from 0", graph_size,
            "sql.reach", graph, short="hand-seeded SQL"),
        Row("point.allegiance-duckdb", "point", "Point query path(0, Y)", "allegiance, DuckDB engine", graph_size,
            "kb.point", {**graph, "engine": "duckdb"}, baselines=("point.sql",),
            targets=(AtMost("point.sql", 5, "≤ 5x hand-seeded rule"),)),
        Row("point.allegiance-duckdb-right", "point", "Point query path(0, Y)",
            "allegiance, DuckDB engine, right recursion", graph_size,
            "kb.point", {**graph, "engine": "duckdb", "right": True}, baselines=("point.sql",)),
        Row("negation.sql", "negation", "Negation unreached(X) :- node(X), not path(0, X).",
            "DuckDB, hand-seeded reach + NOT EXISTS", graph_size, "sql.unreached", graph, short="hand-seeded SQL"),
        Row("negation.allegiance-duckdb", "negation", "Negation unreached(X) :- node(X), not path(0, X).",
            "allegiance, DuckDB engine", graph_size, "kb.negation", {**graph, "engine": "duckdb"}, short="allegiance",
            baselines=("negation.sql",), targets=(AtMost("negation.sql", 5, "≤ 5x hand-seeded rule"),)),
    ]

    # 3. A three-way join.
    join = {"rows": sizes.join_rows}
    join_title = "Three-way join j(X, W) :- r(X, Y), s(Y, Z), t(Z, W)."
    join_size = f"3 x {_n(sizes.join_rows)} rows"
    out += [
        Row("join.sql", "join", join_title, "DuckDB, hand-written SQL", join_size, "sql.join", join, short="hand SQL"),
        Row("join.pydatalog", "join", join_title, "raw pyDatalog (Python API)", join_size, "pydatalog.join", join,
            short="raw pyDatalog", pydatalog=True),
        Row("join.allegiance-duckdb", "join", join_title, "allegiance, DuckDB engine", join_size, "kb.join",
            {**join, "engine": "duckdb"}, short="allegiance", baselines=("join.sql", "join.pydatalog")),
        Row("join.allegiance-pydatalog", "join", join_title, "allegiance, pyDatalog engine", join_size, "kb.join",
            {**join, "engine": "pydatalog"}, pydatalog=True, baselines=("join.pydatalog",)),
        Row("join.allegiance-spark", "join", join_title, "allegiance, Spark engine (local mode, this machine)",
            join_size, "kb.join", {**join, "engine": "spark"}, pydatalog=True,
            baselines=("join.sql", "join.allegiance-duckdb")),
    ]

    # 4. Loading a large Datalog fact file, and the same number of rows as CSV.
    facts_title = "Load a Datalog fact file"
    facts_size = f"{_n(sizes.facts)} facts"
    small_size = f"{_n(sizes.facts_small)} facts"
    out += [
        Row("facts.small.lark", "facts", facts_title, "Lark LALR floor (minimal fact grammar, tree only)", small_size,
            "lark.floor", {"file": str(files["facts_small"])}, short="Lark floor", items=(sizes.facts_small, "facts")),
        Row("facts.small.allegiance", "facts", facts_title, "allegiance load_file, DuckDB engine", small_size,
            "kb.load_file", {"file": str(files["facts_small"]), "engine": "duckdb", "statements": sizes.facts_small},
            short="first load", baselines=("facts.small.lark",), items=(sizes.facts_small, "facts"),
            targets=(AtMost("facts.small.lark", 1.3, "≤ 1.3x Lark floor"),)),
        Row("facts.small.reopen", "facts", "Reopen a Datalog fact file's knowledge base from --db",
            "allegiance, KnowledgeBase(db=...) a second time", small_size, "kb.reopen_db",
            {"file": str(files["facts_small"])}, baselines=("facts.small.allegiance",), items=(sizes.facts_small, "facts"),
            targets=(FasterBy("facts.small.allegiance", 5, "≥ 5x faster than the first load"),),
            note="the file is unchanged: restored from the DuckDB file without parsing it"),
        Row("facts.lark", "facts", facts_title, "Lark LALR floor (minimal fact grammar, tree only)", facts_size,
            "lark.floor", {"file": str(files["facts"])}, short="Lark floor", items=(sizes.facts, "facts")),
        Row("facts.allegiance", "facts", facts_title, "allegiance load_file, DuckDB engine", facts_size,
            "kb.load_file", {"file": str(files["facts"]), "engine": "duckdb", "statements": sizes.facts},
            baselines=("facts.lark",), items=(sizes.facts, "facts"),
            targets=(AtMost("facts.lark", 1.3, "≤ 1.3x Lark floor"),),
            note="the loader refuses fact files over its size limit (files.MAX_FILE_BYTES); bulk data goes through "
                 "`allegiance import`, the next row"),
        Row("csv.allegiance", "csv", "Bulk CSV import", "allegiance import (importing.import_csv)", f"{_n(sizes.facts)} rows",
            "kb.csv_import", {"file": str(files["csv"]), "rows": sizes.facts}, items=(sizes.facts, "rows"),
            targets=(RateAtLeast(500_000, sizes.facts, "≥ 500,000 rows/s"),)),
    ]

    # 4b. The same import on the Spark engine (CSV staged by DuckDB, rows to Spark as Parquet), read back.
    small_csv = f"{_n(sizes.facts_small)} rows"
    out += [
        Row("csv.read.duckdb", "csv", "Bulk CSV import, then every row read back", "allegiance, DuckDB engine",
            small_csv, "kb.csv_import", {"file": str(files["csv_small"]), "engine": "duckdb", "read": True},
            short="DuckDB engine", items=(sizes.facts_small, "rows")),
        Row("csv.read.spark", "csv", "Bulk CSV import, then every row read back",
            "allegiance, Spark engine (local mode, this machine)", small_csv, "kb.csv_import",
            {"file": str(files["csv_small"]), "engine": "spark", "read": True}, pydatalog=True,
            baselines=("csv.read.duckdb",), items=(sizes.facts_small, "rows")),
    ]

    # 5. Controlled English.
    out.append(
        Row("english.allegiance", "english", "Load controlled-English statements", "allegiance load_file, DuckDB engine",
            f"{_n(sizes.english)} statements", "kb.load_file",
            {"file": str(files["english"]), "engine": "duckdb", "statements": sizes.english},
            items=(sizes.english, "statements"),
            targets=(RateAtLeast(10_000, sizes.english, "≥ 10,000 statements/s"),)),
    )

    # 6. The bundled knowledge base.
    # The installed script is what a user runs; without it, the same entry point through Python.
    script = Path(sys.executable).with_name("allegiance")
    repl = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from allegiance.cli import main; sys.exit(main())"]
    rep = {"repeat": sizes.bundled_repeat}
    # Queries of the kind the language reference and the check files ask.
    typical = {**rep, "queries": ["ally(X, nusra)", "indirect_ally(X, Y)", "in_coalition(X, alliance41)",
                                  "side_of(X, S)"]}
    out += [
        Row("bundled.startup", "bundled", "Bundled KB: start-up to first prompt", "`allegiance` fed `:quit`", "bundled KB",
            repl, stdin=b":quit\n", targets=(TimeUnder(1.0, "< 1 s"),)),
        Row("bundled.query", "bundled", "Bundled KB: a typical query", "allegiance, DuckDB engine",
            "4 queries, e.g. ally(X, nusra)", "bundled.query", typical, latency=True, targets=(TimeUnder(0.020, "p95 < 20 ms", q=0.95),)),
        Row("bundled.why", "bundled", "Bundled KB: why on every derived fact", "allegiance, DuckDB engine", "every derived fact",
            "bundled.why", {"repeat": 1}, latency=True, targets=(TimeUnder(0.050, "p95 < 50 ms", q=0.95),)),
        Row("bundled.check", "bundled", "Bundled KB: check files", "allegiance, DuckDB engine", "each check of checks/*.check",
            "bundled.check", rep, latency=True),
    ]

    # 7. Growth: the closure at 1x, 2x, 4x, 8x a base size, and the fitted exponent.
    for system, task, extra in (("allegiance, DuckDB engine", "kb.closure", {"engine": "duckdb"}),
                                ("DuckDB, hand-written recursive SQL", "sql.closure", {})):
        name = "allegiance-duckdb" if extra else "sql"
        keys = []
        for factor in (1, 2, 4, 8):
            n = sizes.growth_nodes * factor
            key = f"growth.{name}.{factor}x"
            keys.append(key)
            out.append(Row(key, "growth", f"Closure growth, random graph {factor}x", system,
                           f"{_n(n)} nodes, {_n(3 * n)} edges", task,
                           {"graph": "random", "nodes": n, "edges": 3 * n, **extra}))
        out.append(Row(f"growth.{name}.exponent", "growth", "Closure growth: fitted exponent", system,
                       "1x → 8x", None, derive=tuple(keys)))

    # 7b. Spark at sizes where it finishes on one machine: what its rounds cost beside DuckDB's (docs/scale.md
    # reads the crossover from these). A chain of n edges takes n rounds; the random graph about a dozen.
    for key, title, size, params in (
        ("chain", "Spark scaling: closure of a chain", f"{_n(sizes.spark_chain)} edges",
         {"graph": "chain", "length": sizes.spark_chain}),
        ("random", "Spark scaling: closure of a random graph", f"{_n(sizes.spark_nodes)} nodes, "
         f"{_n(3 * sizes.spark_nodes)} edges", {"graph": "random", "nodes": sizes.spark_nodes,
                                                 "edges": 3 * sizes.spark_nodes}),
    ):
        out += [
            Row(f"spark.{key}.duckdb", "spark", title, "allegiance, DuckDB engine", size, "kb.closure",
                {**params, "engine": "duckdb"}, short="DuckDB engine"),
            Row(f"spark.{key}.spark", "spark", title, "allegiance, Spark engine (local mode, this machine)", size,
                "kb.closure", {**params, "engine": "spark"}, pydatalog=True, baselines=(f"spark.{key}.duckdb",),
),
        ]

    # 8. Link charts: built, laid out and written as the offline page (allegiance graph).
    out += [
        Row("graph.bundled", "graph", "Link chart of the bundled KB", "allegiance graph (html)", "bundled KB",
            "graph.bundled", {"repeat": 5}, latency=True, targets=(TimeUnder(1.0, "p95 < 1 s", q=0.95),)),
        Row("graph.focus", "graph", "Focus link chart", "allegiance graph --focus (html)",
            f"{_n(sizes.chart_nodes)} entities", "graph.focus", {"nodes": sizes.chart_nodes},
            targets=(TimeUnder(5.0, "< 5 s"),)),
    ]
    # 9. Bound queries on a real-sized network, on demand against the whole evaluation (on_demand.py).
    out += _network_rows(sizes, files)

    # 10. End to end: the commands themselves, from spawn to exit, against what a user could run
    # instead (bench/e2e.py), each with its peak memory.
    e2e = [sys.executable, "-m", "bench.e2e"]
    closure_title = "Command: the whole closure to CSV"
    out += [
        Row("e2e.copy", "e2e", closure_title, "DuckDB COPY (WITH RECURSIVE ...) TO file, from the edges' CSV",
            graph_size, [*e2e, "copy", str(files["graph_csv"]), str(files["graph_out"])], short="DuckDB COPY"),
        Row("e2e.query-csv", "e2e", closure_title, "`allegiance query 'path(X, Y)' FILE --format csv --no-support`", graph_size,
            [*repl, "query", "path(X, Y)", str(files["graph_dl"]), "--format", "csv", "--no-support"], baselines=("e2e.copy",),
            memory_ratio=True,
            targets=(AtMost("e2e.copy", 1.5, "≤ 1.5x COPY's time"), MemoryAtMost("e2e.copy", 1.5, "≤ 1.5x COPY's memory"),
                     MemoryUnder(400, "peak < 400 MB")),
            note="answers sorted (COPY's are not); stdout goes to a file"),
        Row("e2e.query-csv-support", "e2e", closure_title, "`allegiance query 'path(X, Y)' FILE --format csv` (support on, "
            "the default)", graph_size, [*repl, "query", "path(X, Y)", str(files["graph_dl"]), "--format", "csv", "--timeout", "0"],
            baselines=("e2e.copy",), memory_ratio=True,
            targets=(AtMost("e2e.copy", 1.5, "≤ 1.5x COPY's time"), MemoryAtMost("e2e.copy", 1.5, "≤ 1.5x COPY's memory")),
            note="a plain program has nothing to grade: streamed as with --no-support, support never computed; "
                 "no time limit, as COPY has none"),
        Row("e2e.import-library", "e2e", "Command: bulk CSV import", "a script: KnowledgeBase + import_csv",
            f"{_n(sizes.facts)} rows", [*e2e, "import", str(files["csv"]), str(files["csv_kb"])], short="library"),
        Row("e2e.import-cli", "e2e", "Command: bulk CSV import",
            "`allegiance import FILE.csv --relation strike_count --source bench_csv --kb DIR`", f"{_n(sizes.facts)} rows",
            [*repl, "import", str(files["csv"]), "--relation", "strike_count", "--source", "bench_csv",
             "--kb", str(files["csv_kb"])], baselines=("e2e.import-library",), memory_ratio=True,
            targets=(AtMost("e2e.import-library", 1.2, "≤ 1.2x the library's time"),
                     MemoryAtMost("e2e.import-library", 1.2, "≤ 1.2x the library's memory"))),
        Row("e2e.dry-run", "e2e", "Command: a dry-run load into the bundled knowledge base",
            "`allegiance load FILE --dry-run --format json`", "5,000 ally facts in one chain",
            [*repl, "load", str(files["ally_chain"]), "--dry-run", "--format", "json"],
            targets=(TimeUnder(10.0, "< 10 s"), MemoryUnder(1000, "peak < 1 GB")),
            note="the closures over the chain (25 million pairs each) are named in the report as too large "
                 "to compare, not built"),
    ]
    # 10. Time: every inconsistency of the bundled rules over a dated network, plainly, at a date, as timelines.
    net = {"file": str(files["network"])}
    time_title = "Time: every inconsistency of the bundled rules"
    time_size = f"{_n(sizes.dated)} dated statements, {_n(sizes.dates)} days"
    out += [
        Row("time.plain", "time", time_title, "allegiance inconsistencies (one plain evaluation)", time_size,
            "time.plain", net, short="plain evaluation"),
        Row("time.at", "time", time_title, "allegiance inconsistencies --at 2016-01-01", time_size, "time.at",
            {**net, "at": "2016-01-01"}, baselines=("time.plain",),
            targets=(AtMost("time.plain", 1.5, "≤ 1.5x a plain evaluation"),)),
        Row("time.timelines", "time", time_title, "allegiance timeline --inconsistencies",
            time_size, "time.timelines", net, baselines=("time.plain",),
            targets=(AtMost("time.plain", 10, "≤ 10x a plain evaluation"),),
            note="allegiance.timeline.timelines: one interval-annotated evaluation of what the relations read "
                 "(negation as interval difference), the days with and without the undated statements side "
                 "by side in one domain; only the relations asked for are read back"),
        Row("time.timeline_each", "time", time_title, "allegiance timeline REL, one call per inconsistency relation",
            time_size, "time.timeline_each", net, baselines=("time.plain",),
            note="what `allegiance timeline REL` or `:timeline REL` costs relation by relation: one "
                 "interval-annotated evaluation each, the statements' facts prepared once per state"),
    ]

    out += _support_rows(sizes, repl, typical)
    out += peer_rows(graph_size, join_size, {"graph": "random", "nodes": sizes.nodes, "edges": sizes.edges}, graph,
                     join)
    return out


def _support_rows(sizes: Sizes, repl: list[str], typical: dict[str, Any]) -> list[Row]:
    """11. Support, `sources` and the link chart, each beside the same work without them (bench/support.py)."""
    out: list[Row] = []
    chain = {"graph": "chain", "length": sizes.support_chain}
    graph = {"graph": "random", "nodes": sizes.support_nodes, "edges": 3 * sizes.support_nodes}
    for key, title, size, params in (
            ("chain", "Closure with support, chain", f"{_n(sizes.support_chain)} edges", chain),
            ("random", "Closure with support, random graph",
             f"{_n(sizes.support_nodes)} nodes, {_n(3 * sizes.support_nodes)} edges", graph)):
        plain = f"support.closure.{key}.plain"
        out += [
            Row(plain, "support", title, "allegiance, DuckDB engine, no support", size + ", graded A/C/E",
                "support.closure", {**params, "engine": "duckdb"}, short="no support"),
            Row(f"support.closure.{key}.support", "support", title, "allegiance, DuckDB engine, support per answer",
                size + ", graded A/C/E", "support.closure", {**params, "engine": "duckdb", "support": True},
                baselines=(plain,), memory_ratio=True, targets=(AtMost(plain, 2.0, "≤ 2x without support"),)),
        ]
    out += [
        Row("support.bundled.plain", "support", "Bundled KB: queries, typical and every inconsistency relation",
            "allegiance, DuckDB engine, no support", "4 typical + each inconsistency relation", "support.bundled",
            typical, latency=True, short="no support"),
        Row("support.bundled.support", "support", "Bundled KB: queries, typical and every inconsistency relation",
            "allegiance, DuckDB engine, support per answer", "4 typical + each inconsistency relation", "support.bundled",
            {**typical, "support": True}, latency=True, baselines=("support.bundled.plain",), memory_ratio=True,
            targets=(TimeUnder(0.020, "p95 < 20 ms", q=0.95),),
            note="the first round computes each relation's support, kept until the knowledge base changes"),
    ]
    goals = {"goals": ["backs_terror_linked(S, G, T)", "indirect_ally(X, Y)", "backed(X, Y)"], "repeat": 1}
    facts = "each answer of 3 derived relations and of every inconsistency relation"
    out += [
        Row("support.why", "support", "Bundled KB: what a derived fact rests on", "`why` on each fact (explain.why)",
            facts, "support.sources", {**goals, "mode": "why"}, latency=True, short="why"),
        Row("support.sources", "support", "Bundled KB: what a derived fact rests on",
            "`sources` on each fact (explain.critical.rests_on)", facts, "support.sources", goals, latency=True,
            baselines=("support.why",), memory_ratio=True, targets=(TimeUnder(0.200, "p95 < 200 ms", q=0.95),)),
    ]
    chart = [*repl, "graph", "-o", os.devnull]
    out += [
        Row("support.e2e.query", "support", "Command: the bundled KB's link chart", "`allegiance query 'ally(X, Y)'`",
            "bundled KB", [*repl, "query", "ally(X, Y)"], short="a query",
            note="start-up and loading the bundled KB: what every command pays"),
        Row("support.e2e.graph-no-support", "support", "Command: the bundled KB's link chart",
            "`allegiance graph --no-support -o FILE`", "bundled KB", [*chart, "--no-support"], short="no support",
            baselines=("support.e2e.query",), memory_ratio=True),
        Row("support.e2e.graph", "support", "Command: the bundled KB's link chart", "`allegiance graph -o FILE`",
            "bundled KB", chart, baselines=("support.e2e.query", "support.e2e.graph-no-support"), memory_ratio=True,
            targets=(TimeUnder(1.0, "< 1 s"),)),
    ]
    return out


# The peers users compare us with (bench/peers.py), on the closure, join and negation workloads, each
# against allegiance's DuckDB row of the same run. pip-installable ones come with `make bench-peers`
# (the `peers` extra); the others are measured only where already installed.
PEERS = (("clingo", "clingo (pip clingo, grounding + solving)", ("closure", "join", "negation")),
         ("cozo", "CozoDB embedded (pip cozo-embedded)", ("closure", "join", "negation")),
         ("souffle", "Soufflé interpreter (souffle)", ("closure",)),
         ("swipl", "SWI-Prolog with tabling (swipl), whole process", ("closure", "join", "negation")))


def peer_rows(graph_size: str, join_size: str, graph: dict[str, Any], rooted: dict[str, Any],
              join: dict[str, Any]) -> list[Row]:
    """Rows keyed peers.WORKLOAD.PEER; workload "peers" (`--only peers`, `make bench-peers`)."""
    what = {"closure": ("Peers: transitive closure, random graph", graph_size, graph, "closure.random.allegiance-duckdb"),
            "join": ("Peers: three-way join", join_size, join, "join.allegiance-duckdb"),
            "negation": ("Peers: negation unreached(X) :- node(X), not path(0, X).", graph_size, rooted,
                         "negation.allegiance-duckdb")}
    out = []
    for workload in ("closure", "join", "negation"):
        title, size, params, ours = what[workload]
        for peer, system, workloads in PEERS:
            if workload in workloads:
                out.append(Row(f"peers.{workload}.{peer}", "peers", title, system, size, f"peer.{peer}",
                               {**params, "workload": workload}, pydatalog=True, baselines=(ours,),
                               targets=(SlowerThan(ours, "allegiance ahead"),)))
    return out
