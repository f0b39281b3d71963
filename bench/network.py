"""A realistic conflict network, generated: the data of the real-sized rows (issue 18).

Stage: before everything else, as data.py. Input: a number of statements and a seed. Output: the
text of a Datalog fact file for the bundled rules: groups, coalitions with members, units of groups,
affiliates, states and their agencies backing, training and arming groups, designations, strikes
(claimed and confirmed, dated), oppositions and dated alliances from a handful of sources. The same
arguments give byte-identical text.

Shape: one connected component holds most of it, as in real conflict networks: every group's first
alliance is with an earlier group (a random tree over all groups, so `allied_chain` and `linked`
join every pair: a closure of groups² pairs), the other ties fall at random. About one statement
in ten names a new group: 100,000 statements hold about 10,000 groups.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from .data import SEED

SOURCES = (("wire_a", "A"), ("wire_b", "B"), ("monitor_c", "C"), ("blog_d", "D"), ("local_e", "E"))
KINDS = ("ally", "ally", "member", "part_of", "affiliate_of", "backs", "trains", "supplies_weapons",
         "opposes", "strikes", "strikes", "designated_terrorist", "associated_with", "overshadows")


def groups_for(statements: int) -> int:
    return max(statements // 10, 20)


def _date(rng: random.Random) -> str:
    return f"2015-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def network_lines(statements: int, seed: int = SEED) -> Iterator[str]:
    """`statements` lines of facts and sourced statements (declarations before them not counted)."""
    rng = random.Random(seed + 18)
    groups = groups_for(statements)
    coalitions = max(groups // 8, 3)
    states = 30
    agencies = 60
    for name, grade in SOURCES:
        yield f'.source {name} {{\n  title: "Generated reports ({name})"\n  publisher: "{name}"\n' \
              f"  date: 2015-12-31\n  reliability: {grade}\n}}\n"
    made = 0

    def g() -> str:
        return f"g{rng.randrange(groups)}"

    def by() -> str:
        name = SOURCES[rng.randrange(len(SOURCES))][0]
        return f" {rng.choice(('reported', 'claimed', 'confirmed', 'assessed'))} by {name} from source {name}"

    # the entities' kinds: one statement each
    for i in range(groups):
        if made < statements:
            yield f"kind(g{i}, group).\n"
            made += 1
    for i in range(coalitions):
        if made < statements:
            yield f"kind(c{i}, coalition).\n"
            made += 1
    for i in range(states):
        if made < statements:
            yield f"kind(s{i}, state).\n"
            made += 1
    for i in range(agencies):
        if made < statements:
            yield f"kind(a{i}, agency).\npart_of(a{i}, s{i % states}).\n"
            made += 2
    # the spanning tree of alliances, dated and sourced: one component
    for i in range(1, groups):
        if made >= statements:
            return
        yield f"ally(g{i}, g{rng.randrange(i)}){by()} since {_date(rng)}.\n"
        made += 1
    while made < statements:
        kind = KINDS[rng.randrange(len(KINDS))]
        if kind == "ally":
            line = f"ally({g()}, {g()}){by()} since {_date(rng)}"
        elif kind == "member":
            line = f"member({g()}, c{rng.randrange(coalitions)}){by()}"
        elif kind == "part_of":
            a, b = sorted(rng.sample(range(groups), 2))
            line = f"part_of(g{b}, g{a})"  # units of earlier groups: no cycle of parts
        elif kind == "affiliate_of":
            line = f"affiliate_of({g()}, {g()}){by()}"
        elif kind in ("backs", "supplies_weapons"):
            line = f"{kind}(s{rng.randrange(states)}, {g()}){by()} since {_date(rng)}"
        elif kind == "trains":
            line = f"trains(a{rng.randrange(agencies)}, {g()}){by()}"
        elif kind == "opposes":
            line = f"opposes({g()}, {g()}){by()}"
        elif kind == "strikes":
            actor = f"s{rng.randrange(states)}" if rng.random() < 0.5 else g()
            d = _date(rng)
            line = f"strikes({actor}, {g()}){by()} between {d} and {d}"
        elif kind == "designated_terrorist":
            line = f"designated_terrorist({g()}, s{rng.randrange(states)})"
        elif kind == "associated_with":
            line = f"associated_with({g()}, {g()})"
        else:
            line = f"overshadows({g()}, {g()})"
        yield line + ".\n"
        made += 1


def network_file(statements: int, seed: int = SEED) -> str:
    return "".join(network_lines(statements, seed))
