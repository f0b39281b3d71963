"""Meta-commands: `:name ARGS` -> Output. Each registers itself with @special_command, which also
feeds `:help` and tells completion what its arguments are (files, predicates, commands, choices).

Input: a Session and the text after the command's name. Output: an Output (text, error, quit).
Handlers raise AllegianceError for a user's mistake; dispatch.dispatch renders it with its caret.
The commands build on the Session (session.py), which never imports them: it gets their names for
completion from `completion_table`, through dispatch.open_session.

Why one module: it is the registry of meta-commands, each a short handler; `:help` lists them in the
order they are defined here.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from allegiance import ast, suggested
from allegiance.errors import (
    AllegianceError,
    LoadError,
    QueryInterrupted,
    UnknownPredicateError,
    did_you_mean,
)
from allegiance.history import Import, Retraction, SourceFile
from allegiance.provenance import BUILT_IN_NAMES
from allegiance.selection import time_json

from . import display
from .output import Output, oops, say
from .session import Session
from .treewrap import wrap_tree

Handler = Callable[[Session, str], Output]


@dataclass(frozen=True)
class Command:
    name: str
    args: str  # usage, as :help shows it: "FILE..."
    help: str  # one line
    handler: Handler
    completes: str = ""  # files | predicate | command | datalog | fact | choice:a|b; then " --flag ..." offered too
    aliases: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        return f":{self.name}" + (f" {self.args}" if self.args else "")

    @property
    def doc(self) -> str:
        return (self.handler.__doc__ or "").strip()


COMMANDS: dict[str, Command] = {}
ALIASES: dict[str, str] = {}


def special_command(name: str, args: str, help: str, completes: str = "",
                    aliases: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    """Register a meta-command; its docstring is what `:help NAME` shows below the usage line."""
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, args, help, handler, completes, aliases)
        for alias in aliases:
            ALIASES[alias] = name
        return handler
    return register


def lookup(name: str) -> Command | None:
    return COMMANDS.get(ALIASES.get(name, name))


def completion_table() -> dict[str, tuple[str, str]]:
    """name -> (help, completes), the part of the registry that suggest.KBIndex needs."""
    table = {c.name: (c.help, c.completes) for c in COMMANDS.values()}
    for alias, name in ALIASES.items():
        table[alias] = (f"= :{name}", COMMANDS[name].completes)
    return table


def run(session: Session, text: str) -> Output:
    """`:name args` -> the command's Output; an unknown name gets a did-you-mean."""
    name, _, rest = text.strip()[1:].partition(" ")
    command = lookup(name)
    if command is None:
        hint = did_you_mean(name, [*COMMANDS, *ALIASES]) or "type :help for the list"
        return oops(f"error: unknown command :{name}\n    {hint}")
    return command.handler(session, rest.strip())


def _usage(name: str) -> AllegianceError:
    command = COMMANDS[name]
    return AllegianceError(f"usage: {command.usage}", None, command.help)


# --- help, quit ----------------------------------------------------------------------------------

KEYS = """\
keys: Enter runs a complete entry (a line that ends with '.', a query without
      one, a command); an unfinished one continues on the next line ('|'
      prompt); Alt-Enter (Esc Enter) runs it as is. Tab completes, -> accepts
      the grey suggestion from history, Ctrl-R searches history (Enter runs
      the match), Ctrl-C clears the line or cancels a running query, Ctrl-D on
      an empty line exits. Long output goes through a pager (:pager)."""

SYNTAX = """\
queries     ally(X, nusra)        ?- ally(X, nusra).        member(X, C), not ally(X, fsa)
            ally(X, nusra).       (a period after a query with variables is fine, as in Prolog)
            member(fsa, alliance41)                          (ground: answers yes or no)
adding      member(fsa, alliance41).                         a fact (ground, with a period)
            strikes(russia, fsa) claimed by russia_mod on 2015-10-01.    a statement with qualifiers
            linked(X, Y) :- ally(X, Z), ally(Z, Y).          a rule
            Nusra Front is allied with Ahrar al-Sham.        controlled English
            .entity x { name: "X" kind: group }              blocks, as in fact files
The whole language: docs/language.md."""


HELP_COLUMN = 28  # :help's descriptions start here (+4), where pgcli's \? puts them


@special_command("help", "[COMMAND|syntax]", "list the commands, or explain one", completes="command",
                 aliases=("h", "?"))
def _help(session: Session, arg: str) -> Output:
    """With a command's name, its usage and what it does; `:help syntax` shows what can be typed."""
    arg = arg.strip().lstrip(":")
    if arg == "syntax":
        return say(SYNTAX)
    if arg:
        command = lookup(arg)
        if command is None:
            hint = did_you_mean(arg, COMMANDS) or "type :help for the list"
            return oops(f"error: no command :{arg}\n    {hint}")
        text = f"{command.usage}\n    {command.help}"
        if command.doc:
            text += "\n\n" + "\n".join("    " + line.strip() for line in command.doc.splitlines())
        if command.aliases:
            text += "\n\n    also: " + ", ".join(":" + a for a in command.aliases)
        return say(text)
    # one column of usages, as wide as most of them; a longer usage has its line to itself
    width = min(HELP_COLUMN, max(len(c.usage) for c in COMMANDS.values()))
    lines = ["Type a query (ally(X, nusra)), a fact, statement or rule to add (ending",
             "with '.'), or a command:", ""]
    import textwrap

    columns = session.columns or 100
    room = max(30, columns - width - 5)  # descriptions wrap to fit the terminal
    for c in COMMANDS.values():
        described = textwrap.wrap(c.help, room) or [""]
        if len(c.usage) > width:  # the usage on lines of its own, the description below it
            lines += textwrap.wrap(c.usage, columns - 1, initial_indent="  ", subsequent_indent="      ",
                                   break_on_hyphens=False)
            described.insert(0, "")
        else:
            lines.append(f"  {c.usage:<{width}}  {described[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in described[1:]]
    lines += ["", KEYS, "", ":help COMMAND for more; :help syntax for what can be typed."]
    return say("\n".join(lines))


@special_command("quit", "", "leave (Ctrl-D does too)", aliases=("q", "exit"))
def _quit(session: Session, arg: str) -> Output:
    return Output(quit=True)


# --- changing the knowledge base ------------------------------------------------------------------


@special_command("load", "FILE... [--dry-run]", "load fact and rule files or folders, all or nothing",
                 completes="files")
def _load(session: Session, arg: str) -> Output:
    """Loads *.facts and *.dl files (folders: every such file in them) in one step: if any file has
    an error, nothing is loaded. The report says what changed: new statements, corroborations,
    contradictions, derived facts gained and lost, inconsistencies (those under the selection in
    use: :trust, :without, :at, :known-on). `--dry-run` reports and takes the load back. `:undo`
    takes a load back."""
    words = _split(arg)
    dry_run = "--dry-run" in words
    paths = [os.path.expanduser(p) for p in words if p != "--dry-run"]
    if not paths:
        raise _usage("load")
    from allegiance import changes

    try:
        text = changes.load_with_report(session.kb, paths, dry_run=dry_run, selection=session.selection).render_text()
    except QueryInterrupted:  # Ctrl-C: say what was taken back, not a bare "interrupted"
        raise QueryInterrupted(f"load of {', '.join(paths)} interrupted", None,
                               "it was taken back: the knowledge base is as it was") from None
    session.changed()
    return say(text)


class _Arguments(argparse.ArgumentParser):
    """argparse for a command's flags: a mistake is an error to show, never an exit."""

    def error(self, message: str) -> NoReturn:
        raise AllegianceError(f"{self.prog}: {message}", None, f"usage: {self.usage}")


@special_command("import", "FILE.csv --relation R --source ID [--columns a,b] [--require-entities] [--dry-run]",
                 "add a CSV file's rows as statements of one relation from one source", completes="files")
def _import(session: Session, arg: str) -> Output:
    """As `allegiance import`: every row of the CSV file becomes a statement of relation R from
    source ID (both declared in a fact file), its columns chosen by --columns (default: the
    relation's argument names), in one step: a bad cell anywhere and nothing is imported. A value
    naming an entity becomes that entity; --require-entities makes any other value an error. The
    report says what changed; `--dry-run` takes it back, `:undo` too."""
    from allegiance.importing import import_csv

    parser = _Arguments(prog=":import", add_help=False, usage=COMMANDS["import"].usage.removeprefix(":import "))
    parser.add_argument("file")
    parser.add_argument("--relation", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--columns")
    parser.add_argument("--require-entities", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(_split(arg))
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    report = import_csv(session.kb, os.path.expanduser(args.file), args.relation, args.source, columns,
                        require_entities=args.require_entities, dry_run=args.dry_run)
    session.changed()
    return say(report.render_text())


@special_command("reload", "", "re-read the files that changed on disk, and say what that changed")
def _reload(session: Session, arg: str) -> Output:
    from allegiance import changes

    try:
        text = changes.reload_command(session.kb)
    except AllegianceError as exc:
        return oops(_as_on_disk(exc, session))
    session.changed()
    return say(text)


def _as_on_disk(exc: AllegianceError, session: Session) -> str:
    """The error drawn with the lines of its files as they are on disk now (a :reload or an
    engine switch read them again), not as the session first loaded them."""
    from allegiance.errors import flatten

    on_disk: dict[str, str] = {}
    for err in flatten(exc):
        if err.span is not None and os.path.isfile(err.span.file):
            with contextlib.suppress(OSError):
                on_disk[err.span.file] = Path(err.span.file).read_text(encoding="utf-8", errors="replace")
    return display.error_text(exc, {**session.all_sources(), **on_disk})


@special_command("retract", "FACT", "remove a fact (however it was added)", completes="fact")
def _retract(session: Session, arg: str) -> Output:
    """`:retract ally(a, b)` removes the fact from the knowledge base, whichever file or entry stated
    it. The period is optional. `:undo` takes the retraction back."""
    if not arg:
        raise _usage("retract")
    text = arg if arg.rstrip().endswith(".") else arg.rstrip() + "."
    name = session.entry_name("retract")
    session.sources[name] = text
    count = session.kb.retract(text, file=name)
    if not count:
        return say(f"no such fact: {arg} (nothing retracted)")
    session.journal_add(f"% :retract {text}", name)
    session.changed()
    return say(f"retracted {display.plural(count, 'fact')}")


@special_command("undo", "", "take back the last change (an addition, a load, a retraction)")
def _undo(session: Session, arg: str) -> Output:
    """Takes back, last first, what this session changed; the knowledge base as the session
    started (the files named on the command line, or the bundled one) stays."""
    if len(session.kb.history) <= session.floor:
        return say("nothing to undo (the knowledge base is as the session started)")
    op = session.kb.undo()
    if op is None:
        return say("nothing to undo")
    session.changed()
    if isinstance(op, Retraction):
        session.journal_drop(op)
        return say(f"took back :retract {op.label}")
    if isinstance(op, Import):
        return say(f"took back the import of {op.path} ({display.plural(op.table.count, 'row')})")
    assert isinstance(op, SourceFile)
    if op.path.startswith("<repl:"):
        session.journal_drop(op)
        return say(f"took back {op.text.strip()}")
    return say(f"took back the load of {op.path}")


@special_command("save", "FILE", "write what this session added to FILE (a .dl file)", completes="files")
def _save(session: Session, arg: str) -> Output:
    """Writes every fact, statement and rule typed in this session and not undone, in the order
    typed, to FILE (overwriting it); retractions appear as comments. `:load FILE` reads it back.
    Every entry is also journaled as you type it (see `:journal`)."""
    paths = _split(arg)
    if len(paths) != 1:
        raise _usage("save")
    path = Path(os.path.expanduser(paths[0]))
    text = session.journal_text()
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LoadError(f"cannot write {path}: {exc.strerror or exc}", None) from None
    count = len(session.journal)
    note = ""
    if path.suffix == ".facts":
        note = "\n    note: in a .facts file every statement needs a .source block; .dl keeps them as plain facts"
    return say(f"wrote {display.plural(count, 'entry', 'entries')} to {path}{note}")


@special_command("journal", "", "show what this session added, and where it is journaled")
def _journal(session: Session, arg: str) -> Output:
    where = f"journal file: {session.journal_path}" if session.journal_path else "not journaled to a file"
    body = session.journal_text().rstrip() if session.journal else "(nothing added yet)"
    return say(f"{body}\n{where}")


# --- looking around ------------------------------------------------------------------------------


@special_command("facts", "PRED", "list a relation's rows (base and derived)", completes="predicate")
def _facts(session: Session, arg: str) -> Output:
    """`:facts member` or `:facts member/2`: every row, as `member(X, Y)` would answer."""
    if not arg:
        names = ", ".join(f"{p.name}/{p.arity}" for p in session.kb.predicates())
        return say(f"usage: :facts PRED\npredicates: {names}")
    sym = _predicate(session, arg)
    infos = session.index.predicates.get(sym.name, [])
    params = next((i.params for i in infos if i.arity == sym.arity), tuple(f"arg{i + 1}" for i in range(sym.arity)))
    columns = tuple(p.capitalize() if p[:1].islower() else p for p in params)
    query = f"{sym.name}({', '.join(columns)})"
    return session.run_query(query, arg)


@special_command("rules", "[PRED]", "list the rules (of one predicate)", completes="predicate")
def _rules(session: Session, arg: str) -> Output:
    name, _, arity = arg.partition("/")
    rules = [r for r in session.kb.rules
             if not name or (r.head.pred == name and (not arity or str(len(r.head.args)) == arity))]
    if not rules:
        if name and name not in {p.name for p in session.kb.predicates()}:
            hint = did_you_mean(name, {p.name for p in session.kb.predicates()})
            return oops(f"error: unknown predicate {arg}" + (f"\n    {hint}" if hint else ""))
        return say(f"no rules for {arg}" if arg else "no rules")
    lines = []
    for rule in rules:
        where = f"  % {rule.span.file}:{rule.span.line}" if rule.span.line else ""
        lines.append(f"{rule}{where}")
    return say("\n".join(lines))


@special_command("schema", "[PRED]", "relations: arity, argument names, phrases, messages", completes="predicate")
def _schema(session: Session, arg: str) -> Output:
    kb = session.kb
    lines: list[str] = []
    declared: set[tuple[str, int]] = set()
    relations = sorted(kb.catalog.relations.values(), key=lambda r: r.sym.name)
    for rel in [*relations, *kb.inconsistency_relations()]:
        if (arg and rel.sym.name != arg.partition("/")[0]) or (rel.sym.name, rel.sym.arity) in declared:
            continue  # (an inconsistency is in the catalog's relations too: list it once)
        declared.add((rel.sym.name, rel.sym.arity))
        params = ", ".join(p.name + (f": {p.type}" if p.type not in ("symbol", "string") else "") for p in rel.params)
        flags = " (symmetric)" if rel.symmetric else ""
        kind = "inconsistency" if rel.inconsistency else "relation"
        lines.append(f"{kind} {rel.sym.name}({params}){flags}  {rel.sym.name}/{rel.sym.arity}")
        if rel.doc:
            lines.append(f"    {rel.doc}")
        for template in rel.phrases:
            lines.append(f"    phrase:   {template.text}")
        for template in rel.negatives:
            lines.append(f"    negative: {template.text}")
        if rel.message:
            lines.append(f"    message:  {rel.message}")
    others = [p for p in kb.predicates() if (p.name, p.arity) not in declared and not p.name.startswith("no_")
              and (not arg or p.name == arg.partition("/")[0])]
    if others:
        defined = {r.head.pred for r in kb.rules}
        if lines:
            lines.append("")
        lines.append("other predicates:")
        for p in others:
            how = "rules" if p.name in defined else "built in" if p.name in BUILT_IN_NAMES else "facts"
            lines.append(f"    {p.name}/{p.arity}  ({how})")
    if not lines:
        hint = did_you_mean(arg, {p.name for p in kb.predicates()})
        return oops(f"error: unknown predicate {arg}" + (f"\n    {hint}" if hint else ""))
    return say("\n".join(lines))


@special_command("entities", "[TEXT]", "entities: id, name, kind, aliases (those matching TEXT)")
def _entities(session: Session, arg: str) -> Output:
    needle = arg.lower()
    rows = []
    for ent in sorted(session.kb.catalog.entities.values(), key=lambda e: e.id):
        names = [ent.id, ent.name, *ent.aliases]
        if needle and not any(needle in n.lower() for n in names):
            continue
        rows.append((ent.id, ent.name, ent.kind, "; ".join(ent.aliases)))
    if not rows:
        return say(f"no entity matches {arg!r}" if arg else "no entities")
    text = display.listing(("id", "name", "kind", "aliases"), rows, session.limit, session.columns)
    session.remember_page(display.listing(("id", "name", "kind", "aliases"), rows, width=session.columns))
    return say(text)


@special_command("sources", "[QUERY]", "sources: id, publisher, date, reliability, title; with a query, the sources "
                 "each answer cannot do without", completes="datalog")
def _sources(session: Session, arg: str) -> Output:
    """Without an argument, every source. With a query (or a fact), each answer and the sources it
    cannot do without: leave any one of them out and the answer goes (`single source` when that is
    one source). Under the selection in use (:trust, :without, :at, :known-on)."""
    if arg.strip():
        return _rests_on(session, arg.strip().removesuffix("."))
    # an assumed date says so, as in `why`: the curator's inference, not printed in the source
    rows = [(s.id, s.publisher, (s.date_text() + (" (assumed)" if s.date_assumed else "")) if s.date else "",
             s.reliability, s.title)
            for s in sorted(session.kb.catalog.sources.values(), key=lambda s: s.id)]
    if not rows:
        return say("no sources")
    columns = ("id", "publisher", "date", "reliability", "title")
    session.remember_page(display.listing(columns, rows, width=session.columns))
    return say(display.listing(columns, rows, session.limit, session.columns))


def _rests_on(session: Session, text: str) -> Output:
    import json

    from allegiance.explain.critical import reliance_json, reliance_text, rests_on
    from allegiance.parse import parse_query

    session.sources["<query>"] = text
    query = parse_query(text, dialect=session.kb.dialect)
    found = rests_on(session.kb, query, session.selection)
    if session.format == "json":
        return say(json.dumps({**reliance_json(query, found, session.kb), **time_json(session.selection)}, ensure_ascii=False))
    return say(wrap_tree(reliance_text(query, found, session.kb), session.columns))


@special_command("inconsistencies", "", "what does not add up: each message, its support, its weakest premise, "
                                         "single-source ones flagged")
def _inconsistencies(session: Session, arg: str) -> Output:
    found = session.kb.inconsistencies(session.selection)
    if not found:
        return say("no inconsistencies")
    from allegiance.explain.findings import finding_lines, findings, summary_line

    # the same lines as `allegiance inconsistencies`: support, weakest premise, single-source flag
    results = findings(session.kb, session.selection, found, support=session.support, sources=session.support)
    return say(wrap_tree("\n".join([*(line for f in results for line in finding_lines(f)), summary_line(results)]),
                         session.columns))


@special_command("timeline", "QUERY | --inconsistencies", "when each answer holds: its maximal periods of validity",
                 completes="datalog --inconsistencies")
def _timeline(session: Session, arg: str) -> Output:
    """Each answer's maximal periods (open ends shown as such), in the :format in use; a note marks
    where an answer holds only because undated statements count. A relation's name alone stands
    for all of it: `:timeline help_while_striking`; `:timeline --inconsistencies` gives every
    inconsistency relation's, all from one evaluation. Under the selection in use (:trust,
    :without, :known-on); :at is set aside, since a timeline covers every date."""
    if not arg:
        raise _usage("timeline")
    from allegiance import timeline, timeline_render

    text = arg.rstrip().removesuffix(".")
    selection, note = session.selection, ""
    if selection.at is not None:  # a timeline covers every date: :at is set aside, not an error
        selection, note = selection.replace(at=None), f"\n(:at {selection.at} set aside: a timeline covers every date)"
    fmt, settings = session.format, time_json(selection)
    if text == "--inconsistencies":  # as `allegiance timeline --inconsistencies`
        every = timeline.timelines(session.kb, [rel.sym.name for rel in session.kb.inconsistency_relations()], selection)
        session.remember_page(timeline_render.render_many(every, fmt, None, settings) + note)
        return say(timeline_render.render_many(every, fmt, session.limit, settings) + note)
    session.sources["<query>"] = text  # an error in it is drawn with its caret
    found = timeline.timeline(session.kb, text, selection)
    session.remember_page(timeline_render.render(found, fmt, None, settings) + note)
    return say(timeline_render.render(found, fmt, session.limit, settings) + note)


@special_command("more", "", "show the last answer in full, through a pager")
def _more(session: Session, arg: str) -> Output:
    if not session.last_page:
        return say("nothing to show: run a query first")
    return Output(text=session.last_page, page=True)


# --- explanation and checks -------------------------------------------------------------------


@special_command("why", "FACT", "why a fact holds: its proof down to statements and sources", completes="fact")
def _why(session: Session, arg: str) -> Output:
    if not arg:
        raise _usage("why")
    from allegiance import explain

    session.sources["<query>"] = arg  # an error in the fact points into what was typed here
    answer = explain.why(session.kb, arg, selection=session.selection)
    if answer.holds and session.support:
        answer = explain.graded_why(session.kb.under(session.selection), answer)
    # the commands it suggests, as meta-commands; long lines wrapped at spaces, under their branch
    return say(wrap_tree(suggested.for_repl(explain.render_tree(answer)), session.columns))


@special_command("whynot", "FACT", "why a fact does not hold: nearest statements, failing literals",
                 completes="fact")
def _whynot(session: Session, arg: str) -> Output:
    if not arg:
        raise _usage("whynot")
    from allegiance import explain

    session.sources["<query>"] = arg
    answer = explain.why_not(session.kb, arg, selection=session.selection)
    if session.support:
        answer = explain.graded_why_not(session.kb.under(session.selection), answer)
    return say(wrap_tree(suggested.for_repl(explain.render_tree(answer)), session.columns))


@special_command("graph", "[QUERY] [--focus E [--depth N] | --why FACT] [--relations L] [--format F] [-o FILE] [--no-open]",
                 "draw the network as a link chart (an offline HTML page by default) and open it", completes="fact")
def _graph(session: Session, arg: str) -> Output:
    """As `allegiance graph`: the whole knowledge base, an entity's neighbourhood (--focus nusra
    --depth 2), a query's answers (:graph backed(usa, G), tied(G, T)) or a proof (--why FACT), with
    --relations (default: belonging, alliance, backing, hostility). Writes graph.html (or -o FILE;
    --format svg, png, graphml, gexf, dot: graph.svg and so on) and opens a page or picture in the browser when this
    machine has a display (not with --no-open)."""
    from allegiance.cli.graph_options import graph_options, scope, summary, write_graph
    from allegiance.graph import build

    from . import browser

    parser = _Arguments(prog=":graph", add_help=False, usage=COMMANDS["graph"].usage.removeprefix(":graph "))
    parser.add_argument("query", nargs="*")
    parser.add_argument("--no-open", action="store_true")
    graph_options(parser)
    args = parser.parse_args(_split(arg))
    args.query = " ".join(args.query) or None
    graph = build(session.kb.under(session.selection), scope(args))  # what counts: :trust, :at, ...
    if not graph.number_of_nodes():
        return oops(graph.graph.get("message") or "nothing to draw: no link of the chosen relations")
    target = args.output or f"graph.{args.format}"  # a file in every format: the REPL's screen is for text
    try:
        write_graph(graph, args.format, os.path.expanduser(target))
    except OSError as exc:
        return oops(f"error: cannot write {target}: {exc.strerror or exc}")
    text = f"wrote {target} ({summary(graph)})"
    if not args.no_open and args.format in ("html", "svg", "png") and browser.open_file(target):
        text += ", opened in the browser"
    return say(text)


@special_command("check", "[FILES]", "run check files (default: the knowledge base's checks/)", completes="files")
def _check(session: Session, arg: str) -> Output:
    from allegiance import checks

    if arg:
        paths = checks.check_paths(os.path.expanduser(p) for p in _split(arg))
    else:
        root = Path(session.kb_root) if session.kb_root else checks.bundled_root()
        folder = root / checks.CHECKS_DIR if root else None
        paths = sorted(folder.glob(f"*{checks.SUFFIX}")) if folder and folder.is_dir() else []
        if not paths:
            raise LoadError("no check files found", None, "name them: :check FILE.check")
    checker = checks.Checker(session.kb, session.selection)
    lines: list[str] = []
    passed = failed = 0
    for path in paths:
        check_file = checks.read_checks(path)
        session.sources[check_file.path] = check_file.text
        for check in check_file.checks:
            outcome = checker.run(check)
            lines += checks.outcome_lines(outcome)
            passed += outcome.passed
            failed += not outcome.passed
    lines.append(checks.summary(passed, failed))
    return say("\n".join(lines))


# --- settings ------------------------------------------------------------------------------------


@special_command("engine", "[duckdb|pydatalog]", "show the engine, or switch to another", completes="choice:duckdb|pydatalog")
def _engine(session: Session, arg: str) -> Output:
    """Switching builds a new knowledge base on the other engine and replays this session's
    history into it (files are re-read from disk); the old one stays if anything fails."""
    from allegiance.engines import ENGINES

    if not arg:
        limit = session.kb.engine.timeout
        return say(f"{session.kb.engine_name} (time limit {f'{limit:g} s' if limit else 'none'})")
    if arg not in ENGINES:
        hint = did_you_mean(arg, ENGINES) or f"choose one of {', '.join(ENGINES)}"
        return oops(f"error: no engine {arg!r}\n    {hint}")
    if arg == session.kb.engine_name:
        return say(f"already on {arg}")
    if session.kb.store is not None:
        # the other engine would hold the session in memory: what is typed would no longer be kept
        return oops(f"error: this session keeps its knowledge base in --db {session.kb.store.path}, which only "
                    "the DuckDB engine can hold\n    start allegiance without --db to switch engines")
    started = time.perf_counter()
    try:
        session.switch_engine(arg)
    except AllegianceError as exc:
        return oops(f"{_as_on_disk(exc, session)}\n"
                    f"still on {session.kb.engine_name}: the session's history could not be replayed on {arg}")
    return say(f"now on {arg} {display.seconds(time.perf_counter() - started)}")


@special_command("timeout", "[S|off]", "show or set the time limit per query, in seconds",
                 completes="choice:off|5|30|60")
def _timeout(session: Session, arg: str) -> Output:
    engine = session.kb.engine
    if arg:
        if arg in ("off", "none", "0"):
            engine.timeout = None
        else:
            try:
                value = float(arg)
            except ValueError:
                raise _usage("timeout") from None
            if value < 0:
                raise _usage("timeout")
            engine.timeout = value
    return say(f"time limit: {f'{engine.timeout:g} s' if engine.timeout else 'none'}")


@special_command("time", "on|off", "show how long each query takes", completes="choice:on|off")
def _time(session: Session, arg: str) -> Output:
    if arg not in ("on", "off", ""):
        raise _usage("time")
    if arg:
        session.timing = arg == "on"
    return say(f"timing {'on' if session.timing else 'off'}")


@special_command("pager", "[on|off|COMMAND]", "page long output (default: less -SRXF), or not",
                 completes="choice:on|off")
def _pager(session: Session, arg: str) -> Output:
    """Output taller than the terminal goes through a pager, as in pgcli: by default
    $ALLEGIANCE_PAGER, else $PAGER, else `less -SRXF` (long lines scroll sideways; one screen or
    less prints as is). `:pager off` prints everything; `:pager COMMAND` pages through COMMAND.
    Never used when the output is not a terminal."""
    if arg:
        session.pager = "" if arg == "on" else arg
    shown = session.pager or "on (" + " ".join(default_pager()) + ")"
    return say(f"pager {shown}")


def default_pager() -> list[str]:
    """The pager when none is set: $ALLEGIANCE_PAGER, else $PAGER, else less -SRXF."""
    import shlex

    command = os.environ.get("ALLEGIANCE_PAGER") or os.environ.get("PAGER") or "less -SRXF"
    return shlex.split(command)


@special_command("format", "table|csv|json", "how answers print", completes="choice:table|csv|json")
def _format(session: Session, arg: str) -> Output:
    from allegiance.render import FORMATS

    if arg and arg not in FORMATS:
        raise _usage("format")
    if arg:
        session.format = arg
    return say(f"format {session.format}")


@special_command("support", "on|off", "show each answer's support (the grade of its best evidence)",
                 completes="choice:on|off")
def _support(session: Session, arg: str) -> Output:
    if arg in ("on", "off"):
        session.support = arg == "on"
    elif arg:
        raise _usage("support")
    return say(f"support {'on' if session.support else 'off'}")


@special_command("limit", "N|none", "rows shown before '... N more' (:more shows the rest)",
                 completes="choice:none|20|100")
def _limit(session: Session, arg: str) -> Output:
    if arg in ("none", "off", "0"):
        session.limit = None
    elif arg:
        if not arg.isdigit():
            raise _usage("limit")
        session.limit = int(arg)
    return say(f"limit {session.limit if session.limit is not None else 'none'}")


def _predicate(session: Session, arg: str) -> ast.PredicateSym:
    """`member` or `member/2` -> member/2; an unknown name gets a did-you-mean."""
    name, _, arity = arg.partition("/")
    preds = session.kb.predicates()
    matches = [p for p in preds if p.name == name and (not arity or str(p.arity) == arity)]
    if not matches:
        hint = did_you_mean(name, {p.name for p in preds})
        arities = sorted(p.arity for p in preds if p.name == name)
        if arities:
            hint = f"{name} takes {', '.join(map(str, arities))} arguments"
        raise UnknownPredicateError(f"unknown predicate {arg}", None, hint)
    return matches[0]


def _split(arg: str) -> list[str]:
    """Arguments separated by blanks; "quoted names" may hold blanks."""
    import shlex

    try:
        return shlex.split(arg)
    except ValueError:
        return arg.split()


__all__ = ["COMMANDS", "Command", "completion_table", "lookup", "run", "special_command"]
