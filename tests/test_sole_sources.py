"""Leave-one-out without a trust policy (explain/critical.py): the facts each source takes away,
read off one pass over the statements (`_sole_sources`), are the facts a knowledge base selected
without that source lacks (`select` with the source added to `without`, compared fact by fact:
the definition). Checked on the bundled knowledge base under several selections, and on one with
an import, a retraction, a fact stated by two sources and a plain fact also stated."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from allegiance import ast
from allegiance.engines import make_engine
from allegiance.explain import critical
from allegiance.importing import import_csv
from allegiance.kb import KnowledgeBase
from allegiance.selection import Selection, select

Gone = dict[tuple[ast.PredicateSym, ast.Row], list[int]]


def _by_definition(kb: KnowledgeBase, selection: Selection) -> tuple[tuple[str, ...], Gone]:
    state = kb.under(selection).state
    sources = tuple(sorted({r.source for r in state.statements} | {b.source for b in state.blocks}))
    gone: Gone = {}
    for i, source in enumerate(sources):
        without = select(kb.state, selection.replace(without=selection.without | {source}),
                         lambda: make_engine("duckdb"))
        lost, came = critical._difference(state, without)
        assert not came  # no policy: leaving a source out brings nothing in
        for sym, rows in lost.items():
            for row in rows:
                gone.setdefault((sym, row), []).append(i)
    return sources, gone


def _one_pass(kb: KnowledgeBase, selection: Selection, sources: tuple[str, ...]) -> Gone:
    point = {s: i for i, s in enumerate(sources)}
    return {key: [point[s]] for key, s in critical._sole_sources(kb.under(selection).state).items() if s is not None}


@pytest.mark.parametrize("selection", [
    Selection(), Selection(at=datetime.date(2015, 10, 1)), Selection(known_on=datetime.date(2015, 10, 20)),
    None,
], ids=["everything", "at", "known-on", "without"])
def test_bundled_knowledge_base(selection: Selection | None) -> None:
    kb = KnowledgeBase.bundled()
    if selection is None:  # without the source of the most statements
        counts: dict[str, int] = {}
        for r in kb.state.statements:
            counts[r.source] = counts.get(r.source, 0) + 1
        selection = Selection(without=frozenset({max(counts, key=lambda s: (counts[s], s))}))
    sources, gone = _by_definition(kb, selection)
    assert len(gone) > 100  # the comparison compared something
    assert _one_pass(kb, selection, sources) == gone


SMALL = """\
.source a { reliability: A }
.source b { reliability: C }
.relation ally(x, y) { phrases: "{x} is allied with {y}" }
.entity p { kind: group }
.entity q { kind: group }
.entity r { kind: group }
.entity s { kind: group }
.entity t { kind: group }
.entity u { kind: group }
.entity v { kind: group }
.entity w { kind: group }
ally(p, q) from source a.
ally(p, q) from source b.
ally(q, r) from source a.
ally(r, s) from source b.
ally(s, t) from source b.
ally(t, u) from source a.
ally(t, u).
ally(u, v) reported by b from source b.
"""


def test_imports_retractions_and_shared_facts(tmp_path: Path) -> None:
    kb = KnowledgeBase(timeout=None)
    kb.load_text(SMALL, "small.facts")
    rows = tmp_path / "rows.csv"
    rows.write_text("x,y\nv,w\nq,r\n", encoding="utf-8")
    import_csv(kb, rows, "ally", "b", ["x", "y"])
    kb.retract("ally(s, t).")
    sources, gone = _by_definition(kb, Selection())
    assert sources == ("a", "b")
    one = _one_pass(kb, Selection(), sources)
    assert one == gone
    sym = ast.PredicateSym("ally", 2)
    # by a alone; by b alone, stated or imported; by both, stated by one and imported by the other,
    # or plain as well: never gone; retracted: not there to lose
    assert gone[(sym, ("r", "s"))] == [1] and gone[(sym, ("v", "w"))] == [1] and gone[(sym, ("u", "v"))] == [1]
    for never in (("p", "q"), ("q", "r"), ("t", "u"), ("s", "t")):
        assert (sym, never) not in gone
