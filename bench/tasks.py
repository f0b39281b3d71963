"""Every measurement a child process can run, by name (the child never imports a name it is sent).

Stage: the table child.py looks a task up in. Input: none. Output: TASKS, name -> function of
(parameters, Clock) -> counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import baselines, bundled, graph, on_demand, peers, subjects, support, timelines
from .clock import Clock
from .peers import NotInstalled
from .subjects import NotBuilt

Task = Callable[[dict[str, Any], Clock], dict[str, Any]]

TASKS: dict[str, Task] = {
    "sql.closure": baselines.sql_closure,
    "sql.reach": baselines.sql_reach,
    "sql.unreached": baselines.sql_unreached,
    "sql.join": baselines.sql_join,
    "pydatalog.closure": baselines.pydatalog_closure,
    "pydatalog.join": baselines.pydatalog_join,
    "lark.floor": baselines.lark_floor,
    "kb.closure": subjects.closure,
    "kb.point": subjects.point_query,
    "kb.negation": subjects.negation,
    "kb.join": subjects.join,
    "kb.load_file": subjects.load_file,
    "kb.reopen_db": subjects.reopen_db,
    "kb.csv_import": subjects.csv_import,
    "bundled.query": bundled.query_latency,
    "bundled.why": bundled.why_latency,
    "bundled.check": bundled.check_latency,
    "graph.bundled": graph.bundled_chart,
    "graph.focus": graph.focus_chart,
    "time.plain": timelines.plain,
    "time.at": timelines.at,
    "time.timelines": timelines.timelines,
    "time.timeline_each": timelines.timeline_each,
    "support.closure": support.closure,
    "support.bundled": support.bundled_queries,
    "support.sources": support.sources,
    "network.bound": on_demand.bound_queries,
    "network.chain": on_demand.chain_bound,
    "network.why": on_demand.why_latency,
    "network.inconsistencies": on_demand.inconsistencies,
    **{f"peer.{name}": task for name, task in peers.TASKS.items()},
}

__all__ = ["TASKS", "NotBuilt", "NotInstalled", "Task"]
