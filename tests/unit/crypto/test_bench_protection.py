"""A smoke run of bench/protection.py's gsomia side on a handful of items (not its timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[3] / "bench" / "protection.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_protection", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_round_trips_its_items() -> None:
    bench = load_bench()
    setup = bench.make_setup(7)
    wire = bench.gsomia_send(setup, batch=3)
    assert len(wire) == 7
    assert bench.gsomia_receive(setup, wire) == setup.items
    naive = bench.Naive.generate()
    assert bench.naive_receive(naive, bench.naive_send(naive, setup.items[:2])) == setup.items[:2]
