"""The REPL's state and entry lexing, without a terminal: the Session (knowledge base, settings,
journal), what an entry is and when it is complete.

Input: the text of one entry (possibly several lines) and a Session. Output: the entry's kind
(`classify`), whether Enter runs it (`is_complete`), and the Session's own operations (a query, an
addition, the journal). dispatch.py puts an entry through these and through the meta-commands
(commands.py, which build on the Session); the interactive loop (app.py) and the script loop
(dispatch.run_script) both go through dispatch.py, and tests call these functions directly.

What an entry is, in order:
  `:name ...`                             a meta-command (commands.py)
  `?- body.`                              a query
  `ally(X, nusra)`                        a query: no final period
  `ally(X, nusra).`                       a query: an atom with variables and a period (Prolog habit)
  `member(fsa, alliance41).`              added: a ground fact with a period
  a rule, a statement with qualifiers, a `.source/.entity/.relation` block, an English sentence
                                          added, through kb.load_text(text, file="<repl:N>")
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from allegiance import ast, settle, terminals
from allegiance.errors import AllegianceError, ParseError, QueryTimeout, did_you_mean
from allegiance.errors import render as render_error
from allegiance.explain import support_json
from allegiance.history import Import, Operation, Retraction, SourceFile
from allegiance.kb import KnowledgeBase
from allegiance.parse import parse_program, parse_query
from allegiance.selection import Selection, time_json
from allegiance.undated import mark, undated

from . import display
from .output import Output, oops, say
from .suggest import KBIndex, is_modulo

DEFAULT_LIMIT = 20  # rows an interactive answer shows before "... N more"
_SENTENCE_START = re.compile(terminals.SENTENCE_START)
_QUALIFIER = re.compile(terminals.QUALIFIER_STARTED)  # matches `on 2015-` while the date is being typed


def data_dir() -> Path:
    """Where history and journals live: $ALLEGIANCE_DATA_DIR, else the platform's user data
    directory (on Linux $XDG_DATA_HOME/allegiance, by default ~/.local/share/allegiance)."""
    override = os.environ.get("ALLEGIANCE_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("allegiance", appauthor=False))


@dataclass
class JournalEntry:
    name: str  # <repl:N> or <retract:N>
    text: str


@dataclass
class Session:
    kb: KnowledgeBase
    kb_root: str | None = None  # --kb, for :check's default folder
    # the meta-commands completion offers, name -> (help, completes): commands.completion_table(),
    # passed in (dispatch.open_session does) since the commands build on the Session, not it on them
    commands: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    format: str = "table"
    limit: int | None = DEFAULT_LIMIT
    timing: bool = False
    support: bool = True  # each answer's support as a column (:support off)
    journal_path: Path | None = None
    journal: list[JournalEntry] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # texts typed, for carets
    entries: int = 0
    current_source: str | None = None  # the last .source typed: statements typed later use it
    selection: Selection = field(default_factory=Selection)  # :trust, :without, :at, :known-on
    interactive: bool = False  # a person at a terminal, who can answer a question
    columns: int | None = None  # the terminal's width, which listings fit (app.py sets it); None: no limit
    pager: str = ""  # "" the default ($ALLEGIANCE_PAGER, $PAGER, else `less -SRXF`), "off", or a command
    _journal_source: str | None = None
    _page: Callable[[], str] | None = None
    _generation: int = 0
    _index: KBIndex | None = None
    _index_generation: int = -1
    floor: int = -1  # operations in the knowledge base as the session started: `:undo` stops there

    def __post_init__(self) -> None:
        if self.floor < 0:
            self.floor = len(self.kb.history)

    @classmethod
    def from_args(cls, kb: KnowledgeBase, args: argparse.Namespace | None, interactive: bool,
                  commands: Mapping[str, tuple[str, str]]) -> Session:
        session = cls(kb, kb_root=getattr(args, "kb", None), commands=commands,
                      limit=DEFAULT_LIMIT if interactive else None, interactive=interactive)
        if interactive:
            stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
            session.journal_path = data_dir() / "journal" / f"{stamp}-{os.getpid()}.dl"
        return session

    # --- what completion reads -------------------------------------------------------------

    def changed(self) -> None:
        self._generation += 1
        settle.settle()  # what the change built, out of the garbage collector's scans (the command's own process)

    @property
    def index(self) -> KBIndex:
        """Rebuilt only after a change, so completing a keystroke never reads the knowledge base."""
        if self._index is None or self._index_generation != self._generation:
            self._index = KBIndex.from_kb(self.kb, self.commands)
            self._index_generation = self._generation
        return self._index

    @property
    def prompt(self) -> str:
        """`?- `, or with a selection set `[trust reliable, at 2015-10-01] ?- `."""
        described = self.selection.describe()
        return f"[{described}] ?- " if described else "?- "

    def all_sources(self) -> dict[str, str]:
        return {**self.kb.sources_text, **self.sources}

    def entry_name(self, kind: str = "repl") -> str:
        self.entries += 1
        return f"<{kind}:{self.entries}>"

    # --- queries -------------------------------------------------------------------------------

    def run_query(self, text: str, label: str | None = None) -> Output:
        self.sources["<query>"] = text  # an error's caret goes under this query, not an earlier one
        started = time.perf_counter()
        answers = self.kb.query(text, self.selection)
        fmt, kb = self.format, self.kb
        note, supports = "", None
        if self.support:
            view = self.kb.under(self.selection)  # graded on what counts (its own scale of grades)
            try:
                answers = view.with_supports(answers)
                supports = support_json(view, answers, statements=fmt == "json")
                if supports is not None:  # at a date, each says whether it rests on undated statements
                    supports = mark(supports, undated(self.kb, self.selection, answers))
            except QueryTimeout:
                note = "\n(support took longer than the time limit: answers shown without it; :support off or :timeout)"
        elapsed = time.perf_counter() - started
        settings = time_json(self.selection)  # JSON records :at and :known-on, as the CLI's does
        out = display.answers_text(label or text, answers, kb, fmt, self.limit, supports, settings) + note
        if fmt == "table":  # JSON and CSV stay data
            # a comparison that can never hold (analysis/kinds.py) said, above the empty answer it explains
            warned = [render_error(w, self.all_sources()) for w in kb.checked_query(text).warnings]
            out = "\n".join([*warned, out])
        self._page = lambda: display.answers_text(label or text, answers, kb, fmt, None, supports, settings)
        if self.timing:
            out += f"\n{display.seconds(elapsed)}"
        return say(out)

    def remember_page(self, text: str) -> None:
        self._page = lambda: text

    @property
    def last_page(self) -> str:
        return self._page() if self._page else ""

    # --- adding knowledge --------------------------------------------------------------------

    def add(self, text: str, confirmed: bool = False) -> Output:
        """Add what was typed. Under a current source a fact of a declared relation is a statement
        from it, as in a fact file. A fact naming a predicate nothing has yet makes a new relation:
        the REPL asks first (a name close to a known one is likely a typo), and a script refuses a
        near miss (`allly(fsa, jordan).`), as a fact file would."""
        if not confirmed:
            new = new_predicates(text, self.kb)
            if new:
                return self._confirm_new(text, new)
        name = self.entry_name("repl")
        self.sources[name] = text
        warnings_before = set(self.kb.warnings)
        report = self.kb.load_text(text, file=name, default_source=self.current_source)
        last = self.kb.history[-1]
        clauses = last.clauses if isinstance(last, SourceFile) and last.path == name else ()
        if self.current_source and not any(isinstance(c, ast.SourceBlock) for c in clauses[:1]):
            # the journal is a fact file: say which source the entry's statements came from
            if self._journal_source != self.current_source:
                self.journal_add(f".source {self.current_source}.", name)
                self._journal_source = self.current_source
        self.journal_add(text, name)
        # A `.source` typed at the prompt stays current for the statements typed after it.
        for clause in clauses:
            if isinstance(clause, ast.SourceBlock):
                self.current_source = self._journal_source = clause.id
        self.changed()
        lines = [display.report_text(report, clauses)]
        lines += [f"warning: {w}" for w in self.kb.warnings if w not in warnings_before]
        return say("\n".join(lines))

    def _confirm_new(self, text: str, new: dict[ast.PredicateSym, str | None]) -> Output:
        names = ", ".join(str(sym) for sym in new)
        hints = "; ".join(f"{sym}: {hint}" for sym, hint in new.items() if hint)
        typo = any(new.values())
        what = f"new predicate{'s' if len(new) > 1 else ''} {names}"
        if not self.interactive:
            if not typo:
                return self.add(text, confirmed=True)
            return oops(f"error: {what}, not added ({hints})\n"
                        "    a predicate of its own needs a rule or a `.decl` first; a fact of a declared "
                        "relation needs its exact name")
        warning = f"warning: {what} ({hints})" if typo else ""
        return Output(text=warning, confirm=f"add {what}? [{'y/N' if typo else 'Y/n'}] ",
                      then=lambda: self._add_confirmed(text), default=not typo)

    def _add_confirmed(self, text: str) -> Output:
        try:
            return self.add(text, confirmed=True)
        except AllegianceError as exc:
            return oops(display.error_text(exc, self.all_sources()))

    # --- the journal: nothing typed is lost --------------------------------------------------

    def journal_add(self, text: str, name: str) -> None:
        self.journal.append(JournalEntry(name, text.strip()))
        self._journal_write(f"{text.strip()}\n")

    def journal_drop(self, op: Operation) -> None:
        """`:undo` took op back: forget its entry (the journal file keeps a note)."""
        name = op.path if isinstance(op, SourceFile) else None
        for i in range(len(self.journal) - 1, -1, -1):
            entry = self.journal[i]
            if entry.name == name or (isinstance(op, Retraction) and entry.name.startswith("<retract:")):
                del self.journal[i]
                self._journal_write(f"% :undo took back the entry above ({entry.name})\n")
                return

    def journal_text(self) -> str:
        header = f"% written by allegiance on {datetime.date.today().isoformat()}: what a REPL session added\n"
        return header + "".join(f"{e.text}\n" for e in self.journal)

    def _journal_write(self, text: str) -> None:
        if self.journal_path is None:
            return
        try:
            new = not self.journal_path.exists()
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
            with self.journal_path.open("a", encoding="utf-8") as f:
                if new:
                    f.write(f"% allegiance session journal, {datetime.datetime.now().isoformat(timespec='seconds')}"
                            " (:load this file to get the entries back)\n")
                f.write(text)
        except OSError:
            self.journal_path = None  # a read-only home must not stop the session; :save still works

    # --- engines -------------------------------------------------------------------------------

    def switch_engine(self, name: str) -> None:
        """A new knowledge base on engine `name`, with this one's history replayed; all or nothing."""
        old = self.kb
        new = KnowledgeBase(engine=name, timeout=old.engine.timeout, dialect=old.dialect)
        try:
            replay(old.history, new)
        except BaseException:
            new.close()
            raise
        self.kb = new
        old.close()
        self.changed()


def new_predicates(text: str, kb: KnowledgeBase) -> dict[ast.PredicateSym, str | None]:
    """The predicates the facts of `text` would create (no fact, rule or declaration has their name,
    nor does `text` itself define them), each with a did-you-mean when a known name is close."""
    try:
        clauses = parse_program(text, "<typed>", dialect=kb.dialect).clauses
    except AllegianceError:
        return {}  # loading it reports the error, with its caret
    known = {p.name for p in kb.predicates()} | set(kb.catalog.relations)
    for clause in clauses:
        if isinstance(clause, ast.Rule):
            known.add(clause.head.pred)
        elif isinstance(clause, (ast.Declaration, ast.RelationDecl)):
            known.add(clause.pred)
    new: dict[ast.PredicateSym, str | None] = {}
    for clause in clauses:
        if isinstance(clause, ast.Fact) and clause.atom.pred not in known:
            new.setdefault(clause.atom.sym, did_you_mean(clause.atom.pred, known))
    return new


def replay(history: Sequence[Operation], kb: KnowledgeBase) -> None:
    """Apply another knowledge base's history through the public API: files (consecutive ones in
    one load, as they were loaded), typed entries, retractions."""
    files: list[str] = []
    for op in [*history, None]:
        if isinstance(op, SourceFile) and op.mtime is not None:
            files.append(op.path)
            continue
        if files:
            kb.load_files(files)
            files = []
        if isinstance(op, SourceFile):
            kb.load_text(op.text, file=op.path, default_source=op.default_source)
        elif isinstance(op, Retraction):
            kb.retract(op.label)
        elif isinstance(op, Import):
            kb.import_table(op)


# --- what an entry is ----------------------------------------------------------------------------


def strip_comments(text: str) -> str:
    """The text without `%` and `//` comments (strings kept; `%` between operands is modulo)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c in '"\n':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif (c == "%" and not is_modulo(text, i)) or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _balance(code: str) -> tuple[int, bool]:
    """(open brackets and braces, inside an unterminated string)."""
    depth = 0
    in_string = False
    i = 0
    while i < len(code):
        c = code[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        i += 1
    return depth, in_string


def is_complete(text: str) -> bool:
    """Does Enter run this entry, or start another line of it? An unbalanced bracket or quote, a
    trailing comma or `:-`, a rule, block or English sentence without its end all continue; an
    empty last line runs whatever is there (the way out of an entry that can never end)."""
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1].strip():
        return True
    code = strip_comments(text).rstrip()
    first = code.lstrip()
    if not first or (first.startswith(":") and not first.startswith(":-")):
        return True
    depth, in_string = _balance(code)
    if depth > 0 or in_string:
        return False
    if code.endswith("."):
        return True
    if code.endswith((",", ":-", "?-", "=", "+", "-", "*", "/", "<", ">", "!")):
        return False
    if code.endswith("}"):
        return True
    if first.startswith("."):
        return first.startswith((".decl", ".dialect"))
    if ":-" in code or _QUALIFIER.search(code):
        return False
    return not _SENTENCE_START.match(first)  # an English statement waits for its period


def pending(text: str) -> str:
    """Why Enter went on to another line instead of running the entry ("" when it would run): the
    REPL's toolbar says so, or an open string looks like a REPL that stopped answering (issue 16)."""
    text = text.rstrip()  # the empty line Enter just made is not yet the one that runs it
    if is_complete(text):
        return ""
    code = strip_comments(text).rstrip()
    way_out = "; Enter on an empty line runs it as it is, Ctrl-C drops it"
    depth, in_string = _balance(code)
    if in_string:
        start = _open_quote(code)
        line = code.count("\n", 0, start) + 1
        column = start - (code.rfind("\n", 0, start) + 1) + 1
        return f'a string is open (the " at line {line}, column {column}): close it with "{way_out}'
    if depth > 0:
        return f"a bracket is open: close it{way_out}"
    ending = next((e for e in (":-", "?-", ",", "=", "+", "-", "*", "/", "<", ">", "!") if code.endswith(e)), None)
    if ending is not None:
        return f"the entry goes on after '{ending}'{way_out}"
    return f"a rule, block or English statement ends with '.'{way_out}"


def _open_quote(code: str) -> int:
    """Where the string left open at the end of `code` starts."""
    start, i, in_string = -1, 0, False
    while i < len(code):
        c = code[i]
        if in_string and c == "\\":
            i += 1
        elif c == '"':
            in_string = not in_string
            start = i if in_string else start
        i += 1
    return start


def classify(text: str) -> str:
    """empty | command | query | add (see the module docstring)."""
    code = strip_comments(text).strip()
    if not code:
        return "empty"
    if code.startswith(":") and not code.startswith(":-"):
        return "command"
    if code.startswith("?-"):
        return "query"
    # a negated statement ends with its period; `not ally(X, nusra), member(X, c)` is a query
    negated_statement = code.startswith(("not ", "!")) and code.endswith((".", "}"))
    if code.startswith(".") or _SENTENCE_START.match(code) or ":-" in code or negated_statement or \
            _QUALIFIER.search(code):
        return "add"
    if not code.endswith("."):
        return "query" if not code.endswith("}") else "add"
    try:
        clauses = parse_program(code, "<classify>").clauses
    except ParseError:
        try:
            parse_query(code)
        except ParseError:
            return "add"  # neither reads; the loader's error says why
        return "query"
    if len(clauses) == 1 and isinstance(clauses[0], ast.Fact) and \
            not all(isinstance(a, ast.Constant) for a in clauses[0].atom.args):
        return "query"
    if all(isinstance(c, ast.Query) for c in clauses):
        return "query"
    return "add"
