"""Bound queries on a real-sized network, answered on demand and by the whole evaluation (issue 18).

Stage: measurement tasks run in a child process (see child.py). Input: the network's size in
statements (network.py), whether the engine evaluates on demand, the queries. Output: on demand,
one sample per query (a latency row); the whole evaluation, one sample: its first query, which
evaluates whole what the queries read (every later one would read it).

What is timed: the bundled knowledge base and the generated network are loaded before the clock
(loading has rows of its own) and the garbage collector settled after it, as the `allegiance`
command and its REPL do (settle.py); each bound query is timed on its own. With `demand` off the engine
evaluates every relation a query reads whole (`DuckDBEngine.demand = False`), the baseline a
demand-driven query is compared with in the same run. A whole evaluation that outgrows the memory
ceiling given as `memory_limit` is reported "too large", not as an error of the bench.
"""

from __future__ import annotations

import atexit
import os
import random
from typing import Any

from . import network
from .clock import Clock, Timeout, TooLarge
from .subjects import _import, _kb, _need

# The bound queries: a closure read from one party, the non-recursive rule over it, a yes/no
# question between two parties, and membership through units.
PATTERNS = ("indirect_ally({a}, X)", "linked({a}, X)", "indirect_ally({a}, {b})", "in_coalition({a}, C)")


def queries(statements: int, count: int, seed: int = 18) -> list[str]:
    """`count` queries per pattern, each from another party of the network."""
    rng = random.Random(seed)
    groups = network.groups_for(statements)
    out = []
    for _ in range(count):
        a, b = rng.randrange(groups), rng.randrange(groups)
        out += [p.format(a=f"g{a}", b=f"g{b}") for p in PATTERNS]
    return out


def _network_kb(params: dict[str, Any]) -> Any:
    if params.get("memory_limit"):
        os.environ["ALLEGIANCE_MEMORY_LIMIT"] = params["memory_limit"]
    kb = _need(_kb(), "bundled")(timeout=None)
    _need(kb, "load_text")(network.network_file(params["statements"]), file="network.dl")
    engine = _need(kb, "engine")
    if not hasattr(engine, "demand"):
        raise _import("allegiance.errors").AllegianceError("the engine has no `demand` switch: the bench needs one")
    engine.demand = params["demand"]
    engine.demand_min_rows = 0  # on demand at every size: the row measures demand itself
    # the collector settled after the load, as the allegiance command and its REPL settle it
    # (settle.py): else a full pass over the 100,000 statements' 1.4 million objects (about 1 s)
    # lands on whichever query allocates then (the first why's, most often)
    settle = _import("allegiance.settle")
    settle.enable()
    settle.settle()
    atexit.register(settle.release)  # as cli.run does before the process ends
    return kb


def bound_queries(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Each query of `queries(...)` timed alone, from a knowledge base nothing was asked of yet."""
    errors = _import("allegiance.errors")
    kb = _network_kb(params)
    ask = _need(kb, "query")
    asked = queries(params["statements"], params.get("per_pattern", 5))
    answers = 0
    try:
        if params["demand"]:
            for q in asked:
                with clock:
                    answers += len(ask(q).rows)
            return {"latency": True, "calls": len(asked), "first": clock.samples[0], "count": answers}
        with clock:  # the whole evaluation: the first query pays it (the others would read what it built)
            answers = len(ask(asked[0]).rows)
    except errors.QueryTimeout as e:
        raise Timeout(str(e)) from e
    except errors.MemoryLimitError as e:
        raise TooLarge(str(e)) from e
    return {"count": answers}


def why_facts(statements: int, count: int, seed: int = 18) -> list[str]:
    """`count` facts of each kind `why` is asked about: linked(a, b) and indirect_ally(a, b), each
    between two other parties of the network (one connected component: nearly all of them hold)."""
    rng = random.Random(seed)
    groups = network.groups_for(statements)
    out = []
    for _ in range(count):
        a, b = rng.randrange(groups), rng.randrange(groups)
        out += [f"linked(g{a}, g{b})", f"indirect_ally(g{a}, g{b})"]
    return out


def why_latency(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`why` of each fact of `why_facts(...)` timed alone, on demand, from a knowledge base nothing
    was asked of yet (the first `why` of the state reads what it reads whole: its sample is there);
    with `graded`, each node's support too (explain.graded_why: the command's and the REPL's
    default). The count is the facts that hold and were explained."""
    errors = _import("allegiance.errors")
    kb = _network_kb(params)
    explain = _import("allegiance.explain")
    why, graded_why = _need(explain, "why"), _need(explain, "graded_why")
    explained = 0
    try:
        for fact in why_facts(params["statements"], params.get("per_kind", 5)):
            with clock:
                found = why(kb, fact)
                if params.get("graded") and found.holds:
                    found = graded_why(kb, found)
            explained += bool(found.holds and found.proofs)
    except errors.QueryTimeout as e:
        raise Timeout(str(e)) from e
    except errors.MemoryLimitError as e:
        raise TooLarge(str(e)) from e
    return {"latency": True, "calls": len(clock.samples), "first": clock.samples[0], "count": explained}


def chain_text(parties: int) -> str:
    """The issue's file: `ally(g0, g1). ally(g1, g2). ...`, `parties` facts."""
    return "".join(f"ally(g{i}, g{i + 1}).\n" for i in range(parties))


def chain_bound(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`linked(g0, X)` on the bundled knowledge base plus a chain of alliances (issue 18's file),
    with support or without, timed alone from a knowledge base nothing was asked of yet; with
    `demand` off, support from the whole annotated evaluation (the way before demand)."""
    errors = _import("allegiance.errors")
    if params.get("memory_limit"):
        os.environ["ALLEGIANCE_MEMORY_LIMIT"] = params["memory_limit"]
    kb = _need(_kb(), "bundled")(timeout=None)
    _need(kb, "load_text")(chain_text(params["parties"]), file="chain.dl")
    _need(kb, "engine").demand = params.get("demand", True)
    ask = _need(kb, "query")
    try:
        with clock:
            answers = ask("linked(g0, X)", support=params["support"])
    except errors.QueryTimeout as e:
        raise Timeout(str(e)) from e
    except errors.MemoryLimitError as e:
        raise TooLarge(str(e)) from e
    if params["support"] and len(answers.supports or ()) != len(answers.rows):
        raise errors.AllegianceError("an answer came without its support")
    return {"count": len(answers.rows)}


def inconsistencies(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance inconsistencies FILES...` through the CLI's own entry point, its output thrown
    away: the bundled rules and facts and the generated network read, then every inconsistency
    with (or, with `args`, without) its support, weakest premise and single-source flag. Timed
    whole, load included: the row is what a user waits for."""
    import contextlib
    import io

    cli = _import("allegiance.cli")
    argv = ["inconsistencies", "--timeout", "0", *params.get("args", ()), *params["files"]]
    out = io.StringIO()
    with clock, contextlib.redirect_stdout(out):
        code = _need(cli, "main")(argv)
    if code not in (0, 1):
        raise _import("allegiance.errors").AllegianceError(f"allegiance inconsistencies exited {code}")
    return {"count": out.getvalue().count("\n")}
