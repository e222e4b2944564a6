"""Honest impact ellipses through the value analysis: coverage on a small Monte Carlo.

Each party's estimate a minute after burnout is flown to the ground by the tracker's own
impact predictor (the lift footprint where the arc is low, the drag it does not know, the
flight's process noise), and the true impact is checked against the 95 % ellipse. Before,
the analysis flew its own ballistic cubature points: the KN-23's true impact lay inside
0–15 % of its ellipses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.fusion import Estimate
from gsomia.analysis.plots import draw_launch_map
from gsomia.analysis.regimes import Regime
from gsomia.analysis.runner import LaunchResult, MapRequest, regime_sharing, run_launch
from gsomia.analysis.runner import _coverage as _coverage_of
from gsomia.analysis.simulation import world_under
from gsomia.warning.scenario.launches import dated_launch
from gsomia.warning.simulation.world import World

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


def _estimate_at(world: World, k: int, *, t: float, powered: float) -> Estimate:
    """An estimate holding only picture index ``k``: the missile's true state at ``t``."""
    n = world.grid.size
    payload = world.truth.object(world.rounds[0].payload_id)
    est = Estimate(
        present=np.zeros(n, dtype=bool),
        t=np.full(n, np.nan),
        state=np.full((n, 6), np.nan),
        cov=np.full((n, 6, 6), np.nan),
        kappa=np.full(n, 1.0 / payload.beta),
        kappa_var=np.full(n, 1e-10),
        launch_lat=np.full(n, np.nan),
        launch_lon=np.full(n, np.nan),
        powered=np.zeros(n),
        shared=np.zeros(n, dtype=bool),
    )
    est.present[k], est.t[k] = True, t
    est.state[k] = payload.states_at(np.array([t]))[0]
    est.cov[k] = np.diag([200.0**2] * 3 + [2.0**2] * 3)
    est.powered[k] = powered
    return est


@pytest.mark.parametrize("launch", ["2022-11-18", "2017-11-29", "2017-09-15"])
def test_an_estimate_still_flagged_powered_is_not_judged_as_an_impact_estimate(
    launch: str,
) -> None:
    """A minute after burnout the ROK often holds only the GSOMIA's warning from three
    minutes before, sent during the boost and flagged powered: a warning of a launch. Its
    ballistic footprint says nothing of the impact; it counts with the rounds that had
    no estimate, not as a miss. An unpowered estimate then is judged."""
    a = load_assumptions()
    world = world_under(dated_launch(launch), a.simulation, a.sensors)
    rt = world.rounds[0]
    k = int(np.searchsorted(world.grid, rt.burnout_t + 60.0, side="right") - 1)
    boosting = _estimate_at(world, k, t=rt.burnout_t - 120.0, powered=0.99)
    coasting = _estimate_at(world, k, t=float(world.grid[k]), powered=0.0)
    judged = _coverage_of(world, [("KOR", (boosting,)), ("JPN", (coasting,))])
    assert judged["KOR"] == (None,)
    assert judged["JPN"] == (True,)
    # The same boost-phase state, were it not flagged, would be judged (and miss).
    unflagged = _estimate_at(world, k, t=rt.burnout_t - 120.0, powered=0.0)
    assert _coverage_of(world, [("KOR", (unflagged,))])["KOR"] == (False,)
