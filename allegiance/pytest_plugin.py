"""The pytest plugin: `pytest checks/` runs check files as tests, with pytest's reporting, `-k` and
JUnit XML. Registered as the `pytest11` entry point `allegiance`.

Stage: a front end over allegiance.checks, like the `allegiance check` command. Input: `*.check`
files pytest collects, and the options below. Output: one test item per check (named by its label,
so `-k ally_and_enemy` selects it) whose failure shows the same detail as the command line, never
a traceback; a check file that does not parse is a collection error with the caret.

    --allegiance-kb DIR         run every check file against this knowledge base; by default a file
                                runs against the folder its checks/ sits in (beside facts/ and
                                rules/), else the bundled knowledge base
    --allegiance-engine NAME    duckdb (default) or pydatalog
    --allegiance-strict         one more item per knowledge base: every inconsistency is accepted

A knowledge base is loaded once per session (on the first item that needs it), and shared by
every check file that runs against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from .checks import Check, Checker, CheckFile, Outcome

ENGINES = ("duckdb", "pydatalog")  # allegiance.engines.ENGINES, without importing allegiance at startup


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("allegiance", "allegiance check files (*.check)")
    group.addoption("--allegiance-kb", metavar="DIR", default=None,
                    help="knowledge base folder (facts/, rules/) every check file runs against")
    group.addoption("--allegiance-engine", choices=ENGINES, default="duckdb",
                    help="engine for the check files (default: duckdb)")
    group.addoption("--allegiance-strict", action="store_true", default=False,
                    help="also fail when a knowledge base has an inconsistency no check file accepts")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_kbs] = {}
    config.stash[_files] = []
    config.add_cleanup(lambda: _close_all(config))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CheckFileNode | None:
    if file_path.suffix == ".check":
        node: CheckFileNode = CheckFileNode.from_parent(parent, path=file_path)
        return node
    return None


@pytest.hookimpl(tryfirst=True)  # before -k deselects, so `-k` can select the strict item too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if not config.getoption("allegiance_strict"):
        return
    groups: dict[Path | None, list[CheckFileNode]] = {}
    for node in config.stash[_files]:
        groups.setdefault(node.kb_key, []).append(node)
    for key, nodes in groups.items():
        accepted = [c for node in nodes for c in node.checks.accepts]
        last = nodes[-1]
        strict = StrictItem.from_parent(last, name=_strict_name(), kb_key=key, accepted=accepted)
        positions = [i for i, item in enumerate(items) if item.parent in nodes]
        items.insert(positions[-1] + 1 if positions else len(items), strict)


class CheckFailed(Exception):
    """A check that ran and did not pass; carries its outcome for the report."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.check.label)
        self.outcome = outcome


class CheckFileNode(pytest.File):
    """A `*.check` file: its items are its checks, in file order."""

    checks: CheckFile
    kb_key: Path | None

    def collect(self) -> Iterator[CheckItem]:
        from .checks import read_checks

        self.checks = read_checks(self.path)
        self.kb_key = _kb_key(self.config, self.path)
        self.config.stash[_files].append(self)
        seen: dict[str, int] = {}
        for check in self.checks.checks:
            # Two checks with one label (the same text twice) still get two node ids.
            seen[check.label] = seen.get(check.label, 0) + 1
            name = check.label if seen[check.label] == 1 else f"{check.label} (line {check.line})"
            yield CheckItem.from_parent(self, name=name, check=check)

    def repr_failure(self, excinfo: ExceptionInfo[BaseException],
                     style: str | None = None) -> str | TerminalRepr:
        from .errors import AllegianceError
        from .errors import render as render_error

        if isinstance(excinfo.value, AllegianceError):
            return render_error(excinfo.value)
        return super().repr_failure(excinfo)


class CheckItem(pytest.Item):
    """One expect or accept clause."""

    def __init__(self, *, check: Check, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.check = check

    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, CheckFileNode)
        outcome = _checker(self.config, parent.kb_key).run(self.check)
        if not outcome.passed:
            raise CheckFailed(outcome)

    def repr_failure(self, excinfo: ExceptionInfo[BaseException],
                     style: str | None = None) -> str | TerminalRepr:
        return _repr(self, excinfo) or super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.check.line - 1, f"{self.check.location}: {self.check.label}"


class StrictItem(pytest.Item):
    """Every inconsistency of one knowledge base is accepted by a check file of the session."""

    def __init__(self, *, kb_key: Path | None, accepted: list[Check], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.kb_key = kb_key
        self.accepted = accepted

    def runtest(self) -> None:
        outcome = _checker(self.config, self.kb_key).strict(self.accepted)
        if not outcome.passed:
            raise CheckFailed(outcome)

    def repr_failure(self, excinfo: ExceptionInfo[BaseException],
                     style: str | None = None) -> str | TerminalRepr:
        return _repr(self, excinfo) or super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"--allegiance-strict: {self.name}"


# --- shared knowledge bases ------------------------------------------------------------------------


class _LoadFailed:
    """A knowledge base that did not load: every check against it reports the same error."""

    def __init__(self, error: Exception) -> None:
        self.error = error


_kbs = pytest.StashKey[dict[tuple[Path | None, str], "Checker | _LoadFailed"]]()
_files = pytest.StashKey[list[CheckFileNode]]()


def _kb_key(config: pytest.Config, path: Path) -> Path | None:
    """The knowledge base folder a check file runs against; None for the bundled one."""
    from .checks import bundled_root, kb_root_for

    option = config.getoption("allegiance_kb")
    root = Path(option).resolve() if option else kb_root_for(path)
    return None if root is None or root == bundled_root() else root


def _checker(config: pytest.Config, key: Path | None) -> Checker:
    from .checks import Checker, kb_paths
    from .files import bundled_paths
    from .kb import KnowledgeBase

    engine = config.getoption("allegiance_engine")
    cache = config.stash[_kbs]
    entry = cache.get((key, engine))
    if entry is None:
        kb = KnowledgeBase(engine=engine, timeout=None)
        try:
            kb.load_path(*(kb_paths(key) if key is not None else bundled_paths()))
        except Exception as exc:
            kb.close()
            entry = _LoadFailed(exc)
        else:
            entry = Checker(kb)
        cache[(key, engine)] = entry
    if isinstance(entry, _LoadFailed):
        raise entry.error
    return entry


def _close_all(config: pytest.Config) -> None:
    for entry in config.stash[_kbs].values():
        if not isinstance(entry, _LoadFailed):
            entry.kb.close()
    config.stash[_kbs].clear()


def _repr(item: pytest.Item, excinfo: ExceptionInfo[BaseException]) -> str | None:
    """A failed check's detail, or an allegiance error with its caret; None: a real bug, traceback."""
    from .checks import failure_text
    from .errors import AllegianceError
    from .errors import render as render_error

    if isinstance(excinfo.value, CheckFailed):
        return failure_text(excinfo.value.outcome)
    if isinstance(excinfo.value, AllegianceError):
        sources: dict[str, str] = {}
        parent = item.parent
        if isinstance(parent, CheckFileNode):
            sources[parent.checks.path] = parent.checks.text
        return render_error(excinfo.value, sources)
    return None


def _strict_name() -> str:
    from .checks import STRICT_TEXT

    return STRICT_TEXT
