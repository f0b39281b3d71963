"""Deterministic workload data: every generator takes a seed and returns plain values or text.

Stage: before everything else. Input: sizes and a seed. Output: edge lists, rows, and the text of
Datalog and controlled-English fact files. The same arguments always give byte-identical output,
so two runs (and two machines) measure the same thing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

Edge = tuple[int, int]

SEED = 20151026


def chain_edges(length: int) -> list[Edge]:
    """0 -> 1 -> ... -> length: the closure has length * (length + 1) / 2 tuples."""
    return [(i, i + 1) for i in range(length)]


def random_graph(nodes: int, edges: int, seed: int = SEED) -> list[Edge]:
    """`edges` distinct directed edges between `nodes` nodes, no self-loops.

    At 3 edges per node almost every node reaches the giant strongly connected component, so the
    closure holds about 0.88 * nodes**2 tuples (2,000 nodes, 6,000 edges: about 3.5 million)."""
    if edges > nodes * (nodes - 1):
        raise ValueError(f"{nodes} nodes cannot carry {edges} distinct edges")
    rng = random.Random(seed)
    chosen: set[Edge] = set()
    out: list[Edge] = []
    while len(out) < edges:
        e = (rng.randrange(nodes), rng.randrange(nodes))
        if e[0] != e[1] and e not in chosen:
            chosen.add(e)
            out.append(e)
    return out


def rooted(edges: list[Edge]) -> list[Edge]:
    """The same graph with labels 0 and k swapped, k the node of most out-edges (the smallest such).

    A point query from node 0 must start somewhere: in a random graph node 0 may have no out-edge at
    all (it does at 2,000 nodes and the default seed), and `path(0, Y)` would measure nothing."""
    degree: dict[int, int] = {}
    for a, _ in edges:
        degree[a] = degree.get(a, 0) + 1
    k = min(degree, key=lambda n: (-degree[n], n))

    def swap(n: int) -> int:
        return k if n == 0 else 0 if n == k else n

    return [(swap(a), swap(b)) for a, b in edges]


def closure(edges: Iterable[Edge]) -> set[Edge]:
    """The transitive closure by breadth-first search from every node: the reference answer."""
    succ: dict[int, list[int]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    result: set[Edge] = set()
    for start in succ:
        seen: set[int] = set()
        frontier = list(succ[start])
        while frontier:
            nxt: list[int] = []
            for y in frontier:
                if y not in seen:
                    seen.add(y)
                    nxt.extend(succ.get(y, ()))
            frontier = nxt
        result.update((start, y) for y in seen)
    return result


def join_relations(rows: int, seed: int = SEED) -> tuple[list[Edge], list[Edge], list[Edge]]:
    """Three relations r(X, Y), s(Y, Z), t(Z, W) of `rows` rows each over keys 0..rows-1.

    Keys are uniform, so each join step keeps about one match per row: the three-way join
    r(X, Y), s(Y, Z), t(Z, W) has about `rows` answers rather than blowing up."""
    rng = random.Random(seed + 1)

    def rel() -> list[Edge]:
        return [(rng.randrange(rows), rng.randrange(rows)) for _ in range(rows)]

    return rel(), rel(), rel()


def edge_facts(edges: Iterable[Edge], pred: str = "edge") -> str:
    return "".join(f"{pred}({a}, {b}).\n" for a, b in edges)


def pair_facts(pred: str, rows: Iterable[Edge]) -> str:
    return "".join(f"{pred}({a}, {b}).\n" for a, b in rows)


# --- a large Datalog fact file -----------------------------------------------------------------

# Three relations with the constants a fact file really holds: bare symbols, integers and quoted
# strings with spaces, so neither parser gets an easier file than users write.
FACT_RELATIONS = ("member", "ally", "strike_count")


def datalog_fact_lines(count: int, seed: int = SEED) -> Iterator[str]:
    rng = random.Random(seed + 2)
    for i in range(count):
        kind = i % 4
        g = rng.randrange(50_000)
        if kind == 0:
            yield f"member(g{g}, c{rng.randrange(500)}).\n"
        elif kind == 1:
            yield f"ally(g{g}, g{rng.randrange(50_000)}).\n"
        elif kind == 2:
            yield f"strike_count(g{g}, t{rng.randrange(2_000)}, {rng.randrange(1, 400)}).\n"
        else:
            yield f'display_name(g{g}, "Group number {g}").\n'


def datalog_fact_file(count: int, seed: int = SEED) -> str:
    return "".join(datalog_fact_lines(count, seed))


def csv_rows(count: int, seed: int = SEED) -> Iterator[tuple[str, str, int]]:
    """`count` rows (actor, target, count) for a bulk import."""
    rng = random.Random(seed + 3)
    for _ in range(count):
        yield (f"g{rng.randrange(50_000)}", f"t{rng.randrange(2_000)}", rng.randrange(1, 400))


def csv_text(count: int, seed: int = SEED) -> str:
    lines = ["actor,target,count\n"]
    lines.extend(f"{a},{t},{n}\n" for a, t, n in csv_rows(count, seed))
    return "".join(lines)


# --- a controlled-English fact file ------------------------------------------------------------

_ADJECTIVES = (
    "Red", "Northern", "Free", "Iron", "Southern", "Golden", "Eastern", "Western", "Silver", "Green",
    "Black", "White", "Desert", "Mountain", "River", "Coastal", "United", "Loyal", "Brave", "Hidden",
)
_NOUNS = (
    "Falcons", "Lions", "Wolves", "Eagles", "Hawks", "Tigers", "Shields", "Swords", "Guards", "Riders",
    "Arrows", "Spears", "Banners", "Stars", "Storms", "Flames", "Rocks", "Towers", "Gates", "Bridges",
)


def english_entities(groups: int) -> list[tuple[str, str]]:
    """(id, display name) pairs: `Red Falcons Brigade 3`-style names built only from words."""
    names: list[tuple[str, str]] = []
    i = 0
    while len(names) < groups:
        adj = _ADJECTIVES[i % len(_ADJECTIVES)]
        noun = _NOUNS[(i // len(_ADJECTIVES)) % len(_NOUNS)]
        round_ = i // (len(_ADJECTIVES) * len(_NOUNS))
        suffix = ("Brigade", "Front", "Battalion", "Movement", "Legion")[round_ % 5]
        names.append((f"g{i}", f"{adj} {noun} {suffix}"))
        i += 1
    return names


def english_fact_file(statements: int, seed: int = SEED) -> str:
    """A fact file: one source, relations with phrases, entities, then `statements` English lines.

    Every line matches a phrase (positive or negated) and names declared entities, so a loader
    must accept the whole file."""
    rng = random.Random(seed + 4)
    groups = english_entities(400)
    coalitions = [(f"c{i}", f"{w} Coalition") for i, w in enumerate(_NOUNS)]
    out = [
        ".source bench_source {\n",
        '  title: "Generated statements for the benchmark"\n',
        '  publisher: "allegiance bench"\n',
        "  date: 2015-10-26\n",
        "  reliability: C\n",
        "}\n\n",
        ".relation member(group, coalition) {\n",
        '  phrases: "{group} is a member of {coalition}", "{group} belongs to {coalition}"\n',
        '  negative: "{group} is not part of {coalition}"\n',
        "}\n",
        ".relation ally(a, b) {\n",
        '  phrases: "{a} is allied with {b}", "{a} is an ally of {b}"\n',
        "}\n\n",
    ]
    for ident, name in groups:
        out.append(f'.entity {ident} {{ name: "{name}" kind: group }}\n')
    for ident, name in coalitions:
        out.append(f'.entity {ident} {{ name: "{name}" kind: coalition }}\n')
    out.append("\n")
    for i in range(statements):
        g = groups[rng.randrange(len(groups))][1]
        kind = i % 5
        if kind == 0:
            out.append(f"{g} is a member of the {coalitions[rng.randrange(len(coalitions))][1]}.\n")
        elif kind == 1:
            out.append(f"{g} belongs to {coalitions[rng.randrange(len(coalitions))][1]}.\n")
        elif kind == 2:
            out.append(f"{g} is not part of the {coalitions[rng.randrange(len(coalitions))][1]}.\n")
        elif kind == 3:
            out.append(f"{g} is allied with the {groups[rng.randrange(len(groups))][1]}.\n")
        else:
            out.append(f"{g} is an ally of {groups[rng.randrange(len(groups))][1]}.\n")
    return "".join(out)


def dated_network(statements: int, dates: int, seed: int = SEED) -> str:
    """A network of dated Datalog statements over the bundled schema's relations (ally, opposes,
    strikes, offers_help, member, part_of), every statement with a period (`on`, `between`, `since`,
    `until`) drawn from `dates` distinct days, each of which some statement uses.

    Groups g0.. (statements // 5 of them) and coalitions c0.. (statements // 100): hostile ties
    among allies, help beside strikes and members of two opposed coalitions, so that the bundled
    inconsistency rules (ally_and_enemy, help_while_striking, opposed_memberships) find some."""
    rng = random.Random(seed + 15)
    groups = max(statements // 5, 10)
    coalitions = max(statements // 100, 4)
    start = date(2014, 1, 1)
    days = sorted(rng.sample(range(4 * 365), dates))
    pool = [(start + timedelta(days=d)).isoformat() for d in days]

    def g() -> str:
        return f"g{rng.randrange(groups)}"

    def two(prefix: str, n: int) -> str:
        a = rng.randrange(n)
        b = (a + 1 + rng.randrange(n - 1)) % n  # never a tie of a party with itself
        return f"{prefix}{a}, {prefix}{b}"

    lines = [".source bench_network {\n", '  title: "A generated network of dated statements"\n',
             '  publisher: "allegiance bench"\n', "  date: 2018-01-01\n", "  reliability: C\n", "}\n\n"]
    for i in range(statements):
        first = pool[i] if i < dates else pool[rng.randrange(dates)]  # every day used at least once
        kind = rng.random()
        if kind < 0.25:
            second = pool[rng.randrange(dates)]
            lo, hi = sorted((first, second))
            when = f"between {lo} and {hi}"
        else:
            when = ("on", "since", "until")[int(kind * 4) - 1] + f" {first}"
        pick = rng.random()
        if pick < 0.35:
            fact = f"ally({two('g', groups)})"
        elif pick < 0.50:
            fact = f"opposes({two('g', groups)})"
        elif pick < 0.65:
            fact = f"strikes({two('g', groups)})"
        elif pick < 0.75:
            fact = f"offers_help({two('g', groups)})"
        elif pick < 0.90:
            fact = f"member({g()}, c{rng.randrange(coalitions)})"
        elif pick < 0.95:
            fact = f"opposes({two('c', coalitions)})"
        else:
            fact = f"part_of({two('g', groups)})"
        lines.append(f"{fact} {when}.\n")
    return "".join(lines)
