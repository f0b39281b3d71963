"""Start-up pays only for what the command uses: a heavy library (networkx and numpy, pandas and pyarrow,
matplotlib, scipy, pydot, prompt_toolkit, pygments, IPython, the other engines) is imported where a
command needs it, never at module level of a module every command loads. Each costs from 50 to 300 ms of
every start (`python -X importtime -m allegiance query ...`); the speed itself is bench/'s
(`support.e2e.*`, `bundled.startup`).

One child process imports the CLI (what every command loads), then runs the commands one after the other through the CLI's main, as `allegiance`
would, and reports which of the libraries each one brought into sys.modules: the REPL's script mode
(what bundled.startup times), then the one-shot commands, and the link chart last, since it is the
one that needs networkx (and numpy, for its layout).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

HEAVY = ["networkx", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "pydot", "prompt_toolkit", "pygments",
         "IPython", "pyspark", "pyDatalog"]
# What the HTML link chart needs: the graph model and its spring layout (networkx's runs on numpy).
GRAPH_NEEDS = {"networkx", "numpy"}

CHILD = textwrap.dedent("""
    import contextlib, io, json, sys
    from allegiance.cli import main

    HEAVY, COMMANDS = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    report = [[["import allegiance.cli"], 0, sorted(m for m in HEAVY if m in sys.modules)]]
    for argv in COMMANDS:
        before = {m for m in HEAVY if m in sys.modules}
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(argv)
        report.append([argv, status, sorted(m for m in HEAVY if m in sys.modules and m not in before)])
    print(json.dumps(report))
""")


def test_commands_import_no_heavy_library_they_do_not_use(tmp_path: Path) -> None:
    chart = f"{tmp_path}/chart.html"
    commands = [
        [],  # the REPL, reading `:quit` from a pipe: bundled.startup's row
        ["query", "ally(X, Y)"],
        ["why", "ally(nusra, ahrar_al_sham)"],
        ["graph", "-o", chart],
    ]
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(HEAVY), json.dumps(commands)], input=":quit\n",
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert [argv for argv, _, _ in report] == [["import allegiance.cli"], *commands]  # every command ran, in order
    statuses = {tuple(argv): status for argv, status, _ in report}
    assert statuses[("query", "ally(X, Y)")] == 0 and statuses[("graph", "-o", chart)] == 0, report
    imported = {tuple(argv): set(new) for argv, _, new in report}
    for argv in [["import allegiance.cli"], *commands[:-1]]:
        assert imported[tuple(argv)] == set(), f"{argv} imported {imported[tuple(argv)]}"
    assert imported[("graph", "-o", chart)] == GRAPH_NEEDS, "the HTML link chart imports networkx and numpy only"
