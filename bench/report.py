"""Rendering: measurements -> the Markdown of RESULTS.md (and the progress lines on the terminal).

Input: the Rows, their Measurements by key, the machine description and the options of the run.
Output: text. One table, one row per workload and system; a row computed from others (the growth
exponent) is fitted here from their medians.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .harness import Measurement
from .targets import percentile, seconds
from .workloads import Row


def fmt_time(s: float) -> str:
    if s < 0.001:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def fmt_rate(per_s: float) -> str:
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f}M"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.0f}k"
    return f"{per_s:.0f}"


def _status_text(m: Measurement) -> str:
    if m.status == "timeout":
        return f"> {m.limit:g} s (timeout)"
    reason = " ".join(m.reason.split())
    if len(reason) > 140:
        reason = reason[:137] + "..."
    return f"{m.status} ({reason})" if reason else m.status


def time_cell(row: Row, m: Measurement) -> str:
    if not m.ok or m.median is None:
        return _status_text(m)
    if row.latency:
        text = f"p50 {fmt_time(percentile(m.samples, 0.5))} · p95 {fmt_time(percentile(m.samples, 0.95))} ({len(m.samples)} calls"
        if "first" in m.extra:
            text += f"; first call {fmt_time(m.extra['first'])}"
        return text + ")"
    text = fmt_time(m.median)
    if m.runs == 1:
        text += " (1 run)"
    if row.items:
        count, unit = row.items
        text += f" ({fmt_rate(count / m.median)} {unit}/s)"
    return text


def memory_cell(m: Measurement) -> str:
    if m.peak_rss_mb is None or m.status in ("not built", "not installed"):
        return "—"
    text = f"{m.peak_rss_mb:,.0f} MB"
    return text if m.ok else f"≥ {text} at the limit" if m.status == "timeout" else text


def _ratio(m: Measurement, base: Measurement, name: str, memory: bool = False) -> str:
    text = _time_ratio(m, base, name)
    if memory and m.peak_rss_mb and base.peak_rss_mb:
        text += f", memory {m.peak_rss_mb / base.peak_rss_mb:.2f}x"
    return text


def _time_ratio(m: Measurement, base: Measurement, name: str) -> str:
    mine, theirs = seconds(m), seconds(base)
    if mine is None or theirs is None:
        return f"— vs {name} ({base.status if theirs is None else m.status})"
    (t, t_exact), (b, b_exact) = mine, theirs
    if not t_exact and not b_exact:
        return f"? vs {name} (both timed out)"
    r = t / b
    sign = "" if t_exact and b_exact else ("> " if not t_exact else "< ")
    text = f"{sign}{r:.2f}x {name}" if r >= 0.1 else f"{sign}{r:.3f}x {name}"
    if r < 0.95:  # a hair under 1 is noise, not "1.0x faster"
        faster = "> " if sign == "< " else ("< " if sign == "> " else "")
        text += f" ({faster}{1 / r:.0f}x faster)" if 1 / r >= 10 else f" ({faster}{1 / r:.1f}x faster)"
    return text


def fit_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x: y grows like x**slope."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    var = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / var


def exponent_cell(row: Row, rows: Mapping[str, Row], results: Mapping[str, Measurement]) -> str:
    ms = [results.get(k) for k in row.derive]
    if any(m is None or not m.ok or not m.median for m in ms):
        missing = next((m for m in ms if m is not None and not m.ok), None)
        return "— (" + (_status_text(missing) if missing else "not run") + ")"
    xs = [float(rows[k].params["edges"]) for k in row.derive]
    times = [m.median for m in ms if m is not None and m.median]
    text = f"time ∝ edges^{fit_exponent(xs, times):.2f}"
    counts = [m.extra.get("count") for m in ms if m is not None]
    if all(isinstance(c, int) and c > 0 for c in counts):
        text += f" (answers ∝ edges^{fit_exponent(xs, [float(c) for c in counts if c]):.2f})"
    return text


def answers_cell(m: Measurement) -> str:
    count = m.extra.get("count")
    if not m.ok or count is None:
        return ""
    return f"{count:,}"


def table(rows: Sequence[Row], results: Mapping[str, Measurement]) -> list[str]:
    by_key = {r.key: r for r in rows}
    lines = [
        "| Workload | System | Size | Median time | Peak RSS | Answers | vs baseline | Target | Result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if row.task is None:
            cells = [row.label, row.system, row.size, exponent_cell(row, by_key, results), "", "", "", "—", ""]
        else:
            m = results.get(row.key)
            if m is None:
                continue
            ratios = [_ratio(m, results[b], by_key[b].short, row.memory_ratio) for b in row.baselines if b in results]
            if not row.baselines:
                ratios = ["baseline"] if any(row.key in r.baselines for r in rows) else []
            cells = [
                row.label,
                row.system,
                row.size,
                time_cell(row, m),
                memory_cell(m),
                answers_cell(m),
                "<br>".join(ratios),
                "<br>".join(t.text for t in row.targets) or "—",
                "<br>".join(t.judge(m, results) for t in row.targets),
            ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def summary(rows: Sequence[Row], results: Mapping[str, Measurement]) -> list[str]:
    verdicts: dict[str, list[str]] = {}
    for row in rows:
        m = results.get(row.key)
        if m is None:
            continue
        for t in row.targets:
            verdicts.setdefault(t.judge(m, results).split(" ")[0], []).append(f"{row.label} / {row.system}: {t.text}")
    out = []
    for word in ("met", "missed", "unknown"):
        items = verdicts.get(word, [])
        out.append(f"- **{word}** ({len(items)})")
        out += [f"  - {item}" for item in items]
    return out


HOW_TO_READ = """\
## How to read this

- Every run of every row is a fresh child process (`python -m bench.child`); peak RSS is that
  process's high-water mark as the kernel reports it (`os.wait4`), so it includes the interpreter,
  the libraries and the row's data, and no row inherits another's heap. The column shows the largest
  peak over the runs.
- The time is the median over the runs of the timed section only: data generation and, for the
  closure, point, negation and join rows, loading the base facts and the rules happen before the
  clock starts (baselines: creating the tables); the query, with the whole evaluation (both engines
  are lazy) and handing every answer to Python, is inside it. The fact-file rows time
  the whole `load_file` (read, parse, check, store); the Lark floor times read + parse of the same
  file with a minimal grammar. Start-up is the whole `allegiance` process from spawn to exit, fed
  `:quit`. Latency rows give p50 / p95 over every call of every run.
- Every answer is handed to Python (`fetchall`, a Python set), by the baselines as by allegiance,
  because `KnowledgeBase.query` returns rows; the "count(*) only" row shows the same SQL without that.
- "vs baseline" is this row's median over the baseline's, both measured in this run.
  A timed-out measurement is a bound ("> 120 s"); a target is still decided when the bound suffices.
- A row whose first run took longer than the repeat threshold (see "Run" above) is not repeated:
  its time says "(1 run)". Every other row is the median of the runs given.
- Targets are reported, never enforced.
"""


def markdown(rows: Sequence[Row], results: Mapping[str, Measurement], machine: list[tuple[str, str]],
             options: Mapping[str, Any]) -> str:
    parts = ["# allegiance benchmark results", ""]
    parts.append("Generated by `make bench` (`python -m bench`); do not edit by hand.")
    parts.append("")
    parts += [f"- **{k}**: {v}" for k, v in machine]
    parts.append(
        f"- **Run**: {options['runs']} runs per row, {'quick sizes' if options['quick'] else 'full sizes'}, "
        f"time limit {options['limits']}, runs not repeated after a first run over {options['repeat_under']:g} s, "
        f"data seed {options['seed']}"
        + (f", only {options['only']}" if options.get("only") else "")
    )
    if options.get("load_at_start"):
        parts.append(f"- **Load average at the start**: {options['load_at_start']}")
    if options.get("note"):
        parts.append(f"- **Note**: {options['note']}")
    if options.get("progress"):
        parts.append(f"- **In progress**: {options['progress']}")
    parts.append("")
    parts += table(rows, results)
    parts += ["", "## Targets", ""]
    parts += summary(rows, results)
    notes = [f"- {r.system}, {r.label}: {r.note}" for r in rows if r.note and r.key in results]
    if notes:
        parts += ["", "## Notes", "", *notes]
    parts += ["", HOW_TO_READ]
    return "\n".join(parts)


def progress_line(row: Row, m: Measurement) -> str:
    return f"{row.key:<42} {time_cell(row, m):<40} {memory_cell(m):>10}  {answers_cell(m)}"
