"""Stratification: order the rules so that every negated predicate is complete before it is read.

Input: normalized rules. Output: a tuple of `Stratum`, one per strongly connected component of the
predicate dependency graph, in evaluation order. Raises StratificationError naming the cycle when
a predicate depends negatively on itself:
    negation of linked/2 inside its own cycle: linked/2 -> blocked/2 -> linked/2
"""

from __future__ import annotations

from collections import defaultdict, deque

from .. import ast
from ..errors import StratificationError
from .checked import Stratum

Graph = dict[ast.PredicateSym, set[ast.PredicateSym]]


def stratify(rules: tuple[ast.Rule, ...]) -> tuple[Stratum, ...]:
    heads = {r.head.sym for r in rules}
    edges: Graph = defaultdict(set)  # head -> body predicates it reads (derived ones only)
    for rule in rules:
        for lit in rule.body:
            atom = lit.atom if isinstance(lit, ast.NegLiteral) else lit
            if isinstance(atom, ast.Atom) and atom.sym in heads:
                edges[rule.head.sym].add(atom.sym)

    components = _tarjan(sorted(heads, key=str), edges)  # dependencies come first
    component_of = {p: i for i, comp in enumerate(components) for p in comp}

    for rule in rules:
        for lit in rule.body:
            if isinstance(lit, ast.NegLiteral) and lit.atom.sym in heads:
                if component_of[lit.atom.sym] == component_of[rule.head.sym]:
                    cycle = _cycle(lit.atom.sym, rule.head.sym, edges, components[component_of[rule.head.sym]])
                    shown = " -> ".join(str(p) for p in cycle)
                    raise StratificationError(
                        f"negation of {lit.atom.sym} inside its own cycle: {shown}",
                        lit.span,
                        "negation needs a predicate that is complete first; break the cycle",
                    )

    by_component: dict[int, list[ast.Rule]] = defaultdict(list)
    for rule in rules:
        by_component[component_of[rule.head.sym]].append(rule)
    strata: list[Stratum] = []
    for i, comp in enumerate(components):
        comp_rules = tuple(by_component[i])
        recursive = len(comp) > 1 or any(p in edges[p] for p in comp)
        strata.append(Stratum(frozenset(comp), comp_rules, recursive))
    return tuple(strata)


def components(edges: Graph) -> list[list[ast.PredicateSym]]:
    """The strongly connected components of a predicate graph (each node -> what it reads), each
    after the components it reads; nodes and members in name order."""
    return _tarjan(sorted(edges, key=str), edges)


def _tarjan(nodes: list[ast.PredicateSym], edges: Graph) -> list[list[ast.PredicateSym]]:
    """Strongly connected components, dependencies first; iterative, so deep programs are fine."""
    index: dict[ast.PredicateSym, int] = {}
    low: dict[ast.PredicateSym, int] = {}
    on_stack: set[ast.PredicateSym] = set()
    stack: list[ast.PredicateSym] = []
    result: list[list[ast.PredicateSym]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root], key=str)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child], key=str))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[ast.PredicateSym] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                result.append(sorted(comp, key=str))
    return result


def _cycle(start: ast.PredicateSym, head: ast.PredicateSym, edges: Graph,
           component: list[ast.PredicateSym]) -> list[ast.PredicateSym]:
    """head -> start -> ... -> head: the negative edge, then the shortest way back (breadth first)."""
    if start == head:
        return [head, head]
    members = set(component)
    previous: dict[ast.PredicateSym, ast.PredicateSym | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == head:
            break
        for child in sorted(edges[node], key=str):
            if child in members and child not in previous:
                previous[child] = node
                queue.append(child)
    path: list[ast.PredicateSym] = []
    current: ast.PredicateSym | None = head
    while current is not None:
        path.append(current)
        current = previous.get(current)
    return [head, *reversed(path)]
