"""Real-sized networks in bounded memory (issue 18): the change report compares relations in the
engine and names those too large to compare instead of building them; a relation that outgrows
the memory limit ends in a clear error with the knowledge base unchanged; spill files stay out of
the current folder. Bounds are checked by DuckDB memory limits and by counting what reaches
Python, never by timing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from allegiance import changes
from allegiance.changes import load_with_report
from allegiance.cli import main
from allegiance.engines.duckdb import DuckDBEngine, memory
from allegiance.errors import MemoryLimitError
from allegiance.kb import KnowledgeBase

RULES = """\
e(X, Y) :- e(Y, X).
linked(X, Y) :- e(X, Y).
linked(X, Z) :- e(X, Y), linked(Y, Z).
far(X, Y) :- linked(X, Y), not e(X, Y).
near(X, Z) :- e(X, Y), e(Y, Z), X != Z.
"""


def _chain(n: int, prefix: str = "g") -> str:
    return "".join(f"e({prefix}{i}, {prefix}{i + 1}).\n" for i in range(n))


@pytest.fixture
def no_whole_relation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any call that hands a whole relation to Python."""

    def refuse(self: DuckDBEngine, pred: object) -> frozenset[object]:
        raise AssertionError(f"a whole relation went to Python: {pred}")

    monkeypatch.setattr(DuckDBEngine, "relation", refuse)
    yield


def _oracle(kb: KnowledgeBase, preds: list[str]) -> dict[str, set[tuple[object, ...]]]:
    return {p: set(kb.facts(p)) for p in preds}


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
def test_counts_and_samples_agree_with_the_relations(tmp_path: Path, engine: str) -> None:
    kb = KnowledgeBase(engine=engine, timeout=None)
    kb.load_text(RULES + _chain(30) + "e(h0, h1).\n", "base.dl")
    preds = ["linked", "far", "near"]
    before = _oracle(kb, preds)
    new = tmp_path / "new.dl"
    # joins the two components (gains), and a value of a new kind re-encodes e's columns (DuckDB)
    new.write_text("e(g30, h0).\ne(h1, 7).\n")
    report = load_with_report(kb, [new], dry_run=True)
    kb2 = KnowledgeBase(engine=engine, timeout=None)
    kb2.load_text(RULES + _chain(30) + "e(h0, h1).\n" + new.read_text(), "all.dl")
    after = _oracle(kb2, preds)
    for p in preds:
        base = {r for r in after[p] if kb2.is_base(p, r)}
        gained, lost = after[p] - before[p] - base, before[p] - after[p]
        assert report.derived_gained_count.get(f"{p}/2", 0) == len(gained), p
        assert report.derived_lost_count.get(f"{p}/2", 0) == len(lost), p
        assert set(report.derived_gained.get(f"{p}/2", [])) == gained  # small: the sample is all of it
    assert report.new_facts_count == 2 and report.derived_skipped == {}
    assert _oracle(kb, preds) == before  # the dry run kept nothing


def test_a_relation_too_large_to_compare_is_named_not_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_whole_relation: None) -> None:
    monkeypatch.setattr(changes, "REPORT_MEMORY", 12 * 10**6)
    kb = KnowledgeBase(timeout=None)
    kb.load_text(RULES + _chain(3), "base.dl")
    new = tmp_path / "chain.dl"
    new.write_text(_chain(1500, "c"))  # linked gains 1501² rows: tens of MB, far over 12 MB
    report = load_with_report(kb, [new], dry_run=True)
    assert "too large to compare" in report.derived_skipped["linked/2"]
    assert report.derived_skipped["far/2"] == "built on linked/2, not compared"
    assert "linked/2" not in report.derived_gained_count
    # what is not built on the closure is still compared, and the new facts are all counted
    assert report.derived_gained_count["near/2"] == 2 * 1499
    assert report.derived_gained_count["e/2"] == 1500  # the symmetric rows
    assert report.new_facts_count == 1500 and len(report.new_facts) == changes.JSON_ITEMS
    text = report.render_text()
    assert "new facts (plain, no source): 1500" in text
    assert "derived facts not compared: far/2, linked/2" in text
    data = json.loads(report.to_json())
    assert data["counts"]["new_facts"] == 1500 and "linked/2" in data["derived_skipped"]


def test_memory_limit_names_the_relation_and_changes_nothing() -> None:
    engine = DuckDBEngine(timeout=None, memory_limit=60 * 10**6)
    kb = KnowledgeBase(engine=engine, timeout=None)
    kb.load_text(RULES + _chain(3000), "chain.dl")
    with pytest.raises(MemoryLimitError) as caught:
        kb.query("linked(X, Y)")
    assert "linked/2 grew past the memory limit (60.0 MB)" in str(caught.value)
    assert caught.value.hint and "linked(fsa, X)" in caught.value.hint
    # the knowledge base is as it was: base facts intact, a bound query answered on demand
    assert len(kb.query("e(X, Y)")) == 6000
    assert len(kb.query("linked(g0, Y)")) == 3001
    kb.close()


def test_memory_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLEGIANCE_MEMORY_LIMIT", "300MB")
    engine = DuckDBEngine(timeout=None)
    assert engine.memory_limit == 300 * 10**6
    engine.close()
    monkeypatch.setenv("ALLEGIANCE_MEMORY_LIMIT", "lots")
    assert main(["query", "e(X, Y)", "--kb", "."]) == 2
    assert memory.parse_limit("1.5GiB") == int(1.5 * 2**30)
    assert 0 < memory.parse_limit("10%") < (memory.physical_memory() or 0)


def test_spill_folder_is_private_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = DuckDBEngine(timeout=None)
    row = engine._con.execute("SELECT current_setting('temp_directory')").fetchone()
    assert row is not None
    spill = Path(str(row[0]))
    assert spill.is_dir() and tmp_path not in spill.parents and spill.name.startswith("allegiance-spill-")
    engine.close()
    assert not spill.exists() and list(tmp_path.iterdir()) == []


def test_one_shot_load_says_what_it_keeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.dl"
    rules.write_text(RULES)
    facts = tmp_path / "edges.dl"
    facts.write_text(_chain(40))
    assert main(["load", str(facts), "--kb", str(tmp_path / "nothing"), *[]]) == 2  # no such folder
    capsys.readouterr()
    empty = tmp_path / "kb"
    (empty / "rules").mkdir(parents=True)
    (empty / "rules" / "r.dl").write_text(RULES)
    assert main(["load", str(facts), "--kb", str(empty)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"checked {facts} (nothing kept without --db)")
    assert "new facts (plain, no source): 40" in out and "nothing changed" not in out
    db = str(tmp_path / "kb.duckdb")
    assert main(["load", str(facts), "--kb", str(empty), "--db", db]) == 0
    assert capsys.readouterr().out.startswith(f"loaded {facts}\n")
    assert main(["load", str(facts), "--kb", str(empty), "--db", db]) == 0
    assert "nothing changed" in capsys.readouterr().out  # kept the first time
    assert os.path.exists(db)


@pytest.mark.thorough
def test_a_network_whose_closure_would_hold_a_billion_pairs(tmp_path: Path) -> None:
    """The bundled rules over 31,623 allied groups in one chain: `linked` and `allied_chain` would
    hold 10⁹ pairs each. Under a 400 MB ceiling (any attempt to build them fails with
    MemoryLimitError), the inconsistencies are listed and a bound query is answered."""
    n = 31_623
    engine = DuckDBEngine(timeout=None, memory_limit=400 * 10**6)
    kb = KnowledgeBase.bundled(engine=engine, timeout=None)
    before = {(i.kind, i.args) for i in kb.inconsistencies()}
    kb.import_rows("ally", [(f"g{i}", f"g{i + 1}") for i in range(n)], "us_state_fto")
    assert {(i.kind, i.args) for i in kb.inconsistencies()} == before  # the chain adds none
    answers = kb.query("linked(g5, Y)")
    assert len(answers) == n + 1  # every group of the chain, g5 itself included (linked is symmetric)
    # allied_chain is read with a constant in the same way
    assert len(kb.query("allied_chain(g5, Y)")) == n + 1
    kb.close()


def test_support_keeps_small_relations_and_leaves_a_closure_in_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Support asked of a small relation built on a large closure: the closure's rows stay in the
    engine (counted there, never read into Python), the small relations of the same evaluation
    are kept for the next question."""
    from allegiance import ast
    from allegiance.support import grading, relation_supports

    kb = KnowledgeBase(timeout=None)
    monkeypatch.setattr(DuckDBEngine, "KEEP_ROWS", 1000)
    kb.load_text(RULES + "from_g0(Y) :- linked(g0, Y).\n" + _chain(40), "chain.dl")
    # one graded statement: support has a threshold above the weakest grade to evaluate
    kb.load_text('.source s { title: "t" reliability: B }\n.relation w(n: number).\n.source s.\nw(1).\n', "w.facts")
    engine = kb.engine
    assert isinstance(engine, DuckDBEngine)
    engine.demand = False  # the whole cone, as on a knowledge base below the demand threshold
    engine.annotated_method = "sql"  # one interval-annotated evaluation (a sweep reads only what is asked)
    supports = relation_supports(kb, ast.PredicateSym("from_g0", 1))
    assert len(supports) == 41  # g0 reaches every node, itself included (e is symmetric)
    kept = grading(kb).derived
    linked = ast.PredicateSym("linked", 2)
    assert linked not in kept  # 41² rows: over KEEP_ROWS, left in the engine
    assert ast.PredicateSym("e", 2) in kept and len(kept[ast.PredicateSym("e", 2)]) == 80
    assert len(relation_supports(kb, linked)) == 41 * 41  # asked for: evaluated and read
