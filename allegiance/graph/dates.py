"""The dates of a derived edge: the periods over which a rule's fact holds, from its relation's timeline.

Stage: the link chart's model (model.py asks for an edge no statement states). Input: a
KnowledgeBase and a relation's name. Output: for each row of the relation, its periods (timeline.Held:
maximal periods, and the parts of them that rest on undated statements), kept until the knowledge
base's facts change.

A stated edge is dated by its statements. A derived one (`co_member`, `side_of`, `indirect_ally` in a
query's or a proof's chart) holds when its premises hold together: not always, as an edge with no
statement would otherwise read on the chart's date slider.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from .. import ast
from ..timeline import Held, timeline

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

_kept: weakref.WeakKeyDictionary[KnowledgeBase, tuple[object, dict[str, dict[ast.Row, Held]]]] = \
    weakref.WeakKeyDictionary()


def derived_periods(kb: KnowledgeBase, relation: str) -> dict[ast.Row, Held]:
    """Each row of `relation` with the periods over which it holds (its timeline, computed once)."""
    base = kb.base_facts()
    kept = _kept.get(kb)
    if kept is None or kept[0] is not base:
        kept = _kept[kb] = (base, {})
    found = kept[1].get(relation)
    if found is None:
        found = kept[1][relation] = {held.row: held for held in timeline(kb, relation).answers}
    return found


__all__ = ["derived_periods"]
