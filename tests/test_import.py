"""CSV import: columns mapped onto a declared relation, one source for every row, all or nothing."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from allegiance.cli import main
from allegiance.errors import AllegianceError, ErrorGroup, LoadError, StatementError, flatten
from allegiance.importing import import_csv
from allegiance.kb import KnowledgeBase

SCHEMA = """\
.source ucdp_test { title: "a UCDP-like export" publisher: "UCDP" }
.source s2 { title: "another source" }
.entity fsa { name: "Free Syrian Army" aliases: "FSA" kind: coalition }
.entity usa { name: "United States" kind: state }
.entity ucdp { name: "UCDP" kind: agency }
.relation backs(backer, backed) { phrases: "{backer} backs {backed}" }
.relation clash(side_a, side_b, deaths: number, day: date, share: float) {
  phrases: "{side_a} fought {side_b} killing {deaths} on {day} with share {share}"
}
backs(usa, fsa) from source s2.
"""


def snapshot(kb: KnowledgeBase) -> tuple[object, ...]:
    return (kb.statements, {str(p): kb.facts(p) for p in kb.predicates()}, dict(kb.catalog.sources),
            dict(kb.catalog.entities), len(kb.history))


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    base = KnowledgeBase(timeout=None)
    (tmp_path / "schema.facts").write_text(SCHEMA, encoding="utf-8")
    base.load_path(tmp_path / "schema.facts")
    return base


def csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_happy_path(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = csv(tmp_path, "supporter,group,year\nUnited States,FSA,2015\nturkey,\"Ahrar, al-Sham\",2015\n")
    report = import_csv(kb, path, "backs", "ucdp_test", ["supporter", "group"])
    # names and aliases of declared entities become their ids; other text stays as written
    assert [s.row for s in report.new_statements] == [("usa", "fsa"), ("turkey", "Ahrar, al-Sham")]
    assert [s.span.line for s in report.new_statements] == [2, 3]
    assert all(s.source == "ucdp_test" and s.asserter == "ucdp" for s in report.new_statements)
    (corroboration,) = report.corroborations
    assert corroboration.existing[0].source == "s2"
    assert kb.facts("backs") == [("turkey", "Ahrar, al-Sham"), ("usa", "fsa")]
    assert kb.query("source(S, ucdp_test)").rows == [(s.id,) for s in report.new_statements]
    # importing the same file again adds nothing
    assert not import_csv(kb, path, "backs", "ucdp_test", ["supporter", "group"]).new_statements


def test_typed_columns_and_default_column_names(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = csv(tmp_path, "side_a,side_b,deaths,day,share\nusa,fsa, 12 ,2015-10-01,0.5\nfsa,usa,-3,2016-02-29,2\n")
    import_csv(kb, path, "clash", "ucdp_test")
    assert kb.facts("clash") == [("fsa", "usa", -3, datetime.date(2016, 2, 29), 2.0),
                                 ("usa", "fsa", 12, datetime.date(2015, 10, 1), 0.5)]


def test_bad_rows_name_their_lines_and_nothing_is_imported(kb: KnowledgeBase, tmp_path: Path) -> None:
    rows = ["side_a,side_b,deaths,day,share"] + [f"usa,fsa,{i},2015-10-01,0.5" for i in range(100)]
    rows[40] = "usa,fsa,3.5,2015-10-01,0.5"       # line 41: not a whole number
    rows[70] = "usa,,3,2015-13-01,0.5"             # line 71: an empty cell and a bad date
    path = csv(tmp_path, "\n".join(rows) + "\n")
    before = snapshot(kb)
    with pytest.raises(ErrorGroup) as info:
        import_csv(kb, path, "clash", "ucdp_test")
    found = [(e.span.line, e.message) for e in flatten(info.value) if e.span]
    assert found == [(41, "'3.5' is not a number in column 'deaths'"),
                     (71, "an empty cell in column 'side_b'"),
                     (71, "'2015-13-01' is not a date in column 'day'")]
    assert snapshot(kb) == before


def test_many_bad_rows_are_cut_with_a_count(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = csv(tmp_path, "side_a,side_b,deaths,day,share\n" + "usa,fsa,x,2015-10-01,1\n" * 50)
    with pytest.raises(ErrorGroup) as info:
        import_csv(kb, path, "clash", "ucdp_test")
    errors = flatten(info.value)
    assert len(errors) == 21 and errors[-1].message.startswith("and 30 more bad cells")


def test_bad_column_relation_and_source_with_suggestions(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = csv(tmp_path, "backer,backed\nusa,fsa\n")
    before = snapshot(kb)
    with pytest.raises(StatementError, match="unknown relation bakcs") as info:
        import_csv(kb, path, "bakcs", "ucdp_test")
    assert info.value.hint == "did you mean 'backs'?"
    with pytest.raises(ErrorGroup) as group:
        import_csv(kb, path, "backs", "ucdp_tset", ["backer", "backd"])
    messages = {(e.message, e.hint) for e in flatten(group.value)}
    assert ("unknown source ucdp_tset", "did you mean 'ucdp_test'?") in messages
    assert ("the header has no column 'backd'", "did you mean 'backed'?") in messages
    with pytest.raises(StatementError, match="takes 2 arguments"):
        import_csv(kb, path, "backs", "ucdp_test", ["backer"])
    assert snapshot(kb) == before


def test_require_entities(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = csv(tmp_path, "backer,backed\nusa,fsa\nusa,Free Syrain Army\n")
    before = snapshot(kb)
    with pytest.raises(StatementError, match="unknown entity 'Free Syrain Army'") as info:
        import_csv(kb, path, "backs", "ucdp_test", require_entities=True)
    assert info.value.span is not None and info.value.span.line == 3
    assert info.value.hint == "did you mean 'Free Syrian Army'?"
    assert snapshot(kb) == before


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    (b"backer,backed\n\xff\xfe,fsa\n", "not utf-8"),
    ("", "is empty: a CSV file to import needs a header line"),
])
def test_unreadable_csv_changes_nothing(kb: KnowledgeBase, tmp_path: Path, content: bytes | str | None,
                                        expected: str) -> None:
    path = tmp_path / "in.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    before = snapshot(kb)
    with pytest.raises(AllegianceError, match=expected):
        import_csv(kb, path, "backs", "ucdp_test")
    assert snapshot(kb) == before


def test_directory_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="is a directory"):
        import_csv(kb, tmp_path, "backs", "ucdp_test")


def test_header_only_is_accepted_with_a_warning(kb: KnowledgeBase, tmp_path: Path) -> None:
    report = import_csv(kb, csv(tmp_path, "backer,backed\n"), "backs", "ucdp_test")
    assert not report.changed and report.warnings == [f"{tmp_path / 'data.csv'} has no rows under its header"]


def test_dry_run_and_undo(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = csv(tmp_path, "backer,backed\nfsa,usa\n")
    before = snapshot(kb)
    report = import_csv(kb, path, "backs", "ucdp_test", dry_run=True)
    assert report.dry_run and len(report.new_statements) == 1
    assert snapshot(kb) == before
    import_csv(kb, path, "backs", "ucdp_test")
    assert ("fsa", "usa") in kb.facts("backs")
    kb.undo()
    assert snapshot(kb) == before


def test_hundred_thousand_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    n = 100_000
    path = tmp_path / "big.csv"
    path.write_text("backer,backed\n" + "".join(f"actor{i % 1000},group{i}\n" for i in range(n)), encoding="utf-8")
    report = import_csv(kb, path, "backs", "ucdp_test", derived=False)
    assert len(report.new_statements) == n and not report.derived_checked
    assert len(kb.facts("backs")) == n + 1
    assert kb.statements[-1].span.line == n + 1


def test_cli_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kb" / "facts").mkdir(parents=True)
    (tmp_path / "kb" / "facts" / "schema.facts").write_text(SCHEMA, encoding="utf-8")
    path = csv(tmp_path, "who,whom\nusa,fsa\nfsa,rebels\n")
    args = ["import", str(path), "--relation", "backs", "--columns", "who,whom", "--source", "ucdp_test",
            "--kb", str(tmp_path / "kb")]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would load" in out and "new statements: 2" in out and "corroborations: 1" in out
    assert main([*args, "--format", "json", "--quick"]) == 0
    assert '"new_statements": 2' in capsys.readouterr().out
    assert main([*args, "--require-entities"]) == 2
    assert "data.csv:3:1: unknown entity 'rebels'" in capsys.readouterr().err


# --- imports kept as blocks: the same answers as statements, whatever happens next ------------------

RULES = "allied_backer(X) :- backs(X, Y), backs(usa, Y).\n"


def every_fact(kb: KnowledgeBase) -> dict[str, list[tuple[object, ...]]]:
    return {str(p): kb.facts(p) for p in kb.predicates()}


def test_an_import_reads_as_statements_for_why_and_the_statement_indexes(kb: KnowledgeBase, tmp_path: Path) -> None:
    from allegiance.explain import render_tree, why

    path = csv(tmp_path, "backer,backed\nqatar,fsa\nturkey,fsa\n")
    (new,) = [s for s in import_csv(kb, path, "backs", "ucdp_test").new_statements if s.row == ("turkey", "fsa")]
    assert kb.statements_by_id()[new.id] == new and kb.statements_for("backs", ("turkey", "fsa")) == [new]
    assert kb.statement_count == len(kb.statements) == 3 and kb.is_base("source", (new.id, "ucdp_test"))
    answer = why(kb, "backs(turkey, fsa)")
    assert [(e.statement.id, e.statement.span.line) for e in answer.proofs[0].evidence if e.statement] == [(new.id, 3)]
    assert f"a row of an import ({path}:3)" in render_tree(answer)


def test_a_second_file_from_the_same_source_adds_only_its_new_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    import_csv(kb, csv(tmp_path, "backer,backed\nqatar,fsa\nturkey,fsa\n", "a.csv"), "backs", "ucdp_test")
    report = import_csv(kb, csv(tmp_path, "backer,backed\nturkey,fsa\njordan,fsa\n", "b.csv"), "backs", "ucdp_test")
    assert [(s.id, s.row, s.span.line) for s in report.new_statements] == [("ucdp_test_3", ("jordan", "fsa"), 3)]
    assert len(kb.query("source(S, ucdp_test)")) == 3


def test_retracting_an_imported_fact_and_taking_it_back(kb: KnowledgeBase, tmp_path: Path) -> None:
    import_csv(kb, csv(tmp_path, "backer,backed\nqatar,fsa\nturkey,fsa\n"), "backs", "ucdp_test")
    before = every_fact(kb)
    assert kb.retract("backs(qatar, fsa).") == 1
    assert ("qatar", "fsa") not in kb.facts("backs") and ("turkey", "fsa") in kb.facts("backs")
    assert len(kb.query("source(S, ucdp_test)")) == 1  # the retracted statement's metadata went with it
    kb.undo()
    assert every_fact(kb) == before
    # a block's statement rows and metadata are its facts too
    (sid,) = [s.id for s in kb.statements_for("backs", ("turkey", "fsa"))]
    assert kb.is_base("__stmt_backs", ("turkey", "fsa", sid)) and not kb.is_base("source", (sid, "s2"))
    assert kb.retract(f"status({sid}, reported).") == 1 and ("turkey", "fsa") in kb.facts("backs")


def test_a_fact_file_stating_an_imported_fact_can_be_undone(kb: KnowledgeBase, tmp_path: Path) -> None:
    import_csv(kb, csv(tmp_path, "backer,backed\nfsa,usa\n"), "backs", "ucdp_test")
    before = every_fact(kb)
    kb.load_text("backs(fsa, usa) from source s2.\n", file="more.facts")
    kb.undo()  # the fact file's statement goes; the import still states the fact
    assert every_fact(kb) == before


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
def test_rules_loaded_after_an_import_see_its_rows(tmp_path: Path, engine: str) -> None:
    (tmp_path / "schema.facts").write_text(SCHEMA, encoding="utf-8")
    path = csv(tmp_path, "backer,backed\nqatar,fsa\nturkey,rebels\n")
    with KnowledgeBase(engine=engine, timeout=None) as kb:
        kb.load_path(tmp_path / "schema.facts")
        import_csv(kb, path, "backs", "ucdp_test")
        kb.load_text(RULES, file="rules.dl")  # a new program: the engine reloads, the block included
        assert kb.facts("allied_backer") == [("qatar",), ("usa",)]
        kb.undo()
        kb.undo()
        assert kb.facts("backs") == [("usa", "fsa")]


def test_switching_engines_keeps_imported_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    from repl.session import replay

    import_csv(kb, csv(tmp_path, "backer,backed\nqatar,fsa\n"), "backs", "ucdp_test")
    with KnowledgeBase(engine="pydatalog", timeout=None) as other:
        replay(kb.history, other)
        assert every_fact(other) == every_fact(kb)
    kb.close()  # the staged rows outlive their engine: a later knowledge base can still replay them
    with KnowledgeBase(timeout=None) as again:
        replay(kb.history, again)
        assert ("qatar", "fsa") in again.facts("backs")


def test_an_import_reads_its_staged_rows_in_a_few_queries_not_one_a_row(
        kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Listing an import's statements (the change report, kb.statements) once sent one SELECT per row:
    # 100,000 rows took minutes. They are read in one go now; `at` stays for a single row.
    from allegiance.engines.duckdb import csv as staged
    calls = []
    original = staged.CsvTable._sql

    def counted(self: staged.CsvTable, sql: str, params: object = ()) -> object:
        calls.append(sql)
        return original(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(staged.CsvTable, "_sql", counted)
    n = 2_000
    path = csv(tmp_path, "backer,backed\n" + "".join(f"actor{i % 10},group{i}\n" for i in range(n)))
    report = import_csv(kb, path, "backs", "ucdp_test", derived=False)
    assert len(report.new_statements) == n
    assert sum(1 for s in kb.statements if s.source == "ucdp_test") == n
    assert 0 < len(calls) < 30


def test_an_import_stopped_while_its_report_evaluates_is_taken_back(kb: KnowledgeBase, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The import stayed in when Ctrl-C or the time limit stopped its report, while the REPL said the
    knowledge base was as it was; it goes whole now, as a load does."""
    import allegiance.importing as importing
    from allegiance.errors import QueryInterrupted, QueryTimeout

    path = csv(tmp_path, "backer,backed\nfsa,usa\n", "backs.csv")
    before = snapshot(kb)
    for stop, error, message in ((KeyboardInterrupt(), QueryInterrupted, "import interrupted"),
                                 (QueryTimeout("query took longer than 5 s"), QueryTimeout, "the import took")):
        def stopped(*args: object, stop: BaseException = stop, **kwargs: object) -> object:
            raise stop

        monkeypatch.setattr(importing, "diff", stopped)
        with pytest.raises(error) as info:
            import_csv(kb, str(path), "backs", "ucdp_test")
        assert info.value.message.startswith(message) and "nothing of it was kept" in (info.value.hint or "")
        assert snapshot(kb) == before


def test_an_import_works_on_the_machines_threads(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Statements run on one DuckDB thread (engines/duckdb/guard.py), but an import is bulk work:
    reading the file, resolving and numbering its rows, inserting them run on the machine's."""
    engine = kb.engine
    engine._machine_threads = 2  # type: ignore[attr-defined]
    threads = "SELECT current_setting('threads')"
    seen: dict[str, object] = {}
    real_run = engine._run  # type: ignore[attr-defined]

    def run(sql: str, params: object = ()) -> object:
        if sql.startswith("INSERT INTO b"):
            seen["insert"] = engine._con.execute(threads).fetchall()[0][0]  # type: ignore[attr-defined]
        return real_run(sql, params)

    engine._run = run  # type: ignore[attr-defined]
    path = csv(tmp_path, "supporter,group\nUnited States,FSA\nturkey,nusra\n")
    report = import_csv(kb, path, "backs", "ucdp_test", ["supporter", "group"])
    assert len(report.new_statements) == 2
    assert seen == {"insert": 2}
    table = next(iter(engine._staged))  # type: ignore[attr-defined]
    assert table._sql(threads) == [(2,)]  # the staged rows' own statements
    assert engine._con.execute(threads).fetchall() == [(1,)]  # type: ignore[attr-defined]
