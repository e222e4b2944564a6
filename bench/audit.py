"""Store audit rate: ``gsomia audit verify``'s check of a store against its ledger, against a
plain scan that reads every row of the same store and hashes it, in one run.

The store is KOR's, after JPN provided ``--items`` 1 KiB items (100,000 by default) and KOR
took them into custody through the ordinary path (each item's row, its label as received
and as re-marked, its key apart, its ledger entries and the journal). Then:

* **full** (``Reconciler.full``): every ``state.recorded`` ledger entry against its journal
  rows, and every sealed row of the registry, items, label versions and workflow records
  checked against its seal (HMAC-SHA-256 under the state key) and against the newest write
  the journal knows of it. Rows verified per second counts the sealed rows.
* **anchor** (``sha256-scan``): the same rows read in the same order, each row's values
  SHA-256-hashed, nothing compared: what any audit that looks at every row pays at least.
* **incremental** (``Reconciler.incremental``): after one more provision of 1,000 items,
  the check of what the journal wrote since the last clean check, with each table's count.

Usage: ``python bench/audit.py [--quick] [--items N] [--repeat R]``.
"""

from __future__ import annotations

import gc
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import select

from _common import parser, peak_rss_mb, report
from exchange import OFFICER, PROVISION, make_node, register
from gsomia.adapters.storage.sql import tables as t
from gsomia.crypto import export_public_keys
from gsomia.ports.state import SEALED_TABLES
from gsomia.services.node import Node
from gsomia.services.plumbing.reconcile import Reconciler

ITEM_SIZE = 1024
BATCH = 1000


def build(root: Path, items: int) -> tuple[Node, Node]:
    """JPN and KOR, with ``items`` provided by JPN and taken into custody by KOR."""
    from gsomia.bootstrap import connect_in_process

    jpn, kor = make_node(root, "JPN"), make_node(root, "KOR")
    register(jpn, export_public_keys(kor.ctx.keyring))
    register(kor, export_public_keys(jpn.ctx.keyring))
    connect_in_process([jpn, kor])
    provide(jpn, kor, items)
    return jpn, kor


def provide(jpn: Node, kor: Node, items: int) -> None:
    content = b"x" * ITEM_SIZE
    for start in range(0, items, BATCH):
        count = min(BATCH, items - start)
        jpn.custody.provide(contents=[content] * count, provision=PROVISION, by=OFFICER)
        while jpn.delivery.drain().delivered:
            pass


def sealed_rows(kor: Node) -> int:
    with kor.ctx.store.read() as uow:
        return sum(uow.count_rows(table) for table in SEALED_TABLES)


def scan(kor: Node) -> int:
    """The anchor: every sealed row read, its values hashed; the rows seen."""
    engine = kor.ctx.store.engine  # type: ignore[attr-defined]
    seen = 0
    with engine.connect() as conn:
        for name in SEALED_TABLES:
            table = getattr(t, name)
            columns = [c for c in table.c if c.name != "ciphertext"]
            keys = list(table.primary_key.columns)
            for row in conn.execute(select(*columns).order_by(*keys)):
                hashlib.sha256(repr(tuple(row)).encode()).digest()
                seen += 1
    return seen


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call takes, after a collection."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=100_000, help="items in the store (100,000)")
    args = p.parse_args()
    items = 2_000 if args.quick else args.items
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        jpn, kor = build(Path(tmp), items)
        built = time.perf_counter() - t0
        rows = sealed_rows(kor)
        reconciler = Reconciler(kor.ctx)
        first = reconciler.full()
        if not first.ok:
            raise SystemExit(f"the store does not match its ledger: {first.findings[:3]}")
        ours, theirs = [], []
        for _ in range(repeat):
            ours.append(rows / timed(reconciler.full))
            theirs.append(rows / timed(lambda: scan(kor)))
        report(
            "audit full",
            statistics.median(ours),
            statistics.median(theirs),
            "rows/s",
            "sha256-scan",
            f"{items:,} items, {rows:,} sealed rows, median of {repeat}; store built in "
            f"{built:.0f} s",
        )
        steps = []
        for _ in range(repeat):
            provide(jpn, kor, BATCH)
            steps.append(timed(reconciler.incremental))
        step = statistics.median(steps)
        print(
            f"audit incremental  gsomia {step * 1000:,.0f} ms after {BATCH:,} new items  "
            f"full check {rows / statistics.median(ours):,.1f} s  "
            f"ratio {rows / statistics.median(ours) / step:.1f}x  (median of {repeat})"
        )
        print(f"peak rss {peak_rss_mb():,.0f} MB")
        jpn.ctx.store.close()
        kor.ctx.store.close()


if __name__ == "__main__":
    main()
