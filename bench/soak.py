"""A node over minutes: clients provide 1 KiB items through JPN's user API at half the
measured peak, for ``--minutes`` minutes; JPN delivers them to KOR (SQLite, one process
each, queued transfers batched).

First the peak: 16 clients as fast as answered for ``--peak-seconds`` (or ``--rate`` given
outright). Then the soak at half of it, open loop (requests evenly spaced, whatever the
answers), with JPN's outbox depth and every node's resident memory read every 5 s. Prints
the resident memory of each node at the start and the end (``rss drift``: the soak's last
minute against its first, target < 10 %), the throughput and p99 of each minute (flat),
lost and duplicated items once drained (0), and draws throughput, p99 and outbox depth
against time (``--plot``, PNG).

Usage: ``python bench/soak.py [--minutes 10] [--rate R] [--plot soak.png]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from _load_common import Sample, cluster, drain, percentile, provide_for, rss_mb

READ_EVERY = 5.0
CLIENTS = 16


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=None, help="requests/s (default: half peak)")
    p.add_argument("--peak-seconds", type=float, default=20.0)
    p.add_argument("--plot", type=Path, default=Path("soak.png"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="gsomia-soak-") as tmp, cluster(Path(tmp)) as api:
        jpn, kor = api["JPN"], api["KOR"]
        pids = {"JPN": jpn.pid, "KOR": kor.pid}
        rate = args.rate
        if rate is None:
            peak = provide_for(jpn, clients=CLIENTS, seconds=args.peak_seconds)
            window = max(s.at + s.seconds for s in peak) - min(s.at for s in peak)
            peak_rate = sum(s.ok for s in peak) / window
            print(
                f"peak intake {peak_rate:,.1f} items/s ({CLIENTS} clients, {args.peak_seconds:g} s)"
            )
            rate = peak_rate / 2
            drain(jpn)
            warm = [s.item for s in peak if s.ok]
        else:
            warm = []
        print(f"soak rate {rate:,.1f} items/s for {args.minutes:g} min")
        start_rss = {party: rss_mb(pid) for party, pid in pids.items()}
        stop = threading.Event()
        readings: list[tuple[float, int, dict[str, float]]] = []

        def watch() -> None:
            while not stop.wait(READ_EVERY):
                rss = {party: rss_mb(pid) for party, pid in pids.items()}
                readings.append((time.monotonic(), jpn.backlog(), rss))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        t0 = time.monotonic()
        samples = provide_for(jpn, clients=CLIENTS, seconds=args.minutes * 60, rate=rate)
        stop.set()
        watcher.join()
        end_rss = {party: rss_mb(pid) for party, pid in pids.items()}
        drained = drain(jpn)
        held = Counter(kor.held_items())
        sent = {s.item for s in samples if s.ok} | set(warm)
        _report(samples, readings, t0, start_rss, end_rss, args.minutes)
        print(f"backlog drained {drained:.1f} s after the soak")
        print(f"errors {sum(not s.ok for s in samples)}")
        print(f"lost {len(sent - set(held))}")
        print(f"duplicated {sum(n - 1 for n in held.values() if n > 1)}")
        _plot(samples, readings, t0, args.plot)
        print(f"plot {args.plot}")
        print("(2 cores shared with other work: noisy)")


def _per_minute(samples: list[Sample], t0: float, minutes: float) -> list[tuple[int, float, float]]:
    out = []
    for m in range(max(1, round(minutes))):
        inside = [s for s in samples if t0 + 60 * m <= s.at < t0 + 60 * (m + 1)]
        if not inside:
            continue
        ok = sum(s.ok for s in inside)
        out.append((m + 1, ok / 60.0, percentile([s.seconds * 1000 for s in inside], 0.99)))
    return out


def _report(
    samples: list[Sample],
    readings: list[tuple[float, int, dict[str, float]]],
    t0: float,
    start_rss: dict[str, float],
    end_rss: dict[str, float],
    minutes: float,
) -> None:
    for minute, rate, p99 in _per_minute(samples, t0, minutes):
        print(f"minute {minute}: {rate:,.1f} items/s  p99 {p99:.0f} ms")
    print(f"p99 overall {percentile([s.seconds * 1000 for s in samples], 0.99):.0f} ms")
    # Drift: the mean of the last minute's readings against the first minute's (the first
    # minute includes the warm-up of caches and pools).
    first = [r for t, _, r in readings if t < t0 + 60]
    last = [r for t, _, r in readings if t >= readings[-1][0] - 60] if readings else []
    for party in start_rss:
        print(f"{party} rss start {start_rss[party]:.0f} MB  end {end_rss[party]:.0f} MB")
        if first and last:
            a = sum(r[party] for r in first) / len(first)
            b = sum(r[party] for r in last) / len(last)
            print(f"{party} rss drift {100 * (b - a) / a:+.1f} % (last minute vs first)")
    if readings:
        print(f"outbox depth max {max(d for _, d, _ in readings)} messages")


def _plot(
    samples: list[Sample],
    readings: list[tuple[float, int, dict[str, float]]],
    t0: float,
    path: Path,
) -> None:
    seconds = int(max(s.at for s in samples) - t0) + 1
    bins = list(range(0, seconds, 10))
    throughput = [sum(1 for s in samples if s.ok and b <= s.at - t0 < b + 10) / 10 for b in bins]
    p99 = [
        percentile([s.seconds * 1000 for s in samples if b <= s.at - t0 < b + 10], 0.99)
        for b in bins
    ]
    fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    axes[0].plot(bins, throughput)
    axes[0].set_ylabel("items/s")
    axes[1].plot(bins, p99, color="tab:red")
    axes[1].set_ylabel("p99 ms")
    axes[2].plot([t - t0 for t, _, _ in readings], [d for _, d, _ in readings], color="tab:green")
    axes[2].set_ylabel("outbox depth")
    axes[2].set_xlabel("seconds")
    axes[0].set_title("JPN under a steady load: throughput, p99, outbox depth (10 s bins)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
