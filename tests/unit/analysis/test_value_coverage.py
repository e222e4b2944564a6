"""Honest impact ellipses through the value analysis: coverage on a small Monte Carlo.

Each party's estimate a minute after burnout is flown to the ground by the tracker's own
impact predictor (the lift footprint where the arc is low, the drag it does not know, the
flight's process noise), and the true impact is checked against the 95 % ellipse. Before,
the analysis flew its own ballistic cubature points: the KN-23's true impact lay inside
0–15 % of its ellipses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.plots import draw_launch_map
from gsomia.analysis.regimes import Regime
from gsomia.analysis.runner import LaunchResult, MapRequest, regime_sharing, run_launch
from gsomia.warning.scenario.launches import dated_launch

RUNS = 2


def _run(key: str, out: Path) -> LaunchResult:
    """The launch's runs under the actual agreements, with its map (and so its ellipses)."""
    a = load_assumptions()
    sharing = regime_sharing(load_library(), dated_launch(key), (Regime.actual(),), a)
    draw = MapRequest(out_dir=out, regimes=(("actual", "actual"),), draw=draw_launch_map)
    return run_launch(key, sharing, a.simulation, sensors=a.sensors, runs=range(RUNS), draw=draw)


def _coverage(result: LaunchResult) -> float:
    judged = [hit for hits in result.coverage.values() for hit in hits if hit is not None]
    assert len(judged) >= RUNS * 2
    return sum(judged) / len(judged)


@pytest.mark.slow
def test_a_manoeuvring_missiles_true_impact_lies_inside_its_footprint(tmp_path: Path) -> None:
    result = _run("2019-07-25", tmp_path)  # two KN-23s with a pull-up the filter does not fly
    assert _coverage(result) >= 0.7
    ellipse = result.ellipses[("actual", "KOR")]
    assert ellipse is not None and ellipse.semi_major_m < 400_000.0


@pytest.mark.slow
def test_a_ballistic_missiles_footprint_allows_for_the_drag_it_does_not_know(
    tmp_path: Path,
) -> None:
    result = _run("2017-09-15", tmp_path)  # Hwasong-12 over Hokkaido, a warhead and its stage
    assert _coverage(result) >= 0.3
    ellipse = result.ellipses[("actual", "JPN")]
    assert ellipse is not None and ellipse.semi_major_m < 30_000.0
