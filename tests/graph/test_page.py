"""The link chart's page as a person sees it: opened in Debian's chromium (headless, through
playwright), it loads with no network request and no console error, draws the graph's nodes and
edges, shows an edge's statements and sources on a click and a node's aliases on another, finds an
entity by alias, hides what did not hold on a date, runs no script a name smuggles in, and its
screenshot is not blank.

Needs chromium (`make browser`, which `make test` runs, installs it). Without it the tests say so
and skip, except under CI, where they fail."""

from __future__ import annotations

import datetime
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matplotlib import image
from playwright.sync_api import Browser, Page, sync_playwright

from allegiance.graph import Scope, build, write
from allegiance.graph.html import date_range
from allegiance.kb import KnowledgeBase
from allegiance.selection import Selection

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        message = "chromium is not installed: run `make browser` (apt-get install chromium) to open the page"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Opened:
    """A page opened from a file, with every request, console message and dialog it made."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page: Page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready=yes]", timeout=30_000)

    def js(self, code: str) -> Any:
        return self.page.evaluate(code)

    def click_element(self, selector: str) -> None:
        """Click an element of the chart where a person would see it: fitted into view, at its middle."""
        x, y = self.js(f"""(() => {{
            const cy = window.allegianceGraph, e = cy.$({selector!r});
            cy.fit(e, 250);
            const p = e.isEdge() ? e.renderedMidpoint() : e.renderedPosition();
            const box = document.getElementById("cy").getBoundingClientRect();
            return [p.x + box.left, p.y + box.top];
        }})()""")
        self.page.mouse.click(x, y)

    def details(self) -> str:
        return self.page.inner_text("#details")


def open_graph(browser: Browser, tmp_path: Path, kb: KnowledgeBase, scope: Scope) -> tuple[Opened, Any]:
    graph = build(kb, scope)
    path = tmp_path / "graph.html"
    path.write_bytes(write(graph, "html"))
    return Opened(browser, path), graph


def edge_selector(opened: Opened, a: str, b: str, key: str) -> str:
    found: str = opened.js(f"window.allegianceGraph.edges().filter(e => e.data('source') === {a!r} && "
                           f"e.data('target') === {b!r} && e.data('key') === {key!r})[0].id()")
    return "#" + found


def test_page_draws_the_graph_offline_and_shows_details(browser: Browser, tmp_path: Path, small: KnowledgeBase) -> None:
    opened, graph = open_graph(browser, tmp_path, small, Scope(relations=("all",)))
    assert opened.requests == [opened.url]  # the file itself, nothing else
    assert opened.errors == [] and opened.dialogs == []
    assert set(opened.js("window.allegianceGraph.nodes().map(n => n.id())")) == {str(n) for n in graph.nodes}
    assert opened.js("window.allegianceGraph.edges().length") == graph.number_of_edges()
    # A person's names survive as text, the hostile one included (and it ran nothing: no dialog).
    assert opened.js("window.allegianceGraph.$('#hostile').data('name')") == small.catalog.entities["hostile"].name

    opened.click_element(edge_selector(opened, "russia", "idlib", "strikes"))
    shown = opened.details()
    assert "Russia — strikes → Idlib" in shown and "Test Wire report" in shown and "claimed, by russia" in shown
    assert "support: B6 claimed" in shown
    assert 'We struck Idlib </script> & "more"' in shown and "grade B" in shown
    assert "wire_6 · " in shown and "small.facts:" in shown  # the statement's id, file and line
    assert opened.js("window.allegianceGraph.$('#' + window.allegianceGraph.edges("
                     "\"[key = 'strikes']\")[0].id()).style('line-style')") == "dashed"  # claimed only

    opened.click_element("#nusra")
    shown = opened.details()
    assert "Nusra Front" in shown and "al-Nusra" in shown and "Jabhat al-Nusra" in shown and "kind: group" in shown

    opened.page.fill("#search-input", "jabhat")
    opened.page.click("#search button[type=submit]")
    assert opened.page.inner_text("#search-status") == "1 found"
    assert opened.js("window.allegianceGraph.$('.found').map(n => n.id())") == ["nusra"]
    opened.page.fill("#search-input", "nobody at all")
    opened.page.click("#search button[type=submit]")
    assert opened.page.inner_text("#search-status") == "no entity matches"
    assert opened.errors == [] and opened.dialogs == [] and opened.requests == [opened.url]


@pytest.mark.parametrize("relations", [None, ("backed", "ally")], ids=["stated", "derived"])
def test_time_slider_shows_the_network_on_a_date(browser: Browser, tmp_path: Path, small: KnowledgeBase,
                                                 relations: tuple[str, ...] | None) -> None:
    # derived edges (backed/2, a rule's) show on the days their fact holds, as stated ones do
    scope = Scope() if relations is None else Scope(relations=relations)
    opened, graph = open_graph(browser, tmp_path, small, scope)
    assert opened.page.is_visible("#time-slider")

    def visible_on(day: str) -> set[str]:
        shown: list[str] = opened.js(f"""(() => {{
            const slider = document.getElementById("time-slider");
            const start = Date.parse({graph_dates(graph)[0]!r});
            slider.value = String(Math.round((Date.parse({day!r}) - start) / 86400000));
            slider.dispatchEvent(new Event("input"));
            return window.allegianceGraph.edges().not(".off").map(e => e.data("key") + ":" + e.data("source")
                                                                   + ":" + e.data("target"));
        }})()""")
        assert opened.page.inner_text("#time-label") == day
        return set(shown)

    # The oracle: the knowledge base as it stood on that day (selection.py's `at`), drawn.
    lo, hi = graph_dates(graph)
    days = [d for d in ("2004-03-09", "2012-12-31", "2013-01-01", "2014-06-01", "2014-12-31", "2015-01-01", "2015-12-31")
            if lo <= d <= hi]  # the slider's range: the chart's first and last date
    assert len(days) >= 3
    for day in days:
        on_day = build(small.under(Selection(at=datetime.date.fromisoformat(day))), scope)
        expected = {f"{k}:{a}:{b}" for a, b, k in on_day.edges(keys=True)}
        assert visible_on(day) == expected, day
    # backs(cia, nusra) held 2013-2014 only, and so did backed(cia, nusra); official_of(lavrov, russia)
    # since 2004; undated ones always.
    edge = "backs:cia:nusra" if relations is None else "backed:cia:nusra"
    assert edge in visible_on("2014-06-01") and edge not in visible_on("2015-06-01")
    opened.page.uncheck("#time-on")
    assert opened.js("window.allegianceGraph.elements('.off').length") == 0
    assert opened.errors == []


def graph_dates(graph: Any) -> list[str]:
    found = date_range(graph)
    assert found is not None
    return found


def test_bundled_focus_page_and_screenshot_is_not_blank(browser: Browser, tmp_path: Path,
                                                       bundled: KnowledgeBase) -> None:
    opened, graph = open_graph(browser, tmp_path, bundled, Scope(focus="nusra", depth=1))
    assert opened.requests == [opened.url] and opened.errors == []
    assert "nusra" in opened.js("window.allegianceGraph.nodes().map(n => n.id())")
    assert opened.js("window.allegianceGraph.$('#nusra').data('role')") == "focus"
    picture = image.imread(io.BytesIO(opened.page.locator("#cy").screenshot()), format="png")
    pixels = picture.reshape(-1, picture.shape[-1])[:, :3]
    coloured = (pixels.max(axis=1) - pixels.min(axis=1) > 0.2).mean()  # node fills, coloured edges
    assert coloured > 0.002, f"the chart looks blank ({coloured:.4%} coloured pixels)"
    assert len({tuple(p) for p in (pixels * 255).astype(int)[::7]}) > 20
