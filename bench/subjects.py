"""The allegiance rows: the same workloads through `allegiance.kb.KnowledgeBase`.

Stage: measurement tasks run in a child process (see child.py). Input: workload parameters and the
Clock. Output: a dict of counts. Every use of allegiance's API goes through `_kb()` / `_need()`: a
missing module, class or method is an error naming it (an API the bench uses was renamed or removed:
the row reports "error" and `python -m bench` exits 1, so the bench is fixed, never quietly emptied).
NotBuilt is only for what may honestly be absent: an engine that refuses (NotImplementedError), or
the Spark engine when its optional extra is not installed.

What is timed: facts and rules are loaded before the clock starts and the query is timed, as the
baselines create their tables first and time the query. Both engines are lazy (the DuckDB engine
evaluates a stratum on its first read, pyDatalog's worker on `ask`), so the query pays the whole
evaluation; parsing and loading have rows of their own.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from . import data
from .baselines import graph_edges
from .clock import Clock, Timeout


class NotBuilt(Exception):
    """What this row measures is honestly not there (an engine that refuses): reported, not failed."""


class Missing(Exception):
    """An API the bench uses is not there (renamed or removed): the row fails, and so does the bench."""


def _import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name + ".")):
            raise Missing(f"{module} missing: the bench uses an API that was renamed or removed") from e
        raise


def _kb() -> Any:
    return _need(_import("allegiance.kb"), "KnowledgeBase")


def _need(obj: Any, method: str) -> Any:
    fn = getattr(obj, method, None)
    if fn is None:
        owner = obj.__name__ if isinstance(obj, type(importlib)) else type(obj).__name__
        raise Missing(f"{owner}.{method} missing: the bench uses an API that was renamed or removed")
    return fn


def _open(params: dict[str, Any], clock: Clock) -> Any:
    KnowledgeBase = _kb()
    try:
        return KnowledgeBase(engine=params.get("engine", "duckdb"), timeout=clock.limit)
    except NotImplementedError as e:
        raise NotBuilt(f"KnowledgeBase(engine={params.get('engine')!r}): {e}") from e
    except Exception as e:
        # the Spark engine is an optional extra: without pyspark it is honestly absent
        if params.get("engine") == "spark" and "pip install 'allegiance[spark]'" in str(getattr(e, "hint", "")):
            raise NotBuilt(f"the Spark engine is not installed: {e}") from e
        raise


def _timed(kb: Any, clock: Clock, rules: str, query: str) -> int:
    """Load `rules`, then answer `query` inside the clock; the engine's own time limit is a timeout."""
    errors = _import("allegiance.errors")
    _need(kb, "load_text")(rules, file="bench_rules.dl")
    ask = _need(kb, "query")
    try:
        with clock:
            answers = ask(query)
            # every row read, as a caller reads them: answers kept as columns (engines/columns.py)
            # make each tuple here, as the hand-written SQL's fetchall does
            count = sum(1 for _ in answers.rows)
    except errors.QueryTimeout as e:
        raise Timeout(str(e)) from e
    except NotImplementedError as e:
        raise NotBuilt(str(e) or "NotImplementedError") from e
    return count


CLOSURE_RULES = """\
path(X, Y) :- edge(X, Y).
path(X, Y) :- path(X, Z), edge(Z, Y).
"""


def _graph_kb(params: dict[str, Any], clock: Clock, with_nodes: bool = False) -> Any:
    kb = _open(params, clock)
    text = data.edge_facts(graph_edges(params))
    if with_nodes:
        text += "".join(f"node({i}).\n" for i in range(params["nodes"]))
    _need(kb, "load_text")(text, file="bench_edges.dl")
    return kb


def closure(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    kb = _graph_kb(params, clock)
    return {"count": _timed(kb, clock, CLOSURE_RULES, "path(X, Y)")}


RIGHT_CLOSURE_RULES = """\
path(X, Y) :- edge(X, Y).
path(X, Y) :- edge(X, Z), path(Z, Y).
"""


def point_query(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    kb = _graph_kb(params, clock)
    rules = RIGHT_CLOSURE_RULES if params.get("right") else CLOSURE_RULES
    return {"count": _timed(kb, clock, rules, f"path({params.get('start', 0)}, Y)")}


def negation(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    kb = _graph_kb(params, clock, with_nodes=True)
    rules = CLOSURE_RULES + f"unreached(X) :- node(X), not path({params.get('start', 0)}, X).\n"
    return {"count": _timed(kb, clock, rules, "unreached(X)")}


def join(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    kb = _open(params, clock)
    r, s, t = data.join_relations(params["rows"])
    facts = data.pair_facts("r", r) + data.pair_facts("s", s) + data.pair_facts("t", t)
    _need(kb, "load_text")(facts, file="bench_join.dl")
    return {"count": _timed(kb, clock, "j(X, W) :- r(X, Y), s(Y, Z), t(Z, W).\n", "j(X, W)")}


def load_file(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """A whole file through the loader: read, parse, check, hand the facts to the engine."""
    kb = _open(params, clock)
    load = _need(kb, "load_file")
    with clock:
        load(Path(params["file"]))
    return {"count": params["statements"]}


def reopen_db(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`--db FILE` a second time: the file was loaded into a DuckDB file before the clock (the
    first start); timed is a new knowledge base on that file restoring it without parsing."""
    import tempfile

    KnowledgeBase = _kb()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "kb.duckdb")
        try:
            first = KnowledgeBase(engine="duckdb", timeout=clock.limit, db=db)
        except TypeError as e:
            raise Missing(f"KnowledgeBase(db=...): {e}") from e
        _need(first, "load_file")(Path(params["file"]))
        first.close()
        with clock:
            kb = KnowledgeBase(engine="duckdb", timeout=clock.limit, db=db)
            kb.load_file(Path(params["file"]))
        store = getattr(kb, "store", None)
        if store is None or store.notices:
            raise Missing(f"the stored knowledge base was not restored: {store.notices if store else 'no store'}")
        count = len(kb.statements) + sum(len(rows) for rows in kb.plain_facts.values())
        kb.close()
    return {"count": count}


# What `allegiance import` needs to exist first: the source every row comes from and the relation
# (with its argument types) the rows state. Loaded before the clock, as `--also decl.facts` would.
CSV_DECLARATIONS = """\
.source bench_csv {
  title: "Generated strike counts for the benchmark"
  publisher: "allegiance bench"
  date: 2015-10-26
  reliability: C
}
.relation strike_count(actor, target, count: number) {
  phrases: "{actor} carried out {count} strikes on {target}"
}
"""


def csv_import(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance import FILE.csv --relation strike_count --source bench_csv`, through its function.
    With `read`, reading every imported row back is timed too (the Spark engine reads lazily: its
    import alone would time only the staging)."""
    kb = _open({"engine": params.get("engine", "duckdb")}, clock)
    importer = _need(_import("allegiance.importing"), "import_csv")
    _need(kb, "load_text")(CSV_DECLARATIONS, file="bench_csv.facts")
    query = _need(kb, "query")
    with clock:
        importer(kb, params["file"], "strike_count", "bench_csv")
        if params.get("read"):
            count = len(query("strike_count(A, T, N)").rows)
    if not params.get("read"):
        count = len(query("strike_count(A, T, N)").rows)
    return {"count": count}
