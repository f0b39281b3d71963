"""The selection options as a user types them: --trust, --without, --at, --known-on on every
evaluating command, and `allegiance sources`; each agrees with the Python API."""

from __future__ import annotations

import datetime
import json

import pytest

from allegiance import KnowledgeBase
from allegiance.cli import main
from allegiance.explain.critical import rests_on
from allegiance.selection import Selection


@pytest.fixture(scope="module")
def bundled() -> KnowledgeBase:
    kb = KnowledgeBase.bundled()
    yield kb
    kb.close()


def rows_of(out: str) -> set[tuple[str, ...]]:
    return {tuple(r) for r in json.loads(out)["answers"]}


@pytest.mark.parametrize("options", [["--trust", "reliable"], ["--at", "2015-09-01"], ["--known-on", "2015-10-04"],
                                     ["--without", "in_foreign_2015_10", "--without", "reuters_2015_10_26"],
                                     ["--trust", "usual", "--at", "2015-10-06", "--known-on", "2015-10-05"]])
def test_query_under_a_selection_agrees_with_the_api(options: list[str], bundled: KnowledgeBase,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["query", "strikes(A, T)", "--format", "json", *options])
    out = capsys.readouterr().out
    opts = dict(zip(options[::2], options[1::2], strict=True))
    selection = Selection(opts.get("--trust", "all"), frozenset(options[i + 1] for i, o in enumerate(options) if o == "--without"),
                          datetime.date.fromisoformat(opts["--at"]) if "--at" in opts else None,
                          datetime.date.fromisoformat(opts["--known-on"]) if "--known-on" in opts else None)
    expected = bundled.query("strikes(A, T)", selection).rows
    assert rows_of(out) == set(expected) and status == (0 if expected else 1)
    assert set(expected) != set(bundled.query("strikes(A, T)").rows), "the selection changes something"


def test_trust_reliable_drops_the_finding_that_rests_on_a_blog_post(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "backs_terror_linked(usa, G, T)"]) == 0
    assert "al_qaeda" in capsys.readouterr().out
    assert main(["--trust", "reliable", "query", "backs_terror_linked(usa, G, T)"]) == 1, "options before the command"
    assert main(["why", "backs_terror_linked(usa, syrian_opposition, nusra)", "--trust", "reliable"]) == 1
    assert "does not hold" in capsys.readouterr().out
    assert main(["whynot", "backs_terror_linked(usa, syrian_opposition, nusra)", "--trust", "reliable"]) == 0
    assert "does not hold" in capsys.readouterr().out


def test_sources_names_what_each_answer_rests_on(bundled: KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "backs_terror_linked(usa, G, T)", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = rests_on(bundled, "backs_terror_linked(usa, G, T)")
    assert data["answers"] == [list(r.row) for r in expected]
    assert [[c["source"] for c in cs] for cs in data["critical"]] == [list(r.critical) for r in expected]
    assert all("in_foreign_2015_10" in r.critical for r in expected)
    assert main(["sources", "member(X, alliance41)"]) == 0
    out = capsys.readouterr().out
    assert "single source: in_foreign_2015_10" in out and "single-source)" in out
    assert main(["sources", "member(nusra, alliance41)"]) == 1
    assert capsys.readouterr().out.strip() == "no answers"


def test_inconsistencies_and_check_take_a_selection(bundled: KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    main(["inconsistencies", "--format", "json", "--trust", "reliable"])
    found = json.loads(capsys.readouterr().out)
    assert [(i["kind"], i["args"]) for i in found] == \
        [(i.kind, list(i.args)) for i in bundled.inconsistencies(Selection("reliable"))]
    assert len(found) < len(bundled.inconsistencies())
    assert main(["check", "--trust", "confirmed", "-q"]) == 1, "the bundled checks expect the claims to count"
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize(("options", "message", "mark"), [
    (["--at", "2015-10-32"], "--at:1:9: not a date: '2015-10-32'", "        ^^"),
    (["--known-on", "5 Oct 2015"], "--known-on:1:1: not a date: '5 Oct 2015'", "    ^^^^^^^^^^"),
    (["--trust", "reliabel"], "unknown trust policy reliabel", "did you mean 'reliable'?"),
    (["--without", "in_foreign"], "unknown source in_foreign", "did you mean 'in_foreign_2015_10'?"),
])
def test_mistakes_in_the_options_are_pointed_at(options: list[str], message: str, mark: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["sources", "member(X, Y)"], ["why", "member(nusra, jaish_al_fatah)"]):
        assert main([*command, *options]) == 2
        err = capsys.readouterr().err
        assert message in err and mark in err and "Traceback" not in err


@pytest.mark.thorough
def test_sources_of_every_inconsistency(bundled: KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--inconsistencies", "--format", "json", "--trust", "reliable"]) == 1
    items = json.loads(capsys.readouterr().out)
    found = bundled.inconsistencies(Selection("reliable"))
    assert [(i["kind"], i["args"], i["message"]) for i in items] == [(f.kind, list(f.args), f.message) for f in found]
    for item in items:
        rel = item["kind"]
        critical = {r.row: r.critical for r in rests_on(bundled, f"{rel}({', '.join(f'X{i}' for i in range(len(item['args'])))})",
                                                         Selection("reliable"))}
        assert [c["source"] for c in item["critical"]] == list(critical[tuple(item["args"])])
        assert item["single_source"] == (len(critical[tuple(item["args"])]) == 1)
    assert main(["sources", "--inconsistencies"]) == 1
    out = capsys.readouterr().out
    assert f"({len(bundled.inconsistencies())} inconsistencies, " in out and "single-source)" in out
    assert main(["sources"]) == 2
    assert "name a query, or --inconsistencies" in capsys.readouterr().err


def test_graph_draws_what_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "--format", "dot"]) == 0
    everything = capsys.readouterr().out.count(" -> ")
    assert main(["graph", "--format", "dot", "--without", "in_foreign_2015_10"]) == 0
    without = capsys.readouterr().out
    assert 0 < without.count(" -> ") < everything
    assert main(["graph", "--format", "dot", "--at", "2015-10-32"]) == 2
    assert "not a date" in capsys.readouterr().err
