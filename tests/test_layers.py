"""The house's shape, checked: no import cycle, no import up the layers, no module too long to be one
concept. Covers allegiance/, repl/ (installed as allegiance.repl) and bench/.

Every import counts: at module level, inside a function (a lazy import is still a dependency), under
`if TYPE_CHECKING:` (a type that needs a module above is the same tangle, only hidden), and
`importlib.import_module("name")` with a literal name (the same import, spelled so a checker misses it).
`from package import name` depends on package.name when that is a module, else on the package.
A module's dependence on its own parent packages (Python runs their __init__ first) is not an edge:
a package's __init__ may re-export its modules, as allegiance/__init__.py does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"allegiance": "allegiance", "repl": "allegiance.repl", "bench": "bench"}

# The layers, lowest first: a module may import modules of its own layer or of lower ones, never of a
# higher one. A module belongs to the first group naming it or a package above it (names relative to
# allegiance; "" is the package itself). allegiance/__init__.py's docstring draws the same picture.
LAYERS: list[set[str]] = [
    {"ast", "errors", "values", "terminals", "grammar_tables", "lexer", "printable", "shield", "settle", "suggested"},  # the words every stage speaks
    {"parse", "catalog", "provenance", "english", "curate"},  # text -> AST -> statements with provenance
    {"analysis"},  # program -> checked program
    {"engines", "bulk"},  # checked program + facts -> answers
    {"trust", "validity", "grades", "support"},  # support and time: trust policies, validity, grades, support
    {"history", "codec", "files", "state", "selection", "persist"},  # the knowledge base's state, file, store
    {"kb", "conformance", "frames"},  # the facade tying the stages together; answers as data frames
    {"render", "stream", "changes", "importing", "explain", "checks", "pytest_plugin", "timeline", "timeline_render",
     "undated", "graph"},  # built on it
    {"cli.common", "cli.graph_options", "cli.bound"},  # opening a knowledge base from command-line options, for both front ends
    {"repl.output", "repl.browser", "repl.presses"},  # the REPL, from its plain values up to the terminal
    {"repl.display", "repl.suggest", "repl.habits", "repl.treewrap"},
    {"repl.session"},
    {"repl.commands"},
    {"repl.selecting"},  # the :trust, :without, :at, :known-on commands
    {"repl.dispatch", "repl.running"},
    {"repl.app"},
    {"repl"},
    {"", "cli", "__main__", "notebook"},  # the public API, the command line (no command: the REPL), Jupyter
]
MAX_LINES = 500
WHY_LONG = "Why one module:"  # what a longer module's docstring must say, followed by the reason


def _modules() -> dict[str, tuple[Path, bool]]:
    found: dict[str, tuple[Path, bool]] = {}
    for folder, dotted in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            name = ".".join([dotted, *(parts[:-1] if is_package else parts)])
            found[name] = (path, is_package)
    return found


MODULES = _modules()


def _targets(name: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        wanted = [a.name for a in node.names]
    else:
        if node.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        wanted = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]
    found = []
    for target in wanted:
        if target == "repl" or target.startswith("repl."):  # tests and tools may name it so
            target = "allegiance." + target
        while target and target not in MODULES:  # a name inside a module: the module
            target = target.rpartition(".")[0]
        if target and target != name and not name.startswith(target + "."):
            found.append(target)
    return found


def _graph() -> dict[str, dict[str, int]]:
    """module -> {module it imports: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in MODULES.items():
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(name, is_package, node):
                    edges.setdefault(target, node.lineno)
            elif _is_import_module(node):
                assert isinstance(node, ast.Call) and isinstance(node.args[0], ast.Constant)
                spelled = ast.Import(names=[ast.alias(str(node.args[0].value))])
                for target in _targets(name, is_package, spelled):
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def _is_import_module(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr == "import_module" and len(node.args) >= 1 and \
        isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)


GRAPH = _graph()


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a cycle to show."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(name: str) -> int | None:
    if name.startswith("bench"):
        return len(LAYERS)  # above everything: the benchmark may use any of it, nothing uses it
    relative = name.removeprefix("allegiance").removeprefix(".")
    for i, group in enumerate(LAYERS):
        if any(relative == g or relative.startswith(g + ".") for g in group if g) or relative in group:
            return i
    return None


def test_the_graph_is_read() -> None:
    # a guard against a test that checks nothing: the graph has the edges we know are there
    assert "allegiance.ast" in GRAPH["allegiance.parse"]
    assert "allegiance.repl.session" in GRAPH["allegiance.repl.dispatch"]
    assert "allegiance.engines.duckdb.loop" in GRAPH["allegiance.engines.duckdb.seeding"]
    assert "allegiance.repl" in GRAPH["allegiance.cli"]  # importlib.import_module("allegiance.repl")
    assert len(MODULES) > 70


def test_no_import_cycle() -> None:
    cycles = _cycles(GRAPH)
    shown = [" <-> ".join(c) + ": " + "; ".join(f"{a} imports {b} (line {GRAPH[a][b]})"
                                                 for a in c for b in c if b in GRAPH[a]) for c in cycles]
    assert shown == []


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if _layer(name) is None] == []


def test_no_import_runs_up_the_layers() -> None:
    upward = [f"{MODULES[a][0].relative_to(ROOT)}:{line} imports {b} (layer {_layer(b)} above {_layer(a)})"
              for a, edges in GRAPH.items() for b, line in edges.items()
              if (_layer(a) or 0) < (_layer(b) or 0)]
    assert upward == []


def test_the_core_never_imports_the_repl_or_the_benchmark() -> None:
    # (the command line may: `allegiance` with no command is the REPL)
    core = [n for n in MODULES if n.startswith("allegiance") and not n.startswith(("allegiance.repl", "allegiance.cli"))
            and n != "allegiance.__main__"]
    assert [(a, b) for a in core for b in GRAPH[a] if b.startswith(("allegiance.repl", "bench"))] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_long_module_says_why_it_is_one_concept(name: str) -> None:
    path, _ = MODULES[name]
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    if lines > MAX_LINES:
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert WHY_LONG in doc, f"{path.relative_to(ROOT)} has {lines} lines: split it, or say in its docstring " \
                                f"'{WHY_LONG} ...' why it is one concept"


def test_an_upward_import_is_seen() -> None:
    # parse -> kb would run up the layers; repl.session -> repl.commands too (commands build on it)
    assert (_layer("allegiance.parse") or 0) < (_layer("allegiance.kb") or 0)
    assert (_layer("allegiance.repl.session") or 0) < (_layer("allegiance.repl.commands") or 0)
    assert (_layer("allegiance.engines.duckdb.loop") or 0) == (_layer("allegiance.engines") or 0)


def test_the_drawing_names_every_layers_modules() -> None:
    # allegiance/__init__.py draws the layers for a newcomer: a module placed here but not there is
    # a drawing out of date
    import re

    import allegiance

    words = set(re.findall(r"[a-z_]+", allegiance.__doc__ or ""))
    names = {g.rpartition(".")[2] for group in LAYERS for g in group if g and g != "__main__"} - {"repl"}
    assert sorted(names - words) == []
