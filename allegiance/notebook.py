"""The IPython extension: allegiance in Jupyter.

Stage: a front end, like the CLI and the REPL, over the same stages. Input: magics typed in a
notebook. Output: values Jupyter displays: answers (an HTML table, kb.Answers._repr_html_), a proof
as a collapsible tree (`why_html`), a link chart inline (`chart_html`: the offline page in an iframe,
or SVG), a load's summary.

    %load_ext allegiance
    %allegiance_kb [PATH]          the knowledge base: a folder (its facts/ and rules/) or files; none: the bundled one
    %allegiance QUERY              answers, e.g. %allegiance member(X, alliance41)
    %allegiance why FACT           the proof, down to statements and sources, as a collapsible tree
    %allegiance graph [OPTIONS]    a link chart inline, with `allegiance graph`'s options (--focus, --why, ...)
    %%allegiance                   a cell of facts, rules and statements to add (all or nothing)

Only `load_ipython_extension` (called by %load_ext, through allegiance/__init__.py) imports IPython,
which the rest of the package never needs.
"""

from __future__ import annotations

import argparse
import html
import shlex
from pathlib import Path
from typing import Any

from .errors import AllegianceError
from .errors import render as render_error
from .explain import Proof, Why, render_tree
from .explain.render import where
from .explain.why import why as explain_why
from .files import bundled_paths
from .kb import KnowledgeBase


def why_html(answer: Why) -> str:
    """A proof as nested <details>: each derived fact opens onto what it rests on; each stated one
    lists its statements with their source, status and quote. All text escaped."""
    if not answer.holds:
        return f"<p>{html.escape(answer.message)}</p>"
    return "".join(_proof_html(p, open_=True) for p in answer.proofs)


def _proof_html(node: Proof, open_: bool = False) -> str:
    label = html.escape(node.fact)
    if node.rule is not None:
        label += f' <small>by {html.escape(node.rule.label)} {html.escape(where(node.rule.span))}</small>'
    inner = ""
    if node.rule is not None:
        inner += f"<div><code>{html.escape(node.rule.bound)}</code></div>"
    for evidence in node.evidence:
        record, source = evidence.statement, evidence.source
        if record is not None:
            inner += (f"<div>{html.escape(record.text)} <small>[{html.escape(record.id)}, {html.escape(record.source)}, "
                      f"{html.escape(record.status)}]</small></div>")
            if record.quote:
                inner += f"<blockquote>{html.escape(record.quote)}</blockquote>"
        elif source is not None:
            inner += f"<div>source {html.escape(source.id)}: {html.escape(source.title)}</div>"
    inner += "".join(_proof_html(child) for child in node.children)
    if not inner:
        return f"<div>{label} <small>({html.escape(node.kind)})</small></div>"
    return f"<details{' open' if open_ else ''}><summary>{label}</summary><div style='margin-left:1.2em'>{inner}</div></details>"


def chart_html(page: str, height: int = 600) -> str:
    """The offline page inside an iframe (srcdoc), so its script and styles stay its own."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;border:1px solid #ddd">'
            "</iframe>")


class Rich:
    """Something Jupyter shows as HTML, and as text elsewhere."""

    def __init__(self, html_text: str, text: str) -> None:
        self.html, self.text = html_text, text

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


class Session:
    """The magics' state: one knowledge base, opened on first use (the bundled one by default)."""

    def __init__(self) -> None:
        self._kb: KnowledgeBase | None = None
        self.cells = 0

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            self.open("")
        assert self._kb is not None
        return self._kb

    def open(self, line: str) -> str:
        paths = [Path(p).expanduser() for p in shlex.split(line)]
        kb = KnowledgeBase(timeout=None)
        try:
            if not paths:
                kb.load_path(*bundled_paths())
            elif len(paths) == 1 and paths[0].is_dir() and any((paths[0] / d).is_dir() for d in ("facts", "rules")):
                kb.load_path(*(p for p in (paths[0] / "facts", paths[0] / "rules") if p.is_dir()))
            else:
                kb.load_path(*paths)
        except BaseException:
            kb.close()
            raise
        if self._kb is not None:
            self._kb.close()
        self._kb = kb
        return f"knowledge base: {kb.statement_count} statements, {len(kb.rules)} rules ({line.strip() or 'bundled'})"

    def line(self, line: str) -> object:
        word, _, rest = line.strip().partition(" ")
        if word == "why":
            answer = explain_why(self.kb, rest)
            return Rich(why_html(answer), render_tree(answer))
        if word == "graph":
            return self.graph(rest)
        return self.kb.query(line.strip())

    def graph(self, rest: str) -> Rich:
        from .cli.graph_options import graph_options, scope
        from .graph.export import write
        from .graph.model import build

        parser = argparse.ArgumentParser(prog="%allegiance graph", add_help=False, exit_on_error=False)
        parser.add_argument("query", nargs="*")
        graph_options(parser)
        try:
            args = parser.parse_args(shlex.split(rest))
        except (argparse.ArgumentError, SystemExit) as exc:
            raise AllegianceError(f"%allegiance graph: {exc}", None, "e.g. %allegiance graph --focus nusra") from None
        args.query = " ".join(args.query) or None
        chart = build(self.kb, scope(args))
        summary = f"{chart.number_of_nodes()} entities, {chart.number_of_edges()} links"
        if args.format == "svg":
            return Rich(write(chart, "svg").decode(), summary)
        return Rich(chart_html(write(chart, "html").decode()), summary)

    def cell(self, text: str) -> str:
        self.cells += 1
        report = self.kb.load_text(text, file=f"<cell:{self.cells}>")
        return f"added {report.statements} statements, {report.facts} plain facts, {report.rules} rules"


def load_ipython_extension(ipython: Any) -> None:
    """%load_ext allegiance: register %allegiance_kb, %allegiance and %%allegiance."""
    from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

    session = Session()

    def shown(run: Any) -> Any:
        # A user's mistake is drawn as on the command line (with its caret), never as a traceback.
        try:
            return run()
        except AllegianceError as exc:
            print(render_error(exc, session.kb.sources_text if session._kb else None))
            return None

    @magics_class
    class AllegianceMagics(Magics):
        @line_magic
        def allegiance_kb(self, line: str) -> object:
            return shown(lambda: print(session.open(line)))

        @line_cell_magic
        def allegiance(self, line: str, cell: str | None = None) -> object:
            if cell is not None:
                return shown(lambda: print(session.cell(cell)))
            return shown(lambda: session.line(line))

    ipython.register_magics(AllegianceMagics)


__all__ = ["Rich", "Session", "chart_html", "load_ipython_extension", "why_html"]
