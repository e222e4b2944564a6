"""A smoke run of bench/ledger.py's gsomia side on a few entries (not its timing)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from gsomia.ledger import merkle

BENCH = Path(__file__).resolve().parents[3] / "bench" / "ledger.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_ledger", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_appends_integrates_and_proves(tmp_path: Path) -> None:
    bench = load_bench()
    entries = bench.make_entries(2_500)
    assert len(set(entries)) == 2_500 and all(len(e) == bench.ENTRY_SIZE for e in entries)
    for sync, integrate in (("FULL", False), ("NORMAL", True)):
        store = bench.gsomia_open(tmp_path / f"{sync}.db", synchronous=sync)
        assert bench.gsomia_append(store, entries, integrate=integrate) == 2_500
        assert store.integrated_size() == (2_500 if integrate else 0)
        store.close()
    store = bench.gsomia_open(tmp_path / "tree.db", synchronous="NORMAL")
    bench.gsomia_append(store, entries, integrate=True)
    root = store.root(2_500)
    assert root == merkle.root([merkle.leaf_hash(e) for e in entries])
    assert bench.gsomia_prove_verify(store, entries, [0, 1, 1_234, 2_499], 2_500, root) == 4
    store.close()
