"""What a link chart can be asked for: the relation groups drawn by default and the file formats.

Stage: none (constants, importable without networkx, so the command line starts fast). Input:
nothing. Output: RELATION_GROUPS, DEFAULT_RELATIONS, GROUP_OF, KINDS, FORMATS, TEXT_FORMATS.
"""

from __future__ import annotations

# The relations drawn by default, by what they say about two parties. A name of --relations is a
# group's name or a relation's; the groups list more relations than a knowledge base may declare.
RELATION_GROUPS: dict[str, tuple[str, ...]] = {
    "belonging": ("member", "part_of", "affiliate_of", "official_of", "spokesman"),
    "alliance": ("ally", "associated_with"),
    "backing": ("backs", "trains", "supplies_weapons", "offers_help"),
    "hostility": ("opposes", "strikes", "designated_terrorist"),
}
DEFAULT_RELATIONS = ("belonging", "alliance", "backing", "hostility")
GROUP_OF = {rel: group for group, rels in RELATION_GROUPS.items() for rel in rels}
KINDS = ("group", "coalition", "state", "agency", "person", "place")  # the catalog's; anything else is "other"

FORMATS = ("html", "svg", "png", "graphml", "gexf", "dot")
TEXT_FORMATS = ("svg", "graphml", "gexf", "dot")  # written to standard output unless -o says otherwise

__all__ = ["DEFAULT_RELATIONS", "FORMATS", "GROUP_OF", "KINDS", "RELATION_GROUPS", "TEXT_FORMATS"]
