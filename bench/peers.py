"""The peers: the same closure, join and negation workloads on the Datalog systems users compare us with.

Stage: measurement tasks run in a child process (see child.py). Input: workload parameters (the same
as the allegiance rows') and the Clock. Output: a dict of counts. Nothing here imports allegiance.

- clingo (pip `clingo`, the `peers` extra): facts added as program text before the clock; grounding
  (which computes the whole stratified model) and solving are timed, with every answer handed to
  Python, as allegiance's rows hand theirs.
- CozoDB embedded (pip `cozo-embedded`, the `peers` extra): facts put into stored relations before
  the clock; the query script (CozoScript rules, semi-naive in Cozo) is timed.
- SWI-Prolog (tabling) and Soufflé: measured only where their programs are on the machine (`swipl`,
  `souffle` on PATH); otherwise the row says "not installed". Neither comes from PyPI: `make
  bench-peers` installs Debian's swi-prolog-nox where apt-get can (as root); Debian has no Soufflé.

A peer that is absent raises NotInstalled: the row reports it and the bench does not fail.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from . import data
from .baselines import graph_edges
from .clock import Clock


class NotInstalled(Exception):
    """The peer is not on this machine: reported as such, not failed (`make bench-peers` installs
    the ones PyPI has)."""


HINT = "make bench-peers installs it"

# The workloads in each peer's language, beside the Datalog allegiance reads:
#   path(X, Y) :- edge(X, Y).   path(X, Y) :- path(X, Z), edge(Z, Y).
#   j(X, W) :- r(X, Y), s(Y, Z), t(Z, W).
#   unreached(X) :- node(X), not path(0, X).      (path seeded at 0: reach(Y))
CLINGO = {
    "closure": "path(X, Y) :- edge(X, Y). path(X, Y) :- path(X, Z), edge(Z, Y). #show path/2.",
    "join": "j(X, W) :- r(X, Y), s(Y, Z), t(Z, W). #show j/2.",
    "negation": "reach(Y) :- edge(0, Y). reach(Y) :- reach(X), edge(X, Y). "
                "unreached(X) :- node(X), not reach(X). #show unreached/1.",
}
COZO = {
    "closure": "path[a, b] := *edge[a, b]\npath[a, b] := path[a, c], *edge[c, b]\n?[a, b] := path[a, b]",
    "join": "?[x, w] := *r[x, y], *s[y, z], *t[z, w]",
    "negation": "reach[y] := *edge[0, y]\nreach[y] := reach[x], *edge[x, y]\n"
                "?[x] := *node[x], not reach[x]",
}
SOUFFLE = {
    "closure": ".decl edge(x: number, y: number)\n.input edge\n.decl path(x: number, y: number)\n.output path\n"
               "path(X, Y) :- edge(X, Y).\npath(X, Y) :- path(X, Z), edge(Z, Y).\n",
}
SWIPL = {
    "closure": ":- table path/2.\npath(X, Y) :- edge(X, Y).\npath(X, Y) :- path(X, Z), edge(Z, Y).\n"
               "main :- aggregate_all(count, path(_, _), N), write(N), nl.\n",
    # a join is no recursion: nothing to table; distinct answers, as the others count them
    "join": "j(X, W) :- r(X, Y), s(Y, Z), t(Z, W).\n"
            "main :- aggregate_all(count, distinct(X-W, j(X, W)), N), write(N), nl.\n",
    # tabled reach, then negation as failure over it (complete once the table is)
    "negation": ":- table reach/1.\nreach(Y) :- edge(0, Y).\nreach(Y) :- reach(X), edge(X, Y).\n"
                "unreached(X) :- node(X), \\+ reach(X).\n"
                "main :- aggregate_all(count, unreached(_), N), write(N), nl.\n",
}


def _relations(params: dict[str, Any], workload: str) -> dict[str, list[tuple[int, ...]]]:
    if workload == "join":
        r, s, t = data.join_relations(params["rows"])
        return {"r": list(r), "s": list(s), "t": list(t)}
    rels: dict[str, list[tuple[int, ...]]] = {"edge": list(graph_edges(params))}
    if workload == "negation":
        rels["node"] = [(n,) for n in range(params["nodes"])]
    return rels


def clingo_task(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    try:
        import clingo
    except ImportError:
        raise NotInstalled(f"clingo is not installed ({HINT})") from None
    workload = params["workload"]
    text = "".join(f"{name}({', '.join(map(str, row))}).\n" for name, rows in _relations(params, workload).items()
                   for row in rows)
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], text + CLINGO[workload])
    answers: set[tuple[int, ...]] = set()

    def on_model(model: Any) -> None:
        answers.update(tuple(a.number for a in s.arguments) for s in model.symbols(shown=True))

    with clock:
        ctl.ground([("base", [])])
        ctl.solve(on_model=on_model)
    return {"count": len(answers), "version": clingo.__version__}


def cozo_task(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    try:
        import cozo_embedded
    except ImportError:
        raise NotInstalled(f"cozo-embedded is not installed ({HINT})") from None
    workload = params["workload"]
    db = cozo_embedded.CozoDbPy("mem", "", "{}")
    for name, rows in _relations(params, workload).items():
        cols = ["a", "b"][: len(rows[0])] if rows else ["a"]
        db.run_script(f":create {name} {{{', '.join(f'{c}: Int' for c in cols)}}}", {}, False)
        db.run_script(f"?[{', '.join(cols)}] <- $rows :put {name} {{{', '.join(cols)}}}",
                      {"rows": [list(r) for r in rows]}, False)
    with clock:
        result = db.run_script(COZO[workload], {}, True)
        answers = {tuple(r) for r in result["rows"]}
    db.close()
    return {"count": len(answers)}


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise NotInstalled(f"{name} is not on this machine (not on PyPI: a system package)")
    return found


def souffle_task(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Soufflé's interpreter on the closure: facts in a .facts file, the answers read back."""
    souffle = _program("souffle")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "p.dl").write_text(SOUFFLE[params["workload"]], encoding="utf-8")
        (d / "edge.facts").write_text("".join(f"{a}\t{b}\n" for a, b in graph_edges(params)), encoding="utf-8")
        with clock:
            subprocess.run([souffle, "-F", tmp, "-D", tmp, str(d / "p.dl")], check=True, capture_output=True)
            count = len((d / "path.csv").read_text(encoding="utf-8").splitlines())
    return {"count": count}


def swipl_task(params: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """SWI-Prolog with tabling on each workload: the program is a process of its own, so the whole of
    it is timed, consulting the facts and start-up included (an upper bound on the evaluation)."""
    swipl = _program("swipl")
    workload = params["workload"]
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.pl"
        facts = "".join(f"{name}({', '.join(map(str, row))}).\n" for name, rows in _relations(params, workload).items()
                        for row in rows)
        # the relations a workload leaves empty are still known to Prolog (no existence error)
        declared = ":- dynamic edge/2, node/1, r/2, s/2, t/2.\n"
        p.write_text(declared + facts + SWIPL[workload], encoding="utf-8")
        with clock:
            done = subprocess.run([swipl, "-q", "-g", "main", "-t", "halt", str(p)], check=True,
                                  capture_output=True, text=True)
    return {"count": int(done.stdout.split()[-1])}


TASKS = {"clingo": clingo_task, "cozo": cozo_task, "souffle": souffle_task, "swipl": swipl_task}
