"""Time (issue 15): every inconsistency of the bundled rules over a generated network of dated
statements, evaluated plainly, at one date (`--at D`) and as timelines.

Stage: measurement tasks run in a child process (see child.py). Input: the network's file
(data.dated_network, written by __main__) and, for `at`, the date. Output: a dict of counts.
Loading the bundled knowledge base and the file happens before the clock; each timed section is the
first evaluation of its process, so nothing is answered from an earlier one.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from .clock import Clock
from .subjects import _import, _need


def _loaded(params: dict[str, Any], clock: Clock) -> Any:
    kb = _need(_import("allegiance.kb").KnowledgeBase, "bundled")(timeout=clock.limit)
    _need(kb, "load_file")(Path(params["file"]))
    return kb


def plain(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance inconsistencies`: every statement counts, whatever its date."""
    kb = _loaded(params, clock)
    with clock:
        count = len(_need(kb, "inconsistencies")())
    return {"count": count}


def at(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance inconsistencies --at D`: only the statements whose period covers D count."""
    kb = _loaded(params, clock)
    selection = _need(_import("allegiance.selection"), "Selection")(at=datetime.date.fromisoformat(params["at"]))
    with clock:
        count = len(_need(kb, "inconsistencies")(selection))
    return {"count": count}


def timelines(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`timelines(kb, [REL, ...])` of every inconsistency relation together: each answer's maximal
    periods."""
    kb = _loaded(params, clock)
    together = _need(_import("allegiance.timeline"), "timelines")
    names = [rel.sym.name for rel in _need(kb, "inconsistency_relations")()]
    with clock:
        found = together(kb, names)
    return {"count": sum(len(t.answers) for t in found),
            "periods": sum(len(held.periods) for t in found for held in t.answers)}


def timeline_each(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """`allegiance timeline REL` for every inconsistency relation, one call each."""
    kb = _loaded(params, clock)
    timeline = _need(_import("allegiance.timeline"), "timeline")
    relations = _need(kb, "inconsistency_relations")()
    periods = 0
    count = 0
    with clock:
        for rel in relations:
            found = timeline(kb, rel.sym.name)
            count += len(found.answers)
            periods += sum(len(held.periods) for held in found.answers)
    return {"count": count, "periods": periods}
