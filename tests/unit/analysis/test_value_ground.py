"""Flying estimates to the ground, mean only and in batches (gsomia.analysis.ground)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gsomia.analysis.ground import fly_to_ground, footprints
from gsomia.errors import InputError
from gsomia.warning.geo.frames import geodetic_to_ecef, ground_range
from gsomia.warning.physics.truth import Truth, simulate
from gsomia.warning.scenario.launches import dated_launch, launch_scenario


@pytest.fixture(scope="module")
def irbm() -> Truth:
    return simulate(launch_scenario(dated_launch("2017-08-29")))


def test_true_states_fly_to_the_true_impact_apogee_and_arc_start(irbm: Truth) -> None:
    launch = irbm.launches[0]
    payload = irbm.object(launch.payload_id)
    t = np.arange(launch.burnout.t + 5.0, launch.impact_time_s - 60.0, 40.0)
    states = payload.states_at(t)
    forward = fly_to_ground(states, t, beta=payload.beta)
    backward = fly_to_ground(states, t, backwards=True)
    miss = ground_range(
        forward.lat_deg, forward.lon_deg, launch.impact_lat_deg, launch.impact_lon_deg
    )
    assert forward.ok.all() and backward.ok.all()
    assert np.max(miss) < 500.0
    assert np.max(np.abs(forward.t - launch.impact_time_s)) < 2.0
    apogee = np.fmax(forward.max_altitude_m, backward.max_altitude_m)
    assert np.max(np.abs(apogee - launch.apogee_m)) < 3000.0
    # Flown back without boost, the arc starts downrange of the real launch point.
    start = ground_range(
        backward.lat_deg, backward.lon_deg, launch.launch_lat_deg, launch.launch_lon_deg
    )
    assert np.all((start > 10e3) & (start < 200e3))
    assert np.ptp(start) < 2e3


def test_a_state_on_the_ground_has_landed_and_an_escape_never_does() -> None:
    ground = np.zeros((1, 6))
    ground[0, :3] = geodetic_to_ecef(35.0, 135.0, -10.0)
    escape = np.zeros((1, 6))
    escape[0, :3] = geodetic_to_ecef(35.0, 135.0, 500e3)
    escape[0, 3:] = escape[0, :3] / np.linalg.norm(escape[0, :3]) * 12_000.0
    found = fly_to_ground(np.vstack([ground, escape]), np.array([10.0, 0.0]), max_flight_s=3600.0)
    assert found.ok.tolist() == [True, False]
    assert found.t[0] == 10.0
    assert found.lat_deg[0] == pytest.approx(35.0, abs=1e-6)
    assert math.isnan(found.lat_deg[1])
    with pytest.raises(InputError):
        fly_to_ground(np.zeros((3, 4)), np.zeros(3))


def test_the_footprint_grows_with_the_state_uncertainty(irbm: Truth) -> None:
    launch = irbm.launches[0]
    payload = irbm.object(launch.payload_id)
    t = np.array([launch.burnout.t + 60.0] * 2)
    states = payload.states_at(t)
    covs = np.stack([np.diag([100.0**2] * 3 + [1.0] * 3), np.diag([100.0**2] * 3 + [10.0**2] * 3)])
    tight, loose = footprints(states, covs, t, np.full(2, 1.0 / payload.beta))
    assert tight is not None and loose is not None
    assert loose.semi_major_m > 3.0 * tight.semi_major_m
    miss = ground_range(tight.lat_deg, tight.lon_deg, launch.impact_lat_deg, launch.impact_lon_deg)
    assert miss < tight.semi_major_m + 1000.0


def test_a_footprint_is_the_trackers_impact_prediction(irbm: Truth) -> None:
    """One implementation: the analysis's footprint is the tracker's ImpactPredictor's."""
    from gsomia.analysis import ground

    launch = irbm.launches[0]
    payload = irbm.object(launch.payload_id)
    t = np.array([launch.burnout.t + 60.0])
    state = payload.states_at(t)
    cov = np.diag([300.0**2] * 3 + [5.0**2] * 3)[None]
    mine = footprints(state, cov, t, np.array([1.0 / payload.beta]))[0]
    mean = np.zeros((1, 10))
    mean[0, :6], mean[0, 9] = state[0], 1.0 / payload.beta
    full = np.zeros((1, 10, 10))
    full[0, :6, :6] = cov[0]
    theirs = ground._FOOTPRINT.impact(mean, full, t)
    assert mine is not None
    assert mine.lat_deg == pytest.approx(float(theirs.lat_deg[0]))
    assert np.allclose(mine.cov_array(), theirs.enu_cov[0])
