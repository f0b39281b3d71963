"""--db: the knowledge base kept in a DuckDB file, restored without parsing, stored as it changes.

A restored knowledge base must be indistinguishable from one loaded from the files: `fingerprint`
compares everything a user can see (answers of every predicate, statements, spans, `why`, texts,
inconsistencies, warnings) with values' kinds kept apart (codec.dumps tells 1 from 1.0 and "1").
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import allegiance.files
import allegiance.history
import allegiance.persist
from allegiance import ast, codec
from allegiance.cli import main
from allegiance.engines.duckdb import DuckDBEngine
from allegiance.errors import AllegianceError, LoadError
from allegiance.explain import render_tree, why
from allegiance.files import bundled_paths
from allegiance.kb import KnowledgeBase
from allegiance.persist import PACK, TABLES, StoredSourceFile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.data import datalog_fact_file  # noqa: E402

SCHEMA = """\
.source wire_1 { title: "Wire report" publisher: "Wire" date: 2015-10-26 reliability: B }
.entity fsa { name: "Free Syrian Army" aliases: "FSA" kind: coalition }
.entity nusra { name: "Nusra Front" kind: group }
.entity wire { name: "Wire" kind: media }
.relation ally(a, b) { phrases: "{a} is allied with {b}" symmetric: true }
.relation strikes(who, target, n: number) { phrases: "{who} struck {target} with {n} strikes" }
"""

ARTICLE = """\
.source wire_1.
ally(fsa, nusra), according to wire, on 2015-10-26, quoting "FSA and Nusra fight together".
The Free Syrian Army is allied with Nusra Front.
not ally(fsa, wire), claimed by wire.
strikes(fsa, nusra, 3), credibility 2.
strikes(fsa, wire, 2).
"""

RULES = """\
edge(1, 2). edge(2, 3). edge(3, 1). weight(1, 1.5). weight(2, "2"). day(1, 2015-10-26).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
friend(X, Y) :- ally(X, Y), not strikes(X, Y, _).
.inconsistency both(a, b) { message: "{a} is allied with {b} and strikes it" }
both(X, Y) :- ally(X, Y), strikes(X, Y, _).
"""


def fingerprint(kb: KnowledgeBase) -> dict[str, object]:
    """What a user can see of a knowledge base, as text that keeps values' kinds apart."""
    derived = [(str(p), row) for p in kb.predicates() if not p.name.startswith("__") for row in kb.facts(p)]
    whys = {f"{p}{row}": render_tree(why(kb, f"{p.partition('/')[0]}({', '.join(map(_arg, row))})"))
            for p, row in derived[::max(1, len(derived) // 150)]}  # spread over every predicate
    state = kb._state
    return {
        "answers": codec.dumps_values([[p, list(r)] for p, r in derived]),
        "statements": codec.dumps(kb.statements),
        "rules": codec.dumps(kb.rules),
        "declarations": codec.dumps(tuple(state.declarations)),
        "catalog": codec.dumps((tuple(kb.catalog.sources.values()), tuple(kb.catalog.entities.values()),
                                tuple(kb.catalog.relations.values()))),
        "names": sorted(kb.catalog._names.items()),
        "plain": codec.dumps(tuple((s, tuple((r, sp) for r, sp in rows.items())) for s, rows in kb.plain_facts.items())),
        "retracted": sorted(map(repr, state.retracted)), "counters": dict(state.counters),
        "texts": {k: v for k, v in kb.sources_text.items() if k != "<query>"},
        "inconsistencies": [(i.kind, codec.dumps_values(list(i.args)), i.message) for i in kb.inconsistencies()],
        "warnings": kb.warnings, "whys": whys,
        "history": [("SourceFile" if isinstance(op, allegiance.history.SourceFile) else type(op).__name__,
                     getattr(op, "path", None), getattr(op, "text", None), getattr(op, "mtime", None))
                    for op in kb.history],
        "program": (kb.program.rules, kb.program.types),
    }


def _arg(v: object) -> str:
    from allegiance.ast import format_value

    return format_value(v)  # type: ignore[arg-type]


def write_kb(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    files = [folder / "schema.facts", folder / "article.facts", folder / "rules.dl"]
    for f, text in zip(files, (SCHEMA, ARTICLE, RULES), strict=True):
        f.write_text(text, encoding="utf-8")
    return files


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    return write_kb(tmp_path / "kb")


def open_kb(db: Path, paths: list[Path], **options: object) -> KnowledgeBase:
    kb = KnowledgeBase(timeout=None, db=str(db), **options)  # type: ignore[arg-type]
    kb.load_files(paths)
    return kb


def fresh(paths: list[Path]) -> dict[str, object]:
    with KnowledgeBase(timeout=None) as kb:
        kb.load_files(paths)
        return fingerprint(kb)


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was parsed")

    monkeypatch.setattr(allegiance.files, "parse_program_recovering", refuse)


# --- round trips -------------------------------------------------------------------------------------


def test_small_kb_round_trip_parses_nothing(tmp_path: Path, files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as first:
        assert first.store is not None and first.store.notices == []
        built = fingerprint(first)
    assert built == fresh(files)
    with monkeypatch.context() as m:
        no_parsing(m)
        with open_kb(db, files) as again:
            assert again.store is not None and again.store.notices == []
            assert all(isinstance(op, StoredSourceFile) for op in again.history)
            assert fingerprint(again) == built
            assert again.query("path(1, X)").rows == [(1,), (2,), (3,)]
            assert again.query("weight(X, W)").rows == [(1, 1.5), (2, "2")]


def test_bundled_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "bundled.duckdb"
    with KnowledgeBase.bundled(timeout=None, db=str(db)) as first:
        built = fingerprint(first)
    with KnowledgeBase.bundled(timeout=None) as plain:
        assert fingerprint(plain) == built
    with monkeypatch.context() as m:
        no_parsing(m)
        with KnowledgeBase.bundled(timeout=None, db=str(db)) as again:
            assert fingerprint(again) == built
            assert again.store is not None and again.store.notices == []


@pytest.mark.thorough
def test_generated_file_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "facts.dl"
    big.write_text(datalog_fact_file(12_000), encoding="utf-8")  # more than one stored pack
    paths = [big, *write_kb(tmp_path / "kb")]
    db = tmp_path / "big.duckdb"
    with open_kb(db, paths) as first:
        built = fingerprint(first)
        assert sum(len(r) for r in first.plain_facts.values()) > 2 * PACK
    with monkeypatch.context() as m:
        no_parsing(m)
        with open_kb(db, paths) as again:
            assert fingerprint(again) == built
            text = render_tree(why(again, "member(g1, c1)")) if again.ask("member(g1, c1)") else ""
    assert built == fresh(paths)
    del text


def plain_with_spans(kb: KnowledgeBase) -> list[tuple[str, list[tuple[object, ...]]]]:
    """The plain facts in order, each with its span, values' kinds kept apart."""
    return [(str(sym), [(codec.dumps_values(list(row)), span) for row, span in rows.items()])
            for sym, rows in kb.plain_facts.items()]


def test_plain_facts_in_small_packs_round_trip(tmp_path: Path, files: list[Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # packs of 4 facts: a predicate's facts go on over several packs and a pack holds several predicates,
    # as 5,000 to a pack do on a large file; a save writes again only from the first pack that changed
    monkeypatch.setattr(allegiance.persist, "PACK", 4)
    db = tmp_path / "kb.duckdb"
    extra = tmp_path / "extra.dl"
    extra.write_text("edge(3, 4). weight(3, 2.5). edge(4, 5).\n", encoding="utf-8")
    with open_kb(db, files) as kb:
        before = plain_with_spans(kb)
        assert sum(len(rows) for _, rows in before) > 4
    written: list[tuple[int, int]] = []  # (first pack written, packs written) of each write of the plain facts

    def spy_on_writes(kb: KnowledgeBase) -> None:
        assert kb.store is not None
        write_stored = kb.store.engine.write_stored

        def spy(name: str, columns: object, rows: list[tuple[object, ...]], start: int = 0) -> None:
            if name == "plain":
                written.append((start, len(rows)))
            write_stored(name, columns, rows, start)  # type: ignore[arg-type]

        monkeypatch.setattr(kb.store.engine, "write_stored", spy)

    log: list[list[tuple[int, int]]] = []
    with KnowledgeBase(timeout=None) as memory:  # the same steps without --db: what each reopen must give
        memory.load_files(files)
        assert plain_with_spans(memory) == before
        for step in (lambda kb: kb.load_text("day(2, 2015-10-27).", file="<repl:1>"),  # the last predicate grows
                     lambda kb: kb.load_files([extra]),  # the first one grows
                     lambda kb: kb.retract("day(1, 2015-10-26)."),
                     lambda kb: kb.undo()):
            step(memory)
            with open_kb(db, files) as kb:
                assert kb.store is not None and kb.store.notices == []
                assert plain_with_spans(kb) == before
                spy_on_writes(kb)
                written.clear()
                step(kb)
                before, stored = plain_with_spans(kb), fingerprint(kb)
                assert before == plain_with_spans(memory)
                log.append(list(written))
            with open_kb(db, files) as again:
                assert again.store is not None and again.store.notices == []
                assert plain_with_spans(again) == before and fingerprint(again) == stored
    # 7 facts, then 10: the second of two packs; all three; nothing (a retraction is kept apart,
    # State.retracted); all three (:undo rebuilds the state from the history, every object anew)
    assert log == [[(1, 1)], [(0, 3)], [], [(0, 3)]]


def test_spans_made_in_bulk_are_spans() -> None:
    made = ast.spans(["a.dl", "b.dl"], [1, 2], [3, 4], [1, 5], [9, 10])
    assert made == [ast.Span("a.dl", 1, 3, 1, 9), ast.Span("b.dl", 2, 4, 5, 10)]
    assert [hash(s) for s in made] == [hash(ast.Span("a.dl", 1, 3, 1, 9)), hash(ast.Span("b.dl", 2, 4, 5, 10))]
    assert repr(made[1]) == repr(ast.Span("b.dl", 2, 4, 5, 10)) and str(made[0]) == "a.dl:1:3"
    with pytest.raises(dataclasses.FrozenInstanceError):  # frozen, as any Span
        made[0].line = 7  # type: ignore[misc]
    with pytest.raises(ValueError, match="unequal length"):
        ast.spans(["a.dl"], [1], [1, 2], [1], [1])
    assert ast.spans([], [], [], [], []) == []


# --- what a session does is stored as it happens ---------------------------------------------------------


def test_session_operations_are_stored(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    extra = tmp_path / "extra.dl"
    extra.write_text("edge(3, 4).\n", encoding="utf-8")
    with open_kb(db, files) as kb:
        kb.load_text("edge(4, 5).\nally(fsa, wire).", file="<repl:1>", default_source="wire_1")
        kb.load_files([extra])
        assert kb.retract("edge(1, 2).") == 1
        kb.import_rows("strikes", [("nusra", "fsa", 7)], "wire_1", file="s.csv", lines=[2])
        kb.load_text("edge(9, 9).", file="<repl:2>")
        assert kb.undo() is not None
        stored = fingerprint(kb)
    with open_kb(db, files) as again:
        assert fingerprint(again) == stored
        assert again.ask("path(3, 5)") and not again.ask("edge(1, 2)") and not again.ask("edge(9, 9)")
        # undo after a restore parses what it needs and keeps working; it is stored too
        op = again.undo()
        assert isinstance(op, allegiance.history.Import)
        after_undo = fingerprint(again)
    with open_kb(db, files) as third:
        assert fingerprint(third) == after_undo
        assert third.query("strikes(nusra, fsa, N)").rows == []


def test_a_csv_import_is_stored(tmp_path: Path, files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from allegiance.importing import import_csv

    db = tmp_path / "kb.duckdb"
    data = tmp_path / "strikes.csv"
    data.write_text("who,target,n\nFSA,Nusra Front,4\nnusra,wire,9\nFSA,Nusra Front,4\n", encoding="utf-8")
    with open_kb(db, files) as kb:
        import_csv(kb, data, "strikes", "wire_1")  # staged in DuckDB: a block of statements
        assert kb.blocks
        stored = fingerprint(kb)
    with monkeypatch.context() as m:
        no_parsing(m)
        with open_kb(db, files) as again:
            assert fingerprint(again) == stored
            assert again.query("strikes(nusra, wire, N)").rows == [(9,)]
            assert [s.span.line for s in again.statements_for("strikes", ("nusra", "wire", 9))] == [3]
    with open_kb(db, files) as again:
        assert again.retract("strikes(nusra, wire, 9).") == 1  # dissolves the block
        retracted = fingerprint(again)
        assert isinstance(again.undo(), allegiance.history.Retraction)
        assert fingerprint(again) == stored
        again.retract("strikes(nusra, wire, 9).")
    with open_kb(db, files) as again:
        assert fingerprint(again) == retracted


def test_reload_after_restore(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    extra = tmp_path / "extra.dl"
    extra.write_text("edge(3, 4).\n", encoding="utf-8")
    with open_kb(db, files) as kb:
        kb.load_files([extra])
    with open_kb(db, files) as kb:
        extra.write_text("edge(3, 5).\n", encoding="utf-8")
        os.utime(extra, ns=(1, 1))  # a different mtime, whatever the clock's resolution
        assert kb.reload() == [str(extra)]
        assert kb.ask("edge(3, 5)") and not kb.ask("edge(3, 4)")
        reloaded = fingerprint(kb)
    with open_kb(db, files) as kb:
        assert fingerprint(kb) == reloaded


def test_a_failed_operation_changes_neither_kb_nor_file(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as kb:
        before = fingerprint(kb)
        with pytest.raises(AllegianceError):
            kb.load_text("nosuch(X) :- missing(X).", file="<repl:1>")
        after = fingerprint(kb)
        # the failed entry's text stays for rendering its error, and only that
        assert after.pop("texts") == {**before["texts"], "<repl:1>": "nosuch(X) :- missing(X)."}  # type: ignore[dict-item]
        assert after == {k: v for k, v in before.items() if k != "texts"}
    with open_kb(db, files) as kb:
        assert fingerprint(kb) == before


# --- stale, foreign and damaged files --------------------------------------------------------------------------


def test_a_changed_file_makes_the_stored_kb_stale(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    extra = tmp_path / "extra.dl"
    extra.write_text("edge(20, 21).\n", encoding="utf-8")
    with open_kb(db, files) as kb:
        kb.load_text("edge(7, 8).", file="<repl:1>")
        kb.load_files([extra])
        kb.retract("edge(2, 3).")
    files[2].write_text(RULES.replace("edge(3, 1).", "edge(3, 9)."), encoding="utf-8")
    extra.write_text("edge(20, 22).\n", encoding="utf-8")
    with open_kb(db, files) as kb:
        assert kb.store is not None
        (notice,) = kb.store.notices
        assert f"{files[2]} changed" in notice and "then the 3 changes made in earlier sessions" in notice
        # the files as they are now, then what earlier sessions added, loaded files read again
        assert kb.ask("edge(3, 9)") and not kb.ask("edge(3, 1)") and kb.ask("edge(7, 8)")
        assert kb.ask("edge(20, 22)") and not kb.ask("edge(20, 21)") and not kb.ask("edge(2, 3)")
        assert [getattr(op, "path", None) for op in kb.history][3:] == ["<repl:1>", str(extra), None]
        rebuilt = fingerprint(kb)
    with open_kb(db, files) as kb:  # stored again: fresh now
        assert kb.store is not None and kb.store.notices == []
        assert fingerprint(kb) == rebuilt


def test_earlier_changes_that_no_longer_apply_are_dropped(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as kb:
        kb.load_text("The Free Syrian Army is allied with Nusra Front.", file="<repl:1>", default_source="wire_1")
    files[0].write_text(SCHEMA.replace("{a} is allied with {b}", "{a} allies with {b}"), encoding="utf-8")
    files[1].write_text(ARTICLE.replace("The Free Syrian Army is allied with Nusra Front.\n", ""), encoding="utf-8")
    with open_kb(db, files) as kb:
        assert kb.store is not None
        (notice,) = kb.store.notices
        assert "the 1 change made in earlier sessions on top of them are not kept (they no longer apply" in notice
        assert fingerprint(kb) == fresh(files)


def test_added_and_removed_files(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    folder = files[0].parent
    with KnowledgeBase(timeout=None, db=str(db)) as kb:
        kb.load_path(folder)
    (folder / "more.dl").write_text("edge(5, 6).\n", encoding="utf-8")
    with KnowledgeBase(timeout=None, db=str(db)) as kb:
        kb.load_path(folder)
        assert kb.store is not None and "1 file added" in kb.store.notices[0]
        assert kb.ask("edge(5, 6)")
    (folder / "more.dl").unlink()
    with KnowledgeBase(timeout=None, db=str(db)) as kb:
        kb.load_path(folder)
        assert kb.store is not None and "1 file gone" in kb.store.notices[0]
        assert not kb.ask("edge(5, 6)")


def test_other_dialect_is_another_kb(tmp_path: Path) -> None:
    db = tmp_path / "kb.duckdb"
    f = tmp_path / "s.dl"
    f.write_text('p("a").\nq(x) :- p(x).\n', encoding="utf-8")
    with open_kb(db, [f], dialect="souffle") as kb:
        assert kb.query('q("a")')
    with open_kb(db, [f]) as kb:  # in the prolog dialect x is a constant: q holds for nothing
        assert kb.store is not None and "--dialect souffle" in kb.store.notices[0]
        assert kb.query("q(X)").rows == []


def damage(db: Path, table: str, rows: list[tuple[object, ...]]) -> None:
    columns = next(t.columns for t in TABLES if t.name == table)
    engine = DuckDBEngine(path=str(db), timeout=None)
    try:
        engine.write_stored(table, columns, rows)
    finally:
        engine.close()


@pytest.mark.parametrize("table, rows", [
    ("rules", [('{"class": "os.system", "command": "rm -rf /"}',)]),
    ("rules", [("{not json",)]),
    ("statements", [('[[1, 2, 3]]',)]),
    ("plain", [('[["edge", 2, ["f"], [[1, true]], [0], [1], [1], [1], [1]]]',)]),
    ("catalog", [("source", "x", '{"class": "Entity", "id": "x"}',)]),
])
def test_a_damaged_store_falls_back_to_the_files(tmp_path: Path, files: list[Path], table: str,
                                                  rows: list[tuple[object, ...]]) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as kb:
        built = fingerprint(kb)
    damage(db, table, rows)
    with open_kb(db, files) as kb:
        assert kb.store is not None
        (notice,) = kb.store.notices
        assert notice.startswith(f"{db}: cannot be read") and f"kept, unchanged, as {db}.damaged" in notice
        assert fingerprint(kb) == built
    assert Path(f"{db}.damaged").is_file()  # set aside, never overwritten
    with open_kb(db, files) as kb:
        assert kb.store is not None and kb.store.notices == []  # repaired by storing again


def edit_plain(db: Path, change: object) -> None:
    """Change the stored plain facts' first run of edge/2 in place: the other tables, and the counts
    the description keeps, stay as stored, so only the check of that run can refuse it."""
    columns = next(t.columns for t in TABLES if t.name == "plain")
    engine = DuckDBEngine(path=str(db), timeout=None)
    try:
        packs = [json.loads(str(p)) for (p,) in engine.read_stored("plain", columns) or []]
        run = next(run for pack in packs for run in pack if run[0] == "edge")
        change(run)  # type: ignore[operator]
        engine.write_stored("plain", columns, [(json.dumps(pack),) for pack in packs])
    finally:
        engine.close()


# a run: [name, arity, file names, rows, files, lines, columns, end lines, end columns]
@pytest.mark.parametrize("change, why", [
    (lambda run: run[3][0].__setitem__(1, True), "a stored fact of edge/2 that is not 2 values"),
    (lambda run: run[3][0].__setitem__(1, {"date": "2015-10-26T10:00"}), "not a date"),
    (lambda run: run[3][0].__setitem__(1, [2]), "a stored fact of edge/2 that is not 2 values"),
    (lambda run: run[3][0].pop(), "a stored fact of edge/2 that is not 2 values"),
    (lambda run: run[3].__setitem__(0, "1, 2"), "a stored fact of edge/2 that is not 2 values"),
    (lambda run: run.__setitem__(1, 3), "a stored fact of edge/3 that is not 3 values"),
    (lambda run: run.__setitem__(1, True), "stored True where a number belongs"),
    (lambda run: run[5].append(9), "stored facts of edge/2 whose columns are not lists of one length"),
    (lambda run: run[8].pop(), "stored facts of edge/2 whose columns are not lists of one length"),
    (lambda run: run.__setitem__(6, 1), "stored facts of edge/2 whose columns are not lists of one length"),
    (lambda run: run[4].__setitem__(0, 1), "a stored span of edge/2 that is not a file and numbers"),
    (lambda run: run[4].__setitem__(0, -1), "a stored span of edge/2 that is not a file and numbers"),
    (lambda run: run[5].__setitem__(0, 1.0), "a stored span of edge/2 that is not a file and numbers"),
    (lambda run: run[6].__setitem__(0, False), "a stored span of edge/2 that is not a file and numbers"),
    (lambda run: run[7].__setitem__(0, {"date": "2015-10-26"}), "a stored span of edge/2 that is not a file and numbers"),
    (lambda run: run[2].__setitem__(0, 7), "a stored span of edge/2 that is not a file and numbers"),
    (lambda run: run.append([]), "stored facts of another shape"),
    (lambda run: run[3].__setitem__(1, run[3][0]), "incomplete"),  # a fact twice: one fewer than counted
])
def test_a_damaged_plain_run_is_refused(tmp_path: Path, files: list[Path], change: object, why: str) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as kb:
        built = fingerprint(kb)
    edit_plain(db, change)
    with open_kb(db, files) as kb:
        assert kb.store is not None
        (notice,) = kb.store.notices
        assert notice.startswith(f"{db}: cannot be read (") and why in notice, notice
        assert fingerprint(kb) == built
    assert Path(f"{db}.damaged").is_file()


def test_a_store_of_another_format_is_read_again(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as kb:
        built = fingerprint(kb)
    meta = (("key", "text"), ("value", "text"))
    engine = DuckDBEngine(path=str(db), timeout=None)
    try:  # as an earlier allegiance wrote it (its plain facts a list per fact): the layout is not read at all
        rows = engine.read_stored("meta", meta) or []
        engine.write_stored("meta", meta, [(k, "allegiance-kb-1" if k == "format" else v) for k, v in rows])
    finally:
        engine.close()
    with open_kb(db, files) as kb:
        assert kb.store is not None
        assert kb.store.notices == [f"{db}: it was stored by another version of allegiance: reading the files again"]
        assert fingerprint(kb) == built
    with open_kb(db, files) as kb:
        assert kb.store is not None and kb.store.notices == []
        assert fingerprint(kb) == built


def test_a_missing_table_falls_back(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    with open_kb(db, files):
        pass
    damage(db, "counters", [])  # fewer rows than the description counts
    with open_kb(db, files) as kb:
        assert kb.store is not None and "incomplete" in kb.store.notices[0]
        assert fingerprint(kb) == fresh(files)


def test_a_file_that_is_not_duckdb_is_refused_and_kept(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes, not a database\n", encoding="utf-8")
    with pytest.raises(LoadError, match="notes.txt: cannot open it as a DuckDB database"):
        open_kb(db, files)
    assert db.read_text(encoding="utf-8") == "my notes, not a database\n"


def test_damaged_fact_tables_fall_back_to_the_files(tmp_path: Path, files: list[Path]) -> None:
    import duckdb

    db = tmp_path / "kb.duckdb"
    with open_kb(db, files) as kb:
        built = fingerprint(kb)
    con = duckdb.connect(str(db))
    con.execute("UPDATE allegiance_relations SET reps = 'x;DROP' WHERE name = 'edge'")
    con.close()
    with open_kb(db, files) as kb:
        assert kb.store is not None
        (notice,) = kb.store.notices
        assert notice.startswith(f"{db}: its fact tables are damaged (") and "edge/2" in notice
        assert f"kept, unchanged, as {db}.damaged" in notice
        assert fingerprint(kb) == built
    with open_kb(db, files) as kb:
        assert kb.store is not None and kb.store.notices == []


def test_pydatalog_refuses_db(tmp_path: Path) -> None:
    with pytest.raises(AllegianceError, match="--db"):
        KnowledgeBase(engine="pydatalog", db=str(tmp_path / "x.duckdb"))


# --- crash safety ------------------------------------------------------------------------------------


def test_a_committed_load_survives_kill_9(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    extra = tmp_path / "extra.dl"
    extra.write_text("edge(40, 41).\n", encoding="utf-8")
    env = {**os.environ, "ALLEGIANCE_DATA_DIR": str(tmp_path / "data")}
    with subprocess.Popen([sys.executable, "-m", "allegiance", "--db", str(db), *map(str, files)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=env) as proc:
        assert proc.stdin is not None and proc.stdout is not None

        def run_then_wait(entry: str, query: str, answer: str) -> None:
            # entries run in order: the query's answer is printed after the entry has committed
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(f"{entry}\n{query}\n")
            proc.stdin.flush()
            for line in proc.stdout:
                if line.split("|")[0].strip() == answer:  # the answer's cell (a support column may follow)
                    return
            raise AssertionError(f"no {answer!r} after {entry!r}")

        try:
            run_then_wait(f":load {extra}", "edge(40, X)", "41")
            run_then_wait("edge(50, 51).", "edge(50, X)", "51")
        finally:
            proc.send_signal(signal.SIGKILL)  # no clean exit: whatever was not committed is lost
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with open_kb(db, files) as kb:
        assert kb.store is not None and kb.store.notices == []
        assert kb.ask("edge(40, 41)") and kb.ask("edge(50, 51)") and kb.ask("path(1, 3)")


# --- the command line ------------------------------------------------------------------------------------


def test_cli_stores_then_restores(tmp_path: Path, files: list[Path], capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "kb.duckdb")
    assert main(["query", "path(1, X)", *map(str, files), "--db", db]) == 0
    first = capsys.readouterr()
    with monkeypatch.context() as m:
        no_parsing(m)
        assert main(["--db", db, "query", "path(1, X)", *map(str, files)]) == 0
        second = capsys.readouterr()
    assert second.out == first.out and second.err == ""
    files[2].write_text(RULES + "edge(3, 4).\n", encoding="utf-8")
    assert main(["query", "path(1, X)", *map(str, files), "--db", db]) == 0
    stale = capsys.readouterr()
    assert "(4 answers)" in stale.out
    assert stale.err.count("\n") == 1 and "changed since the knowledge base was stored" in stale.err


def test_cli_bundled_with_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "kb.duckdb")
    assert main(["--db", db, "query", "member(X, alliance41)"]) == 0
    first = capsys.readouterr().out
    assert main(["--db", db, "why", "indirect_ally(fsa_groups_in_alliance41, ahrar_al_sham)"]) == 0
    assert "rules/links.dl" in capsys.readouterr().out
    assert main(["--db", db, "query", "member(X, alliance41)"]) == 0
    assert capsys.readouterr().out == first
    assert bundled_paths()


def test_cli_refuses_a_foreign_db_without_traceback(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    db.write_bytes(b"SQLite format 3\x00" + bytes(100))
    result = subprocess.run([sys.executable, "-m", "allegiance", "--db", str(db), "query", "ally(X, Y)"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{db}: cannot open it as a DuckDB database" in result.stderr
    result = subprocess.run([sys.executable, "-m", "allegiance", "--db", str(tmp_path / "x.duckdb"), "--engine",
                             "pydatalog", "query", "ally(X, Y)"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "--db" in result.stderr


def test_repl_script_stores_entries_and_keeps_its_engine(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "kb.duckdb"
    env = {**os.environ, "ALLEGIANCE_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "allegiance", "--db", str(db), *map(str, files)],
                            input="edge(60, 61).\n:engine pydatalog\n:retract edge(1, 2).\n", capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "only the DuckDB engine can hold" in result.stderr
    with open_kb(db, files) as kb:
        assert kb.ask("edge(60, 61)") and not kb.ask("edge(1, 2)")
    assert "--db FILE" in subprocess.run([sys.executable, "-m", "allegiance", "--help"], capture_output=True,
                                         text=True, timeout=120).stdout


@pytest.mark.slow
def test_large_generated_file_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "facts.dl"
    big.write_text(datalog_fact_file(200_000), encoding="utf-8")
    db = tmp_path / "big.duckdb"
    with open_kb(db, [big]) as first:
        built = fingerprint(first)
        first.load_text("member(g1, c1).", file="<repl:1>")  # one more, stored by appending
        grown = fingerprint(first)
    assert built == fresh([big])
    with monkeypatch.context() as m:
        no_parsing(m)
        with open_kb(db, [big]) as again:
            assert fingerprint(again) == grown
    with open_kb(db, [big]) as again:
        assert again.undo() is not None  # parses the file: the rebuild needs its clauses
        undone = fingerprint(again)
        # :undo keeps the entry's text (for errors that quote it), with or without --db
        assert undone.pop("texts") == {**built["texts"], "<repl:1>": "member(g1, c1)."}  # type: ignore[dict-item]
        assert undone == {k: v for k, v in built.items() if k != "texts"}
