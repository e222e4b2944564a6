"""A node under load: C clients (16 by default) provide 1 KiB items through JPN's user API
for a fixed time, one item per request, as officers at their consoles would; JPN delivers
them to KOR over mutual TLS. Side by side in one run:

1. anchor: SQLite, 1 process, each provision travelling as a transfer of its own (the
   delivery before batching: ``delivery_batching = false``);
2. gsomia: SQLite, 1 process, queued transfers joined into batched transfers;
3. gsomia: PostgreSQL, ``--workers 1``;
4. gsomia: PostgreSQL, ``--workers 2`` (two API processes; one runs delivery).

Each phase is a fresh cluster (``gsomia.cluster``: JPN, KOR, USA as separate processes).
Per phase: intake (201 answers per second), delivered items per second during the same
window (JPN's ``gsomia_delivered_messages_total``), the drain/intake ratio (>= 1.0: the
backlog does not grow), p50/p99 of the requests, the backlog left at the end and how long it
took to drain, and, once drained, what KOR holds against what JPN answered (lost,
duplicated). Then: batched vs anchor drain rate, and workers 2 vs 1 intake on PostgreSQL.

The requests all carry one officer's token, with the per-person rate raised (16 officers
would each stay under the default 600 per minute).

Usage: ``python bench/load.py [--clients 16] [--seconds 30] [--postgres URL]
[--phases anchor,sqlite,pg1,pg2] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _load_common import (
    DEFAULT_POSTGRES,
    cluster,
    cpu_seconds,
    database,
    drain,
    percentile,
    provide_for,
)

PHASES = {
    "anchor": ("sqlite, one transfer per item (anchor)", False, 1, False),
    "sqlite": ("sqlite, batched", False, 1, True),
    "pg1": ("postgresql, batched, workers 1", True, 1, True),
    "pg2": ("postgresql, batched, workers 2", True, 2, True),
}


def phase(key: str, args: argparse.Namespace) -> dict[str, float]:
    label, on_pg, workers, batching = PHASES[key]
    with tempfile.TemporaryDirectory(prefix="gsomia-load-") as tmp:
        if on_pg:
            with database(args.postgres) as url:
                return _run(label, Path(tmp), url, workers, batching, args)
        return _run(label, Path(tmp), "", workers, batching, args)


def _run(
    label: str,
    root: Path,
    store: str,
    workers: int,
    batching: bool,
    args: argparse.Namespace,
) -> dict[str, float]:
    with cluster(root / "c", store=store, workers=workers, batching=batching) as api:
        jpn, kor = api["JPN"], api["KOR"]
        before = jpn.delivered()
        cpu = cpu_seconds(jpn.pid)
        samples = provide_for(jpn, clients=args.clients, seconds=args.seconds)
        cpu = cpu_seconds(jpn.pid) - cpu
        window = max(s.at + s.seconds for s in samples) - min(s.at for s in samples)
        delivered = jpn.delivered() - before
        backlog = jpn.backlog()
        drained = drain(jpn)
        ok = [s for s in samples if s.ok]
        latencies = [s.seconds * 1000 for s in samples]
        held = Counter(kor.held_items())
        sent = {s.item for s in ok}
        intake = len(ok) / window
        out = {
            "intake": intake,
            "delivered": delivered / window,
            "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99),
        }
        p = f"[{label}]"
        print(f"{p} requests {len(samples)}  errors {len(samples) - len(ok)}")
        print(f"{p} intake {intake:,.1f} items/s")
        print(f"{p} delivered {out['delivered']:,.1f} items/s")
        print(f"{p} drain/intake ratio {out['delivered'] / intake:.2f}x")
        print(f"{p} p50 {out['p50']:.0f} ms")
        print(f"{p} p99 {out['p99']:.0f} ms")
        print(f"{p} max {max(latencies):.0f} ms")
        print(f"{p} JPN cpu {1000 * cpu / max(1, len(ok)):.1f} ms per item ({cpu:.1f} s in all)")
        print(f"{p} backlog at end {backlog} messages, drained in {drained:.1f} s")
        print(f"{p} lost {len(sent - set(held))}")
        print(f"{p} duplicated {sum(n - 1 for n in held.values() if n > 1)}")
        sys.stdout.flush()
        return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--postgres", default=DEFAULT_POSTGRES)
    p.add_argument("--phases", default=",".join(PHASES))
    p.add_argument("--quick", action="store_true", help="5 s phases: a smoke run")
    args = p.parse_args()
    if args.quick:
        args.seconds = 5.0
    started = time.monotonic()
    results = {key: phase(key, args) for key in args.phases.split(",")}
    if "anchor" in results and "sqlite" in results:
        a, b = results["anchor"], results["sqlite"]
        delivered = b["delivered"] / a["delivered"]
        print(f"batched vs one transfer per item: delivered ratio {delivered:.2f}x")
        print(f"one transfer per item vs batched: p99 ratio {a['p99'] / b['p99']:.2f}x")
    if "pg1" in results and "pg2" in results:
        ratio = results["pg2"]["intake"] / results["pg1"]["intake"]
        print(f"workers 2 vs 1 ratio {ratio:.2f}x (intake items/s, PostgreSQL)")
    print(f"({time.monotonic() - started:.0f} s in all; 2 cores shared with other work: noisy)")


if __name__ == "__main__":
    main()
