"""How a link chart looks, the one definition the page and the pictures share: a colour and a shape
per entity kind, a colour per relation group, and what dashed and faint mean.

Stage: none (constants). Input: nothing. Output: KIND_STYLE, GROUP_COLOR, NEGATIVE_COLOR.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindStyle:
    color: str
    shape: str  # cytoscape.js's node shape
    marker: str  # matplotlib's marker


# group, coalition, state, agency, person, place (catalog kinds), and anything else.
KIND_STYLE: dict[str, KindStyle] = {
    "group": KindStyle("#e4572e", "ellipse", "o"),
    "coalition": KindStyle("#f3a712", "hexagon", "h"),
    "state": KindStyle("#2e86ab", "round-rectangle", "s"),
    "agency": KindStyle("#76b041", "diamond", "D"),
    "person": KindStyle("#a23b72", "triangle", "^"),
    "place": KindStyle("#6c757d", "vee", "v"),
    "other": KindStyle("#adb5bd", "ellipse", "."),
}

# belonging, alliance, backing, hostility (model.RELATION_GROUPS), and any other relation.
GROUP_COLOR: dict[str, str] = {
    "belonging": "#555555",
    "alliance": "#2a9d8f",
    "backing": "#1d3557",
    "hostility": "#d62828",
    "other": "#8d6e63",
}
# What statements deny is drawn in this colour, with a bar at the target end, whatever its relation.
NEGATIVE_COLOR = "#9b5de5"
WEAK_OPACITY = 0.3  # an edge of the weakest support (model: `fade`, from the support's level)

__all__ = ["GROUP_COLOR", "KIND_STYLE", "NEGATIVE_COLOR", "WEAK_OPACITY", "KindStyle"]
