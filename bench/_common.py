"""Shared helpers for the side-by-side benchmarks: timing, medians, one-line reports."""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--quick", action="store_true", help="tiny inputs: a smoke run, not a measurement"
    )
    p.add_argument("--repeat", type=int, default=5, help="repetitions for the median (default 5)")
    return p


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Wall time in seconds of one call, and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median_rate(count: int, fn: Callable[[], object], repeat: int) -> float:
    """Median of ``repeat`` runs of ``count / seconds``."""
    rates = []
    for _ in range(repeat):
        dt, _ = timed(fn)
        rates.append(count / dt)
    return statistics.median(rates)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(name: str, ours: float, theirs: float, unit: str, anchor: str, note: str = "") -> None:
    """Print ``name  gsomia X unit  anchor Y unit  ratio Rx  (note)``."""
    ratio = ours / theirs if theirs else float("inf")
    tail = f"  ({note})" if note else ""
    line = f"{name}  gsomia {ours:,.0f} {unit}  {anchor} {theirs:,.0f} {unit}"
    print(f"{line}  ratio {ratio:.1f}x{tail}")
    sys.stdout.flush()
