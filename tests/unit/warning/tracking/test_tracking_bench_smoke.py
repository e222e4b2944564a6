"""Smoke test of bench/fusion.py's gsomia side on tiny inputs (behaviour, not timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

BENCH = Path(__file__).resolve().parents[4] / "bench"


def _load() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_fusion", BENCH / "fusion.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_the_benchmarks_gsomia_side_tracks_a_tiny_scenario() -> None:
    bench = _load()
    scenario = bench.make_scenario(6, 12, seed=3)
    assert bench.count_updates(scenario) > 6 * 10
    estimates = bench.run_gsomia(scenario, bench.gsomia_batches(scenario))
    assert estimates.shape == scenario.truth.shape
    assert bench.rmse(estimates, scenario.truth) < 300.0
    first = np.sqrt(
        np.mean(np.sum((scenario.prior_mean[:, :3] - scenario.truth[0, :, :3]) ** 2, -1))
    )
    assert bench.rmse(estimates, scenario.truth) < first
    assert bench.run_tracker(scenario) == 6


def test_the_node_latency_figure_runs_through_the_nodes() -> None:
    lines = _load().node_latency_figure(quick=True)
    assert [line.split()[1] for line in lines] == ["direct", "via"]
    assert all("p99" in line for line in lines)
