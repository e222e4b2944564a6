"""Ledger throughput: gsomia's tiled Merkle log against pymerkle 7, in one run, same inputs.

Figures (anchor: ``shared/anchors/merkle_bench.py``):

* **durable append on SQLite.** The anchor is pymerkle's ``SqliteTree.append_entries``
  storing all the entries in one call (one transaction). gsomia appends the same entries in
  batches of 1,000, each its own committed transaction (WAL; ``synchronous=FULL``, the
  default: on disk before the call returns; and ``NORMAL``: survives a process crash,
  synced by the WAL checkpointer and at every signed checkpoint). An append sequences the
  entries (entry bundles and leaf hashes); the third line adds one ``integrate`` at the end,
  which builds the tree tiles (pymerkle computes those only when asked for a proof or a
  root); the fourth gives pymerkle the same committed batches of 1,000.
* **inclusion prove + verify at 1,000,000 entries.** The same random leaves on both sides:
  pymerkle's ``InmemoryTree`` (its fastest backend) against gsomia's SQLite store reading
  tiles through its LRU cache (sized to hold the tree's tiles, about 130 MB at 1,000,000);
  both caches are warmed first by one proof per 256 leaves. Verification hashes the entry
  and checks the RFC 9162 path against the root.

Both sides run with the garbage collector paused, alternating, and the median of the
repetitions is printed with the ratio.

Usage: ``python bench/ledger.py [--quick] [--repeat R] [--entries N] [--tree N]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gsomia.adapters.storage.sql.ledger import SqlLedgerStore
from gsomia.ledger import merkle

ORIGIN = "bench.gsomia.example/ledger"
ENTRY_SIZE = 256
BATCH = 1000
R = TypeVar("R")


def make_entries(count: int, seed: int = 7) -> list[bytes]:
    """``count`` pseudo-random entries of 256 bytes (the anchor's size)."""
    rng = random.Random(seed)
    return [rng.randbytes(ENTRY_SIZE) for _ in range(count)]


def timed(run: Callable[..., R], *args: Any, **kwargs: Any) -> tuple[float, R]:
    """Seconds one call takes, with the garbage collector paused (as :mod:`timeit` does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = run(*args, **kwargs)
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def fresh(directory: Path, name: str) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        (directory / f"{name}{suffix}").unlink(missing_ok=True)
    return directory / name


def gsomia_open(path: Path, *, synchronous: str) -> SqlLedgerStore:
    """A fresh store (its schema created), outside the timed part."""
    return SqlLedgerStore.open_sqlite(path, origin=ORIGIN, synchronous=synchronous)


def gsomia_append(
    store: SqlLedgerStore, entries: Sequence[bytes], *, integrate: bool = False
) -> int:
    """Append ``entries`` in committed batches of 1,000; then integrate once if asked."""
    for at in range(0, len(entries), BATCH):
        store.append_batch(entries[at : at + BATCH])
    if integrate:
        store.integrate()
    return store.size()


def pymerkle_open(path: Path) -> Any:
    """A fresh pymerkle SQLite tree (its table created), outside the timed part."""
    from pymerkle import SqliteTree

    return SqliteTree(str(path), algorithm="sha256")


def pymerkle_append(tree: Any, entries: Sequence[bytes], batch: int | None = None) -> None:
    """pymerkle's SQLite batch append: every entry in one call, or one call per ``batch``."""
    step = batch or len(entries)
    for at in range(0, len(entries), step):
        tree.append_entries(entries[at : at + step])


def gsomia_prove_verify(
    store: SqlLedgerStore, entries: Sequence[bytes], indices: Sequence[int], size: int, root: bytes
) -> int:
    """Prove each index from the store's tiles and verify it against ``root``."""
    prove, verify, leaf = store.inclusion_proof, merkle.verify_inclusion, merkle.leaf_hash
    for index in indices:
        proof = prove(index, size)
        verify(leaf_hash=leaf(entries[index]), index=index, tree_size=size, proof=proof, root=root)
    return len(indices)


def pymerkle_prove_verify(tree: Any, indices: Sequence[int], root: bytes) -> int:
    """pymerkle's prove and verify (its indices count from one)."""
    from pymerkle import verify_inclusion

    for index in indices:
        proof = tree.prove_inclusion(index + 1)
        verify_inclusion(tree.get_leaf(index + 1), root, proof)
    return len(indices)


def line(name: str, unit: str, ours: float, anchor: float, note: str) -> str:
    """One figure: gsomia, pymerkle and their ratio."""
    return (
        f"{name:<26} gsomia {ours:,.0f} {unit}  pymerkle {anchor:,.0f} {unit}  "
        f"ratio {ours / anchor:.2f}x  ({note})"
    )


def bench_append(workdir: Path, count: int, repeat: int) -> list[str]:
    """The append figures against pymerkle's SQLite batch append."""
    entries = make_entries(count)
    keys = ("pm", "pm-batched", "full", "normal", "full+int")
    times: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(repeat):
        for key, batch in (("pm", None), ("pm-batched", BATCH)):
            tree = pymerkle_open(fresh(workdir, "pymerkle.db"))
            seconds, _ = timed(pymerkle_append, tree, entries, batch)
            times[key].append(seconds)
            tree.close()
        for key, sync, integrate in (
            ("full", "FULL", False),
            ("normal", "NORMAL", False),
            ("full+int", "FULL", True),
        ):
            store = gsomia_open(fresh(workdir, f"gsomia-{key}.db"), synchronous=sync)
            seconds, size = timed(gsomia_append, store, entries, integrate=integrate)
            times[key].append(seconds)
            store.close()
            if size != count:
                raise SystemExit("gsomia appended the wrong number of entries")
    rate = {k: count / statistics.median(v) for k, v in times.items()}
    note = f"{count:,} entries of {ENTRY_SIZE} B, median of {repeat}"
    one_call = f"pymerkle in one call; {note}"
    return [
        line("append FULL", "entries/s", rate["full"], rate["pm"], one_call),
        line("append NORMAL", "entries/s", rate["normal"], rate["pm"], one_call),
        line("append FULL + integrate", "entries/s", rate["full+int"], rate["pm"], one_call),
        line(
            "append FULL, both batched",
            "entries/s",
            rate["full"],
            rate["pm-batched"],
            f"pymerkle also in committed batches of {BATCH:,}; {note}",
        ),
    ]


def bench_prove(workdir: Path, size: int, probes: int, repeat: int) -> list[str]:
    """Inclusion prove + verify on a log of ``size`` entries, both sides warmed."""
    from pymerkle import InmemoryTree

    entries = make_entries(size, seed=11)
    store = gsomia_open(fresh(workdir, "gsomia-tree.db"), synchronous="NORMAL")
    built, _ = timed(gsomia_append, store, entries, integrate=True)
    store.close()
    store = SqlLedgerStore.open_sqlite(
        workdir / "gsomia-tree.db", origin=ORIGIN, tile_cache=size // 256 + 64
    )
    root = store.root(size)
    tree = InmemoryTree(algorithm="sha256")
    tree.append_entries(entries)
    if tree.get_root() != root:
        raise SystemExit("pymerkle and gsomia disagree on the root")
    rng = random.Random(3)
    # One proof per tile of 256 leaves warms every cache on both sides.
    warm = list(range(0, size, 256))
    gsomia_prove_verify(store, entries, warm, size, root)
    pymerkle_prove_verify(tree, warm, root)
    times: dict[str, list[float]] = {"gs": [], "pm": []}
    for _ in range(repeat):
        indices = [rng.randrange(size) for _ in range(probes)]
        seconds, _ = timed(gsomia_prove_verify, store, entries, indices, size, root)
        times["gs"].append(seconds)
        seconds, _ = timed(pymerkle_prove_verify, tree, indices, root)
        times["pm"].append(seconds)
    rate = {k: probes / statistics.median(v) for k, v in times.items()}
    note = f"{size:,} entries, {probes:,} random leaves, median of {repeat}"
    store.close()
    return [
        line("inclusion prove+verify", "proofs/s", rate["gs"], rate["pm"], note),
        f"(gsomia built that log in {built:.1f} s: batches of {BATCH:,}, then integrate)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run on small inputs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--entries", type=int, default=20_000, help="entries for the append runs")
    parser.add_argument("--tree", type=int, default=1_000_000, help="log size for the proofs")
    parser.add_argument("--probes", type=int, default=5_000, help="proofs per repetition")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.entries, args.tree, args.probes = 1, 3_000, 20_000, 1_000
    workdir = Path(tempfile.mkdtemp(prefix="gsomia-bench-ledger-", dir=os.environ.get("TMPDIR")))
    try:
        for text in bench_append(workdir, args.entries, args.repeat):
            print(text, flush=True)
        for text in bench_prove(workdir, args.tree, args.probes, args.repeat):
            print(text, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
