"""Smoke runs of bench/exchange.py's and bench/network.py's gsomia sides on a few items (the
pipeline and the checks they make, not their timing)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


def load(name: str) -> ModuleType:
    """The benchmark script as the module ``name`` (a child process it spawns imports it by
    that name, with this process's path)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


@pytest.mark.parametrize("one_process", [True, False], ids=["one-process", "child-process"])
def test_the_exchange_moves_every_item_and_checks_it(one_process: bool, tmp_path: Path) -> None:
    bench = load("exchange")
    pair = bench.make_pair(tmp_path, one_process=one_process)
    try:
        bench.exchange(pair, 1_003, seed=3)  # two transfers: 1,000 and 3 items
        count, found = pair.held([])
        assert count == 1_003 and found == 0
        bench.exchange(pair, 5, seed=4)
        assert pair.held([])[0] == 1_008
    finally:
        rss = pair.close()
    assert (rss > 0) is not one_process


def test_the_medallion_envelopes_carry_the_same_items() -> None:
    bench = load("exchange")
    contents = bench.items(1, 205)
    assert contents == bench.items(1, 205) and {len(c) for c in contents} == {1024}
    bodies = bench.stix_envelopes(contents)
    assert len(bodies) == 3 and b"x_gsomia_content" in bodies[0]


def test_the_network_benchmark_imports_and_its_percentiles_hold() -> None:
    bench = load("network")
    values = [float(i) for i in range(101)]
    assert bench.percentile(values, 0.5) == 50.0 and bench.percentile(values, 0.99) == 99.0
    assert bench.BATCH == 1000
