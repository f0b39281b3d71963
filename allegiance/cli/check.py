"""`allegiance check`: run check files against the knowledge base.

Stage: a command over a loaded knowledge base, wrapping allegiance.checks. Input: the parsed
arguments (check files or folders, default the knowledge base's checks/*.check; --strict, --quiet)
and the KnowledgeBase. Output: `PASS`/`FAIL` lines with each failure's detail on stdout, errors on
stderr, a summary, and the exit status: 0 when every check passes, 1 when one fails, 2 on an error.
A check file that sits in another knowledge base (checks/ beside its facts/ and rules/) runs
against that one, opened once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from ..checks import (
    CHECKS_DIR,
    SUFFIX,
    Check,
    Checker,
    CheckFile,
    Outcome,
    bundled_root,
    check_paths,
    kb_paths,
    kb_root_for,
    outcome_lines,
    read_checks,
    summary,
)
from ..errors import AllegianceError, LoadError
from ..errors import render as render_error
from ..kb import KnowledgeBase
from .common import Command, selection_of, selection_options


def _check_args(p: argparse.ArgumentParser) -> None:
    # dest "checks", not "files": the CLI loads `files` as the knowledge base itself.
    p.add_argument("checks", nargs="*", metavar="FILES",
                   help=f"check files or folders (default: the knowledge base's {CHECKS_DIR}/*{SUFFIX})")
    p.add_argument("--strict", action="store_true",
                   help="also fail when the knowledge base has an inconsistency no check file accepts")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures, errors and the summary")
    selection_options(p)


def run_command(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    """`allegiance check`: 0 when every check passes, 1 when one fails, 2 on an error."""
    default_root = Path(args.kb).resolve() if args.kb else bundled_root()
    if args.checks:
        paths = check_paths(args.checks)
    elif default_root is not None and (default_root / CHECKS_DIR).is_dir():
        paths = sorted((default_root / CHECKS_DIR).glob(f"*{SUFFIX}"))
    else:
        paths = []
    if not paths:
        where = default_root / CHECKS_DIR if default_root else CHECKS_DIR
        print(render_error(LoadError(f"no check files: {where}/*{SUFFIX} finds none", None,
                                     "name check files: allegiance check FILE.check")), file=sys.stderr)
        return 2

    selection = selection_of(args)
    if selection is None:
        return 2
    passed = failed = errors = 0
    kbs: dict[Path | None, Checker] = {None: Checker(kb, selection)}
    opened: list[KnowledgeBase] = []
    accepted: dict[Path | None, list[Check]] = {}
    try:
        for path in paths:
            try:
                key = _kb_key(path, args)
                checker = _checker_for(key, args, kbs, opened)
                checks = read_checks(path)
            except AllegianceError as exc:
                print(render_error(exc, _sources(kbs[None].kb, None)), file=sys.stderr)
                errors += 1
                continue
            accepted.setdefault(key, []).extend(checks.accepts)
            for outcome_or_error in _run_all(checker, checks, args.quiet):
                if isinstance(outcome_or_error, AllegianceError):
                    errors += 1
                    continue
                passed += outcome_or_error.passed
                failed += not outcome_or_error.passed
        # A file that did not parse may hold the very accepts the strict check needs.
        if args.strict and errors:
            print("--strict: not checked, a check file has errors", file=sys.stderr)
        elif args.strict:
            for key, accepts_of_kb in accepted.items():
                outcome = kbs[key].strict(accepts_of_kb)
                if not (args.quiet and outcome.passed):
                    print("\n".join(outcome_lines(outcome)))
                passed += outcome.passed
                failed += not outcome.passed
    finally:
        for extra in opened:
            extra.close()
    print(summary(passed, failed))
    if errors:
        print(f"{errors} error{'s' if errors != 1 else ''}")
    return 2 if errors else 1 if failed else 0


def _run_all(checker: Checker, checks: CheckFile, quiet: bool) -> Iterator[Outcome | AllegianceError]:
    for check in checks.checks:
        try:
            outcome = checker.run(check)
        except AllegianceError as exc:
            print(f"ERROR {check.location}  {check.label}")
            sys.stdout.flush()
            print(render_error(exc, _sources(checker.kb, checks)), file=sys.stderr)
            yield exc
            continue
        if not (quiet and outcome.passed):
            print("\n".join(outcome_lines(outcome)))
        yield outcome


def _kb_key(path: Path, args: argparse.Namespace) -> Path | None:
    """The knowledge base a check file runs against: --kb when given, else the one the file sits in
    (checks/ beside facts/ and rules/), else the bundled one. None: the one the command line opened."""
    if args.kb:
        return None
    root = kb_root_for(path)
    return None if root is None or root == bundled_root() else root


def _checker_for(root: Path | None, args: argparse.Namespace, kbs: dict[Path | None, Checker],
                 opened: list[KnowledgeBase]) -> Checker:
    if root not in kbs:
        assert root is not None
        extra = KnowledgeBase(engine=args.engine, timeout=args.timeout or None)
        opened.append(extra)
        extra.load_path(*kb_paths(root))
        kbs[root] = Checker(extra, selection_of(args))
    return kbs[root]


def _sources(kb: KnowledgeBase, checks: CheckFile | None) -> dict[str, str]:
    sources = kb.sources_text
    if checks is not None:
        sources[checks.path] = checks.text
    return sources



CHECK = Command("check", "run check files against the knowledge base (0: all pass, 1: failures, 2: error)",
                _check_args, run_command)

__all__ = ["CHECK", "run_command"]
