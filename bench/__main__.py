"""`make bench` / `python -m bench`: run every workload, write bench/RESULTS.md.

    python -m bench                      full sizes, 3 runs per row -> bench/RESULTS.md
    python -m bench --quick              small sizes, 1 run per row (a smoke run) -> bench/RESULTS.quick.md
    python -m bench --only closure,point rows whose workload or key matches (and their baselines)
    python -m bench --runs 5 --timeout 60

Without --timeout, pyDatalog rows get 120 s per measurement (raw pyDatalog needs about 310 s and
5.9 GB for the 3.5-million-tuple closure) and every other row 600 s. Targets are reported, never
enforced: the exit status is 0 unless the harness breaks or a row ends in an error (an API the bench
uses renamed or removed, a crash): then 1, after the report is written, naming those rows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from . import data, machine, network, report, subjects
from .harness import Measurement, compile_bytecode, measure
from .workloads import Row, Sizes, rows

HERE = Path(__file__).resolve().parent
PYDATALOG_LIMIT, OTHER_LIMIT = 120.0, 600.0
QUICK_PYDATALOG_LIMIT, QUICK_OTHER_LIMIT = 30.0, 120.0


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes and 1 run per row: a smoke run")
    p.add_argument("--only", metavar="NAME", help="comma-separated workloads or row keys (e.g. closure,facts)")
    p.add_argument("--runs", type=int, help="runs per row, each in a fresh process (default 3; 1 with --quick)")
    p.add_argument("--timeout", type=float, metavar="S", help="limit per measurement, every row (see above)")
    p.add_argument("--repeat-under", type=float, default=60.0, metavar="S",
                   help="do not repeat a row whose first run took longer than S seconds (default 60)")
    p.add_argument("--output", type=Path, help="where to write the Markdown (default bench/RESULTS.md)")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--note", metavar="TEXT", help="a line for the report's header (e.g. what else loaded the machine)")
    return p.parse_args(argv)


def select(all_rows: list[Row], only: str | None) -> list[Row]:
    """Rows matching any name (a workload, a key or a key prefix), plus the rows they compare with."""
    if not only:
        return all_rows
    names = [n.strip() for n in only.split(",") if n.strip()]
    chosen = {r.key for r in all_rows if any(r.workload == n or r.key == n or r.key.startswith(n + ".") for n in names)}
    by_key = {r.key: r for r in all_rows}
    for key in list(chosen):
        chosen.update(by_key[key].baselines)
        chosen.update(by_key[key].derive)
        for t in by_key[key].targets:
            if (base := getattr(t, "baseline", None)) is not None:
                chosen.add(base)
    if not chosen:
        raise SystemExit(f"--only {only}: no row matches; workloads: {', '.join(sorted({r.workload for r in all_rows}))}")
    return [r for r in all_rows if r.key in chosen]


def _write_files(sizes: Sizes, directory: Path, needed: set[str]) -> dict[str, Path]:
    files = {"facts": directory / "facts.dl", "facts_small": directory / "facts-small.dl",
             "csv": directory / "strikes.csv", "csv_small": directory / "strikes-small.csv", "english": directory / "english.facts",
             "graph_dl": directory / "graph.dl", "graph_csv": directory / "graph-edges.csv",
             "graph_out": directory / "graph-closure.csv", "csv_kb": directory / "csv-kb",
             "ally_chain": directory / "ally-chain.dl", "network": directory / "dated-network.dl",
             "conflict": directory / "conflict-network.dl"}
    if "facts" in needed:
        with open(files["facts"], "w", encoding="utf-8") as f:
            f.writelines(data.datalog_fact_lines(sizes.facts))
        with open(files["facts_small"], "w", encoding="utf-8") as f:
            f.writelines(data.datalog_fact_lines(sizes.facts_small))
    if "csv" in needed or "e2e" in needed:
        files["csv"].write_text(data.csv_text(sizes.facts), encoding="utf-8")
        files["csv_small"].write_text(data.csv_text(sizes.facts_small), encoding="utf-8")
    if "e2e" in needed:
        edges = data.random_graph(sizes.nodes, sizes.edges)
        files["graph_dl"].write_text(data.edge_facts(edges) + "path(X, Y) :- edge(X, Y).\n"
                                     "path(X, Y) :- path(X, Z), edge(Z, Y).\n", encoding="utf-8")
        files["graph_csv"].write_text("src,dst\n" + "".join(f"{a},{b}\n" for a, b in edges), encoding="utf-8")
        files["ally_chain"].write_text("".join(f"ally(g{i}, g{i + 1}).\n" for i in range(5_000)), encoding="utf-8")
        (files["csv_kb"] / "facts").mkdir(parents=True, exist_ok=True)
        (files["csv_kb"] / "facts" / "bench_csv.facts").write_text(subjects.CSV_DECLARATIONS, encoding="utf-8")
    if "network" in needed:
        with open(files["conflict"], "w", encoding="utf-8") as f:
            f.writelines(network.network_lines(sizes.network))
    if "time" in needed:
        files["network"].write_text(data.dated_network(sizes.dated, sizes.dates), encoding="utf-8")
    if "english" in needed:
        files["english"].write_text(data.english_fact_file(sizes.english), encoding="utf-8")
    return files


def main(argv: list[str]) -> int:
    args = _args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    runs = args.runs or (1 if args.quick else 3)
    pyd_limit = args.timeout or (QUICK_PYDATALOG_LIMIT if args.quick else PYDATALOG_LIMIT)
    other_limit = args.timeout or (QUICK_OTHER_LIMIT if args.quick else OTHER_LIMIT)
    output = args.output or HERE / ("RESULTS.md" if not (args.quick or args.only) else
                                    "RESULTS.quick.md" if args.quick else "RESULTS.partial.md")

    with tempfile.TemporaryDirectory(prefix="allegiance-bench-data-") as tmp:
        # Paths first, contents after selection: a 1M-fact file is only written when a row reads it.
        chosen = select(rows(sizes, _write_files(sizes, Path(tmp), set())), args.only)
        if args.list:
            for r in chosen:
                print(f"{r.key:<42} {r.label} / {r.system}")
            return 0
        files = _write_files(sizes, Path(tmp), {r.workload for r in chosen})
        chosen = select(rows(sizes, files), args.only)
        results: dict[str, Measurement] = {}
        started = time.monotonic()
        options = {"runs": runs, "quick": args.quick, "only": args.only, "seed": data.SEED,
                   "repeat_under": args.repeat_under, "note": args.note, "load_at_start": machine.load(),
                   "limits": f"{args.timeout:g} s" if args.timeout else
                   f"{pyd_limit:g} s for pyDatalog rows, {other_limit:g} s for the others"}
        print(f"{len(chosen)} rows, {runs} runs each; writing {output}", file=sys.stderr)
        measured = [r for r in chosen if r.task is not None]
        compile_bytecode()
        for done, row in enumerate(measured, 1):
            limit = pyd_limit if row.pydatalog else other_limit
            assert row.task is not None  # measured rows have one
            results[row.key] = measure(row.task, row.params, limit, runs, stdin=row.stdin,
                                       repeat_under=args.repeat_under)
            print(report.progress_line(row, results[row.key]), file=sys.stderr, flush=True)
            # Rewritten after every row, so an interrupted run still leaves what it measured.
            progress = "" if done == len(measured) else f"{done} of {len(measured)} rows measured"
            text = report.markdown(chosen, results, machine.describe(), {**options, "progress": progress})
            output.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {output} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return exit_status(results)


def exit_status(results: dict[str, Measurement]) -> int:
    """1 when any row ended in an error (each named on stderr), else 0: a bench that measured less
    than it should must not pass as a run."""
    failed = sorted(key for key, m in results.items() if m.status == "error")
    for key in failed:
        print(f"error: {key}: {results[key].reason}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
