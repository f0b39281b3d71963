"""The test suite's tiers. `make test` runs everything but the `slow` marker; `make test-fast` (the
inner loop, under two minutes on 2 cores) also leaves out the `thorough` tests: the files below,
listed here in one place (the property, differential, conformance and agreement suites, the
real-terminal, browser and notebook runs), and single tests marked `@pytest.mark.thorough` where they
stand (the oracle comparisons: support under each threshold, timelines at each change point,
leave-one-out sources).
They guard correctness as much as the rest, so `make test` (and CI) always runs them.

`--fast` does not even collect the files (the conformance file reads 20 MB of YAML as it is imported);
their tests also carry the `thorough` marker, for `-m "not thorough"` in other selections.
"""

from __future__ import annotations

from pathlib import Path

import pytest

THOROUGH = {
    "test_differential.py",  # random programs on both engines against a naive fixpoint
    "engines/test_duckdb_differential.py",
    "engines/test_annotated.py",  # interval-annotated evaluation against a pointwise oracle
    "test_conformance.py",  # the datalog-conformance suite on both engines
    "test_load_properties.py",
    "test_parse_fast.py",  # the fast paths held to Lark's AST over generated text
    "repl/test_end_to_end.py",  # the real program in a pseudo-terminal
    "repl/test_terminal.py",
    "repl/test_new_user.py",
    "repl/test_interrupt_bounded.py",  # keeps every core busy on purpose
    "engines/test_duckdb_demand_property.py",  # random programs on demand against the whole evaluation
    "engines/test_duckdb_demand_support.py",  # support on demand against the whole annotated evaluation
    "test_support_on_demand.py",  # bound queries and why on generated networks against the whole evaluation
    "test_cli_bounded.py",  # one-shot commands whose stalled statement Ctrl-C cannot end
    "graph/test_page.py",  # the link chart in headless chromium
    "test_notebook.py",  # the example notebook, executed
    # agreement suites: a fast path or a second route against the plain one, on many inputs
    "engines/test_duckdb_perf_semantics.py",  # the engine's fast paths against its plain evaluation
    "test_stream_support.py",  # streamed output against the rendered one
    "test_persist.py",  # a restored --db knowledge base against one loaded from the files
    "test_cli_selection.py",  # every selection option in the CLI against the Python API
}
HERE = Path(__file__).parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fast", action="store_true", help="leave out the thorough files (make test-fast)")
    parser.addoption("--spark-examples", type=int, default=12, metavar="N",
                     help="random programs the differential test runs on Spark (make test-spark-core: fewer)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("--fast") and collection_path.is_relative_to(HERE) and \
            collection_path.relative_to(HERE).as_posix() in THOROUGH:
        return True
    return None  # pytest decides as usual


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = sorted(name for name in THOROUGH if not (HERE / name).is_file())
    if missing:  # a renamed file would quietly join the fast tier
        raise pytest.UsageError(f"tests/conftest.py: THOROUGH names files that are not there: {missing}")
    for item in items:
        if item.path.relative_to(HERE).as_posix() in THOROUGH:
            item.add_marker(pytest.mark.thorough)
    if config.getoption("--fast"):  # the single tests marked where they stand
        left_out = [item for item in items if item.get_closest_marker("thorough")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not item.get_closest_marker("thorough")]

