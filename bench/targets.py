"""Targets: what each row should reach, judged against measurements of the same run.

Input: a row's Measurement and every other row's, by key. Output: "met", "missed" or "unknown (why)".
Targets are reported, never enforced: the bench exits 0 whatever they say.

A timed-out measurement is a lower bound ("> 120 s"), so a comparison with it can still be decided
when the bound is enough: 1.9 s against a raw pyDatalog that needed more than 120 s is more than 63x
faster, which meets "at least 50x faster" without knowing pyDatalog's real time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .harness import Measurement

MET, MISSED = "met", "missed"


def seconds(m: Measurement) -> tuple[float, bool] | None:
    """(seconds, exact): exact False means "more than"; None means nothing was measured."""
    if m.ok and m.median is not None:
        return m.median, True
    if m.status == "timeout" and m.limit is not None:
        return m.limit, False
    return None


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least q of them at or below it."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 1))
    return ordered[int(rank) - 1]


class Target:
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        raise NotImplementedError


def _unmeasured(m: Measurement) -> str | None:
    if m.status in ("not built", "not installed", "error"):
        return f"unknown ({m.status})"
    return None


@dataclass(frozen=True)
class AtMost(Target):
    """time <= factor x baseline time."""

    baseline: str
    factor: float
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        mine, base = seconds(m), seconds(others[self.baseline]) if self.baseline in others else None
        if mine is None or base is None:
            return "unknown (baseline not measured)"
        (t, t_exact), (b, b_exact) = mine, base
        if t_exact and b_exact:
            return MET if t <= self.factor * b else MISSED
        if not t_exact and b_exact:  # t > limit
            return MISSED if t > self.factor * b else "unknown (timed out)"
        if t_exact and not b_exact:  # b > limit: the ratio is below t / b
            return MET if t <= self.factor * b else "unknown (baseline timed out)"
        return "unknown (both timed out)"


@dataclass(frozen=True)
class FasterBy(Target):
    """baseline time >= factor x time."""

    baseline: str
    factor: float
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        mine, base = seconds(m), seconds(others[self.baseline]) if self.baseline in others else None
        if mine is None or base is None:
            return "unknown (baseline not measured)"
        (t, t_exact), (b, b_exact) = mine, base
        if t_exact and b_exact:
            return MET if b >= self.factor * t else MISSED
        if t_exact and not b_exact:  # b > limit: the speed-up is above b / t
            return MET if b >= self.factor * t else "unknown (baseline timed out)"
        if b_exact:  # t > limit
            return MISSED if b < self.factor * t else "unknown (timed out)"
        return "unknown (both timed out)"


@dataclass(frozen=True)
class MemoryAtMost(Target):
    """peak memory <= factor x the baseline's peak memory."""

    baseline: str
    factor: float
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        base = others.get(self.baseline)
        if base is None or base.peak_rss_mb is None or m.peak_rss_mb is None or not base.ok:
            return "unknown (baseline not measured)"
        if m.peak_rss_mb > self.factor * base.peak_rss_mb:
            return MISSED
        return MET if m.ok else "unknown (timed out)"


@dataclass(frozen=True)
class MemoryUnder(Target):
    megabytes: float
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        if m.peak_rss_mb is None:
            return "unknown"
        if m.peak_rss_mb >= self.megabytes:
            return MISSED  # even a timed-out run already used this much
        return MET if m.ok else "unknown (timed out)"


@dataclass(frozen=True)
class TimeUnder(Target):
    """The median (q=0.5) or another percentile of the samples below a bound."""

    limit: float
    text: str
    q: float = 0.5

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        if not m.ok:
            return MISSED if m.limit is not None and m.limit >= self.limit else "unknown (timed out)"
        return MET if percentile(m.samples, self.q) < self.limit else MISSED


@dataclass(frozen=True)
class RateAtLeast(Target):
    """items / median time >= per_second, where a run handles `items` items."""

    per_second: float
    items: int
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        measured = seconds(m)
        if measured is None:
            return "unknown"
        t, exact = measured
        if not exact:  # slower than items / limit
            return MISSED if self.items / t < self.per_second else "unknown (timed out)"
        return MET if self.items / t >= self.per_second else MISSED


@dataclass(frozen=True)
class SlowerThan(Target):
    """time >= the baseline's time: on a peer's row, allegiance (the baseline) is ahead of it."""

    baseline: str
    text: str

    def judge(self, m: Measurement, others: Mapping[str, Measurement]) -> str:
        if (why := _unmeasured(m)) is not None:
            return why
        mine, base = seconds(m), seconds(others[self.baseline]) if self.baseline in others else None
        if mine is None or base is None:
            return "unknown (baseline not measured)"
        (t, t_exact), (b, b_exact) = mine, base
        if t_exact and b_exact:
            return MET if t >= b else MISSED
        if not t_exact and b_exact:  # t > limit
            return MET if t >= b else "unknown (timed out)"
        if t_exact:  # b > limit
            return MISSED if t < b else "unknown (baseline timed out)"
        return "unknown (both timed out)"
