"""Undated answers: which answers at a date hold only because statements without a date count on
every date, so that their support says so (issue 15; docs/language.md, "Selections").

Stage: built on the knowledge base, beside support. Input: the knowledge base, a selection with a
date (`--at D`, `:at D`) and a query's answers under it. Output: for each answer, whether it is
missing when only dated statements count (Selection.undated=False: one more evaluation); `mark` adds
that to each answer's support as "undated", which render shows after the grade (`B6 reported,
undated`). Without a date nothing is asked: then every answer holds as at every date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .selection import Selection

if TYPE_CHECKING:
    from .kb import Answers, KnowledgeBase


def undated(kb: KnowledgeBase, selection: Selection | None, answers: Answers) -> list[bool] | None:
    """Per answer, whether it holds at the selection's date only because undated statements count;
    None without a date. `kb` is the knowledge base itself, not its view under `selection`."""
    if selection is None or selection.at is None or not selection.undated:
        return None
    dated = set(kb.query(answers.query, selection.replace(undated=False)).rows)
    return [row not in dated for row in answers.rows]


def mark(supports: Sequence[Mapping[str, object]], flags: Sequence[bool] | None) -> list[dict[str, object]]:
    """Each support with "undated": its flag (as it is, without flags)."""
    if flags is None:
        return [dict(s) for s in supports]
    return [{**s, "undated": flag} for s, flag in zip(supports, flags, strict=True)]


__all__ = ["mark", "undated"]
