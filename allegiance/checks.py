"""Check files: what a knowledge base must conclude, pinned so CI notices when a change breaks it.

Stage: after the knowledge base is loaded. Input: `checks/*.check` files (expect and accept
clauses only) and a KnowledgeBase. Output: one `Outcome` per check (passed, and the detail a
failure shows), rendered by the `allegiance check` command (cli/check.py) and by the pytest plugin
alike.

    expect indirect_ally(fsa, ahrar_al_sham).          some answer exists
    expect no ally_and_enemy(_, _).                     no answer exists (counterexamples shown)
    expect ally(X, nusra) = {ahrar_al_sham}.            the exact answer set over the named variables
    expect count member(_, alliance41) >= 2.            how many ways the query holds (`_` included)
    accept count_mismatch(russia, isis_terrain, 3, 2) because "...".

An `accept` names an inconsistency the analysts know about. It is a check of its own: the
inconsistency must occur, so a stale accept fails ("accepted but not found"). In strict mode one
more check runs after the files: every inconsistency the knowledge base has is accepted by some
file of the run. `expect no p(...)` stays literal: it never looks at accepts.

A check's name is its clause as text, or the name a `% name: my_check` comment on the line right
before it gives (the grammar has no name syntax).

Why one module: reading check files, running each check (under its selection: `expect under POLICY`,
`without SOURCE`, `at DATE`, `known on DATE`) and the strict pass are one concept, a check file's
meaning; they share the Outcome and the failure details, and split apart each would import the other.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import ast
from .errors import AllegianceError, CheckError, ErrorGroup, LoadError, did_you_mean
from .explain import answer_statements, render_tree, why_not
from .explain.findings import findings
from .explain.premise import premise_text
from .files import bundled_paths, decode, read_limited
from .kb import Inconsistency, KnowledgeBase
from .parse import parse_program
from .selection import Selection, selectors_text, with_selectors
from .support import grading

CHECKS_DIR = "checks"
SUFFIX = ".check"
MAX_COUNTEREXAMPLES = 10
STRICT_TEXT = "every inconsistency is accepted"

_NAME_COMMENT = re.compile(r"^\s*(?:%|//)\s*name\s*:\s*(\S.*?)\s*$")


# --- check files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One expectation or accept of a check file; `clause` is None for the strict check."""

    clause: ast.Expect | ast.Accept | None
    file: str
    line: int
    text: str
    name: str = ""

    @property
    def label(self) -> str:
        """What the check is called in listings, `-k` and JUnit: its name, else its text."""
        return self.name or self.text

    @property
    def location(self) -> str:
        return "--strict" if self.clause is None else f"{Path(self.file).name}:{self.line}"


@dataclass(frozen=True)
class CheckFile:
    path: str
    text: str
    checks: tuple[Check, ...]

    @property
    def accepts(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if isinstance(c.clause, ast.Accept))


def parse_checks(text: str, file: str = "<checks>") -> CheckFile:
    """Parse a check file. Raises ParseError, or CheckError for a clause that is not a check."""
    program = parse_program(text, file)
    lines = text.splitlines()
    errors: list[AllegianceError] = []
    checks: list[Check] = []
    for clause in program.clauses:
        if isinstance(clause, (ast.Expect, ast.Accept)):
            name = _name_comment(lines, clause.span.line)
            if isinstance(clause, ast.Expect) and name:
                clause = dataclasses.replace(clause, name=name)
            checks.append(Check(clause, file, clause.span.line, clause_text(clause), name))
        else:
            errors.append(CheckError(
                f"a check file holds only expect and accept clauses, not {_kind(clause)}",
                getattr(clause, "span", None),
                "facts and rules belong in the knowledge base (facts/, rules/); "
                "here write e.g. `expect ally(a, b).`"))
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)
    return CheckFile(file, text, tuple(checks))


def read_checks(path: str | os.PathLike[str]) -> CheckFile:
    """Read and parse a check file; an unreadable file is a LoadError naming it."""
    name = str(path)
    try:
        data = read_limited(path, name, kind="check files")
    except FileNotFoundError:
        raise LoadError(f"{name}: no such check file", None) from None
    except IsADirectoryError:
        raise LoadError(f"{name} is a directory", None, f"name its {SUFFIX} files") from None
    except OSError as exc:
        raise LoadError(f"{name}: {exc.strerror or exc}", None) from None
    return parse_checks(decode(data, name), name)


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The check files a command line names: files as given, folders by their *.check files."""
    found: list[Path] = []
    for path in paths:
        p = Path(path)
        found.extend(sorted(p.rglob(f"*{SUFFIX}")) if p.is_dir() else [p])
    return found


def kb_root_for(check_file: str | os.PathLike[str]) -> Path | None:
    """The knowledge base a check file belongs to: the folder holding facts/ or rules/ beside its
    checks/ folder (or beside the file itself); None when it sits in no knowledge base."""
    here = Path(check_file).resolve().parent
    for folder in (here, here.parent) if here.name == CHECKS_DIR else (here,):
        if (folder / "facts").is_dir() or (folder / "rules").is_dir():
            return folder
    return None


def kb_paths(root: Path) -> list[Path]:
    """What to load for a knowledge base folder: its facts/ and rules/, or the folder itself."""
    parts = [p for p in (root / "facts", root / "rules") if p.is_dir()]
    return parts or [root]


def bundled_root() -> Path | None:
    paths = bundled_paths()
    return paths[0].parent if paths else None


def _name_comment(lines: list[str], line: int) -> str:
    if 2 <= line <= len(lines) + 1:
        match = _NAME_COMMENT.match(lines[line - 2])
        if match:
            return match.group(1)
    return ""


def _kind(clause: ast.Clause) -> str:
    if isinstance(clause, ast.Rule):
        return "a rule"
    if isinstance(clause, (ast.Fact, ast.Statement, ast.Sentence)):
        return "a fact"
    if isinstance(clause, ast.Query):
        return "a query"
    return "a declaration"


# --- a check as text ------------------------------------------------------------------------------


def clause_text(clause: ast.Expect | ast.Accept) -> str:
    """`expect ally(X, nusra) = {ahrar_al_sham}`: the clause in one line, without its period."""
    if isinstance(clause, ast.Accept):
        return f"accept {clause.atom}"
    if clause.selectors:
        plain = clause_text(dataclasses.replace(clause, selectors=()))
        return f"expect {selectors_text(clause.selectors)}{plain.removeprefix('expect ')}"
    body = ", ".join(str(literal) for literal in clause.query.body)
    if clause.mode == "none":
        return f"expect no {body}"
    if clause.mode == "equals":
        return f"expect {body} = {{{', '.join(_row_text(r) for r in clause.answers)}}}"
    if clause.mode == "count":
        return f"expect count {body} {clause.op} {clause.count}"
    return f"expect {body}"


def _row_text(row: ast.Row) -> str:
    """A row as a check file writes it: `a`, or `(a, b)`."""
    values = ", ".join(ast.format_value(v) for v in row)
    return values if len(row) == 1 else f"({values})"


def _term_text(term: ast.Term, env: dict[str, ast.Value]) -> str:
    if isinstance(term, ast.Variable) and term.name in env:
        return ast.format_value(env[term.name])
    if isinstance(term, ast.BinOp):
        return f"{_term_text(term.left, env)} {term.op} {_term_text(term.right, env)}"
    return str(term)


def _atom_text(atom: ast.Atom, env: dict[str, ast.Value]) -> str:
    text = f"{atom.pred}({', '.join(_term_text(a, env) for a in atom.args)})"
    if atom.statement is not None:
        text += f" as {_term_text(atom.statement, env)}"
    return text


def _literal_text(literal: ast.Literal, env: dict[str, ast.Value]) -> str:
    """A body literal with a binding substituted: the counterexample a failed check shows."""
    if isinstance(literal, ast.Atom):
        return _atom_text(literal, env)
    if isinstance(literal, ast.NegLiteral):
        return f"not {_atom_text(literal.atom, env)}"
    if isinstance(literal, ast.Assignment):
        return f"{_term_text(literal.variable, env)} = {_term_text(literal.expr, env)}"
    return f"{_term_text(literal.left, env)} {literal.op} {_term_text(literal.right, env)}"


def _named_wildcards(query: ast.Query) -> ast.Query:
    """The query with every `_` of a positive atom turned into a variable of its own, so answers
    count (and show) each way the query holds. `_` under `not` stays: there it means "any"."""
    used = {v.name for v in query.variables}

    def fresh(index: int) -> str:
        name = f"_{index}"
        while name in used:
            name += "_"
        used.add(name)
        return name

    def term(t: ast.Term) -> ast.Term:
        return ast.Variable(fresh(t.index), t.span) if isinstance(t, ast.Wildcard) else t

    body = tuple(
        dataclasses.replace(lit, args=tuple(term(a) for a in lit.args)) if isinstance(lit, ast.Atom) else lit
        for lit in query.body
    )
    return dataclasses.replace(query, body=body)


# --- running checks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A check's result: passed or not, and the indented lines a failure shows."""

    check: Check
    passed: bool
    details: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Checker:
    """Runs checks against one knowledge base; the inconsistencies are computed once."""

    def __init__(self, kb: KnowledgeBase, selection: Selection | None = None) -> None:
        self.root, self.selection = kb, selection or Selection()
        self.root.under(self.selection)  # an unknown policy or source fails here
        self._found: list[Inconsistency] | None = None

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base under the selection: the statements that count only."""
        return self.root.under(self.selection)

    def inconsistencies(self) -> list[Inconsistency]:
        if self._found is None:
            self._found = self.kb.inconsistencies()
        return self._found

    def run(self, check: Check) -> Outcome:
        """Run one check. Raises AllegianceError when the check itself is wrong (an unknown
        predicate, an answer set of the wrong width, an accept of something not an inconsistency)."""
        clause = check.clause
        if isinstance(clause, ast.Accept):
            return self._accept(check, clause)
        if clause is None:
            raise CheckError("the strict check runs through Checker.strict", None)
        if clause.selectors:  # `expect under P at D ...`: its own selection, over the run's
            selection = with_selectors(self.selection, clause.selectors)
            try:
                under = Checker(self.root, selection)
            except AllegianceError as exc:  # an unknown policy or source: point at the check
                raise exc if exc.span else type(exc)(exc.message, clause.span, exc.hint) from None
            unselected = dataclasses.replace(check, clause=dataclasses.replace(clause, selectors=()))
            return dataclasses.replace(under.run(unselected), check=check)
        if clause.mode == "holds":
            return self._holds(check, clause)
        if clause.mode == "none":
            return self._none(check, clause)
        if clause.mode == "equals":
            return self._equals(check, clause)
        return self._count(check, clause)

    # expect q.
    def _holds(self, check: Check, clause: ast.Expect) -> Outcome:
        if self.kb.query(clause.query):
            return Outcome(check, True)
        return Outcome(check, False, ("no answer", *self._why_not(clause.query)))

    # expect no q.
    def _none(self, check: Check, clause: ast.Expect) -> Outcome:
        query = _named_wildcards(clause.query)
        answers = self.kb.query(query)
        if not answers:
            return Outcome(check, True)
        details = [f"{len(answers)} counterexample{'s' if len(answers) != 1 else ''}:"]
        # each with its support: a counterexample resting on one claim reads differently
        # and its weakest premise: who asserts it, who reported it, its grade (explain/premise.py)
        with_supports = self.kb.with_supports(answers) if grading(self.kb).scale.size > 1 else None
        graded = with_supports.supports if with_supports is not None else None
        shown = dataclasses.replace(with_supports, rows=with_supports.rows[:MAX_COUNTEREXAMPLES],
                                    supports=graded[:MAX_COUNTEREXAMPLES]) if with_supports and graded else None
        weakest = answer_statements(self.kb, shown) if shown is not None else []
        for n, row in enumerate(answers.rows[:MAX_COUNTEREXAMPLES]):
            premise = weakest[n] if n < len(weakest) else None
            details.append("    " + self._instance(query, dict(zip(answers.variables, row, strict=True)))
                           + (f"   [support {graded[n].label}" if graded else "")
                           + (f": rests on {premise_text(premise, self.kb.catalog)}" if premise is not None else "")
                           + ("]" if graded else ""))
        if len(answers) > MAX_COUNTEREXAMPLES:
            details.append(f"    ... and {len(answers) - MAX_COUNTEREXAMPLES} more")
        return Outcome(check, False, tuple(details))

    # expect q = {rows}.
    def _equals(self, check: Check, clause: ast.Expect) -> Outcome:
        answers = self.kb.query(clause.query)
        width = len(answers.variables)
        for row in clause.answers:
            if len(row) != width:
                names = ", ".join(answers.variables) or "none"
                raise CheckError(
                    f"the answer set has a row of {len(row)} value{'s' if len(row) != 1 else ''}, "
                    f"but the query has {width} named variable{'s' if width != 1 else ''} ({names})",
                    clause.span, "write one value per named variable, in order of appearance: (a, b)")
        expected = set(clause.answers)
        actual = set(answers.rows)
        if expected == actual:
            return Outcome(check, True)
        missing = sorted(expected - actual, key=ast.row_sort_key)
        unexpected = sorted(actual - expected, key=ast.row_sort_key)
        details: list[str] = []
        if missing:
            details.append("missing:    " + ", ".join(_row_text(r) for r in missing))
        if unexpected:
            details.append("unexpected: " + ", ".join(_row_text(r) for r in unexpected))
        details.append("actual:     {" + ", ".join(_row_text(r) for r in answers.rows) + "}")
        return Outcome(check, False, tuple(details))

    # expect count q op n.
    def _count(self, check: Check, clause: ast.Expect) -> Outcome:
        count = len(self.kb.query(_named_wildcards(clause.query)))
        if _COMPARE[clause.op](count, clause.count):
            return Outcome(check, True)
        return Outcome(check, False, (f"count is {count}, expected {clause.op} {clause.count}",))

    # accept inconsistency because "reason".
    def _accept(self, check: Check, clause: ast.Accept) -> Outcome:
        self._accept_relation(clause)
        found = self.inconsistencies()
        if any(accepts(clause, inc) for inc in found):
            return Outcome(check, True)
        same = [inc for inc in found if inc.kind == clause.atom.pred]
        details = ["accepted but not found: the knowledge base no longer has this inconsistency"]
        if same:
            details.append(f"{clause.atom.pred} has:")
            details += [f"    {_inconsistency_atom(inc)}" for inc in same[:MAX_COUNTEREXAMPLES]]
            if len(same) > MAX_COUNTEREXAMPLES:
                details.append(f"    ... and {len(same) - MAX_COUNTEREXAMPLES} more")
        else:
            details.append(f"{clause.atom.pred} finds nothing")
        return Outcome(check, False, tuple(details))

    def _accept_relation(self, clause: ast.Accept) -> None:
        atom = clause.atom
        rels = {r.sym.name: r for r in self.kb.inconsistency_relations() if r.sym in self.kb.program.types}
        rel = rels.get(atom.pred)
        if rel is None:
            raise CheckError(f"{atom.sym} is not an inconsistency relation", atom.span,
                             did_you_mean(atom.pred, rels) or
                             "accept names a relation declared with .inconsistency")
        if rel.sym.arity != atom.sym.arity:
            raise CheckError(f"{rel.sym} takes {rel.sym.arity} arguments, not {atom.sym.arity}", atom.span)
        for arg in atom.args:
            if isinstance(arg, ast.BinOp):
                raise CheckError("accept takes values, variables or _ as arguments, not arithmetic", arg.span)

    def strict(self, accepted: Sequence[Check]) -> Outcome:
        """Every inconsistency the knowledge base has is accepted by one of `accepted`."""
        check = Check(None, "<strict>", 0, STRICT_TEXT)
        clauses = [c.clause for c in accepted if isinstance(c.clause, ast.Accept)]
        open_ = [inc for inc in self.inconsistencies() if not any(accepts(a, inc) for a in clauses)]
        if not open_:
            return Outcome(check, True)
        details = [f"{len(open_)} inconsistenc{'ies' if len(open_) != 1 else 'y'} not accepted:"]
        # each with its support and weakest premise: "accept" is signed knowing what it rests on
        for f in findings(self.root, self.selection, open_, sources=False):
            inc, sup = f.inconsistency, f.support
            details.append(f"    {_inconsistency_atom(inc)}: {inc.message}"
                           + (f"   [support {sup['grade']}" + (f": rests on {f.premise}" if f.premise else "") + "]"
                              if sup else ""))
        details.append("accept each with its reason in a check file, e.g.")
        details.append(f'    accept {_inconsistency_atom(open_[0])} because "...".')
        return Outcome(check, False, tuple(details))

    # --- helpers ---

    def _instance(self, query: ast.Query, env: dict[str, ast.Value]) -> str:
        """A counterexample: the query with its answer substituted, and for a lone inconsistency
        atom the inconsistency's message."""
        text = ", ".join(_literal_text(lit, env) for lit in query.body)
        atom = query.body[0]
        if len(query.body) != 1 or not isinstance(atom, ast.Atom) or atom.statement is not None:
            return text
        rel = next((r for r in self.kb.inconsistency_relations() if r.sym == atom.sym), None)
        row: list[ast.Value] = []
        for arg in atom.args:
            if isinstance(arg, ast.Variable) and arg.name in env:
                row.append(env[arg.name])
            elif isinstance(arg, ast.Constant):
                row.append(arg.value)
        if rel is None or len(row) != len(atom.args):
            return text
        return f"{text}: {self.kb.message(rel, tuple(row))}"

    def _why_not(self, query: ast.Query) -> list[str]:
        """Why a ground single-atom expectation does not hold (allegiance.explain's why-not)."""
        atom = query.body[0]
        if len(query.body) != 1 or not isinstance(atom, ast.Atom) or atom.statement is not None or \
                not all(isinstance(a, ast.Constant) for a in atom.args):
            return []
        try:
            text = render_tree(why_not(self.kb, str(atom)))
        except Exception:  # a bug in the explainer must not turn a failed check into a crashed run
            return []
        lines = text.splitlines()
        return ["why not:", *("    " + line for line in lines)] if lines else []


def accepts(accept: ast.Accept, inc: Inconsistency) -> bool:
    """Does an accept cover an inconsistency? Constants must equal, `_` matches anything, and a
    variable matches the same value wherever it occurs."""
    if accept.atom.pred != inc.kind or len(accept.atom.args) != len(inc.args):
        return False
    bound: dict[str, ast.Value] = {}
    for arg, value in zip(accept.atom.args, inc.args, strict=True):
        if isinstance(arg, ast.Constant):
            if arg.value != value:
                return False
        elif isinstance(arg, ast.Variable) and bound.setdefault(arg.name, value) != value:
            return False
    return True


def _inconsistency_atom(inc: Inconsistency) -> str:
    return f"{inc.kind}({', '.join(ast.format_value(v) for v in inc.args)})"


def run_file(kb: KnowledgeBase, path: str | os.PathLike[str]) -> list[Outcome]:
    """Run every check of one file (the API the benchmark times). Raises on the first error."""
    checker = Checker(kb)
    return [checker.run(check) for check in read_checks(path).checks]


# --- rendering --------------------------------------------------------------------------------------


def outcome_lines(outcome: Outcome) -> list[str]:
    """`PASS  bundled.check:3  expect ...`, and for a failure its indented detail."""
    check = outcome.check
    lines = [f"{outcome.status}  {check.location}  {check.label}"]
    if not outcome.passed:
        if check.name:
            lines.append(f"    {check.text}")
        lines += [f"    {line}" for line in outcome.details]
    return lines


def failure_text(outcome: Outcome) -> str:
    """What pytest shows for a failed check: the same detail as the command line."""
    # The detail comes first: pytest's one-line summary shows the first line ("no answer").
    check = outcome.check
    return "\n".join([*outcome.details, f"at {check.location}: {check.text}"])


def summary(passed: int, failed: int) -> str:
    return f"{passed} passed, {failed} failed"


__all__ = [
    "Check",
    "CheckFile",
    "Checker",
    "Outcome",
    "accepts",
    "check_paths",
    "clause_text",
    "failure_text",
    "kb_root_for",
    "outcome_lines",
    "parse_checks",
    "read_checks",
    "run_file",
    "summary",
]
